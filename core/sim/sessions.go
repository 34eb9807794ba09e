package sim

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/ztree"
)

// SessionClient is a ZooKeeper client with a session: it connects to one
// server (core.MsgConnect), pings it every third of its timeout, sends its
// requests there, and records the notifications it gets. It does not look
// for another server by itself: a scenario moves it (Connect again, with its
// session id and password).
type SessionClient struct {
	Name      string
	Server    core.NodeID
	Session   int64 // 0 until the server answered the first Connect
	TimeoutMs int32 // the negotiated timeout
	// State is "connecting", "connected", "disconnected" (its server closed
	// the connection), "expired" (the server told it, or refused it) or
	// "closed" (it closed its session).
	State  string
	Events []core.WatchEvent // notifications, in the order they came
	heard  int64             // when its server last answered its Connect or a ping (ms)
	// closing: the workload client sent its closeSession; as ZooKeeper's
	// close() it never takes that session elsewhere (its close may still
	// apply later).
	closing bool
	conn    uint64
	gen     uint64 // bumped at each Connect: stale pings stop
	// watches are the watches the client holds, as a ZooKeeper client's
	// ZKWatchManager keeps them: the read that set each (getData, exists
	// on a missing node, getChildren) by path. It gives them back when it
	// reconnects (setWatches).
	watches map[watchKey]bool
}

type watchKey struct {
	op   ztree.Op
	path string
}

// noteWatch records the watch a read of the client's set (its reply came).
func (sc *SessionClient) noteWatch(op *ClientOp) {
	r, rep := op.Req, op.Reply
	if !r.Watch {
		return
	}
	k := watchKey{r.Op, r.Path}
	if k.op == ztree.OpGetChildren2 {
		k.op = ztree.OpGetChildren
	}
	switch {
	case k.op == ztree.OpExists && rep.Err == ztree.OK:
		k.op = ztree.OpGetData // a data watch on a node that is there
	case k.op == ztree.OpExists && rep.Err == ztree.NoNode:
	case rep.Err != ztree.OK:
		return
	}
	if sc.watches == nil {
		sc.watches = map[watchKey]bool{}
	}
	sc.watches[k] = true
}

// fired forgets the watches a notification used up (ZKWatchManager.materialize).
func (sc *SessionClient) fired(ev core.WatchEvent) {
	data, exist, child := watchKey{ztree.OpGetData, ev.Path}, watchKey{ztree.OpExists, ev.Path}, watchKey{ztree.OpGetChildren, ev.Path}
	switch ev.Type {
	case core.EventNodeCreated, core.EventNodeDataChanged:
		delete(sc.watches, data)
		delete(sc.watches, exist)
	case core.EventNodeChildrenChanged:
		delete(sc.watches, child)
	case core.EventNodeDeleted:
		delete(sc.watches, data)
		delete(sc.watches, exist)
		delete(sc.watches, child)
	}
}

// giveWatchesBack sends the client's watches to the server it reconnected
// to, as a ZooKeeper client's primeConnection does (SetWatches with its
// last zxid, before anything else it sends).
func (c *Cluster) giveWatchesBack(sc *SessionClient) {
	if len(sc.watches) == 0 {
		return
	}
	ops := make([]ztree.Request, 0, len(sc.watches))
	for k := range sc.watches {
		ops = append(ops, ztree.Request{Op: k.op, Path: k.path})
	}
	slices.SortFunc(ops, func(a, b ztree.Request) int {
		return cmp.Or(cmp.Compare(a.Op, b.Op), cmp.Compare(a.Path, b.Path))
	})
	c.SubmitAs(sc.Name, ztree.Request{Op: ztree.OpSetWatches, Ops: ops})
}

type sessionClients struct {
	byName map[string]*SessionClient
	order  []*SessionClient
	conns  uint64
}

// Client returns the session client called name, or nil.
func (c *Cluster) Client(name string) *SessionClient { return c.sess.byName[name] }

// Connect connects session client name to server via, asking for timeoutMs
// (0: the server's minimum). A client that has a session reconnects with
// it (its id and password), as a ZooKeeper client moving to another server.
func (c *Cluster) Connect(name string, via core.NodeID, timeoutMs int64) (*SessionClient, error) {
	if err := c.checkID(via); err != nil {
		return nil, err
	}
	if c.sess.byName == nil {
		c.sess.byName = map[string]*SessionClient{}
	}
	sc := c.sess.byName[name]
	if sc == nil {
		sc = &SessionClient{Name: name}
		c.sess.byName[name] = sc
		c.sess.order = append(c.sess.order, sc)
	}
	if timeoutMs > 0 {
		sc.TimeoutMs = int32(min(timeoutMs, 1<<31-1))
	}
	if sc.State == "expired" || sc.State == "closed" {
		return sc, fmt.Errorf("client %s: its session is %s", name, sc.State)
	}
	if sc.conn != 0 && sc.Server != 0 {
		// The old connection closes: the client library fails what is
		// still outstanding on it (ConnectionLoss: the outcome is unknown).
		c.failPending(sc.Session, sc.Server)
		switch s := c.servers[sc.Server]; {
		case s.node != nil && !s.paused:
			s.node.Step(core.Message{Type: core.MsgDisconnect, Connect: &core.Connect{Conn: sc.conn, Session: sc.Session}})
			c.handleReady(int(sc.Server))
		case s.node != nil:
			// A paused server has what the client sent before closing in
			// its socket: it serves that when it resumes (and may forward a
			// write for a session that has moved on since, ZOOKEEPER-710),
			// then reads the close.
			for _, b := range s.backlog {
				if b.kind == evClient && b.op != nil && b.op.Session == sc.Session {
					b.op.sent = true
				}
			}
			s.backlog = append(s.backlog, qev{at: c.now, kind: evClientClose, node: int(sc.Server), gen: s.gen, upTo: sc.conn, peer: int(sc.Session)})
		}
	}
	c.sess.conns++
	sc.conn, sc.Server, sc.State = c.sess.conns, via, "connecting"
	sc.gen++
	cr := core.Connect{Conn: sc.conn, Session: sc.Session, TimeoutMs: sc.TimeoutMs}
	if sc.Session != 0 {
		cr.Passwd = core.Passwd(sc.Session)
		if cl := c.clients.bySession[sc.Session]; cl != nil {
			cr.LastZxidSeen = cl.lastZxid
		}
	}
	s := c.servers[via]
	if s.node == nil || s.paused {
		sc.State = "disconnected"
		return sc, nil
	}
	s.node.Step(core.Message{Type: core.MsgConnect, To: via, Connect: &cr})
	c.handleReady(int(via))
	return sc, nil
}

// SubmitAs sends a request from session client name to its server.
func (c *Cluster) SubmitAs(name string, r ztree.Request) (*ClientOp, error) {
	sc := c.sess.byName[name]
	if sc == nil {
		return nil, fmt.Errorf("no client %s (want: client %s connect SERVER)", name, name)
	}
	if sc.Session == 0 {
		return nil, fmt.Errorf("client %s has no session yet (%s)", name, sc.State)
	}
	cl := c.clients.get(sc.Session)
	cl.server = sc.Server
	return c.Submit(sc.Session, sc.Server, r)
}

// sessionReply takes a server's answer to a Connect or a notification; it
// reports whether r was one.
func (c *Cluster) sessionReply(r core.Reply) bool {
	switch {
	case r.Op == ztree.OpCreateSession && r.Conn != 0:
		for _, sc := range c.sess.order {
			if sc.conn != r.Conn {
				continue
			}
			switch {
			case r.Err == ztree.OK:
				sc.Session, sc.TimeoutMs, sc.State = r.Session, r.TimeoutMs, "connected"
				sc.heard = c.now
				c.clients.get(sc.Session).server = sc.Server
				c.schedulePing(sc)
				c.giveWatchesBack(sc)
			case r.Err == ztree.SessionExpired:
				sc.State = "expired"
				sc.watches = nil
			default:
				sc.State = "disconnected"
			}
		}
		rep := r
		c.emit(core.Event{Kind: core.EvReply, Node: r.Server, Client: r.Session, Reply: &rep})
		return true
	case r.Op == ztree.OpNotification && r.Watch != nil:
		delivered := false
		for _, sc := range c.sess.order {
			if sc.Session != r.Session || sc.Server != r.Server {
				continue
			}
			delivered = true
			sc.Events = append(sc.Events, *r.Watch)
			sc.fired(*r.Watch)
			switch r.Watch.State {
			case core.StateExpired:
				sc.State = "expired"
				sc.watches = nil
			case core.StateDisconnected:
				sc.State = "disconnected"
			}
			if r.Watch.State != core.StateSyncConnected {
				defer c.failPending(sc.Session, sc.Server)
			}
		}
		if delivered {
			// Not when the client has left that server: it closed the
			// connection (a server paused then learns it only later), so
			// it never reads what the server still sends on it.
			rep := r
			c.emit(core.Event{Kind: core.EvReply, Node: r.Server, Client: r.Session, Reply: &rep})
		}
		return true
	case r.Op == ztree.OpPing:
		if r.Err == ztree.OK {
			for _, sc := range c.sess.order {
				if sc.Session == r.Session && sc.Server == r.Server {
					sc.heard = c.now
				}
			}
		}
		return true
	case r.Op == ztree.OpCloseSession && r.Err == ztree.OK:
		for _, sc := range c.sess.order {
			if sc.Session == r.Session {
				sc.State = "closed"
				sc.watches = nil
			}
		}
	}
	return false
}

// failPending fails the requests of session still outstanding on its
// connection to server, which closed: ConnectionLoss, as the client library
// reports them.
func (c *Cluster) failPending(session int64, server core.NodeID) {
	cl := c.clients.bySession[session]
	if cl == nil || len(cl.pending) == 0 {
		return
	}
	op := cl.pending[0]
	c.clientReply(core.Reply{Session: session, Cxid: op.Req.Cxid, Op: op.Req.Op, Err: ztree.ConnectionLoss, Server: server})
}

// pingEvery is a ZooKeeper client's ping period: it pings when it has sent
// nothing for readTimeout/2, readTimeout being 2/3 of the session timeout.
func pingEvery(sc *SessionClient) int64 { return int64(sc.TimeoutMs) / 3 }

// unheard reports whether the client has heard nothing from its server for
// readTimeout (ClientCnxn gives the connection up then).
func (c *Cluster) unheard(sc *SessionClient) bool { return c.now-sc.heard > 2*int64(sc.TimeoutMs)/3 }

func (c *Cluster) schedulePing(sc *SessionClient) {
	idx := -1
	for i, x := range c.sess.order {
		if x == sc {
			idx = i
		}
	}
	c.schedule(qev{at: c.now + max(pingEvery(sc), 1), kind: evClient, node: idx, peer: -1, upTo: sc.gen})
}

// sessionPing sends a client's ping, if it is still connected on the same
// connection, and schedules the next.
func (c *Cluster) sessionPing(e qev) {
	if e.node < 0 || e.node >= len(c.sess.order) {
		return
	}
	sc := c.sess.order[e.node]
	if sc.gen != e.upTo || sc.State != "connected" {
		return
	}
	s := c.servers[sc.Server]
	if s.node != nil && !s.paused {
		req := core.Request{Session: sc.Session, Request: ztree.Request{Op: ztree.OpPing, Session: sc.Session}}
		s.node.Step(core.Message{Type: core.MsgClientRequest, To: sc.Server, Req: &req})
		c.handleReady(int(sc.Server))
	}
	c.schedulePing(sc)
}

// sessionServerDown: a server that crashed drops its clients' connections.
func (c *Cluster) sessionServerDown(id core.NodeID) {
	for _, sc := range c.sess.order {
		if sc.Server == id && (sc.State == "connected" || sc.State == "connecting") {
			sc.State = "disconnected"
			sc.Events = append(sc.Events, core.WatchEvent{Type: core.EventNone, State: core.StateDisconnected})
		}
	}
}

// StartSessionWorkload starts n session clients (w1..wn) that keep working
// every ~periodMs: each connects to a running server (again, with its
// session, after a disconnection or when its server has not answered a ping
// for two thirds of the session timeout, as ClientCnxn's readTimeout; a new
// session after its session expired or it closed it), and sends, at most
// two at a time, ephemeral creates under /e, multis on /m0../m3
// (create+setData, check+setData, check+delete), reads with watches, and
// now and then a close. The campaign starts it beside the default workload
// (StartWorkload, whose clients have no session) when asked (`sim
// --sessions N`; `task test` and the mutant campaign run three).
func (c *Cluster) StartSessionWorkload(n int, periodMs int) {
	if c.sess.byName == nil {
		c.sess.byName = map[string]*SessionClient{}
	}
	for k := 0; k < n; k++ {
		c.schedule(qev{at: c.now + c.between(1, periodMs), kind: evClient, node: k, peer: -2 - periodMs})
	}
}

func (c *Cluster) sessionWorkTick(e qev) {
	periodMs := -2 - e.peer
	name := "w" + fmt.Sprint(e.node+1)
	sc := c.sess.byName[name]
	switch {
	case sc == nil || sc.State == "expired" || sc.State == "closed":
		if sc != nil {
			// A new session under the same name.
			sc.Session, sc.State, sc.conn, sc.closing = 0, "", 0, false
		}
		c.connectRandom(name)
	case sc.closing && (sc.State != "connected" || c.unheard(sc)):
		// Its close went unanswered: the client is done with the session
		// (whether the close applied or not) and starts a new one next.
		c.failPending(sc.Session, sc.Server)
		sc.State = "closed"
		sc.watches = nil
	case sc.State == "disconnected":
		c.connectRandom(name)
	case sc.State == "connected" && c.unheard(sc):
		// Nothing heard from its server (paused, cut off): the client
		// drops the connection and moves to another server with its
		// session. What it had outstanding fails (ConnectionLoss); the old
		// server may still forward it later, and the leader must refuse it
		// (SESSIONMOVED, ZOOKEEPER-710).
		c.moveAway(name, sc)
	case sc.State == "connected":
		cl := c.clients.get(sc.Session)
		if len(cl.pending) < 2 && !sc.closing {
			r := c.sessionRequest(sc)
			sc.closing = r.Op == ztree.OpCloseSession
			c.SubmitAs(name, r)
		}
	}
	if !c.stopWorkload {
		c.schedule(qev{at: c.now + c.between(1, periodMs), kind: evClient, node: e.node, peer: e.peer})
	}
}

// moveAway connects session client name to a running server other than
// its own, if there is one.
func (c *Cluster) moveAway(name string, sc *SessionClient) {
	if up := c.running(sc.Server); len(up) > 0 {
		c.count("session: moved (nothing heard for readTimeout)")
		c.Connect(name, up[c.rng.IntN(len(up))], 0)
	}
}

// running lists the servers up (paused ones too), but not except.
func (c *Cluster) running(except core.NodeID) []core.NodeID {
	var up []core.NodeID
	for i := 1; i < len(c.servers); i++ {
		if id := core.NodeID(i); c.servers[i].node != nil && id != except {
			up = append(up, id)
		}
	}
	return up
}

func (c *Cluster) connectRandom(name string) {
	up := c.running(0)
	if len(up) == 0 {
		return
	}
	// A session timeout of 3 to 20 ticks (ZooKeeper takes 2 to 20): with a
	// short one, a client gives up on a paused server before its leader
	// drops it (syncLimit), and the server forwards what it had late.
	ticks := []int64{3, 5, 10, 20}[c.rng.IntN(4)]
	c.Connect(name, up[c.rng.IntN(len(up))], ticks*int64(c.opts.TickMs))
}

func (c *Cluster) sessionRequest(sc *SessionClient) ztree.Request {
	m := func() string { return "/m" + fmt.Sprint(c.rng.IntN(4)) }
	v := func() string { return "s" + fmt.Sprint(c.msgID) }
	switch x := c.rng.IntN(20); {
	case x < 4:
		return ztree.Request{Op: ztree.OpCreate, Path: "/e" + fmt.Sprint(c.rng.IntN(4)), Data: v(), Ephemeral: true}
	case x < 7:
		p := m()
		return ztree.Request{Op: ztree.OpMulti, Ops: []ztree.Request{
			{Op: ztree.OpCreate, Path: p, Data: v(), Version: -1},
			{Op: ztree.OpSetData, Path: m(), Data: v(), Version: -1},
		}}
	case x < 10:
		p := m()
		ver := int32(c.rng.IntN(3)) - 1
		last := ztree.Request{Op: ztree.OpSetData, Path: m(), Data: v(), Version: -1}
		if c.rng.IntN(2) == 0 {
			last = ztree.Request{Op: ztree.OpDelete, Path: p, Version: -1}
		}
		return ztree.Request{Op: ztree.OpMulti, Ops: []ztree.Request{{Op: ztree.OpCheck, Path: p, Version: ver}, last}}
	case x < 13:
		return ztree.Request{Op: ztree.OpGetData, Path: "/e" + fmt.Sprint(c.rng.IntN(4)), Watch: true}
	case x < 16:
		return ztree.Request{Op: ztree.OpExists, Path: m(), Watch: true}
	case x < 18:
		return ztree.Request{Op: ztree.OpSetData, Path: m(), Data: v(), Version: -1}
	case x < 19:
		return ztree.Request{Op: ztree.OpGetChildren2, Path: "/", Watch: true}
	}
	return ztree.Request{Op: ztree.OpCloseSession}
}
