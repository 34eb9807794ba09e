package ensemble

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/view"
	"github.com/zabplay/zabplay/core/ztree"
	"github.com/zabplay/zabplay/server/node"
	"github.com/zabplay/zabplay/server/transport"
)

// Process mode: each server is a `zabplay node` child of serve, with its own
// data dir, quorum port and admin port on loopback. A crash is SIGKILL (no
// flush: what the child had not fsynced is lost), a restart runs the child
// again on the same dir and ports, a pause is SIGSTOP (its timers stop, as a
// stopped JVM's do) and a resume SIGCONT. Faults and client requests go
// through the child's admin HTTP (POST /faults, POST /request) and its
// status comes from GET /status.
//
// The events come from a pipe, not the child's /events websocket: the child
// (--events-fd 3) writes each event to it before it acts on the event, so a
// SIGKILL never loses a commit whose COMMIT already reached a follower (the
// kernel keeps what was written; the websocket's writer goroutine may not have
// sent it yet, and the checker could then see a follower deliver what no
// leader committed). The merger takes the pipe's lines exactly as it takes an
// in-process hub's.

// Process-mode bounds.
const (
	procReadyWait  = 10 * time.Second // the child prints its ready line
	procStatusWait = time.Second      // GET /status
	procFaultsWait = 2 * time.Second  // POST /faults
	procExitWait   = 5 * time.Second  // after SIGKILL
	procBindRetry  = 3 * time.Second  // a restart's port still held
	// stampGap separates a pause or resume event from the child's own
	// events: those are rebased from its clock (read through /status) and
	// may land a millisecond or two off the ensemble's.
	stampGap = 5 * time.Millisecond
)

// pauser is a server that can really stop and go on (process mode).
type pauser interface {
	Pause(on bool) error
}

var (
	_ server = (*proc)(nil)
	_ pauser = (*proc)(nil)
)

// errAddrInUse is a child that could not bind its ports.
var errAddrInUse = errors.New("address already in use")

// processDefaults checks the options of Process mode.
func (o *Options) processDefaults() error {
	if o.Mode != Process {
		if o.Mode != InProcess {
			return fmt.Errorf("ensemble mode %q: want inprocess or process", o.Mode)
		}
		return nil
	}
	if err := processSupported(); err != nil {
		return err
	}
	if o.NodeBinary == "" {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("process mode: finding the zabplay binary: %w", err)
		}
		o.NodeBinary = exe
	}
	if _, err := os.Stat(o.NodeBinary); err != nil {
		return fmt.Errorf("process mode: the zabplay binary: %w", err)
	}
	return nil
}

// proc is one incarnation of a server run as a child process.
type proc struct {
	id     core.NodeID
	admin  string // host:port of its admin HTTP
	zk     string // host:port of its client port (ZooKeeper's protocol)
	cmd    *exec.Cmd
	client *http.Client
	log    *slog.Logger
	exited chan struct{} // closed when the child is reaped
	events chan []byte   // the pipe's lines; closed at its end

	mu      sync.Mutex
	paused  bool
	last    node.Status       // what it said last
	view    *view.Server      // the last whole view it gave (for while it is stopped)
	pending []node.FaultsBody // faults set while paused, applied on resume
	exit    string            // how it ended
}

// bootProcess starts member m as a child (first boot: on the port ln
// reserved; restart: on its old ports) and merges its events.
func (e *Ensemble) bootProcess(m *member, ln net.Listener, first *core.Event) error {
	if ln != nil {
		ln.Close() // reserved the port; the child listens on it now
	}
	var p *proc
	var err error
	deadline := time.Now().Add(procBindRetry)
	for {
		p, err = e.startProc(m)
		if err == nil || !errors.Is(err, errAddrInUse) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond) // the old port is being released
	}
	if err != nil {
		return fmt.Errorf("%v: %w", m.id, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), procReadyWait)
	defer cancel()
	var st node.Status
	for {
		if st, err = p.fetchStatus(ctx, statusOnly); err == nil || ctx.Err() != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		p.Close()
		return fmt.Errorf("%v: GET /status: %w", m.id, err)
	}
	// The child's events are stamped with ms since it started.
	nodeZero := time.Now().Add(-time.Duration(st.UptimeMs) * time.Millisecond)
	offset := nodeZero.Sub(e.start).Milliseconds()
	ended := make(chan struct{})
	crashAt := new(int64)
	e.mu.Lock()
	m.n, m.admin, m.ended, m.crashAt = p, p.admin, ended, crashAt
	if p.zk != "" {
		m.client = p.zk
	}
	e.mu.Unlock()
	e.stream.addSource(m.id, offset, p.events, first, func() *core.Event {
		defer close(ended)
		select { // the pipe ended: the child is gone or going
		case <-p.exited:
		case <-time.After(procExitWait):
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		at := *crashAt
		if at == 0 && m.n == p && !e.stopped {
			// It ended by itself (or someone's kill -9): a crash all the same.
			e.log.Warn("server process ended", slog.String("server", m.id.String()), slog.String("state", p.exitState()))
			m.last, m.n, m.paused = p.Status(), nil, false
			at = e.stream.now()
		}
		if at == 0 {
			return nil
		}
		return &core.Event{At: at, Kind: core.EvCrash, Node: m.id}
	})
	e.applyFaults(m.id)
	return nil
}

// secretFile holds the ensemble's quorum secret for its children (mode 0600).
func (e *Ensemble) secretFile() string { return filepath.Join(e.dir, "quorum.secret") }

// nodeArgs are the `zabplay node` arguments of member m.
func (e *Ensemble) nodeArgs(m *member) []string {
	var peers, obs []string
	for _, x := range e.members {
		peers = append(peers, strconv.Itoa(int(x.id))+"="+x.addr)
		if x.observer {
			obs = append(obs, strconv.Itoa(int(x.id)))
		}
	}
	admin := m.admin
	if admin == "" {
		admin = "127.0.0.1:0"
	}
	client := m.client
	if client == "" {
		client = "127.0.0.1:0"
	}
	o := e.opts
	args := []string{"node", "--id", strconv.Itoa(int(m.id)), "--peers", strings.Join(peers, ","),
		"--data", m.dir, "--admin", admin, "--client", client, "--events-fd", "3", "--secret-file", e.secretFile(),
		"--tick", strconv.Itoa(o.TickMs) + "ms", "--clock", strconv.Itoa(o.ClockMs) + "ms",
		"--init", strconv.Itoa(o.InitLimit), "--sync", strconv.Itoa(o.SyncLimit)}
	if len(obs) > 0 {
		args = append(args, "--observers", strings.Join(obs, ","))
	}
	args = append(args, "--snapcount", strconv.Itoa(o.SnapCount))
	return args
}

// startProc runs the child and waits for its ready line.
func (e *Ensemble) startProc(m *member) (*proc, error) {
	log := e.log.With(slog.String("server", m.id.String()))
	cmd := exec.Command(e.opts.NodeBinary, e.nodeArgs(m)...)
	cmd.SysProcAttr = childAttr()
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.ExtraFiles = []*os.File{pw} // fd 3
	stdout, err1 := cmd.StdoutPipe()
	stderr, err2 := cmd.StderrPipe()
	if err := errors.Join(err1, err2); err != nil {
		pr.Close()
		pw.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		return nil, fmt.Errorf("starting %s node: %w", e.opts.NodeBinary, err)
	}
	pw.Close() // the child holds the write end: the pipe ends when it dies
	p := &proc{id: m.id, cmd: cmd, log: log, exited: make(chan struct{}), events: make(chan []byte, e.opts.mergeBuffer()),
		client: &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}}}
	log.Info("server process started", slog.Int("pid", cmd.Process.Pid))
	go p.readEvents(pr, e.stream.done)

	ready := make(chan string, 1)
	var tail tailLines
	var out sync.WaitGroup
	out.Add(2)
	go func() { // stdout: the ready line, then whatever it says
		defer out.Done()
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if _, addr, ok := strings.Cut(line, ", client "); ok {
				p.zk, _, _ = strings.Cut(addr, " ") // read before the ready line is sent
			}
			if _, addr, ok := strings.Cut(line, "admin http://"); ok {
				select {
				case ready <- strings.TrimSpace(addr):
				default:
				}
			}
			log.Info("node: " + line)
		}
	}()
	go func() { // stderr: every line to serve's log, with the server's name
		defer out.Done()
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			tail.add(line)
			if strings.HasPrefix(line, "time=") { // serve's log has its own
				_, line, _ = strings.Cut(line, " ")
			}
			log.Info("node: " + line)
		}
	}()
	go func() {
		out.Wait()
		err := cmd.Wait()
		p.mu.Lock()
		p.exit = cmd.ProcessState.String()
		if err != nil && cmd.ProcessState == nil {
			p.exit = err.Error()
		}
		p.mu.Unlock()
		log.Info("server process ended", slog.String("state", p.exit))
		close(p.exited)
	}()

	select {
	case p.admin = <-ready:
		return p, nil
	case <-p.exited:
		msg := tail.String()
		if strings.Contains(msg, errAddrInUse.Error()) {
			return nil, fmt.Errorf("%w: %s", errAddrInUse, msg)
		}
		return nil, fmt.Errorf("the node process ended (%s): %s", p.exitState(), msg)
	case <-time.After(procReadyWait):
		p.Close()
		return nil, fmt.Errorf("the node process was not ready within %v: %s", procReadyWait, tail.String())
	}
}

// readEvents copies the pipe's lines to p.events until the pipe ends (the
// child is gone and everything it wrote is read) or the stream stops.
func (p *proc) readEvents(r *os.File, done <-chan struct{}) {
	defer r.Close()
	defer close(p.events)
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadBytes('\n')
		if line = bytes.TrimSpace(line); len(line) > 0 {
			select {
			case p.events <- line:
			case <-done:
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				p.log.Warn("reading the events pipe", slog.Any("error", err))
			}
			return
		}
	}
}

func (p *proc) exitState() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exit
}

func (p *proc) gone() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// call sends one admin request and decodes a 200's JSON into out.
func (p *proc) call(ctx context.Context, method, path string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+p.admin+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json") // the node admin requires it on POST and DELETE
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		json.Unmarshal(b, &e)
		return resp.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, e.Error)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

// fetchStatus is GET /status with the view o asks for.
func (p *proc) fetchStatus(ctx context.Context, o view.Options) (node.Status, error) {
	var st node.Status
	_, err := p.call(ctx, "GET", "/status?"+node.ViewQuery(o), nil, &st)
	if err == nil {
		p.mu.Lock()
		p.last = st
		if o.LogTail > 0 || o.TreeMax > 0 {
			p.view = st.View
		}
		p.mu.Unlock()
	}
	return st, err
}

// statusOnly asks a child's status without its log tail or tree.
var statusOnly = view.Options{}

// Status is the child's GET /status (without its log and tree). A paused
// child answers nothing: it is what it said last (a stopped server believes
// what it believed). A child that ended is down, with what its disk held as
// it last said.
func (p *proc) Status() node.Status {
	st, _ := p.Inspect(context.Background(), statusOnly)
	return st
}

// Inspect is the child's GET /status with the view o asks for; a paused
// child's is the one it gave as it stopped (Pause asks for view.Default).
func (p *proc) Inspect(ctx context.Context, o view.Options) (node.Status, error) {
	p.mu.Lock()
	paused, last, whole := p.paused, p.last, p.view
	p.mu.Unlock()
	if paused {
		last.View = whole
		return last, nil
	}
	if !p.gone() {
		ctx, cancel := context.WithTimeout(ctx, procStatusWait)
		st, err := p.fetchStatus(ctx, o)
		cancel()
		if err == nil {
			return st, nil
		}
		if !p.gone() {
			last.View = whole // it answered before and may again
			return last, err
		}
	}
	last.Running, last.Role, last.View = false, core.Down, nil
	last.Error = "process ended: " + p.exitState()
	return last, node.ErrStopped
}

// Request is POST /request. A child that is gone (or going) answers
// node.ErrStopped; one that took too long, the context's error.
func (p *proc) Request(ctx context.Context, r core.Request) (core.Reply, error) {
	body := node.RequestBody{Op: r.Op.String(), Path: r.Path, Data: r.Data, Session: r.Session, Cxid: r.Cxid,
		MinZxid: r.MinZxid, Ephemeral: r.Ephemeral, Sequential: r.Sequential}
	if r.Op == ztree.OpSync {
		body.Path = ""
	}
	if r.Version >= 0 {
		v := r.Version
		body.Version = &v
	}
	var rep core.Reply
	code, err := p.call(ctx, "POST", "/request", body, &rep)
	switch {
	case err == nil:
		return rep, nil
	case code == http.StatusServiceUnavailable || p.gone():
		return core.Reply{}, node.ErrStopped
	case code == http.StatusGatewayTimeout:
		return core.Reply{}, context.DeadlineExceeded
	case ctx.Err() != nil:
		return core.Reply{}, ctx.Err()
	}
	return core.Reply{}, err
}

// SetFaults is POST /faults; while the child is stopped they wait for its
// resume.
func (p *proc) SetFaults(peer core.NodeID, d transport.Dir, f transport.Faults) error {
	dir := map[transport.Dir]string{transport.Out: "out", transport.In: "in", transport.Both: "both"}[d]
	body := node.FaultsBody{Peer: peer, Dir: dir, Faults: f}
	p.mu.Lock()
	if p.paused {
		p.pending = append(p.pending, body)
		p.mu.Unlock()
		return nil
	}
	p.mu.Unlock()
	return p.postFaults(body)
}

func (p *proc) postFaults(body node.FaultsBody) error {
	if p.gone() {
		return nil // a crash is under way; the restart sets every link again
	}
	ctx, cancel := context.WithTimeout(context.Background(), procFaultsWait)
	defer cancel()
	_, err := p.call(ctx, "POST", "/faults", body, nil)
	return err
}

// Pause stops (SIGSTOP) or continues (SIGCONT) the child. Its status and
// view are read just before it stops (what State shows while it is stopped), and the faults set meanwhile are applied after it
// goes on. The ensemble stamps the pause event after Pause returns and the
// resume event before it is called; stampGap keeps them apart from the
// child's events.
func (p *proc) Pause(on bool) error {
	if on {
		ctx, cancel := context.WithTimeout(context.Background(), procStatusWait)
		p.fetchStatus(ctx, view.Default)
		cancel()
	}
	if !on {
		time.Sleep(stampGap) // after the resume event's stamp
	}
	p.mu.Lock()
	if err := signalPause(p.cmd.Process, on); err != nil {
		p.mu.Unlock()
		return fmt.Errorf("%v: %w", p.id, err)
	}
	p.paused = on
	pending := p.pending
	p.pending = nil
	p.mu.Unlock()
	if on {
		time.Sleep(stampGap) // before the pause event's stamp
	}
	for _, f := range pending {
		if err := p.postFaults(f); err != nil {
			p.log.Warn("set faults after resume", slog.Any("error", err))
		}
	}
	return nil
}

// Close kills the child (SIGKILL: no flush, no goodbye) and waits until it
// is reaped.
func (p *proc) Close() error {
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		p.log.Warn("killing the server process", slog.Any("error", err))
	}
	select {
	case <-p.exited:
	case <-time.After(procExitWait):
		return fmt.Errorf("%v: the process did not end within %v of SIGKILL", p.id, procExitWait)
	}
	p.client.CloseIdleConnections()
	return nil
}

// tailLines keeps the last few lines a child wrote to stderr, for errors.
type tailLines struct {
	mu    sync.Mutex
	lines []string
}

func (t *tailLines) add(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, s)
	if len(t.lines) > 5 {
		t.lines = t.lines[1:]
	}
}

func (t *tailLines) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.lines) == 0 {
		return "(nothing on stderr)"
	}
	return strings.Join(t.lines, " | ")
}
