//go:build js && wasm

// Command cloudflare is the sim-only edition of the site on Cloudflare
// Workers (github.com/syumai/workers): the same pages from the same handlers
// as `zabplay serve` (server/site, with Options.SimOnly), while the assets,
// the simulator's wasm among them, are Workers static assets. There are no
// live ensembles here. README.md says how to build, run and deploy it.
//
// The handlers keep no state between requests. The Go instance itself
// outlives a request (worker.mjs starts one per isolate and hands it every
// request), so the course is parsed once per isolate, not once per request;
// a fresh instance serves the same pages.
package main

import (
	"log/slog"
	"net/http"
	"os"

	"github.com/syumai/workers"

	"github.com/zabplay/zabplay/server/site"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	workers.ServeNonBlock(headSafe(site.Pages(site.Options{Log: log, SimOnly: true})))
	workers.Ready()
	select {} // serve every request of this isolate (worker.mjs)
}

// headSafe drops the Content-Length of an answer to HEAD: site sets it to
// the length of the page it leaves out, and the Workers runtime then fails
// the empty body ("FixedLengthStream did not see all expected bytes").
func headSafe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			w = headWriter{w}
		}
		next.ServeHTTP(w, r)
	})
}

type headWriter struct{ http.ResponseWriter }

func (w headWriter) WriteHeader(code int) {
	w.Header().Del("Content-Length")
	w.ResponseWriter.WriteHeader(code)
}

func (w headWriter) Write(b []byte) (int, error) {
	w.Header().Del("Content-Length")
	return w.ResponseWriter.Write(b)
}
