package ensemble

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/server/httpjson"
)

// Request bounds.
const (
	BodyMax      = 16 << 10
	batchEvery   = 50 * time.Millisecond // at most 20 event messages a second
	writeTimeout = 10 * time.Second
)

// Handler serves the API of README.md under /api/ensembles.
func (m *Manager) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/ensembles", m.serveCreate)
	mux.HandleFunc("GET /api/ensembles/{id}", m.serveGet)
	mux.HandleFunc("DELETE /api/ensembles/{id}", m.serveDelete)
	mux.HandleFunc("POST /api/ensembles/{id}/actions", m.serveAction)
	mux.HandleFunc("GET /api/ensembles/{id}/events", m.serveEvents)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		httpjson.Error(w, http.StatusNotFound, fmt.Errorf("no API at %s %s", r.Method, r.URL.Path))
	})
	return mux
}

// clientOf is who a request counts against for the per-client cap.
func clientOf(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// decode reads one JSON object of at most BodyMax bytes, with no unknown
// fields and nothing after it.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, BodyMax))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mb *http.MaxBytesError
		switch {
		case errors.As(err, &mb):
			return fmt.Errorf("request body over %d bytes", BodyMax)
		case errors.Is(err, io.EOF):
			return errors.New("empty request body: want a JSON object")
		}
		return fmt.Errorf("malformed JSON body: %v", err)
	}
	if dec.More() {
		return errors.New("malformed JSON body: more than one value")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return fmt.Errorf("request body over %d bytes", BodyMax)
		}
		return errors.New("malformed JSON body: trailing data")
	}
	return nil
}

func (m *Manager) serveCreate(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Voters      *int `json:"voters"`
		Observers   *int `json:"observers"`
		LinkDelayMs *int `json:"linkDelayMs"`
	}
	if err := decode(w, r, &body); err != nil {
		httpjson.Error(w, http.StatusBadRequest, err)
		return
	}
	spec := Spec{Voters: 3}
	for _, f := range []struct {
		p   *int
		dst *int
	}{{body.Voters, &spec.Voters}, {body.Observers, &spec.Observers}, {body.LinkDelayMs, &spec.LinkDelayMs}} {
		if f.p != nil {
			*f.dst = *f.p
		}
	}
	if err := spec.Validate(); err != nil {
		httpjson.Error(w, http.StatusBadRequest, err)
		return
	}
	e, err := m.Create(clientOf(r), spec)
	switch {
	case errors.Is(err, ErrCap):
		httpjson.Error(w, http.StatusTooManyRequests, err)
		return
	case err != nil:
		m.opts.Log.Error("create ensemble", slog.Any("error", err))
		httpjson.Error(w, http.StatusServiceUnavailable, err)
		return
	}
	httpjson.Write(w, http.StatusCreated, withID{e.ID, e.stateJSON()})
}

// withID is the answer of create and GET, with the State already encoded.
type withID struct {
	ID    string          `json:"id"`
	State json.RawMessage `json:"state"`
}

func (m *Manager) lookup(w http.ResponseWriter, r *http.Request) *Ensemble {
	e, err := m.Get(r.PathValue("id"))
	if err != nil {
		httpjson.Error(w, http.StatusNotFound, err)
		return nil
	}
	return e
}

func (m *Manager) serveGet(w http.ResponseWriter, r *http.Request) {
	if e := m.lookup(w, r); e != nil {
		httpjson.Write(w, http.StatusOK, withID{e.ID, e.stateJSON()})
	}
}

func (m *Manager) serveDelete(w http.ResponseWriter, r *http.Request) {
	if err := m.Delete(r.PathValue("id"), "deleted"); err != nil {
		httpjson.Error(w, http.StatusNotFound, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (m *Manager) serveAction(w http.ResponseWriter, r *http.Request) {
	e := m.lookup(w, r)
	if e == nil {
		return
	}
	var body struct {
		Text *string `json:"text"`
	}
	if err := decode(w, r, &body); err != nil {
		httpjson.Error(w, http.StatusBadRequest, err)
		return
	}
	if body.Text == nil {
		httpjson.Error(w, http.StatusBadRequest, errors.New(`missing "text": want one statement, e.g. {"text":"crash s2"}`))
		return
	}
	e.touch(m.opts.Now())
	rep, err := e.Act(r.Context(), *body.Text)
	var ea *ErrAction
	switch {
	case errors.As(err, &ea):
		httpjson.Error(w, http.StatusBadRequest, err)
		return
	case errors.Is(err, ErrTimeout):
		httpjson.Error(w, http.StatusGatewayTimeout, err)
		return
	case err != nil:
		m.opts.Log.Error("action", slog.String("ensemble", e.ID), slog.String("text", *body.Text), slog.Any("error", err))
		httpjson.Error(w, http.StatusInternalServerError, err)
		return
	}
	// The State is built once for every answer waiting (stateBuilds); so
	// is its JSON. The body is a Result.
	httpjson.Write(w, http.StatusOK, struct {
		OK    bool            `json:"ok"`
		Reply *core.Reply     `json:"reply"`
		State json.RawMessage `json:"state"`
	}{true, rep, e.stateJSON()})
}

// watch registers v and returns the snapshot it starts from. NB: v is added
// before s.mu is released, so the fan-out's next flush, which takes the
// events after the snapshot, lists it.
func (e *Ensemble) watch(v *viewer, add bool) State {
	s := e.stream
	s.mu.Lock()
	d := s.snapshotLocked()
	v.reset(d.seq)
	s.vmu.Lock()
	select {
	case <-s.done:
		v.end("the ensemble has stopped")
	default:
		if add {
			s.viewers[v] = struct{}{}
		}
	}
	s.vmu.Unlock()
	s.mu.Unlock()
	sortInflight(d.inflight)
	return e.stateFrom(d)
}

func (e *Ensemble) unwatch(v *viewer, now time.Time) {
	s := e.stream
	s.vmu.Lock()
	delete(s.viewers, v)
	s.vmu.Unlock()
	e.mu.Lock()
	e.viewers--
	e.lastActive = now
	e.mu.Unlock()
}

func (m *Manager) serveEvents(w http.ResponseWriter, r *http.Request) {
	e := m.lookup(w, r)
	if e == nil {
		return
	}
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: m.opts.AllowedOrigins})
	if err != nil {
		m.opts.Log.Debug("websocket refused", slog.Any("error", err))
		return
	}
	defer c.CloseNow()
	e.mu.Lock()
	e.viewers++
	e.lastActive = m.opts.Now()
	e.mu.Unlock()
	v := newViewer(m.opts.ViewerBuffer)
	defer func() { e.unwatch(v, m.opts.Now()) }()
	ctx := c.CloseRead(r.Context())
	send := func(v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		wctx, cancel := context.WithTimeout(ctx, writeTimeout)
		defer cancel()
		return c.Write(wctx, websocket.MessageText, b)
	}
	snapshot := func(add bool) error {
		return send(map[string]any{"type": "snapshot", "state": e.watch(v, add)})
	}
	if snapshot(true) != nil {
		return
	}
	timer := time.NewTimer(0)
	<-timer.C
	last := time.Time{}
	for {
		select {
		case <-v.wake:
		case <-ctx.Done():
			return
		}
		if wait := batchEvery - time.Since(last); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-ctx.Done():
				return
			}
		}
		msg, dropped, ended, reason := v.take()
		switch {
		case ended:
			send(map[string]string{"type": "closed", "reason": reason})
			c.Close(websocket.StatusNormalClosure, truncate(reason, 100))
			return
		case dropped > 0:
			if send(map[string]any{"type": "gap", "dropped": dropped}) != nil || snapshot(false) != nil {
				return
			}
		case msg != nil:
			wctx, cancel := context.WithTimeout(ctx, writeTimeout)
			err := c.Write(wctx, websocket.MessageText, msg)
			cancel()
			if err != nil {
				return
			}
			last = time.Now()
		}
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
