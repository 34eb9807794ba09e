package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/server/node"
	"github.com/zabplay/zabplay/server/storage"
	"github.com/zabplay/zabplay/server/transport"
	"github.com/zabplay/zabplay/server/zkserver"
)

// nodeFlags are the validated flags of `zabplay node`.
type nodeFlags struct {
	id        core.NodeID
	peers     map[core.NodeID]string
	observers []core.NodeID
	data      string
	admin     string
	client    string
	maxCli    int
	maxCliIP  int
	origins   []string
	hosts     []string
	secret    string
	handshake time.Duration
	maxHS     int
	maxPerIP  int
	tlsCert   string
	tlsKey    string
	tlsCA     string
	tick      time.Duration
	clock     time.Duration
	initLimit int
	syncLimit int
	snapCount int
	seed      uint64
	debug     bool
	eventsFd  int
}

func parseNodeFlags(args []string, stderr io.Writer) (nodeFlags, error) {
	fs := flag.NewFlagSet("node", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "usage: zabplay node --id N --peers 1=HOST:PORT,2=HOST:PORT,... --data DIR [flags]\n\n"+
			"Runs one live ZAB server. Its admin HTTP serves GET /status, GET /events (websocket),\n"+
			"POST /request {\"op\":\"create\",\"path\":\"/a\",\"data\":\"x\"} and GET/POST/DELETE /faults.\n\n")
		fs.PrintDefaults()
	}
	var f nodeFlags
	id := fs.Int("id", 0, "this server's id: one of the ids in --peers (required)")
	peers := fs.String("peers", "", "every server of the ensemble, this one included: ID=HOST:PORT,... (required)")
	observers := fs.String("observers", "", "ids in --peers that are observers, e.g. 4,5")
	fs.StringVar(&f.data, "data", "", "data directory: txn log, snapshots, epoch files (required)")
	fs.StringVar(&f.admin, "admin", "127.0.0.1:0", "admin HTTP address; a host-less :PORT binds to loopback (say 0.0.0.0:PORT to expose it)")
	fs.StringVar(&f.client, "client", "127.0.0.1:0", "client port: ZooKeeper's client protocol (zkCli.sh -server HOST:PORT, go-zookeeper, Curator, kazoo); a host-less :PORT binds to loopback (say 0.0.0.0:2181 to let other machines in); the address is printed at start")
	fs.IntVar(&f.maxCli, "max-client-conns", 1024, "client connections at once, in all; past it new ones are closed at once")
	fs.IntVar(&f.maxCliIP, "max-client-conns-per-ip", 60, "client connections at once from one IP address (ZooKeeper's maxClientCnxns)")
	origins := fs.String("origins", "", "more websocket origins allowed on /events, comma-separated host[:port] patterns (localhost is always allowed)")
	hosts := fs.String("admin-hosts", "", "more names the admin's Host header may carry, comma-separated (IP addresses and localhost are always allowed; others get 403, a guard against DNS rebinding)")
	fs.DurationVar(&f.handshake, "handshake-timeout", 5*time.Second, "how long a connection to the quorum port may take to authenticate")
	fs.IntVar(&f.maxHS, "max-handshakes", 64, "incoming quorum connections authenticating at once; past it new ones are refused")
	fs.IntVar(&f.maxPerIP, "max-conns-per-ip", 0, "incoming quorum connections (authenticating or established) from one IP address (0: the number of servers + 8)")
	fs.StringVar(&f.tlsCert, "tls-cert", "", "this server's certificate (PEM), signed by --tls-ca and naming this server's --peers host: makes the quorum mutual TLS 1.3 (with --tls-key and --tls-ca)")
	fs.StringVar(&f.tlsKey, "tls-key", "", "the private key of --tls-cert (PEM)")
	fs.StringVar(&f.tlsCA, "tls-ca", "", "the ensemble's CA certificate (PEM): every server's certificate must be signed by it")
	fs.StringVar(&f.secret, "secret-file", "", "file holding the ensemble's shared secret (the same on every server, at least 16 bytes, e.g. head -c 32 /dev/urandom | base64 > zab.secret): only servers that prove they know it may connect to the quorum port; without it the quorum port is open to anyone who reaches it")
	fs.DurationVar(&f.tick, "tick", 200*time.Millisecond, "ZooKeeper's tickTime")
	fs.DurationVar(&f.clock, "clock", 10*time.Millisecond, "how often the core's clock ticks; must divide tick/2")
	fs.IntVar(&f.initLimit, "init", 10, "initLimit, in ticks")
	fs.IntVar(&f.syncLimit, "sync", 5, "syncLimit, in ticks")
	fs.IntVar(&f.snapCount, "snapcount", 100000, "txns logged between snapshots")
	fs.Uint64Var(&f.seed, "seed", 0, "seed of the core's randomness (0: from the clock)")
	fs.BoolVar(&f.debug, "debug", false, "log at debug level")
	fs.IntVar(&f.eventsFd, "events-fd", 0, "also write every event as a JSON line to this inherited file descriptor (3 or more), before acting on it: a supervisor's pipe keeps the whole trace of a SIGKILLed server")
	if err := fs.Parse(args); err != nil {
		return f, errQuiet
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("node: unexpected argument %q", fs.Arg(0))
	}
	var err error
	if f.peers, err = parsePeers(*peers); err != nil {
		return f, fmt.Errorf("node: --peers: %w", err)
	}
	if *id < 1 || *id > core.MaxNodes {
		return f, fmt.Errorf("node: --id %d: want 1..%d, one of the ids in --peers", *id, core.MaxNodes)
	}
	f.id = core.NodeID(*id)
	if _, ok := f.peers[f.id]; !ok {
		return f, fmt.Errorf("node: --id %d is not in --peers (ids: %s)", *id, idList(f.peers))
	}
	if f.observers, err = parseObservers(*observers, f.peers); err != nil {
		return f, fmt.Errorf("node: --observers: %w", err)
	}
	if f.data == "" {
		return f, errors.New("node: --data DIR is required (where the txn log, snapshots and epoch files live)")
	}
	if f.admin, err = loopbackDefault(f.admin); err != nil {
		return f, fmt.Errorf("node: --admin: %w", err)
	}
	if f.client, err = loopbackDefault(f.client); err != nil {
		return f, fmt.Errorf("node: --client: %w", err)
	}
	if f.maxCli < 1 || f.maxCliIP < 1 {
		return f, fmt.Errorf("node: --max-client-conns %d, --max-client-conns-per-ip %d: want at least 1", f.maxCli, f.maxCliIP)
	}
	if *origins != "" {
		f.origins = strings.Split(*origins, ",")
	}
	for _, h := range strings.Split(*hosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			if strings.ContainsAny(h, ":/[]") {
				return f, fmt.Errorf("node: --admin-hosts %q: want host names without port or scheme, e.g. laptop3.local", h)
			}
			f.hosts = append(f.hosts, h)
		}
	}
	if f.tick <= 0 || f.clock <= 0 || f.tick%time.Millisecond != 0 || f.clock%time.Millisecond != 0 {
		return f, fmt.Errorf("node: --tick %v and --clock %v must be whole positive milliseconds", f.tick, f.clock)
	}
	if f.eventsFd != 0 && f.eventsFd < 3 {
		return f, fmt.Errorf("node: --events-fd %d: want an inherited descriptor, 3 or more", f.eventsFd)
	}
	if f.handshake <= 0 || f.maxHS < 1 || f.maxPerIP < 0 {
		return f, fmt.Errorf("node: --handshake-timeout %v, --max-handshakes %d, --max-conns-per-ip %d: want positive values (0 allowed for --max-conns-per-ip)", f.handshake, f.maxHS, f.maxPerIP)
	}
	if n := btoi(f.tlsCert != "") + btoi(f.tlsKey != "") + btoi(f.tlsCA != ""); n != 0 && n != 3 {
		return f, errors.New("node: --tls-cert, --tls-key and --tls-ca go together")
	}
	if f.snapCount < 1 {
		return f, fmt.Errorf("node: --snapcount %d: want at least 1", f.snapCount)
	}
	return f, nil
}

// parsePeers reads "1=host:port,2=host:port".
func parsePeers(s string) (map[core.NodeID]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("required, e.g. 1=127.0.0.1:2881,2=127.0.0.1:2882,3=127.0.0.1:2883")
	}
	peers := map[core.NodeID]string{}
	addrs := map[string]core.NodeID{}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		k, addr, ok := strings.Cut(item, "=")
		if !ok {
			return nil, fmt.Errorf("%q: want ID=HOST:PORT", item)
		}
		n, err := strconv.Atoi(k)
		if err != nil || n < 1 || n > core.MaxNodes {
			return nil, fmt.Errorf("%q: server id %q: want 1..%d", item, k, core.MaxNodes)
		}
		id := core.NodeID(n)
		if _, dup := peers[id]; dup {
			return nil, fmt.Errorf("server id %d listed twice", n)
		}
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, fmt.Errorf("%q: bad address: %v", item, err)
		}
		if host == "" {
			return nil, fmt.Errorf("%q: the address needs a host, e.g. 127.0.0.1%s", item, addr)
		}
		if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
			return nil, fmt.Errorf("%q: bad port %q: want 1..65535", item, port)
		}
		if other, dup := addrs[addr]; dup {
			return nil, fmt.Errorf("servers %d and %d have the same address %s", other, n, addr)
		}
		peers[id], addrs[addr] = addr, id
	}
	return peers, nil
}

func parseObservers(s string, peers map[core.NodeID]string) ([]core.NodeID, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []core.NodeID
	seen := map[core.NodeID]bool{}
	for _, k := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(k))
		if err != nil || n < 1 || n > core.MaxNodes {
			return nil, fmt.Errorf("%q: want a server id 1..%d", k, core.MaxNodes)
		}
		id := core.NodeID(n)
		if _, ok := peers[id]; !ok {
			return nil, fmt.Errorf("%d is not in --peers (ids: %s)", n, idList(peers))
		}
		if seen[id] {
			return nil, fmt.Errorf("%d listed twice", n)
		}
		seen[id] = true
		out = append(out, id)
	}
	if len(out) == len(peers) {
		return nil, errors.New("every server is an observer: at least one must vote")
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

func idList(peers map[core.NodeID]string) string {
	var ids []int
	for id := range peers {
		ids = append(ids, int(id))
	}
	sort.Ints(ids)
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(id)
	}
	return strings.Join(s, ",")
}

// loopbackDefault makes a host-less ":PORT" bind to loopback.
func loopbackDefault(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return "", fmt.Errorf("bad port %q", port)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// loadNodeSecret reads --secret-file, or says loudly that there is none.
func loadNodeSecret(f nodeFlags, log *slog.Logger) ([]byte, error) {
	if f.secret == "" && f.tlsCA != "" {
		log.Warn("no --secret-file: the quorum port lets in any server with a certificate of --tls-ca", slog.String("ca", f.tlsCA))
		return nil, nil
	}
	if f.secret == "" {
		log.Warn("QUORUM PORT OPEN TO ANYONE: no --secret-file, so any program that reaches " + f.peers[f.id] +
			" can join this ensemble as a server, forge its messages and corrupt its data. Give every server the same secret: " +
			"(umask 077; head -c 32 /dev/urandom | base64 > zab.secret), copy the file to every server, zabplay node --secret-file zab.secret ...")
		return nil, nil
	}
	secret, exposed, err := transport.LoadSecret(f.secret)
	if err != nil {
		return nil, fmt.Errorf("node: --secret-file: %w", err)
	}
	if exposed {
		log.Warn("the secret file can be read by other users: chmod 600 "+f.secret, slog.String("file", f.secret))
	}
	return secret, nil
}

// nodeCmd runs one live server until ctx is done.
func nodeCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, err := parseNodeFlags(args, stderr)
	if err != nil {
		return err
	}
	level := slog.LevelInfo
	if f.debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	secret, err := loadNodeSecret(f, log)
	if err != nil {
		return err
	}
	var tlsCfg *tls.Config
	if f.tlsCA != "" {
		if tlsCfg, err = transport.LoadTLS(f.tlsCert, f.tlsKey, f.tlsCA); err != nil {
			return fmt.Errorf("node: %w", err)
		}
	}
	disk, durable, err := storage.Open(f.data, log)
	if err != nil {
		return fmt.Errorf("node: %w", err)
	}
	cfg := node.Config{
		ID: f.id, Peers: f.peers, Observers: f.observers, Secret: secret, Store: disk, Restore: durable,
		TickMs: int(f.tick / time.Millisecond), ClockMs: int(f.clock / time.Millisecond),
		InitLimit: f.initLimit, SyncLimit: f.syncLimit, SnapCount: f.snapCount, Seed: f.seed, Log: log,
		HandshakeTimeout: f.handshake, MaxHandshakes: f.maxHS, MaxConnsPerAddr: f.maxPerIP, TLS: tlsCfg,
	}
	if f.eventsFd != 0 {
		sink := os.NewFile(uintptr(f.eventsFd), "events")
		if _, err := sink.Stat(); err != nil {
			disk.Close()
			return fmt.Errorf("node: --events-fd %d is not open: %w", f.eventsFd, err)
		}
		defer sink.Close()
		cfg.EventSink = sink
	}
	if err := cfg.Validate(); err != nil {
		disk.Close()
		return fmt.Errorf("node: %w", err)
	}
	ln, err := net.Listen("tcp", f.admin)
	if err != nil {
		disk.Close()
		return fmt.Errorf("node: admin: %w", err)
	}
	n, err := node.Start(cfg)
	if err != nil {
		ln.Close()
		disk.Close()
		return fmt.Errorf("node: %w", err)
	}
	cport, err := zkserver.Listen(f.client, zkserver.Config{
		Backend: n, TickMs: int(f.tick / time.Millisecond), MaxConns: f.maxCli, MaxConnsPerIP: f.maxCliIP, Log: log,
		Conf: zkserver.ConfOf(cfg, f.data),
	})
	if err != nil {
		ln.Close()
		n.Close()
		return fmt.Errorf("node: --client: %w", err)
	}
	defer cport.Close()
	origins := append([]string{"localhost:*", "127.0.0.1:*", "[::1]:*"}, f.origins...)
	srv := &http.Server{
		Handler:           n.Handler(node.AdminOptions{Origins: origins, Addr: ln.Addr().String(), Hosts: f.hosts}),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	srv.RegisterOnShutdown(n.Hub().Close) // ends /events websockets
	// The admin address comes last: serve's process mode reads it from this line.
	fmt.Fprintf(stdout, "zabplay node %v: quorum %s, client %s (zkCli.sh -server %s), admin http://%s\n", f.id, n.Addr(), cport.Addr(), cport.Addr(), ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err = <-errc:
	case <-n.Done(): // a fatal error (a failed fsync) ends the command
		srv.Close()
		<-errc
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = srv.Shutdown(sctx)
		cancel()
		if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
			err = serr
		}
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	cport.Close()
	cerr := n.Close()
	if ferr := n.Err(); ferr != nil {
		return fmt.Errorf("node: %w", ferr)
	}
	return errors.Join(err, cerr)
}
