package core

import "github.com/zabplay/zabplay/core/ztree"

// clientQueue holds one session's requests at the server it is connected to,
// in the order they arrived. Writes and syncs are answered when they complete;
// a read waits behind them (ZooKeeper's CommitProcessor keeps each session's
// requests in order: FIFO client order).
type clientQueue struct {
	reqs []Request
}

func isWrite(op ztree.Op) bool {
	return op == ztree.OpCreate || op == ztree.OpDelete || op == ztree.OpSetData ||
		op == ztree.OpCreateSession || op == ztree.OpCloseSession
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
	switch {
	case isWrite(r.Op), r.Op == ztree.OpSync:
	case r.Op == ztree.OpGetData:
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
	if r.Op != ztree.OpGetData {
		if n.lead != nil {
			n.leaderRequest(r)
		} else {
			rr := r
			n.send(Message{Type: MsgRequest, To: n.learn.leader, Req: &rr})
		}
	}
	n.drainClient(r.Session)
}

// drainClient answers the reads at the head of a session's queue.
func (n *Node) drainClient(session int64) {
	q := n.clients[session]
	if q == nil {
		return
	}
	for len(q.reqs) > 0 && q.reqs[0].Op == ztree.OpGetData {
		r := q.reqs[0]
		q.reqs = q.reqs[1:]
		data, st, err := n.tree.Get(r.Path)
		n.reply(r, Reply{Err: err, Path: r.Path, Data: data, Version: st.Version, Zxid: n.lastProcessed})
	}
	if len(q.reqs) == 0 {
		delete(n.clients, session)
	}
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
	n.reply(r, Reply{Err: res.Err, Path: res.Path, Version: res.Stat.Version, Zxid: t.Zxid})
	n.drainClient(t.Session)
}

// syncDone completes a client's sync at this server.
func (n *Node) syncDone(r Request) {
	q := n.clients[r.Session]
	if q == nil || len(q.reqs) == 0 || q.reqs[0].Cxid != r.Cxid {
		return
	}
	q.reqs = q.reqs[1:]
	n.reply(r, Reply{Err: ztree.OK, Zxid: n.lastProcessed})
	n.drainClient(r.Session)
}

// failClients answers every pending request with err (the server left the
// broadcast phase and drops its client connections).
func (n *Node) failClients(err ztree.Err) {
	if len(n.clients) == 0 {
		return
	}
	for _, s := range sortedKeys(n.clients) {
		for _, r := range n.clients[s].reqs {
			n.reply(r, Reply{Err: err, Zxid: n.lastProcessed})
		}
		delete(n.clients, s)
	}
}
