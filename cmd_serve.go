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
	"github.com/zabplay/zabplay/server/classroom"
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
	maxPer := fs.Int("max-ensembles-per-client", 3, "live ensembles running at once per client (IPv4 address or IPv6 /64; see --trusted-proxy)")
	idle := fs.Duration("ensemble-idle", 10*time.Minute, "stop a live ensemble with no viewer and no action for this long")
	lifetime := fs.Duration("ensemble-lifetime", time.Hour, "stop a live ensemble this long after it started, even while watched")
	mode := fs.String("ensemble-mode", "inprocess", "how live servers run: inprocess (each a node.Node in serve) or process (each a zabplay node child process: crash is SIGKILL, pause is SIGSTOP; Linux)")
	origins := fs.String("allowed-origins", "", "more origins allowed to use /api/ensembles (websockets, POST, DELETE), comma-separated host[:port] patterns (the page's own host is always allowed)")
	proxies := fs.String("trusted-proxy", "", "comma-separated CIDRs of reverse proxies whose X-Forwarded-For names the client (the rightmost hop that is not one of them); without it the client is the remote address")
	ensRate := fs.Float64("ensemble-rate", 10, "actions a second on one live ensemble (bursts of twice that, at least 5); over it: 429 with Retry-After")
	clientRate := fs.Float64("client-rate", 20, "actions (and creates) a second from one client, over all its ensembles (bursts of twice that, at least 5)")
	maxViewers := fs.Int("max-viewers", 100, "websockets watching one live ensemble")
	maxViewersPer := fs.Int("max-viewers-per-client", 20, "websockets open from one client, over all ensembles")
	maxZnodes := fs.Int("max-znodes", 1000, "znodes in one live ensemble; a create over it is refused")
	maxData := fs.Int("max-data-bytes", 256<<10, "bytes of znode values in one live ensemble; a write over it is refused")
	snapCount := fs.Int("snapcount", 1000, "txns each live server logs between snapshots")
	maxRooms := fs.Int("max-rooms", 50, "shared classroom sessions open at once, in all")
	maxRoomsPer := fs.Int("max-rooms-per-client", 5, "shared classroom sessions one client opens at once")
	maxFollowers := fs.Int("max-room-followers", 300, "followers of one shared classroom session")
	maxFollowersPer := fs.Int("max-room-followers-per-client", 60, "follower websockets from one client, over all sessions (a class behind one NAT address counts as one client: raise it)")
	roomIdle := fs.Duration("room-idle", 30*time.Minute, "close a shared classroom session whose teacher has been away this long")
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
	if *roomIdle < time.Minute {
		return fmt.Errorf("serve: --room-idle %v: want at least 1m", *roomIdle)
	}
	if *lifetime < time.Minute {
		return fmt.Errorf("serve: --ensemble-lifetime %v: want at least 1m", *lifetime)
	}
	if !(*ensRate > 0) || !(*clientRate > 0) {
		return fmt.Errorf("serve: --ensemble-rate %v and --client-rate %v: want more than 0", *ensRate, *clientRate)
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"max-viewers", *maxViewers}, {"max-viewers-per-client", *maxViewersPer}, {"max-znodes", *maxZnodes}, {"max-data-bytes", *maxData}, {"snapcount", *snapCount},
		{"max-rooms", *maxRooms}, {"max-rooms-per-client", *maxRoomsPer}, {"max-room-followers", *maxFollowers}, {"max-room-followers-per-client", *maxFollowersPer}} {
		if f.v < 1 {
			return fmt.Errorf("serve: --%s %d: want at least 1", f.name, f.v)
		}
	}
	trusted, err := ensemble.ParseTrustedProxies(*proxies)
	if err != nil {
		return fmt.Errorf("serve: --trusted-proxy: %w", err)
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
		Mode: ensMode, AllowedOrigins: allowed, MaxLifetime: *lifetime, EnsembleRate: *ensRate, ClientRate: *clientRate,
		MaxViewers: *maxViewers, MaxViewersPerClient: *maxViewersPer, MaxZnodes: *maxZnodes, MaxDataBytes: *maxData,
		SnapCount: *snapCount, TrustedProxies: trusted})
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	defer ens.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	rooms := classroom.New(classroom.Options{Log: log, MaxRooms: *maxRooms, MaxRoomsPerClient: *maxRoomsPer,
		MaxFollowers: *maxFollowers, MaxFollowersPerClient: *maxFollowersPer, Idle: *roomIdle,
		AllowedOrigins: allowed, TrustedProxies: trusted})
	defer rooms.Close()
	srv := newHTTPServer(serveRoutes(apiRoutes(ens.Handler(), rooms.Handler()), site.Handler(site.Options{Log: log, Lessons: ls, Warm: true})), log, serveTimeouts)
	// Stopping the ensembles ends their websockets (hijacked, so Shutdown
	// does not wait for them) and fails actions still waiting for a server;
	// closing the rooms ends the classroom websockets.
	srv.RegisterOnShutdown(func() { ens.Close(); rooms.Close() })
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

// serveRoutes mounts the live ensembles' API under /api/ (with the pages'
// security headers) and the site everywhere else.
func serveRoutes(api, pages http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/api/", site.SecurityHeaders(api))
	mux.Handle("/", pages)
	return mux
}

// apiRoutes sends /api/rooms to the classroom hub (server/classroom) and
// the rest of /api/ to the live ensembles' API.
func apiRoutes(ensembles, rooms http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/api/rooms", rooms)
	mux.Handle("/api/rooms/", rooms)
	mux.Handle("/", ensembles)
	return mux
}

// httpTimeouts bound how long a connection may hold serve's resources.
type httpTimeouts struct {
	// readHeader: to send a request's headers; read: the whole request, body
	// included; write: to answer (a websocket clears it, and the read
	// deadline, when it upgrades); idle: a kept-alive connection between
	// requests.
	readHeader, read, write, idle time.Duration
}

// serveTimeouts are serve's: an action waits at most 5s for its server, a
// State build at most 50ms, so 60s to answer is generous.
var serveTimeouts = httpTimeouts{readHeader: 10 * time.Second, read: 30 * time.Second, write: 60 * time.Second, idle: 2 * time.Minute}

// newHTTPServer is serve's http.Server: slow or idle connections are closed
// (they would otherwise hold a file descriptor each for as long as a client
// likes).
func newHTTPServer(h http.Handler, log *slog.Logger, t httpTimeouts) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: t.readHeader,
		ReadTimeout:       t.read,
		WriteTimeout:      t.write,
		IdleTimeout:       t.idle,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

func displayAddr(a string) string {
	host, port, err := net.SplitHostPort(a)
	if err != nil || host == "" || host == "::" || host == "0.0.0.0" {
		return "localhost:" + port
	}
	return a
}
