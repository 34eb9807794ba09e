package classroom

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/zabplay/zabplay/server/httpjson"
)

const (
	bodyMax     = 4 << 10
	authTimeout = 5 * time.Second
	pingEvery   = 30 * time.Second
)

var pagePath = regexp.MustCompile(`^/[A-Za-z0-9/_-]{0,199}$`)

// Handler serves the API of README.md under /api/rooms.
func (h *Hub) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/rooms", h.serveCreate)
	mux.HandleFunc("GET /api/rooms/{code}", h.serveGet)
	mux.HandleFunc("DELETE /api/rooms/{code}", h.serveDelete)
	mux.HandleFunc("GET /api/rooms/{code}/teach", h.serveTeach)
	mux.HandleFunc("GET /api/rooms/{code}/follow", h.serveFollow)
	return httpjson.API(mux, h.crossSite)
}

// Created is what POST /api/rooms answers.
type Created struct {
	Code   string `json:"code"`   // K7QM-XP2D
	Token  string `json:"token"`  // the teacher's: keep it, never show it
	Follow string `json:"follow"` // the followers' link, a path: /lessons/x?follow=K7QM-XP2D
}

func (h *Hub) serveCreate(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Page   string `json:"page"`
		Widget int    `json:"widget"`
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, bodyMax))
	if err != nil {
		httpjson.Error(w, http.StatusBadRequest, fmt.Errorf("request body: want a JSON object of at most %d bytes", bodyMax))
		return
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		httpjson.Error(w, http.StatusBadRequest, jsonError(err))
		return
	}
	if !pagePath.MatchString(body.Page) || strings.Contains(body.Page, "//") {
		httpjson.Error(w, http.StatusBadRequest, fmt.Errorf("page %q: want a path on this site, such as /lessons/broadcast", clip(body.Page, 60)))
		return
	}
	if body.Widget < 0 || body.Widget >= maxWidgetIndex {
		httpjson.Error(w, http.StatusBadRequest, fmt.Errorf("widget %d: want 0 to %d", body.Widget, maxWidgetIndex-1))
		return
	}
	rm, token, err := h.open(h.clientOf(r), body.Page, body.Widget)
	if err != nil {
		httpjson.Error(w, http.StatusTooManyRequests, err)
		return
	}
	code := ShowCode(rm.code)
	httpjson.Write(w, http.StatusCreated, Created{Code: code, Token: token, Follow: body.Page + "?follow=" + code})
}

// room finds the request's room, or answers 404 (or 429 to a client that
// asked about too many unknown codes).
func (h *Hub) room(w http.ResponseWriter, r *http.Request) *room {
	code := r.PathValue("code")
	rm, err := h.lookup(h.clientOf(r), code)
	switch {
	case err != nil:
		w.Header().Set("Retry-After", "60")
		httpjson.Error(w, http.StatusTooManyRequests, err)
	case rm == nil && NormalizeCode(code) == "":
		httpjson.Error(w, http.StatusNotFound, fmt.Errorf("%q is not a class code: a code is 8 letters and digits, such as K7QM-XP2D", clip(code, 20)))
	case rm == nil:
		httpjson.Error(w, http.StatusNotFound, fmt.Errorf("no class room has the code %s: check it with your teacher (a room closes when its teacher stops sharing)", ShowCode(NormalizeCode(code))))
	}
	return rm
}

func (h *Hub) serveGet(w http.ResponseWriter, r *http.Request) {
	if rm := h.room(w, r); rm != nil {
		httpjson.Write(w, http.StatusOK, rm.info())
	}
}

func (h *Hub) serveDelete(w http.ResponseWriter, r *http.Request) {
	rm := h.room(w, r)
	if rm == nil {
		return
	}
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || !rm.authorized(strings.TrimSpace(tok)) {
		httpjson.Error(w, http.StatusForbidden, errors.New("closing a class room takes the token its create answered (Authorization: Bearer TOKEN)"))
		return
	}
	h.closeRoom(rm, "the teacher stopped sharing")
	w.WriteHeader(http.StatusNoContent)
}

// accept upgrades to a websocket that may live as long as its page.
func (h *Hub) accept(w http.ResponseWriter, r *http.Request) (*websocket.Conn, error) {
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Time{})
	rc.SetWriteDeadline(time.Time{})
	return websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: h.opts.AllowedOrigins})
}

// teacherConn is the teacher's websocket. note never blocks (the room's mu
// is held): the count is kept, and its writer sends the latest.
type teacherConn struct {
	c    *websocket.Conn
	n    atomic.Int64
	wake chan struct{}
	kick chan string // a newer teacher took over: why
}

func (t *teacherConn) note(n int) {
	t.n.Store(int64(n))
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

func (h *Hub) serveTeach(w http.ResponseWriter, r *http.Request) {
	rm := h.room(w, r)
	if rm == nil {
		return
	}
	c, err := h.accept(w, r)
	if err != nil {
		h.opts.Log.Debug("websocket refused", slog.Any("error", err))
		return
	}
	defer c.CloseNow()
	c.SetReadLimit(MaxMessage)
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	send := func(v any) error {
		b, _ := json.Marshal(v)
		wctx, cancel := context.WithTimeout(ctx, h.opts.WriteTimeout)
		defer cancel()
		return c.Write(wctx, websocket.MessageText, b)
	}
	refuse := func(code websocket.StatusCode, msg string) {
		send(map[string]string{"type": "error", "error": msg})
		c.Close(code, clip(msg, 100))
	}
	actx, acancel := context.WithTimeout(ctx, authTimeout)
	_, b, err := c.Read(actx)
	acancel()
	if err != nil {
		refuse(websocket.StatusPolicyViolation, fmt.Sprintf("the first message must be {\"type\":\"auth\",\"token\":...} within %v", authTimeout))
		return
	}
	m, err := decodeTeacher(b)
	if err != nil || m.Type != "auth" || !rm.authorized(m.Token) {
		refuse(websocket.StatusPolicyViolation, "wrong or missing teacher token for this class room: only the page that opened it may teach it")
		return
	}
	tc := &teacherConn{c: c, wake: make(chan struct{}, 1), kick: make(chan string, 1)}
	rm.mu.Lock()
	old := rm.teacher
	rm.teacher = tc
	rm.lastTeacher = h.opts.Now()
	rm.presenceLocked()
	rm.teacherNote()
	closed := rm.closed
	rm.mu.Unlock()
	if old != nil {
		select {
		case old.kick <- "another page took over teaching this class room":
		default:
		}
	}
	defer func() {
		rm.mu.Lock()
		if rm.teacher == tc {
			rm.teacher = nil
			rm.lastTeacher = h.opts.Now()
			if !rm.closed {
				rm.presenceLocked()
			}
		}
		rm.mu.Unlock()
	}()
	if closed {
		refuse(websocket.StatusNormalClosure, "this class room has closed")
		return
	}
	send(map[string]any{"type": "ready", "room": ShowCode(rm.code)})
	// The writer: follower counts, the room closing, a newer teacher.
	go func() {
		defer cancel()
		for {
			select {
			case <-tc.wake:
				if send(map[string]any{"type": "followers", "n": tc.n.Load()}) != nil {
					return
				}
			case why := <-tc.kick:
				refuse(websocket.StatusNormalClosure, why)
				return
			case <-rm.ended:
				rm.mu.Lock()
				why := rm.reason
				rm.mu.Unlock()
				send(map[string]string{"type": "closed", "reason": why})
				c.Close(websocket.StatusNormalClosure, clip(why, 100))
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	rate := newBucket(h.opts.TeacherRate, 2*h.opts.TeacherRate, time.Now())
	for {
		_, b, err := c.Read(ctx)
		if err != nil {
			return
		}
		if !rate.take(time.Now()) {
			send(map[string]string{"type": "error", "error": fmt.Sprintf("more than %v messages a second: this one was dropped", h.opts.TeacherRate)})
			continue
		}
		m, err := decodeTeacher(b)
		if err == nil && m.Type == "auth" {
			err = errors.New(`"auth" comes once, first`)
		}
		if err == nil {
			err = rm.apply(m)
		}
		if err != nil {
			if send(map[string]string{"type": "error", "error": err.Error()}) != nil {
				return
			}
		}
	}
}

func (h *Hub) serveFollow(w http.ResponseWriter, r *http.Request) {
	rm := h.room(w, r)
	if rm == nil {
		return
	}
	f := newFollower(h.clientOf(r), h.opts.Queue)
	if err := h.addFollower(rm, f); err != nil {
		code := http.StatusTooManyRequests
		if !errors.Is(err, ErrCap) {
			code = http.StatusGone
		}
		httpjson.Error(w, code, err)
		return
	}
	defer h.removeFollower(rm, f)
	c, err := h.accept(w, r)
	if err != nil {
		h.opts.Log.Debug("websocket refused", slog.Any("error", err))
		return
	}
	defer c.CloseNow()
	// A follower only listens: a data message from it closes the socket
	// (policy violation), and harms nobody else.
	ctx := c.CloseRead(r.Context())
	write := func(b []byte) error {
		wctx, cancel := context.WithTimeout(ctx, h.opts.WriteTimeout)
		defer cancel()
		return c.Write(wctx, websocket.MessageText, b)
	}
	ping := time.NewTicker(pingEvery)
	defer ping.Stop()
	var last uint64
	sent := false
	for {
		if f.staleNow() {
			rm.mu.Lock()
			for len(f.q) > 0 {
				<-f.q
			}
			f.setStale(false)
			snap := rm.snapshotLocked()
			rm.mu.Unlock()
			if write(snap.b) != nil {
				return
			}
			last, sent = snap.seq, true
			continue
		}
		select {
		case it := <-f.q:
			if sent && it.seq <= last {
				continue
			}
			if write(it.b) != nil {
				return
			}
			last, sent = it.seq, true
		case <-f.wake:
		case <-rm.ended:
			rm.mu.Lock()
			why := rm.reason
			rm.mu.Unlock()
			b, _ := json.Marshal(map[string]string{"type": "closed", "reason": why})
			write(b)
			c.Close(websocket.StatusNormalClosure, clip(why, 100))
			return
		case <-ping.C:
			pctx, cancel := context.WithTimeout(ctx, h.opts.WriteTimeout)
			err := c.Ping(pctx)
			cancel()
			if err != nil {
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

// crossSite refuses a POST or DELETE another site's page could have sent,
// as server/ensemble does (httpjson.CrossSite).
func (h *Hub) crossSite(r *http.Request) (int, error) {
	return httpjson.CrossSite(r, h.opts.AllowedOrigins, "open or close class rooms")
}

// clientOf is who a request counts against for the per-client caps, as
// server/ensemble counts (httpjson.ClientOf).
func (h *Hub) clientOf(r *http.Request) string { return httpjson.ClientOf(r, h.opts.TrustedProxies) }
