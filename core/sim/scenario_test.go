package sim

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestScenarios runs every scenario file under testdata/: all must pass.
func TestScenarios(t *testing.T) {
	eachScenario(t, "testdata/*.txt", func(t *testing.T, res Result) {
		require.Zero(t, res.Failed, "failed expects")
		require.Empty(t, res.Violations)
	})
}

// eachScenario runs every scenario file matching glob as a subtest (its
// output goes to the test log) and hands the result to check.
func eachScenario(t *testing.T, glob string, check func(*testing.T, Result)) {
	files, err := filepath.Glob(glob)
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			src, err := os.ReadFile(f)
			require.NoError(t, err)
			res, err := RunScenario(f, string(src), nil, &testWriter{t}, nil)
			require.NoError(t, err)
			check(t, res)
		})
	}
}

type testWriter struct{ t *testing.T }

func (w *testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p[:len(p)-1]))
	return len(p), nil
}
