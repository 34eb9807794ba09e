package core

import (
	"sort"

	"github.com/zabplay/zabplay/core/ztree"
)

// clientQueue holds one session's requests at the server it is connected to,
// in the order they arrived. Writes and syncs are answered when they complete;
// a read waits behind them (ZooKeeper's CommitProcessor keeps each session's
// requests in order: FIFO client order).
type clientQueue struct {
	reqs []Request
}

func isWrite(op ztree.Op) bool {
	return op.IsTxn() || op == ztree.OpCheck
}

// answeredHere reports whether the server the client is connected to
// answers r itself, from its own tree, in the session's order: the reads,
// and the creates this server refuses without asking the leader.
func answeredHere(op ztree.Op) bool {
	return op.IsRead() || op == ztree.OpCreateContainer || op == ztree.OpCreateTTL || op == ztree.OpSetWatches
}

func (n *Node) serving() bool {
	if n.phase != PhaseBroadcast {
		return false
	}
	return (n.lead != nil && n.lead.established) || (n.learn != nil && n.learn.stage == lsBroadcast)
}

func (n *Node) reply(r Request, rep Reply) {
	rep.Session, rep.Cxid, rep.Op, rep.Server = r.Session, r.Cxid, r.Op, n.id
	n.rd.Replies = append(n.rd.Replies, rep)
}

// onClientRequest takes a request from a client connected to this server.
func (n *Node) onClientRequest(r Request) {
	r.Origin = n.id
	r.Connected = false
	if !n.serving() {
		n.reply(r, Reply{Err: ztree.ConnectionLoss, Zxid: n.lastProcessed})
		return
	}
	if r.MinZxid > n.lastProcessed {
		// The client has seen a newer zxid than this server has: refuse, as a
		// ZooKeeper server refuses such a session ("client has seen zxid ...
		// our last zxid is ...").
		n.reply(r, Reply{Err: ztree.ConnectionLoss, Zxid: n.lastProcessed})
		return
	}
	c := n.conns[r.Session]
	if c != nil && !c.pending {
		r.Connected = true
		n.touch(r.Session, c.timeout)
	}
	switch {
	case r.Op == ztree.OpPing:
		if !r.Connected {
			n.reply(r, Reply{Err: ztree.SessionExpired, Zxid: n.lastProcessed})
			return
		}
		n.reply(r, Reply{Zxid: n.lastProcessed})
		return
	case r.Watch && !r.Connected, r.Watch && !r.Op.IsRead(), r.Op == ztree.OpSetWatches && !r.Connected:
		// A watch needs a session connected here (and a read to set it).
		n.reply(r, Reply{Err: ztree.BadArguments, Zxid: n.lastProcessed})
		return
	case r.Op == ztree.OpCloseSession && !r.Connected, r.Op == ztree.OpCreateSession:
		// Sessions open with MsgConnect; only a connected session closes.
		n.reply(r, Reply{Err: ztree.BadArguments, Zxid: n.lastProcessed})
		return
	case isWrite(r.Op), r.Op == ztree.OpSync, answeredHere(r.Op):
	default:
		n.reply(r, Reply{Err: ztree.BadArguments, Zxid: n.lastProcessed})
		return
	}
	q := n.clients[r.Session]
	if q == nil {
		q = &clientQueue{}
		n.clients[r.Session] = q
	}
	q.reqs = append(q.reqs, r)
	if !answeredHere(r.Op) {
		n.forward(r)
	}
	n.drainClient(r.Session)
}

// forward hands a write or sync to the leader: its own PrepRequestProcessor,
// or a REQUEST packet.
func (n *Node) forward(r Request) {
	if n.lead != nil {
		n.leaderRequest(r)
		return
	}
	rr := r
	n.send(Message{Type: MsgRequest, To: n.learn.leader, Req: &rr})
}

// drainClient answers the reads at the head of a session's queue.
func (n *Node) drainClient(session int64) {
	q := n.clients[session]
	if q == nil {
		return
	}
	for len(q.reqs) > 0 && answeredHere(q.reqs[0].Op) {
		r := q.reqs[0]
		q.reqs = q.reqs[1:]
		n.read(r)
	}
	if len(q.reqs) == 0 {
		delete(n.clients, session)
	}
}

// read answers a read from this server's tree (FinalRequestProcessor), and
// leaves the watch it asks for.
func (n *Node) read(r Request) {
	rep := Reply{Path: r.Path, Zxid: n.lastProcessed}
	if r.Op == ztree.OpSetWatches {
		n.setWatches(r)
		n.reply(r, rep)
		return
	}
	if r.Op == ztree.OpCreateContainer || r.Op == ztree.OpCreateTTL {
		rep.Err = ztree.Unimplemented
		n.reply(r, rep)
		return
	}
	if ztree.ValidatePath(r.Path) != nil {
		rep.Err = ztree.BadArguments
		n.reply(r, rep)
		return
	}
	data, st, err := n.tree.Get(r.Path)
	rep.Err = err
	watch := r.Watch && r.Connected
	switch r.Op {
	case ztree.OpExists:
		// exists leaves a watch whether the node is there or not: it fires
		// NodeCreated when it comes.
		if watch {
			n.addWatch(r.Session, WatchData, r.Path)
		}
	case ztree.OpGetData:
		if watch && err == ztree.OK {
			n.addWatch(r.Session, WatchData, r.Path)
		}
		rep.Data, rep.Version = data, st.Version
	case ztree.OpGetChildren, ztree.OpGetChildren2:
		if watch && err == ztree.OK {
			n.addWatch(r.Session, WatchChild, r.Path)
		}
		if err == ztree.OK {
			rep.Children = n.tree.Children(r.Path)
			if rep.Children == nil {
				rep.Children = []string{}
			}
		}
	}
	if err == ztree.OK && r.Op != ztree.OpGetChildren {
		s := st
		rep.Stat = &s
	}
	n.reply(r, rep)
}

// answerCommitted answers the client whose write this server forwarded.
func (n *Node) answerCommitted(t *Txn, res ztree.Result) {
	if t.Origin != n.id {
		return
	}
	q := n.clients[t.Session]
	if q == nil || len(q.reqs) == 0 || q.reqs[0].Cxid != t.Cxid {
		return
	}
	r := q.reqs[0]
	q.reqs = q.reqs[1:]
	if res.Err == ztree.SessionMoved && r.Connected {
		// FinalRequestProcessor: a moved session is a connection-level
		// error; the server closes the connection instead of answering.
		delete(n.clients, t.Session)
		if n.conns[t.Session] != nil {
			n.notify(t.Session, t.Zxid, WatchEvent{Type: EventNone, State: StateDisconnected})
			n.dropConn(t.Session)
		}
		return
	}
	switch r.Op {
	case ztree.OpCreateSession:
		n.sessionCreated(r, res.Err)
	case ztree.OpCloseSession:
		n.reply(r, Reply{Err: res.Err, Zxid: t.Zxid})
		n.dropConn(r.Session)
	default:
		rep := Reply{Err: res.Err, Path: res.Path, Version: res.Stat.Version, Zxid: t.Zxid, Results: res.Results}
		if r.Op == ztree.OpCreate2 {
			rep.Op = ztree.OpCreate2
		}
		if res.Err == ztree.OK && (r.Op == ztree.OpCreate2 || r.Op == ztree.OpSetData) {
			s := res.Stat
			rep.Stat = &s
		}
		if r.Op == ztree.OpMulti && rep.Results == nil {
			rep.Results = []ztree.Result{}
		}
		n.reply(r, rep)
	}
	n.drainClient(t.Session)
}

// syncDone completes a client's sync at this server.
func (n *Node) syncDone(r Request) {
	q := n.clients[r.Session]
	if q == nil || len(q.reqs) == 0 || q.reqs[0].Cxid != r.Cxid {
		return
	}
	q.reqs = q.reqs[1:]
	n.reply(r, Reply{Err: ztree.OK, Path: r.Path, Zxid: n.lastProcessed})
	n.drainClient(r.Session)
}

// failSync answers a sync the leader refused (its session is not open).
func (n *Node) failSync(r Request, err ztree.Err) {
	q := n.clients[r.Session]
	if q == nil || len(q.reqs) == 0 || q.reqs[0].Cxid != r.Cxid {
		return
	}
	q.reqs = q.reqs[1:]
	n.reply(r, Reply{Err: err, Path: r.Path, Zxid: n.lastProcessed})
	n.drainClient(r.Session)
}

// failClients answers every pending request with err (the server left the
// broadcast phase and drops its client connections), and closes every
// session's connection here.
func (n *Node) failClients(err ztree.Err) {
	for _, s := range sortedKeys(n.clients) {
		for _, r := range n.clients[s].reqs {
			if r.Op == ztree.OpCreateSession {
				continue // its Connect is answered below
			}
			n.reply(r, Reply{Err: err, Zxid: n.lastProcessed})
		}
		delete(n.clients, s)
	}
	n.closeAllConns()
}

func sortedSessions(m map[int64]int32) []int64 {
	keys := make([]int64, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	return keys
}
