package sim

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var updateHashes = flag.Bool("update-hashes", false, "rewrite testdata/trace-hashes.golden")

// TestTraceHashes pins the trace of every scenario file: the native build and
// the WebAssembly build (the Taskfile runs this test under Node too) must
// produce the same bytes. After an intended change to the core, rerun with
// -update-hashes and commit the file.
func TestTraceHashes(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	require.NoError(t, err)
	bugs, err := filepath.Glob("testdata/bugs/*.txt")
	require.NoError(t, err)
	files = append(files, bugs...)
	sort.Strings(files)
	got := map[string]string{}
	var lines []string
	for _, f := range files {
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		h := sha256.New()
		_, err = RunScenario(f, string(src), nil, nil, h)
		require.NoError(t, err)
		got[f] = hex.EncodeToString(h.Sum(nil))
		lines = append(lines, f+" "+got[f])
	}
	const golden = "testdata/trace-hashes.golden"
	if *updateHashes {
		require.NoError(t, os.WriteFile(golden, []byte(strings.Join(lines, "\n")+"\n"), 0o644))
		return
	}
	b, err := os.ReadFile(golden)
	require.NoError(t, err, "run: go test ./core/sim -run TestTraceHashes -update-hashes")
	want := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f, h, _ := strings.Cut(l, " ")
		want[f] = h
	}
	for _, f := range files {
		assert.Equal(t, want[f], got[f], "%s: the trace changed (same seed, same scenario, different bytes)", f)
	}
}
