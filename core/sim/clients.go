package sim

import (
	"sort"
	"strconv"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/ztree"
)

// ClientOp is one client operation with its call and return times: the
// history the client-guarantee checks run over.
type ClientOp struct {
	Session int64
	Req     core.Request
	Server  core.NodeID
	Call    int64
	Return  int64 // 0 while outstanding
	Reply   core.Reply
	Done    bool
	// sent: it reached its server (paused) before the client closed the
	// connection and gave it up: the server still reads and serves it when
	// it resumes, though the client never sees the answer.
	sent bool
}

type clientOp = ClientOp

type client struct {
	session  int64
	server   core.NodeID // 0: let the cluster choose
	cxid     uint32
	lastZxid core.Zxid
	pending  []*ClientOp
	moved    bool // reconnected: the next request carries MinZxid
	workload bool
}

type clients struct {
	bySession map[int64]*client
	order     []*client
	history   []*ClientOp
	onReply   func(*ClientOp)
}

func (cs *clients) init() { cs.bySession = map[int64]*client{} }

func (cs *clients) get(session int64) *client {
	cl := cs.bySession[session]
	if cl == nil {
		cl = &client{session: session}
		cs.bySession[session] = cl
		cs.order = append(cs.order, cl)
	}
	return cl
}

func (cs *clients) outstanding() int {
	n := 0
	for _, cl := range cs.order {
		n += len(cl.pending)
	}
	return n
}

// History returns every client operation so far, in call order.
func (c *Cluster) History() []*ClientOp { return c.clients.history }

// OnReply sets a function called with each completed client operation.
func (c *Cluster) OnReply(f func(*ClientOp)) { c.clients.onReply = f }

// Submit sends a request from client session to a server (0: the leader, or
// the first running server) and returns the operation, completed later.
func (c *Cluster) Submit(session int64, server core.NodeID, r ztree.Request) (*ClientOp, error) {
	if server != 0 {
		if err := c.checkID(server); err != nil {
			return nil, err
		}
	}
	cl := c.clients.get(session)
	if server == 0 {
		server = c.pickServer(cl)
	}
	if server != cl.server && cl.server != 0 {
		cl.moved = true
	}
	cl.server = server
	cl.cxid++
	req := core.Request{Session: session, Cxid: cl.cxid, Request: r}
	req.Request.Session = session
	if cl.moved || r.Op == ztree.OpSetWatches {
		// Also setWatches' relativeZxid: the last zxid the client saw.
		req.MinZxid = cl.lastZxid
		cl.moved = false
	}
	op := &ClientOp{Session: session, Req: req, Server: server, Call: c.now}
	cl.pending = append(cl.pending, op)
	c.clients.history = append(c.clients.history, op)
	c.emit(core.Event{Kind: core.EvRequest, Node: server, Client: session, Req: &op.Req})
	c.schedule(qev{at: c.now, kind: evClient, node: int(server), op: op, gen: c.servers[server].gen})
	return op, nil
}

func (c *Cluster) pickServer(cl *client) core.NodeID {
	if l := c.Leader(); l != 0 && !cl.workload {
		return l
	}
	up := c.running(0)
	if len(up) == 0 {
		return 1
	}
	return up[c.rng.IntN(len(up))]
}

func (c *Cluster) clientArrive(e qev) {
	op := e.op
	if op == nil && e.peer == -1 {
		c.sessionPing(e)
		return
	}
	if op == nil && e.peer < -1 {
		c.sessionWorkTick(e)
		return
	}
	if op == nil {
		c.workloadTick(e)
		return
	}
	if op.Done && !op.sent {
		return
	}
	s := c.servers[e.node]
	if s.node == nil || e.gen != s.gen {
		c.clientReply(core.Reply{Session: op.Session, Cxid: op.Req.Cxid, Op: op.Req.Op, Err: ztree.ConnectionLoss, Server: s.id})
		return
	}
	if s.paused {
		s.backlog = append(s.backlog, e)
		return
	}
	req := op.Req
	s.node.Step(core.Message{Type: core.MsgClientRequest, To: s.id, Req: &req})
	c.handleReady(e.node)
}

func (c *Cluster) clientReply(r core.Reply) {
	cl := c.clients.bySession[r.Session]
	if cl == nil {
		return
	}
	var op *ClientOp
	for k, p := range cl.pending {
		if p.Req.Cxid == r.Cxid {
			op = p
			cl.pending = append(cl.pending[:k], cl.pending[k+1:]...)
			break
		}
	}
	if op == nil || op.Done {
		return
	}
	op.Done, op.Return, op.Reply = true, c.now, r
	if r.Err == ztree.ConnectionLoss {
		// The client library drops the connection: every other request still
		// outstanding on it fails too (their outcome is unknown), and the
		// next request goes out on a new connection carrying lastZxidSeen.
		cl.moved = true
		if cl.workload {
			cl.server = 0
		}
		rest := cl.pending
		cl.pending = nil
		for _, p := range rest {
			p.Done, p.Return = true, c.now
			p.Reply = core.Reply{Session: p.Session, Cxid: p.Req.Cxid, Op: p.Req.Op, Err: ztree.ConnectionLoss, Server: p.Server}
		}
		rest = append(rest, op)
		sort.Slice(rest, func(i, j int) bool { return rest[i].Req.Cxid < rest[j].Req.Cxid })
		for _, p := range rest {
			c.emitReply(p)
		}
		return
	}
	if r.Zxid > cl.lastZxid {
		cl.lastZxid = r.Zxid
	}
	if op.Req.Watch {
		for _, sc := range c.sess.order {
			if sc.Session == op.Session {
				sc.noteWatch(op)
			}
		}
	}
	c.emitReply(op)
}

func (c *Cluster) emitReply(op *ClientOp) {
	rep := op.Reply
	c.emit(core.Event{Kind: core.EvReply, Node: rep.Server, Client: rep.Session, Reply: &rep})
	if c.clients.onReply != nil {
		c.clients.onReply(op)
	}
}

// serverClosed marks the connections of the clients of a server as closed.
func (cs *clients) serverClosed(id core.NodeID) {
	for _, cl := range cs.order {
		if cl.server == id {
			cl.moved = true
		}
	}
}

// serverDown fails the requests of clients connected to a crashed server.
func (cs *clients) serverDown(c *Cluster, id core.NodeID) {
	c.sessionServerDown(id)
	for _, cl := range cs.order {
		for _, op := range append([]*ClientOp(nil), cl.pending...) {
			if op.Server == id {
				c.clientReply(core.Reply{Session: cl.session, Cxid: op.Req.Cxid, Op: op.Req.Op, Err: ztree.ConnectionLoss, Server: id})
			}
		}
	}
}

// StartWorkload starts n clients that keep issuing random create, setData,
// delete, getData and sync requests on a few paths, every ~periodMs.
func (c *Cluster) StartWorkload(n int, periodMs int) {
	for k := 0; k < n; k++ {
		cl := c.clients.get(int64(1000 + k))
		cl.workload = true
		c.schedule(qev{at: c.now + c.between(1, periodMs), kind: evClient, node: k, peer: periodMs})
	}
}

func (c *Cluster) workloadTick(e qev) {
	cl := c.clients.get(int64(1000 + e.node))
	if len(cl.pending) < 2 {
		path := "/k" + strconv.Itoa(c.rng.IntN(4))
		var r ztree.Request
		switch x := c.rng.IntN(10); {
		case x < 2:
			r = ztree.Request{Op: ztree.OpCreate, Path: path, Data: "v" + strconv.FormatUint(c.msgID, 10)}
		case x < 5:
			r = ztree.Request{Op: ztree.OpSetData, Path: path, Data: "v" + strconv.FormatUint(c.msgID, 10), Version: -1}
		case x < 6:
			r = ztree.Request{Op: ztree.OpDelete, Path: path, Version: -1}
		case x < 9:
			r = ztree.Request{Op: ztree.OpGetData, Path: path}
		default:
			r = ztree.Request{Op: ztree.OpSync, Path: "/"}
		}
		srv := cl.server
		if srv == 0 || c.servers[srv].node == nil {
			srv = c.pickServer(cl)
		}
		c.Submit(cl.session, srv, r)
	}
	if !c.stopWorkload {
		c.schedule(qev{at: c.now + c.between(1, e.peer), kind: evClient, node: e.node, peer: e.peer})
	}
}
