package zkserver

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/ztree"
	"github.com/zabplay/zabplay/server/zkwire"
)

// conn is one client connection. Its goroutine reads requests and hands
// them to the core in order (Submit); the core answers the session's
// requests in that order (FIFO client order), into Deliver; the writer
// goroutine pairs each answer with the oldest pending request and writes
// it. Reads the core does not take yet are answered here once every
// earlier request of the connection is answered.
type conn struct {
	s      *Server
	nc     net.Conn
	ip     string
	remote string
	ctx    context.Context
	cancel context.CancelFunc

	connID  uint64 // core.Connect.Conn
	session int64
	timeout time.Duration

	mu       sync.Mutex
	cond     *sync.Cond
	pending  []pend
	replies  []core.Reply
	closed   bool
	cxid     uint32
	est      time.Time
	info     connInfo
	closeErr error
}

// connInfo is what cons prints of a connection.
type connInfo struct {
	received, sent      int64
	lastOp              string
	lastCxid, lastZxid  int64
	lastResp, lastLat   int64
	minLat, maxLat, sum int64
}

// pend is a request waiting for its turn to be answered.
type pend struct {
	xid   int32
	op    zkwire.OpCode
	start time.Time
	// cxid is the core request's cxid; 0 for an answer made here (ready).
	cxid uint32
	// conv turns the core's reply into the answer.
	conv func(core.Reply) (zkwire.ErrCode, zkwire.Record)
	// rep is the core's reply, once it came.
	rep *core.Reply
	// ready is an answer made here.
	err   zkwire.ErrCode
	body  zkwire.Record
	zxid  int64
	after func() // runs once the answer is written (closeSession: close)
}

// ready reports whether the answer can be written: made here, or the
// core's reply came.
func (p *pend) ready() bool { return p.cxid == 0 || p.rep != nil }

func newConn(s *Server, nc net.Conn, ip string) *conn {
	c := &conn{s: s, nc: nc, ip: ip, remote: nc.RemoteAddr().String()}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.cond = sync.NewCond(&c.mu)
	c.info.lastCxid, c.info.lastZxid = -1, -1
	c.info.lastOp = "NA"
	return c
}

// Deliver takes one of the core's replies for the session (node.ClientSink).
func (c *conn) Deliver(r core.Reply) {
	c.mu.Lock()
	if !c.closed {
		c.replies = append(c.replies, r)
		c.cond.Broadcast()
	}
	c.mu.Unlock()
}

// close ends the connection; the goroutines notice and return.
func (c *conn) close() {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		c.cond.Broadcast()
	}
	c.mu.Unlock()
	c.cancel()
	c.nc.Close()
}

// fail closes the connection with one log line saying why.
func (c *conn) fail(why string, err error) {
	c.mu.Lock()
	already := c.closed
	c.mu.Unlock()
	if already {
		return
	}
	attrs := []any{slog.String("remote", c.remote), slog.String("why", why)}
	if c.session != 0 {
		attrs = append(attrs, slog.String("session", fmt.Sprintf("0x%x", uint64(c.session))))
	}
	if err != nil {
		attrs = append(attrs, slog.Any("error", err))
	}
	c.s.log.Warn("client connection closed", attrs...)
	c.close()
}

func (c *conn) serve() {
	defer c.close()
	br := bufio.NewReaderSize(c.nc, 16<<10)
	fr := zkwire.NewFrameReader(br, c.s.cfg.MaxFrame)
	c.nc.SetDeadline(time.Now().Add(c.s.cfg.HandshakeTimeout))
	frame, word, err := fr.ReadFirst()
	if err != nil {
		if err != io.EOF {
			c.fail("bad first frame", err)
		}
		return
	}
	if word != "" {
		c.fourLetter(word)
		return
	}
	req, err := zkwire.DecodeConnectRequest(frame)
	if err != nil {
		// A request before the handshake, or garbage: ZooKeeper closes.
		c.fail("no ConnectRequest first", err)
		return
	}
	ok := c.handshake(req)
	defer func() {
		// A connection that ends without closeSession leaves its session to
		// expire, or to move to another server (MsgDisconnect).
		c.s.cfg.Backend.Disconnect(c.connID, c.session, c)
	}()
	if !ok {
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.writeLoop()
	}()
	if c.readLoop(fr) {
		// The last answers go out first (an unknown op's UNIMPLEMENTED).
		select {
		case <-done:
		case <-time.After(c.s.cfg.WriteTimeout):
		}
	}
	c.close()
	<-done
}

// handshake hands the ConnectRequest to the core (MsgConnect) and writes
// its answer: a new session (a createSession txn through the quorum), or
// the client's session again (its password checked, revalidated at the
// leader). It reports whether the connection goes on.
func (c *conn) handshake(req zkwire.ConnectRequest) bool {
	c.connID = c.s.connID.Add(1)
	cc := core.Connect{Conn: c.connID, Session: req.SessionID, Passwd: req.Passwd, TimeoutMs: req.TimeOut, LastZxidSeen: core.Zxid(req.LastZxidSeen)}
	ctx, cancel := context.WithTimeout(c.ctx, c.s.cfg.HandshakeTimeout)
	defer cancel()
	if err := c.s.cfg.Backend.Connect(ctx, cc, c); err != nil {
		c.fail("server stopped", err)
		return false
	}
	rep, err := c.connectReply(ctx)
	if err != nil {
		c.fail("no answer to the ConnectRequest", err)
		return false
	}
	switch rep.Err {
	case ztree.OK:
	case ztree.SessionExpired:
		// The session is gone or its password is wrong: a ConnectResponse
		// with no session and a zero timeout, then the connection closes
		// (ZooKeeperServer.finishSessionInit(false)).
		c.s.log.Info("client session refused: expired or wrong password", slog.String("remote", c.remote),
			slog.String("session", fmt.Sprintf("0x%x", uint64(req.SessionID))))
		c.writeConnect(zkwire.ConnectResponse{Passwd: make([]byte, 16), HasReadOnly: req.HasReadOnly})
		return false
	case ztree.ConnectionLoss:
		// Not serving, or the client has seen a newer zxid than ours
		// ("Refusing session request for client ... as it has seen zxid
		// 0x... our last zxid is 0x... client must try another server"):
		// the connection closes and the client tries another server.
		st := c.s.cfg.Backend.Status()
		why := "server not serving (an election is running)"
		if serving(st) {
			why = fmt.Sprintf("refusing session: client has seen zxid 0x%x, our last zxid is 0x%x; client must try another server",
				uint64(req.LastZxidSeen), uint64(st.LastZxid))
		}
		c.fail(why, nil)
		return false
	default:
		c.fail("ConnectRequest refused", errCode(rep.Err))
		return false
	}
	c.mu.Lock()
	c.session = rep.Session
	c.timeout = time.Duration(rep.TimeoutMs) * time.Millisecond
	c.est = time.Now()
	c.mu.Unlock()
	return c.writeConnect(zkwire.ConnectResponse{TimeOut: rep.TimeoutMs, SessionID: rep.Session, Passwd: rep.Passwd, HasReadOnly: req.HasReadOnly})
}

// connectReply waits for the core's answer to the connection's Connect.
func (c *conn) connectReply(ctx context.Context) (core.Reply, error) {
	stop := context.AfterFunc(ctx, func() {
		c.mu.Lock()
		c.cond.Broadcast()
		c.mu.Unlock()
	})
	defer stop()
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		for i, rep := range c.replies {
			if rep.Conn == c.connID && rep.Op == ztree.OpCreateSession {
				c.replies = append(c.replies[:i], c.replies[i+1:]...)
				return rep, nil
			}
		}
		if c.closed || ctx.Err() != nil {
			return core.Reply{}, errors.Join(errors.New("connection closed"), ctx.Err())
		}
		c.cond.Wait()
	}
}

func errCode(e ztree.Err) error {
	if e == ztree.OK {
		return nil
	}
	return zkwire.ErrCode(e)
}

func (c *conn) writeConnect(r zkwire.ConnectResponse) bool {
	c.nc.SetWriteDeadline(time.Now().Add(c.s.cfg.WriteTimeout))
	if _, err := c.nc.Write(zkwire.AppendConnectResponse(nil, r)); err != nil {
		c.fail("writing the ConnectResponse", err)
		return false
	}
	return true
}

// readLoop reads requests until the connection ends or breaks. It reports
// whether the answers queued so far should be written before the
// connection closes.
func (c *conn) readLoop(fr *zkwire.FrameReader) (drain bool) {
	for {
		c.nc.SetReadDeadline(time.Now().Add(c.timeout))
		frame, err := fr.ReadFrame()
		if err != nil {
			switch {
			case err == io.EOF, c.isClosed():
			case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
				c.fail(fmt.Sprintf("no request or ping for %v (the session timeout)", c.timeout), nil)
			default:
				c.fail("bad frame", err)
			}
			return false
		}
		c.s.stats.received.Add(1)
		h, rec, err := zkwire.DecodeRequest(frame)
		if errors.Is(err, zkwire.ErrUnknownOp) {
			// ZooKeeperServer.submitRequestNow: "Received packet at server
			// of unknown type", answered UNIMPLEMENTED, then the
			// connection is closed (UnimplementedRequestProcessor).
			c.s.log.Warn("client connection closed", slog.String("remote", c.remote),
				slog.String("why", fmt.Sprintf("unknown op code %d", int32(h.Type))))
			c.push(pend{xid: h.Xid, op: h.Type, err: zkwire.ErrUnimplemented, after: c.close})
			return true
		}
		if err != nil {
			c.fail(fmt.Sprintf("undecodable %v request", h.Type), err)
			return false
		}
		if !c.handle(h, rec) {
			return false
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func (c *conn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// push queues an answer or a request awaiting one, after waiting while the
// connection has MaxOutstanding in flight (ZooKeeper stops reading a
// connection then). It reports false once the connection is closed.
func (c *conn) push(p pend) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for !c.closed && len(c.pending) >= c.s.cfg.MaxOutstanding {
		c.cond.Wait()
	}
	if c.closed {
		return false
	}
	if p.start.IsZero() {
		p.start = time.Now()
	}
	c.pending = append(c.pending, p)
	c.info.received++
	c.cond.Broadcast()
	return true
}

// submit queues a core request and hands it to the core.
func (c *conn) submit(h zkwire.RequestHeader, r core.Request, conv func(core.Reply) (zkwire.ErrCode, zkwire.Record)) bool {
	return c.submitThen(h, r, conv, nil)
}

// submitThen is submit with a function to run once the answer is written.
func (c *conn) submitThen(h zkwire.RequestHeader, r core.Request, conv func(core.Reply) (zkwire.ErrCode, zkwire.Record), after func()) bool {
	c.mu.Lock()
	c.cxid++
	if c.cxid == 0 {
		c.cxid = 1
	}
	r.Cxid = c.cxid
	c.mu.Unlock()
	r.Session = c.session
	r.Request.Session = c.session
	if !c.push(pend{xid: h.Xid, op: h.Type, cxid: r.Cxid, conv: conv, after: after}) {
		return false
	}
	if err := c.s.cfg.Backend.Submit(c.ctx, r); err != nil {
		c.fail("server stopped", err)
		return false
	}
	return true
}

// writeLoop writes the answers in request order. The core answers a
// session's requests in order, but a ping as soon as it comes (ZooKeeper's
// CommitProcessor holds it behind the session's pending writes): an answer
// is kept with its request until the ones before it are written.
func (c *conn) writeLoop() {
	bw := bufio.NewWriterSize(c.nc, 16<<10)
	var buf []byte
	var out []pend
	for {
		c.mu.Lock()
		for !c.closed && len(c.replies) == 0 && (len(c.pending) == 0 || !c.pending[0].ready()) {
			if bw.Buffered() > 0 {
				c.mu.Unlock()
				if !c.flush(bw) {
					return
				}
				c.mu.Lock()
				continue
			}
			c.cond.Wait()
		}
		if c.closed {
			c.mu.Unlock()
			return
		}
		if len(c.replies) > 0 {
			rep := c.replies[0]
			c.replies = c.replies[1:]
			if rep.Op == ztree.OpNotification && rep.Watch != nil {
				c.mu.Unlock()
				if !c.notify(bw, rep) {
					return
				}
				continue
			}
			for i := range c.pending {
				if p := &c.pending[i]; p.cxid == rep.Cxid && p.rep == nil {
					p.rep = &rep
					break
				}
			} // else not an answer to this connection's requests (a handshake's that timed out)
		}
		out = out[:0]
		for len(c.pending) > 0 && c.pending[0].ready() {
			out = append(out, c.pending[0])
			c.pending = c.pending[1:]
		}
		c.cond.Broadcast()
		c.mu.Unlock()
		for _, p := range out {
			if p.rep != nil {
				if p.rep.Err == ztree.ConnectionLoss {
					// The server left the broadcast phase: it drops its
					// clients, which reconnect to one that serves.
					c.fail("server stopped serving", nil)
					return
				}
				p.err, p.body = p.conv(*p.rep)
				p.zxid = int64(p.rep.Zxid)
			}
			buf = zkwire.AppendReply(buf[:0], zkwire.ReplyHeader{Xid: p.xid, Zxid: p.zxid, Err: p.err}, p.body)
			c.nc.SetWriteDeadline(time.Now().Add(c.s.cfg.WriteTimeout))
			if _, err := bw.Write(buf); err != nil {
				c.fail("write", err)
				return
			}
			c.account(p)
			if p.after != nil {
				if !c.flush(bw) {
					return
				}
				p.after()
			}
		}
	}
}

// notify writes a watch's notification (xid -1, with the zxid of the txn
// that fired it, as ZooKeeper 3.9 does). A session event instead closes
// the connection, as a ZooKeeper server closes it: Disconnected (the
// server left the broadcast phase; the client reconnects elsewhere) or
// Expired (the client learns it when it reconnects).
func (c *conn) notify(bw *bufio.Writer, rep core.Reply) bool {
	w := rep.Watch
	if w.Type == core.EventNone {
		c.flush(bw)
		c.fail("session "+w.State.String(), nil)
		return false
	}
	ev := zkwire.WatcherEvent{Type: zkwire.EventType(w.Type), State: zkwire.KeeperState(w.State), Path: w.Path}
	zxid := int64(rep.Zxid)
	if zxid == 0 {
		zxid = -1 // a watch given back fired at once (WatchedEvent.NO_ZXID)
	}
	c.nc.SetWriteDeadline(time.Now().Add(c.s.cfg.WriteTimeout))
	if _, err := bw.Write(zkwire.AppendNotification(nil, zxid, ev)); err != nil {
		c.fail("write", err)
		return false
	}
	c.s.stats.sent.Add(1)
	return true
}

func (c *conn) flush(bw *bufio.Writer) bool {
	c.nc.SetWriteDeadline(time.Now().Add(c.s.cfg.WriteTimeout))
	if err := bw.Flush(); err != nil {
		c.fail("write", err)
		return false
	}
	return true
}

// account records an answer for the four-letter words.
func (c *conn) account(p pend) {
	now := time.Now()
	lat := now.Sub(p.start).Milliseconds()
	c.s.stats.sent.Add(1)
	if p.op != zkwire.OpPing {
		c.s.stats.latency(lat)
	}
	c.mu.Lock()
	i := &c.info
	i.sent++
	i.lastOp = zkwire.LastOpName(p.op)
	if p.xid >= 0 {
		i.lastCxid = int64(p.xid)
	}
	i.lastZxid, i.lastResp, i.lastLat = p.zxid, now.UnixMilli(), lat
	if i.sent == 1 || lat < i.minLat {
		i.minLat = lat
	}
	i.maxLat = max(i.maxLat, lat)
	i.sum += lat
	c.mu.Unlock()
}
