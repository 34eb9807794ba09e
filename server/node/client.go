package node

import (
	"context"

	"github.com/zabplay/zabplay/core"
)

// ClientSink receives what the core answers one attached session: its
// replies, in the order the core made them. Deliver is called from the
// node's loop goroutine and must not block (a client port queues and
// returns). Sinks are compared with ==, so use pointer types.
type ClientSink interface {
	Deliver(core.Reply)
}

// NewSessionID returns a session id no other session of this ensemble has:
// the server's id in the top byte, its start time in milliseconds, and a
// counter (ZooKeeper's SessionTrackerImpl.initializeNextSessionId does the
// same with the server id and the clock).
func (n *Node) NewSessionID() int64 {
	return n.sessionSeq.Add(1)
}

// Attach routes every reply for session that no Request call waits for to
// sink, until Detach. A client port attaches the session of each
// connection, then hands its requests in with Submit.
func (n *Node) Attach(session int64, sink ClientSink) {
	n.smu.Lock()
	n.sinks[session] = sink
	n.smu.Unlock()
}

// Detach stops routing session's replies; those that come later are
// dropped.
func (n *Node) Detach(session int64, sink ClientSink) {
	n.smu.Lock()
	// Only the connection that attached it may detach it: a session that
	// moved to another connection of this server keeps its new sink.
	if cur, ok := n.sinks[session]; ok && cur == sink {
		delete(n.sinks, session)
	}
	n.smu.Unlock()
}

func (n *Node) sink(session int64) ClientSink {
	n.smu.RLock()
	s := n.sinks[session]
	n.smu.RUnlock()
	return s
}

// Submit hands a request of an attached session to the core and returns
// once the loop has taken it, without waiting for the reply: the reply goes
// to the session's sink. Requests submitted one after another reach the
// core in that order, so a connection can pipeline them. r.Session and
// r.Cxid must be set; a Cxid still in flight for the session is answered
// BadArguments.
func (n *Node) Submit(ctx context.Context, r core.Request) error {
	select {
	case n.calls <- call{req: r}:
		return nil
	case <-n.stop:
		return ErrStopped
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Read runs f on the loop goroutine between two inputs, with the core as it
// is then (f must not keep it or change it). A client port answers the
// reads the core does not take yet (exists, getChildren) this way, once
// the session's earlier requests are answered, so FIFO order holds.
func (n *Node) Read(ctx context.Context, f func(*core.Node)) error {
	done := make(chan struct{})
	select {
	case n.reads <- readCall{f: f, done: done}:
	case <-n.stop:
		return ErrStopped
	case <-ctx.Done():
		return ctx.Err()
	}
	<-done // the loop runs f before it takes anything else
	return nil
}

type readCall struct {
	f    func(*core.Node)
	done chan struct{}
}
