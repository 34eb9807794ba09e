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
	"time"

	"github.com/zabplay/zabplay/lessons"
	"github.com/zabplay/zabplay/server/site"
	"github.com/zabplay/zabplay/static"
)

// serveCmd serves the site (server/site) until ctx is done (main cancels it
// on SIGINT or SIGTERM), then shuts down gracefully within 5 seconds.
func serveCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", ":8080", "listen address")
	debug := fs.Bool("debug", false, "log every request (at debug level)")
	if err := fs.Parse(args); err != nil {
		return errQuiet
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
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           site.Handler(site.Options{Log: log, Lessons: ls}),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
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
