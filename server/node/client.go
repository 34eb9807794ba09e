package node

import (
	"context"

	"github.com/zabplay/zabplay/core"
)

// ClientSink receives what the core sends one client connection: the
// answer to its Connect, the answers to its session's requests and its
// notifications, in the order the core made them (the order the client
// must see them in). Deliver is called from the node's loop goroutine and
// must not block (a client port queues and returns). Sinks are compared
// with ==, so use pointer types.
type ClientSink interface {
	Deliver(core.Reply)
}

// Connect hands a client's ConnectRequest to the core (MsgConnect) and
// routes what the core sends the connection to sink: the Connect's answer
// (a Reply with Op createSession and Conn c.Conn), then, once it opened a
// session, every reply and notification of that session that no Request
// call waits for, until Disconnect. c.Conn must be unique among this
// server's open connections.
func (n *Node) Connect(ctx context.Context, c core.Connect, sink ClientSink) error {
	n.smu.Lock()
	n.connSinks[c.Conn] = sink
	n.smu.Unlock()
	m := core.Message{Type: core.MsgConnect, To: n.cfg.ID, Connect: &c}
	select {
	case n.calls <- call{msg: &m}:
		return nil
	case <-n.stop:
		return ErrStopped
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Disconnect tells the core that connection conn of session ended without
// a closeSession (MsgDisconnect: its watches here go, the session lives on
// until it expires or moves), and stops routing to its sink.
func (n *Node) Disconnect(conn uint64, session int64, sink ClientSink) {
	n.smu.Lock()
	if n.connSinks[conn] == sink {
		delete(n.connSinks, conn)
	}
	if n.sinks[session] == sink {
		delete(n.sinks, session)
	}
	n.smu.Unlock()
	if session == 0 {
		return
	}
	m := core.Message{Type: core.MsgDisconnect, To: n.cfg.ID, Connect: &core.Connect{Conn: conn, Session: session}}
	select {
	case n.calls <- call{msg: &m}:
	case <-n.stop:
	}
}

// route finds the sink of a reply: a Connect's answer by its connection
// (which then owns the session it opened), the rest by session.
func (n *Node) route(r core.Reply) ClientSink {
	n.smu.Lock()
	defer n.smu.Unlock()
	if r.Conn != 0 {
		s := n.connSinks[r.Conn]
		if s != nil && r.Err == 0 && r.Session != 0 {
			n.sinks[r.Session] = s
		}
		return s
	}
	return n.sinks[r.Session]
}

// Submit hands a request of a connected session to the core and returns
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
// is then (f must not keep it or change it): the four-letter words read
// the tree's counts this way.
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
