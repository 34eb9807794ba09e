package e2e

import (
	"testing"
	"time"
)

// pageBudget is the budget for one lesson page's whole transfer,
// compressed, wasm included.
const pageBudget = 1_200_000

// TestPageTransfer measures what a lesson page really downloads (HTML, CSS,
// the JS modules, wasm_exec.js and zab.wasm, as encoded on the wire plus
// headers) with the browser's Resource Timing, and holds it to the budget.
// The figure goes in README.md: go test ./e2e -run TestPageTransfer -v
func TestPageTransfer(t *testing.T) {
	base := startSite(t)
	for _, path := range []string{"/lessons/leader-dies", "/playground"} {
		b := newBrowser(t, 1280, 1000) // a fresh profile: nothing cached
		p := newPage(t, b, base+path, 1280, 1000)
		// A running simulator: its time moving, or (a widget a prediction
		// holds at its start, static/predict.js) its simulator made.
		p.wait("a running simulator", `document.querySelector('[data-widget][data-sim-time]') && (Number(document.querySelector('[data-widget]').dataset.simTime) > 0 || !!document.querySelector('[data-widget]').__zw?.sim)`, 60*time.Second)
		type entry struct {
			Name     string  `json:"name"`
			Transfer float64 `json:"transfer"`
			Body     float64 `json:"body"`
		}
		entries := eval[[]entry](p, `[...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')].map(e => ({name: e.name, transfer: e.transferSize, body: e.decodedBodySize}))`)
		var total, decoded float64
		wasm := false
		for _, e := range entries {
			total += e.Transfer
			decoded += e.Body
			wasm = wasm || (len(e.Name) > 9 && e.Name[len(e.Name)-9:] == "/zab.wasm")
			t.Logf("%-60s %8.0f bytes on the wire (%8.0f decoded)", e.Name, e.Transfer, e.Body)
		}
		if !wasm {
			t.Fatalf("%s: zab.wasm is not among the page's resources", path)
		}
		t.Logf("%s: %d requests, %.0f bytes transferred (%.0f decoded); budget %d", path, len(entries), total, decoded, pageBudget)
		if total > pageBudget {
			t.Errorf("%s transfers %.0f bytes, over the %d-byte budget", path, total, pageBudget)
		}
	}
}
