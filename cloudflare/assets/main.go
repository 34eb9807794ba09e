// Command assets lays out the Workers edition's static assets: every file
// that server/site serves under /static/ (as `zabplay serve` does, read from
// the static folder on disk after `task wasm`) is copied to OUT/static/, and
// OUT/_headers gives each the Content-Type and Cache-Control that server/site
// gives it, and every asset the security headers of every page. The headers
// are read off site's own answers, so the two editions cannot drift apart.
// The .br and .gz variants stay behind: Cloudflare compresses on its own.
//
// Usage: go run ./cloudflare/assets [-static static] OUT
package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/zabplay/zabplay/server/site"
	"github.com/zabplay/zabplay/static"
)

func main() {
	dir := flag.String("static", "static", "the static folder (after task wasm)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: assets [-static DIR] OUT")
		os.Exit(2)
	}
	if err := run(*dir, flag.Arg(0)); err != nil {
		fmt.Fprintln(os.Stderr, "assets:", err)
		os.Exit(1)
	}
}

// perAssetHeaders are the headers of site's asset answers that _headers
// repeats per file; securityHeaders are those every answer carries.
var perAssetHeaders = []string{"Content-Type", "Cache-Control"}

func run(dir, out string) error {
	fsys := os.DirFS(dir)
	if !static.HasWasmIn(fsys) {
		return errors.New(dir + " has no zab.wasm or wasm_exec.js: run go tool -modfile=tools/go.mod task wasm")
	}
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(out, "static"), 0o755); err != nil {
		return err
	}
	h := site.Handler(site.Options{Static: fsys})
	var b strings.Builder
	b.WriteString("# Written by cloudflare/assets from server/site's own answers: do not edit.\n/*\n")
	sec := securityHeaders()
	for _, k := range sortedKeys(sec) {
		fmt.Fprintf(&b, "  %s: %s\n", k, sec.Get(k))
	}
	names, err := fs.Glob(fsys, "*")
	if err != nil {
		return err
	}
	copied := 0
	for _, name := range names {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/static/"+name, nil))
		if rec.Code != http.StatusOK {
			continue // site does not serve it (static.go, README.md, dev.html, *.br, *.gz)
		}
		src, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(out, "static", name), src, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s\n", path.Join("/static", name))
		for _, k := range perAssetHeaders {
			if v := rec.Header().Get(k); v != "" {
				fmt.Fprintf(&b, "  %s: %s\n", k, v)
			}
		}
		copied++
	}
	if copied == 0 {
		return errors.New("site served no file of " + dir)
	}
	return os.WriteFile(filepath.Join(out, "_headers"), []byte(b.String()), 0o644)
}

// securityHeaders are the headers site.SecurityHeaders sets on every answer.
func securityHeaders() http.Header {
	rec := httptest.NewRecorder()
	site.SecurityHeaders(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})).
		ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	return rec.Header()
}

func sortedKeys(h http.Header) []string {
	var ks []string
	for k := range h {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
