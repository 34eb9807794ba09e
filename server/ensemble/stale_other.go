//go:build !unix

package ensemble

import "time"

// processAlive cannot tell here: every root with a pid file is kept.
func processAlive(pid int, since time.Time) bool { return true }
