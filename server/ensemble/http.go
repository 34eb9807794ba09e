package ensemble

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
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

// Handler serves the API of README.md under /api/ensembles. Unknown paths
// are 404 and known paths with another method 405 (with Allow), as JSON.
func (m *Manager) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/ensembles", m.serveCreate)
	mux.HandleFunc("GET /api/ensembles/{id}", m.serveGet)
	mux.HandleFunc("DELETE /api/ensembles/{id}", m.serveDelete)
	mux.HandleFunc("POST /api/ensembles/{id}/actions", m.serveAction)
	mux.HandleFunc("GET /api/ensembles/{id}/events", m.serveEvents)
	return httpjson.API(mux, m.crossSite)
}

// authorize checks the request's capability token against e's in constant
// time (hashing both first, so their lengths do not show either).
func authorize(e *Ensemble, r *http.Request) error {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if h == "" || !ok || !strings.EqualFold(scheme, "Bearer") {
		return errors.New("acting on a live ensemble or deleting it takes the token its create answered " +
			"(Authorization: Bearer TOKEN); watching it takes none")
	}
	got, want := sha256.Sum256([]byte(strings.TrimSpace(tok))), sha256.Sum256([]byte(e.token))
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		return errors.New("wrong token for this ensemble: only the page that started it may act on it or delete it")
	}
	return nil
}

// fail answers an error, its message clipped so that no more than ~80
// bytes of any input come back.
func fail(w http.ResponseWriter, code int, err error) {
	var rl *ErrRate
	if errors.As(err, &rl) {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(rl.RetryAfter)))
	}
	httpjson.Error(w, code, errors.New(clipMessage(err.Error())))
}

// decode reads one JSON object of at most BodyMax bytes, with no unknown
// fields and nothing after it. Its errors name the field and what was
// wanted, never Go's types.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, BodyMax))
	var mb *http.MaxBytesError
	switch {
	case errors.As(err, &mb):
		return fmt.Errorf("request body over %d bytes", BodyMax)
	case err != nil:
		return fmt.Errorf("reading the request body: %v", err)
	}
	t := bytes.TrimSpace(b)
	switch {
	case len(t) == 0:
		return errors.New("empty request body: want a JSON object")
	case t[0] != '{':
		return fmt.Errorf("request body %q: want a JSON object", clip(string(t), 20))
	}
	dec := json.NewDecoder(bytes.NewReader(t))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return errors.New("malformed JSON body: more than one value")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("malformed JSON body: trailing data")
	}
	return nil
}

// jsonError says what is wrong with a body in the API's words.
func jsonError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("malformed JSON body at byte %d", se.Offset)
	case errors.As(err, &te):
		want := "another type"
		switch te.Type.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint32, reflect.Uint64:
			want = "a whole number"
		case reflect.String:
			want = "a string"
		case reflect.Struct, reflect.Map:
			want = "an object"
		}
		got := "a " + te.Value
		if te.Value != "" && strings.ContainsAny(te.Value[:1], "aeiou") {
			got = "an " + te.Value
		}
		if te.Field == "" {
			return fmt.Errorf("malformed JSON body: %s where %s was wanted", got, want)
		}
		return fmt.Errorf("malformed JSON body: %q is %s, want %s", clip(te.Field, 40), got, want)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("malformed JSON body: it ends too soon")
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return fmt.Errorf("malformed JSON body: unknown field %s", clip(f, 40))
	}
	return errors.New("malformed JSON body")
}

// clipMessage shortens every quoted string and every word of msg longer
// than 80 bytes: an error names the bad input, but never echoes 16 KB of it.
func clipMessage(msg string) string {
	const keep = 60
	var b strings.Builder
	for i := 0; i < len(msg); {
		if msg[i] == '"' {
			if q, err := strconv.QuotedPrefix(msg[i:]); err == nil {
				if s, err := strconv.Unquote(q); err == nil && len(q) > 80 {
					q = strconv.Quote(clip(s, keep)) + fmt.Sprintf(" (%d bytes)", len(s))
				}
				b.WriteString(q)
				i += len(q)
				continue
			}
		}
		j := i + 1
		for j < len(msg) && msg[j] != ' ' && msg[j] != '"' {
			j++
		}
		if w := msg[i:j]; len(w) > 80 {
			b.WriteString(clip(w, keep))
		} else {
			b.WriteString(w)
		}
		i = j
	}
	return b.String()
}

func (m *Manager) serveCreate(w http.ResponseWriter, r *http.Request) {
	client := m.clientOf(r)
	var body struct {
		Voters      *int   `json:"voters"`
		Observers   *int   `json:"observers"`
		LinkDelayMs *int   `json:"linkDelayMs"`
		Seed        uint64 `json:"seed"`
	}
	if err := decode(w, r, &body); err != nil {
		fail(w, http.StatusBadRequest, err)
		return
	}
	spec := Spec{Voters: 3, Seed: body.Seed}
	for _, f := range []struct {
		p   *int
		dst *int
	}{{body.Voters, &spec.Voters}, {body.Observers, &spec.Observers}, {body.LinkDelayMs, &spec.LinkDelayMs}} {
		if f.p != nil {
			*f.dst = *f.p
		}
	}
	if err := spec.Validate(); err != nil {
		fail(w, http.StatusBadRequest, err)
		return
	}
	if err := m.allow(nil, client); err != nil {
		fail(w, http.StatusTooManyRequests, err)
		return
	}
	e, err := m.Create(client, spec)
	switch {
	case errors.Is(err, ErrCap):
		fail(w, http.StatusTooManyRequests, err)
		return
	case err != nil:
		m.opts.Log.Error("create ensemble", slog.Any("error", err))
		fail(w, http.StatusServiceUnavailable, err)
		return
	}
	httpjson.Write(w, http.StatusCreated, struct {
		ID    string          `json:"id"`
		Token string          `json:"token"`
		State json.RawMessage `json:"state"`
	}{e.ID, e.token, e.stateJSON()})
}

// withID is the answer of create and GET, with the State already encoded.
type withID struct {
	ID    string          `json:"id"`
	State json.RawMessage `json:"state"`
}

func (m *Manager) lookup(w http.ResponseWriter, r *http.Request) *Ensemble {
	e, err := m.Get(r.PathValue("id"))
	if err != nil {
		fail(w, http.StatusNotFound, err)
		return nil
	}
	return e
}

// owned looks the ensemble up and checks the request's token: 404 unknown,
// 403 without its token.
func (m *Manager) owned(w http.ResponseWriter, r *http.Request) *Ensemble {
	e := m.lookup(w, r)
	if e == nil {
		return nil
	}
	if err := authorize(e, r); err != nil {
		fail(w, http.StatusForbidden, err)
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
	e := m.owned(w, r)
	if e == nil {
		return
	}
	if err := m.Delete(e.ID, "deleted"); err != nil {
		fail(w, http.StatusNotFound, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// ActionAnswer is the answer to an action: small (the State is not in it:
// the viewer's websocket brings the action's events, GET the State). Seq is
// the stream's position when the action was done.
type ActionAnswer struct {
	OK    bool        `json:"ok"`
	Reply *core.Reply `json:"reply"`
	Seq   uint64      `json:"seq"`
}

func (m *Manager) serveAction(w http.ResponseWriter, r *http.Request) {
	e := m.owned(w, r)
	if e == nil {
		return
	}
	if err := m.allow(e, m.clientOf(r)); err != nil {
		fail(w, http.StatusTooManyRequests, err)
		return
	}
	var body struct {
		Text *string `json:"text"`
	}
	if err := decode(w, r, &body); err != nil {
		fail(w, http.StatusBadRequest, err)
		return
	}
	if body.Text == nil {
		fail(w, http.StatusBadRequest, errors.New(`missing "text": want one statement, e.g. {"text":"crash s2"}`))
		return
	}
	e.touch(m.opts.Now())
	rep, err := e.Act(r.Context(), *body.Text)
	var ea *ErrAction
	switch {
	case errors.As(err, &ea):
		fail(w, http.StatusBadRequest, err)
		return
	case errors.Is(err, ErrTimeout):
		fail(w, http.StatusGatewayTimeout, err)
		return
	case err != nil:
		m.opts.Log.Error("action", slog.String("ensemble", e.ID), slog.String("text", clip(*body.Text, 80)), slog.Any("error", err))
		fail(w, http.StatusInternalServerError, err)
		return
	}
	httpjson.Write(w, http.StatusOK, ActionAnswer{OK: true, Reply: rep, Seq: e.stream.position()})
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
		v.end(s.reason)
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

func (e *Ensemble) unwatch(v *viewer) {
	s := e.stream
	s.vmu.Lock()
	delete(s.viewers, v)
	s.vmu.Unlock()
}

func (m *Manager) serveEvents(w http.ResponseWriter, r *http.Request) {
	e := m.lookup(w, r)
	if e == nil {
		return
	}
	client := m.clientOf(r)
	if err := m.addViewer(e, client); err != nil {
		fail(w, http.StatusTooManyRequests, err)
		return
	}
	defer m.removeViewer(e, client)
	// The server's read and write deadlines are for plain requests; a
	// websocket lives as long as its viewer (its writes have their own
	// timeout). NB: net/http's Hijack clears them too (Go 1.26); cleared here
	// so that a websocket never depends on it.
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Time{})
	rc.SetWriteDeadline(time.Time{})
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: m.opts.AllowedOrigins})
	if err != nil {
		m.opts.Log.Debug("websocket refused", slog.Any("error", err))
		return
	}
	defer c.CloseNow()
	v := newViewer(m.opts.ViewerBuffer)
	defer e.unwatch(v)
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
