//go:build race

package transport

// raceDetector: the race detector's shadow memory grows RSS with every
// goroutine and allocation, so RSS bounds are looser under it.
const raceDetector = true
