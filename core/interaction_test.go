package core_test

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/ztree"
)

// TestInteraction runs the message-level scripts in testdata/interaction, in
// the style of etcd's rafttest: each verb drives the nodes one step at a time
// (no simulator, no randomness in the network), and the expected output is the
// Describe line of every message, write and event the nodes emit. Regenerate
// the goldens after an intended change with
//
//	go test ./core -run TestInteraction -rewrite
//
// and read the diff: it says exactly what the core now does differently.
//
// Verbs (servers are s1..sN; "all" means every running server):
//
//	add-nodes voters=3 [observers=0] [commitlog=500] [snapcount=100000]
//	tick s1|all [n=1]                 Tick n times (10 ms each; tickTime 100 ms)
//	process-ready s1|all              handle Ready: print writes, closes, sends, replies, events
//	persist s1|all                    make every pending write durable (one fsync), step MsgPersisted
//	deliver s1|all [from=s2] [type=DIFF] [n=N]   step queued messages into s1, in order
//	drop s1|all [from=s2] [type=PING]            lose queued messages (and say which)
//	stabilize                         process-ready, persist, deliver for all until nothing moves
//	request s1 create|set|get|sync [path] [data]  a client request at s1
//	crash s1                          stop s1: unsynced writes and its queues are lost; peers see the connection go
//	restart s1                        start s1 again from its durable disk
//	status s1|all                     role, phase, epochs, zxids
func TestInteraction(t *testing.T) {
	datadriven.Walk(t, "testdata/interaction", func(t *testing.T, path string) {
		e := &env{}
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			e.t = t
			out, err := e.handle(d)
			if err != nil {
				return "error: " + err.Error() + "\n"
			}
			if out == "" {
				return "ok\n"
			}
			return out
		})
	})
}

type harnessNode struct {
	n        *core.Node
	durable  core.Durable
	pending  []core.Write
	inbox    []core.Message
	observer bool
}

type env struct {
	t                 testing.TB
	voters, observers []core.NodeID
	commitLog         int
	snapCount         int
	nodes             map[core.NodeID]*harnessNode
	cxid              uint32
	b                 strings.Builder
}

func (e *env) config(id core.NodeID, restore core.Durable) core.Config {
	return core.Config{
		ID: id, Voters: e.voters, Observers: e.observers,
		TickMs: 100, ClockMs: 10, InitLimit: 10, SyncLimit: 5,
		CommitLogCount: e.commitLog, SnapCount: e.snapCount,
		Rand:    rand.New(rand.NewPCG(uint64(id), 7)),
		Restore: restore,
	}
}

func (e *env) ids() []core.NodeID {
	var out []core.NodeID
	for id := range e.nodes {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// targets resolves "s1" or "all" (running servers only).
func (e *env) targets(d *datadriven.TestData) ([]core.NodeID, error) {
	if len(d.CmdArgs) == 0 {
		return nil, fmt.Errorf("%s: name a server or all", d.Cmd)
	}
	name := d.CmdArgs[0].Key
	if name == "all" {
		var out []core.NodeID
		for _, id := range e.ids() {
			if e.nodes[id].n != nil {
				out = append(out, id)
			}
		}
		return out, nil
	}
	id, err := parseID(name)
	if err != nil {
		return nil, err
	}
	if e.nodes[id] == nil {
		return nil, fmt.Errorf("no server %s", name)
	}
	return []core.NodeID{id}, nil
}

func parseID(s string) (core.NodeID, error) {
	n, err := strconv.Atoi(strings.TrimPrefix(s, "s"))
	if err != nil || !strings.HasPrefix(s, "s") || n < 1 {
		return 0, fmt.Errorf("bad server %q (want s1, s2, ...)", s)
	}
	return core.NodeID(n), nil
}

func (e *env) intArg(d *datadriven.TestData, key string, def int) int {
	if d.HasArg(key) {
		var v int
		d.ScanArgs(e.t, key, &v)
		return v
	}
	return def
}

func (e *env) handle(d *datadriven.TestData) (string, error) {
	e.b.Reset()
	switch d.Cmd {
	case "add-nodes":
		var v int
		d.ScanArgs(e.t, "voters", &v)
		o := e.intArg(d, "observers", 0)
		e.commitLog, e.snapCount = e.intArg(d, "commitlog", 0), e.intArg(d, "snapcount", 0)
		e.nodes = map[core.NodeID]*harnessNode{}
		for i := 1; i <= v+o; i++ {
			if i <= v {
				e.voters = append(e.voters, core.NodeID(i))
			} else {
				e.observers = append(e.observers, core.NodeID(i))
			}
		}
		for i := 1; i <= v+o; i++ {
			id := core.NodeID(i)
			e.nodes[id] = &harnessNode{observer: i > v}
			if err := e.start(id); err != nil {
				return "", err
			}
		}
		return "", nil
	case "stabilize":
		return e.stabilize()
	case "request":
		return e.request(d)
	}
	ids, err := e.targets(d)
	if err != nil {
		return "", err
	}
	for _, id := range ids {
		if err := e.verb(d, id); err != nil {
			return "", err
		}
	}
	return e.b.String(), nil
}

func (e *env) start(id core.NodeID) error {
	h := e.nodes[id]
	cfg := e.config(id, h.durable)
	if err := cfg.Validate(); err != nil {
		return err
	}
	h.n = core.NewNode(cfg)
	return nil
}

func (e *env) verb(d *datadriven.TestData, id core.NodeID) error {
	h := e.nodes[id]
	if h.n == nil && d.Cmd != "restart" && d.Cmd != "status" {
		return fmt.Errorf("%s is down", id)
	}
	switch d.Cmd {
	case "tick":
		for range e.intArg(d, "n", 1) {
			h.n.Tick()
		}
	case "process-ready":
		e.processReady(id)
	case "persist":
		e.persist(id)
	case "deliver":
		e.deliver(d, id, true)
	case "drop":
		e.deliver(d, id, false)
	case "crash":
		e.crash(id)
	case "restart":
		if h.n != nil {
			return fmt.Errorf("%s is running", id)
		}
		return e.start(id)
	case "status":
		e.status(id)
	default:
		return fmt.Errorf("unknown verb %q", d.Cmd)
	}
	return nil
}

func (e *env) processReady(id core.NodeID) bool {
	h := e.nodes[id]
	if !h.n.HasReady() {
		return false
	}
	rd := h.n.Ready()
	fmt.Fprintf(&e.b, "> %s handling Ready\n", id)
	for _, w := range rd.Writes {
		fmt.Fprintf(&e.b, "  write #%d %s\n", w.Seq, describeWrite(w))
		h.pending = append(h.pending, w)
	}
	for _, p := range rd.Close {
		fmt.Fprintf(&e.b, "  close %s\n", p)
		e.closeConn(id, p)
	}
	for _, m := range rd.Messages {
		fmt.Fprintf(&e.b, "  send %s\n", core.Describe(m))
		if to := e.nodes[m.To]; to != nil && to.n != nil {
			to.inbox = append(to.inbox, m)
		}
	}
	for _, r := range rd.Replies {
		fmt.Fprintf(&e.b, "  reply c%d#%d %s %s z=%s\n", r.Session, r.Cxid, r.Op, r.Err, r.Zxid)
	}
	for _, ev := range rd.Events {
		if s := describeEvent(ev); s != "" {
			fmt.Fprintf(&e.b, "  %s\n", s)
		}
	}
	h.n.Advance()
	return true
}

// closeConn is a's core closing its learner connection to b: what is queued
// on it either way is lost (election notifications travel on another
// connection and stay), and b's core hears of it.
func (e *env) closeConn(a, b core.NodeID) {
	hb := e.nodes[b]
	if hb == nil || hb.n == nil {
		return
	}
	ha := e.nodes[a]
	ha.inbox = dropFrom(ha.inbox, b, false)
	hb.inbox = dropFrom(hb.inbox, a, false)
	hb.inbox = append(hb.inbox, core.Message{Type: core.MsgConnLost, From: a, To: b})
}

// dropFrom removes the messages from peer; election notifications too only
// when all is set.
func dropFrom(q []core.Message, peer core.NodeID, all bool) []core.Message {
	out := q[:0]
	for _, m := range q {
		if m.From == peer && (all || m.Type != core.MsgNotification) {
			continue
		}
		out = append(out, m)
	}
	return out
}

func (e *env) persist(id core.NodeID) {
	h := e.nodes[id]
	if len(h.pending) == 0 {
		return
	}
	for _, w := range h.pending {
		w.ApplyTo(&h.durable)
	}
	seq := h.pending[len(h.pending)-1].Seq
	h.pending = nil
	fmt.Fprintf(&e.b, "> %s fsync up to #%d\n", id, seq)
	h.n.Step(core.Message{Type: core.MsgPersisted, Seq: seq, To: id})
}

func (e *env) deliver(d *datadriven.TestData, id core.NodeID, step bool) {
	h := e.nodes[id]
	var from core.NodeID
	if d.HasArg("from") {
		var s string
		d.ScanArgs(e.t, "from", &s)
		from, _ = parseID(s)
	}
	var typ string
	if d.HasArg("type") {
		d.ScanArgs(e.t, "type", &typ)
	}
	limit := e.intArg(d, "n", -1)
	var keep []core.Message
	var take []core.Message
	for _, m := range h.inbox {
		match := (from == 0 || m.From == from) && (typ == "" || strings.EqualFold(m.Type.String(), typ)) && limit != 0
		if match {
			take = append(take, m)
			if limit > 0 {
				limit--
			}
		} else {
			keep = append(keep, m)
		}
	}
	h.inbox = keep
	for _, m := range take {
		if !step {
			fmt.Fprintf(&e.b, "  dropped %s\n", core.Describe(m))
			continue
		}
		h.n.Step(m)
	}
}

func (e *env) stabilize() (string, error) {
	for range 1000 {
		moved := false
		for _, id := range e.ids() {
			if e.nodes[id].n != nil && e.processReady(id) {
				moved = true
			}
		}
		for _, id := range e.ids() {
			h := e.nodes[id]
			if h.n != nil && len(h.pending) > 0 {
				e.persist(id)
				moved = true
			}
		}
		for _, id := range e.ids() {
			h := e.nodes[id]
			if h.n != nil && len(h.inbox) > 0 {
				q := h.inbox
				h.inbox = nil
				for _, m := range q {
					h.n.Step(m)
				}
				moved = true
			}
		}
		if !moved {
			return e.b.String(), nil
		}
	}
	return "", fmt.Errorf("not stable after 1000 rounds")
}

func (e *env) crash(id core.NodeID) {
	h := e.nodes[id]
	h.n, h.pending, h.inbox = nil, nil, nil
	fmt.Fprintf(&e.b, "> %s crashed\n", id)
	for _, other := range e.ids() {
		o := e.nodes[other]
		if other == id || o.n == nil {
			continue
		}
		o.inbox = dropFrom(o.inbox, id, true)
		o.inbox = append(o.inbox, core.Message{Type: core.MsgConnLost, From: id, To: other})
	}
}

func (e *env) request(d *datadriven.TestData) (string, error) {
	if len(d.CmdArgs) < 2 {
		return "", fmt.Errorf("request SERVER OP [PATH] [DATA]")
	}
	id, err := parseID(d.CmdArgs[0].Key)
	if err != nil {
		return "", err
	}
	h := e.nodes[id]
	if h == nil || h.n == nil {
		return "", fmt.Errorf("%s is not running", d.CmdArgs[0].Key)
	}
	var r ztree.Request
	switch op := d.CmdArgs[1].Key; op {
	case "create":
		r.Op = ztree.OpCreate
	case "set":
		r.Op, r.Version = ztree.OpSetData, -1
	case "get":
		r.Op = ztree.OpGetData
	case "sync":
		r.Op = ztree.OpSync
	default:
		return "", fmt.Errorf("unknown op %q", op)
	}
	if len(d.CmdArgs) > 2 {
		r.Path = d.CmdArgs[2].Key
	}
	if len(d.CmdArgs) > 3 {
		r.Data = d.CmdArgs[3].Key
	}
	e.cxid++
	h.n.Step(core.Message{Type: core.MsgClientRequest, To: id, Req: &core.Request{Session: 1, Cxid: e.cxid, Request: r}})
	return "", nil
}

func (e *env) status(id core.NodeID) {
	h := e.nodes[id]
	if h.n == nil {
		fmt.Fprintf(&e.b, "%s down\n", id)
		return
	}
	st := h.n.Status()
	leader := ""
	if st.Leader != 0 {
		leader = " leader=" + st.Leader.String()
	}
	fmt.Fprintf(&e.b, "%s %s %s%s acceptedEpoch=%d currentEpoch=%d lastZxid=%s lastTxn=%s committed=%s\n",
		id, st.Role, st.Phase, leader, st.AcceptedEpoch, st.CurrentEpoch, st.LastZxid, st.LastTxn, st.Committed)
}

func describeWrite(w core.Write) string {
	switch w.Kind {
	case core.WriteAppend:
		var zs []string
		for _, en := range w.Entries {
			zs = append(zs, en.Zxid.String())
		}
		return w.Kind.String() + " " + strings.Join(zs, " ")
	case core.WriteTruncate:
		return w.Kind.String() + " to " + w.Zxid.String()
	case core.WriteAcceptedEpoch, core.WriteCurrentEpoch:
		return w.Kind.String() + " " + strconv.Itoa(int(w.Epoch))
	default:
		if w.Snap != nil {
			return w.Kind.String() + " at " + w.Snap.Zxid.String() + " (last txn " + w.Snap.TxnZxid.String() + ")"
		}
		return w.Kind.String()
	}
}

// describeEvent keeps the events a reader of the script needs: role and phase
// changes, the leader's decisions, deliveries and anomalies.
func describeEvent(ev core.Event) string {
	switch ev.Kind {
	case core.EvRole:
		s := "role " + ev.Role.String()
		if ev.Leader != 0 {
			s += " leader=" + ev.Leader.String()
		}
		return s + " (" + ev.Text + ")"
	case core.EvPhase:
		return "phase " + ev.Phase.String()
	case core.EvEstablished:
		return "established epoch " + strconv.Itoa(int(ev.Epoch)) + " at " + ev.Zxid.String()
	case core.EvSyncMode:
		return "sync " + ev.Peer.String() + " " + ev.Mode.String() + " (" + ev.Zxid.String() + ")"
	case core.EvTruncate:
		return "truncate to " + ev.Zxid.String()
	case core.EvDeliver:
		if ev.Snapshot {
			return "deliver snapshot up to " + ev.Zxid.String()
		}
		return "deliver " + ev.Zxid.String() + " " + ev.Text
	case core.EvWarn:
		return "warn: " + ev.Text
	case core.EvFatal:
		return "fatal: " + ev.Text
	}
	return ""
}
