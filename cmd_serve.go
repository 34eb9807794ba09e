package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/zabplay/zabplay/lessons"
	"github.com/zabplay/zabplay/server/ensemble"
	"github.com/zabplay/zabplay/server/site"
	"github.com/zabplay/zabplay/static"
)

// serveCmd serves the site (server/site) and the live ensembles' API
// (server/ensemble, under /api/) until ctx is done (main cancels it on SIGINT
// or SIGTERM), then shuts down gracefully within 5 seconds: every ensemble is
// stopped and its data removed.
func serveCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", ":8080", "listen address")
	debug := fs.Bool("debug", false, "log every request (at debug level)")
	maxEns := fs.Int("max-ensembles", 20, "live ensembles running at once, in all")
	maxPer := fs.Int("max-ensembles-per-client", 3, "live ensembles running at once per client (remote address)")
	idle := fs.Duration("ensemble-idle", 10*time.Minute, "stop a live ensemble with no viewer and no action for this long")
	mode := fs.String("ensemble-mode", "inprocess", "how live servers run: inprocess (each a node.Node in serve) or process (each a zabplay node child process: crash is SIGKILL, pause is SIGSTOP; Linux)")
	origins := fs.String("allowed-origins", "", "more websocket origins for /api/ensembles/{id}/events, comma-separated host[:port] patterns (the page's own host is always allowed)")
	if err := fs.Parse(args); err != nil {
		return errQuiet
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}
	if *maxEns < 1 || *maxPer < 1 || *maxPer > *maxEns {
		return fmt.Errorf("serve: --max-ensembles %d and --max-ensembles-per-client %d: want 1 <= per client <= total", *maxEns, *maxPer)
	}
	if *idle < time.Second {
		return fmt.Errorf("serve: --ensemble-idle %v: want at least 1s", *idle)
	}
	ensMode, err := ensemble.ParseMode(*mode)
	if err != nil {
		return fmt.Errorf("serve: --ensemble-mode: %w", err)
	}
	var allowed []string
	for _, o := range strings.Split(*origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			allowed = append(allowed, o)
		}
	}
	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	ls, err := lessons.All()
	if err != nil {
		return fmt.Errorf("serve: lessons: %w", err)
	}
	if !static.HasWasm() {
		log.Warn("the simulator is not built into this binary: widgets say how to build it",
			slog.String("fix", "go tool -modfile=tools/go.mod task serve"))
	}
	ens, err := ensemble.New(ensemble.Options{Log: log, MaxEnsembles: *maxEns, MaxPerClient: *maxPer, Idle: *idle,
		Mode: ensMode, AllowedOrigins: allowed})
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	defer ens.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", ens.Handler())
	mux.Handle("/", site.Handler(site.Options{Log: log, Lessons: ls}))
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	// Stopping the ensembles ends their websockets (hijacked, so Shutdown
	// does not wait for them) and fails actions still waiting for a server.
	srv.RegisterOnShutdown(func() { ens.Close() })
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
	if err := ens.Close(); err != nil {
		return fmt.Errorf("serve: removing the ensembles' data: %w", err)
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
