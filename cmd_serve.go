package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// serveCmd serves the site until ctx is done, then shuts down gracefully.
// The browser playground and lessons come with the playground issue; until
// then the site says what zabplay is and how to run the simulator.
func serveCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", ":8080", "listen address")
	if err := fs.Parse(args); err != nil {
		return errQuiet
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: routes(log), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "zabplay: serving http://%s\n", displayAddr(ln.Addr().String()))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func displayAddr(a string) string {
	host, port, err := net.SplitHostPort(a)
	if err != nil || host == "" || host == "::" || host == "0.0.0.0" {
		return "localhost:" + port
	}
	return a
}

var homePage = template.Must(template.New("home").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>zabplay: see ZooKeeper's ZAB work</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}code,pre{background:#f3f3f3;padding:.1rem .3rem}@media(prefers-color-scheme:dark){body{background:#111;color:#eee}code,pre{background:#222}}</style>
</head><body>
<h1>zabplay</h1>
<p>A playground for ZAB, the protocol ZooKeeper uses to keep its leader and followers in the same state.</p>
<p>The animated in-browser playground and the lessons are being built. Today the simulator runs from the command line:</p>
<pre>go run . sim --scenario core/sim/testdata/leader-crash-uncommitted-survives.txt
go run . sim --seeds 200 --voters 5 --observers 1 --faults all --duration 60s</pre>
</body></html>`))

func routes(log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := homePage.Execute(w, nil); err != nil {
			log.Error("render home", slog.Any("error", err))
		}
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, "<!doctype html><title>Not found</title><h1>Not found</h1><p>There is no page at %s. <a href=\"/\">Home</a></p>", template.HTMLEscapeString(r.URL.Path))
	})
	return mux
}
