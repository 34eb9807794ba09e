// Package static embeds the site's assets: plain ES modules, CSS and, once
// built, the simulator's WebAssembly (see README.md). server/site serves them.
package static

import (
	"embed"
	"io/fs"
)

// FS holds every file of this folder. The pattern "*" always matches (this
// file is in the folder), so the package builds on a clean clone where
// zab.wasm, wasm_exec.js and their .br/.gz were never built; whatever the
// wasm task wrote before `go build` is embedded too.
//
//go:embed *
var FS embed.FS

// The files the wasm task builds: the simulator and Go's loader for it.
const (
	WasmFile     = "zab.wasm"
	WasmExecFile = "wasm_exec.js"
)

// HasWasm reports whether the simulator was built into FS.
func HasWasm() bool { return HasWasmIn(FS) }

// HasWasmIn reports whether fsys holds a non-empty WasmFile and WasmExecFile
// (tests pass an fstest.MapFS).
func HasWasmIn(fsys fs.FS) bool {
	for _, name := range []string{WasmFile, WasmExecFile} {
		st, err := fs.Stat(fsys, name)
		if err != nil || st.IsDir() || st.Size() == 0 {
			return false
		}
	}
	return true
}
