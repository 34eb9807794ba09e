// Package static embeds the site's plain ES modules, CSS and the simulator's
// WebAssembly (the playground issue adds them).
package static

import "embed"

// FS holds the assets.
//
//go:embed static.go
var FS embed.FS
