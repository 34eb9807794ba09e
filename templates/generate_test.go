package templates

import (
	"bytes"
	"go/format"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/a-h/templ"
	"github.com/a-h/templ/generator"
	parser "github.com/a-h/templ/parser/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// generate does what `go tool templ generate` (run from the repository root)
// does for one file: parse, generate with the version header and the file
// name relative to the root, gofmt.
func generate(t *testing.T, name, src string) []byte {
	t.Helper()
	tf, err := parser.ParseString(src)
	require.NoError(t, err, name)
	var b bytes.Buffer
	_, err = generator.Generate(tf, &b, generator.WithVersion(templ.Version()), generator.WithFileName("templates/"+name))
	require.NoError(t, err, name)
	out, err := format.Source(b.Bytes())
	require.NoError(t, err, name)
	return out
}

// TestGeneratedCodeIsFresh fails when a .templ file changed without `go tool
// templ generate`, or a *_templ.go file has no .templ file.
func TestGeneratedCodeIsFresh(t *testing.T) {
	templs, err := filepath.Glob("*.templ")
	require.NoError(t, err)
	require.NotEmpty(t, templs)
	for _, name := range templs {
		src, err := os.ReadFile(name)
		require.NoError(t, err)
		goName := strings.TrimSuffix(name, ".templ") + "_templ.go"
		committed, err := os.ReadFile(goName)
		require.NoError(t, err, "%s has no %s: run go tool templ generate", name, goName)
		if !bytes.Equal(generate(t, name, string(src)), committed) {
			t.Errorf("%s is stale: run `go tool templ generate` from the repository root and commit it", goName)
		}
	}
	gens, err := filepath.Glob("*_templ.go")
	require.NoError(t, err)
	for _, g := range gens {
		_, err := os.Stat(strings.TrimSuffix(g, "_templ.go") + ".templ")
		assert.NoError(t, err, "%s has no .templ file: delete it", g)
	}
}

// TestFreshnessCheckCatchesAnEdit shows the check above has teeth: an edited
// copy of a template no longer matches the committed code.
func TestFreshnessCheckCatchesAnEdit(t *testing.T) {
	src, err := os.ReadFile("errors.templ")
	require.NoError(t, err)
	committed, err := os.ReadFile("errors_templ.go")
	require.NoError(t, err)
	edited := strings.Replace(string(src), "<h1>{ t.NotFound }</h1>", "<h1>Lost</h1>", 1)
	require.NotEqual(t, string(src), edited)
	assert.NotEqual(t, committed, generate(t, "errors.templ", edited))
	assert.Equal(t, committed, generate(t, "errors.templ", string(src)))
}
