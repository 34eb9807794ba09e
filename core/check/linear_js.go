//go:build js

package check

import "time"

// Linearizable is not checked in the browser: porcupine embeds its HTML
// visualizer, which would add about a third to the playground's download.
// The native build (tests, campaigns, `zabplay sim`) checks it; the browser
// runs every other property live.
func Linearizable(ops []WriteOp, timeout time.Duration) *Violation { return nil }
