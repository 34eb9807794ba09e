package transport

import (
	"bufio"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	"github.com/zabplay/zabplay/core"
)

// peer is the link to one other server: its connection (at most one), the
// messages queued for it and the faults of both directions.
type peer struct {
	t      *Transport
	id     core.NodeID
	addr   string
	wake   chan struct{} // the writer has work
	redial chan struct{} // the dialer should look again

	mu      sync.Mutex
	conn    *conn
	gen     uint64
	queue   []outMsg
	out, in Faults
	lastOut time.Time // FIFO: a delayed message never overtakes an earlier one
}

type conn struct {
	nc      net.Conn
	gen     uint64
	closed  chan struct{}
	release func() // frees its admission slot (incoming connections), or nil
}

type outMsg struct {
	m  core.Message
	id uint64
	at time.Time // when it may be written (per-link delay)
}

func (p *peer) fullyCut() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Cut && p.in.Cut
}

func (p *peer) drop(m core.Message, id uint64, reason string) {
	p.t.event(core.Event{Kind: core.EvDrop, Node: m.From, Peer: m.To, Msg: m.Type, ID: id, Reason: reason, Text: core.Describe(m)})
}

func (p *peer) send(m core.Message, id uint64) {
	t := p.t
	p.mu.Lock()
	defer p.mu.Unlock()
	f := p.out
	switch {
	case f.Cut:
		p.drop(m, id, "cut")
		p.breakLocked("cut", true)
		return
	case f.LossPct > 0 && rand.IntN(100) < f.LossPct:
		p.drop(m, id, "loss")
		p.breakLocked("message lost", true)
		return
	}
	now := time.Now()
	at := now.Add(time.Duration(f.DelayMs) * time.Millisecond)
	if at.Before(p.lastOut) {
		at = p.lastOut
	}
	p.lastOut = at
	if len(p.queue) >= t.cfg.QueueMax {
		// A hole in a FIFO link is what ZAB cannot take (a follower that
		// misses one PROPOSAL of a DIFF stops with "non-continuous
		// proposal"): the connection breaks instead, as a TCP connection
		// does, and both cores are told.
		p.drop(m, id, "queue full")
		p.breakLocked("queue full", true)
		return
	}
	p.queue = append(p.queue, outMsg{m: m, id: id, at: at})
	t.event(core.Event{Kind: core.EvSend, Node: m.From, Peer: m.To, Msg: m.Type, ID: id, Arrive: t.cfg.Clock() + at.Sub(now).Milliseconds(), Text: core.Describe(m)})
	signal(p.wake)
}

// breakLocked ends the current connection (if any): what is queued is lost,
// and this server's core is told when notify is set. p.mu is held.
func (p *peer) breakLocked(why string, notify bool) {
	c := p.conn
	if c != nil {
		p.conn = nil
		c.nc.Close()
		close(c.closed)
		if c.release != nil {
			c.release()
		}
		p.t.log.Info("connection closed", slog.String("peer", p.id.String()), slog.String("why", why))
	}
	for _, om := range p.queue {
		p.drop(om.m, om.id, "connection broken: "+why)
	}
	clear(p.queue)
	p.queue = p.queue[:0]
	if notify {
		p.t.inbox.push(Inbound{Peer: p.id, Lost: true, Why: why})
	}
	signal(p.redial)
}

// install makes nc the peer's connection, replacing (and breaking) any older
// one, and starts its reader and writer. release, if set, is called once
// when the connection ends.
func (p *peer) install(nc net.Conn, br *bufio.Reader, release func()) {
	t := p.t
	p.mu.Lock()
	if t.isClosed() {
		p.mu.Unlock()
		nc.Close()
		if release != nil {
			release()
		}
		return
	}
	if p.conn != nil {
		// The peer redialled before we saw the old connection die: it
		// restarted or lost the connection first.
		p.breakLocked("replaced by a new connection", true)
	}
	p.gen++
	c := &conn{nc: nc, gen: p.gen, closed: make(chan struct{}), release: release}
	p.conn = c
	p.mu.Unlock()
	t.log.Info("connected", slog.String("peer", p.id.String()), slog.String("remote", nc.RemoteAddr().String()))
	t.wg.Add(2)
	go p.writeLoop(c)
	go p.readLoop(c, br)
	signal(p.wake)
}

// broken breaks c if it is still the current connection.
func (p *peer) broken(c *conn, why string) {
	p.mu.Lock()
	if p.conn == c {
		p.breakLocked(why, true)
	}
	p.mu.Unlock()
}

// writeLoop writes c's queue in order, holding back delayed messages.
func (p *peer) writeLoop(c *conn) {
	t := p.t
	defer t.wg.Done()
	bw := bufio.NewWriterSize(c.nc, 64<<10)
	var buf, hdr []byte
	flush := func() bool {
		if bw.Buffered() == 0 {
			return true
		}
		c.nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if err := bw.Flush(); err != nil {
			p.broken(c, "write: "+err.Error())
			return false
		}
		return true
	}
	for {
		p.mu.Lock()
		if p.conn != c {
			p.mu.Unlock()
			return
		}
		if len(p.queue) == 0 {
			p.mu.Unlock()
			if !flush() {
				return
			}
			select {
			case <-p.wake:
			case <-c.closed:
				return
			}
			continue
		}
		om := p.queue[0]
		p.queue[0] = outMsg{}
		p.queue = p.queue[1:]
		p.mu.Unlock()
		if wait := time.Until(om.at); wait > 0 {
			if !flush() {
				return
			}
			timer := time.NewTimer(wait)
			select {
			case <-timer.C:
			case <-c.closed:
				timer.Stop()
				p.drop(om.m, om.id, "connection broken")
				return
			}
		}
		var err error
		buf, err = MsgBody(buf[:0], om.id, om.m)
		if err != nil {
			t.log.Error("cannot encode message", slog.String("msg", core.Describe(om.m)), slog.Any("error", err))
			continue
		}
		hdr = appendHeader(hdr[:0], FrameMsg, len(buf))
		bw.Write(hdr)
		bw.Write(buf)
		if bw.Buffered() > 32<<10 && !flush() {
			return
		}
	}
}

// inMsg is a message read from a connection, due at at (inbound delay).
type inMsg struct {
	m  core.Message
	id uint64
	at time.Time
}

// readLoop reads c's frames and applies the inbound faults; deliverLoop hands
// the messages on when they are due, so a delay holds each message back from
// when it was read without holding up the reading.
func (p *peer) readLoop(c *conn, br *bufio.Reader) {
	t := p.t
	defer t.wg.Done()
	due := make(chan inMsg, 256)
	t.wg.Add(1)
	go p.deliverLoop(c, due)
	defer close(due)
	var lastIn time.Time
	for {
		f, err := ReadFrame(br)
		if err != nil {
			switch {
			case errors.Is(err, ErrFrame):
				t.log.Warn("malformed frame: closing the connection", slog.String("peer", p.id.String()), slog.Any("error", err))
				p.broken(c, err.Error())
			case errors.Is(err, io.EOF):
				p.broken(c, "closed by "+p.id.String())
			default:
				p.broken(c, "read: "+err.Error())
			}
			return
		}
		if f.Type != FrameMsg {
			why := "unexpected " + f.Type.String() + " frame"
			if f.Type == FrameReject {
				why = "refused: " + rejectText(f.Body)
			}
			t.log.Warn("closing the connection", slog.String("peer", p.id.String()), slog.String("why", why))
			p.broken(c, why)
			return
		}
		id, m, err := ParseMsg(f.Body)
		if err == nil && (m.From != p.id || m.To != t.cfg.ID) {
			err = badMessage("message " + core.Describe(m) + " on the connection " + p.id.String() + "->" + t.cfg.ID.String())
		}
		if err != nil {
			t.log.Warn("malformed message: closing the connection", slog.String("peer", p.id.String()), slog.Any("error", err))
			p.broken(c, err.Error())
			return
		}
		p.mu.Lock()
		in := p.in
		p.mu.Unlock()
		switch {
		case in.Cut:
			p.drop(m, id, "cut")
			p.broken(c, "cut")
			return
		case in.LossPct > 0 && rand.IntN(100) < in.LossPct:
			p.drop(m, id, "loss")
			p.broken(c, "message lost")
			return
		}
		at := time.Now().Add(time.Duration(in.DelayMs) * time.Millisecond)
		if at.Before(lastIn) {
			at = lastIn
		}
		lastIn = at
		select {
		case due <- inMsg{m: m, id: id, at: at}:
		case <-c.closed:
			p.drop(m, id, "connection broken")
			return
		}
	}
}

func (p *peer) deliverLoop(c *conn, due <-chan inMsg) {
	t := p.t
	defer t.wg.Done()
	var timer *time.Timer
	for im := range due {
		if wait := time.Until(im.at); wait > 0 {
			if timer == nil {
				timer = time.NewTimer(wait)
			} else {
				timer.Reset(wait)
			}
			select {
			case <-timer.C:
			case <-c.closed:
				timer.Stop()
				p.drop(im.m, im.id, "connection broken")
				continue
			}
		}
		select {
		case t.slots <- struct{}{}:
		case <-c.closed:
			p.drop(im.m, im.id, "connection broken")
			continue
		}
		p.mu.Lock()
		current := p.conn == c
		if current {
			t.inbox.push(Inbound{Peer: p.id, Msg: im.m, ID: im.id})
		}
		p.mu.Unlock()
		if !current {
			<-t.slots
			p.drop(im.m, im.id, "connection broken")
		}
	}
}
