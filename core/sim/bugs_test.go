package sim

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBugScenarios shows each historical bug breaks what its scenario says
// it breaks (its "# breaks:" line: a checker property, or an expect that
// fails) with its switch on, and that the same scenario is clean with the
// switch off.
func TestBugScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/bugs/*.txt")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		stmts, err := Parse(f, string(src))
		require.NoError(t, err)
		t.Run(filepath.Base(f)+"/on", func(t *testing.T) {
			res, err := (&Runner{File: f}).Run(stmts, nil)
			require.NoError(t, err)
			assertBreaks(t, string(src), res)
		})
		t.Run(filepath.Base(f)+"/off", func(t *testing.T) {
			res, err := (&Runner{File: f, BugsOff: true}).Run(stmts, nil)
			require.NoError(t, err)
			assert.True(t, res.OK(), "with the bug off the scenario must be clean: %d failed, %v", res.Failed, res.Violations)
		})
	}
}

// assertBreaks checks a run against its scenario's "# breaks: A, B" line:
// each item is a checker property that must be among the violations, or an
// "expect ..." statement that must be the first to fail.
func assertBreaks(t *testing.T, src string, res Result) {
	t.Helper()
	var items []string
	for _, line := range strings.Split(src, "\n") {
		if rest, ok := strings.CutPrefix(line, "# breaks: "); ok {
			items = append(items, strings.Split(rest, ", ")...)
		}
	}
	require.NotEmpty(t, items, "the scenario must say what it breaks (# breaks: PROPERTY or # breaks: expect ...)")
	flagged := map[string]bool{}
	for _, v := range res.Violations {
		flagged[v.Property] = true
	}
	for _, it := range items {
		if strings.HasPrefix(it, "expect ") {
			assert.True(t, strings.HasSuffix(res.FirstFailed, ": "+it), "want %q to fail first; first failed: %q", it, res.FirstFailed)
			continue
		}
		assert.True(t, flagged[it], "want the checker to flag %s; flagged: %v", it, res.Violations)
	}
}

// TestBreakTheAssumption: with a fault outside ZAB's model (losing an fsynced
// write, reordering inside a link) the run must not come out clean.
func TestBreakTheAssumption(t *testing.T) {
	files, err := filepath.Glob("testdata/break/*.txt")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		t.Run(filepath.Base(f), func(t *testing.T) {
			res, err := RunScenario(f, string(src), nil, nil, nil)
			require.NoError(t, err)
			assertBreaks(t, string(src), res)
		})
	}
}
