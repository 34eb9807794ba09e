package node

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/coder/websocket"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/ztree"
	"github.com/zabplay/zabplay/server/httpjson"
	"github.com/zabplay/zabplay/server/transport"
)

// RequestTimeout bounds POST /request when the caller sets no deadline.
const RequestTimeout = 10 * time.Second

// Handler serves the node's admin API:
//
//	GET    /status    the node's Status as JSON, with its view (core/view) in "view":
//	                  ?log=N and ?tree=N bound its log tail and tree (24 and 64),
//	                  each ?path=P adds that znode to view.asked
//	GET    /events    a websocket of trace events, one core.Event JSON per message
//	                  (t = ms since the node started), with {"kind":"gap","dropped":N}
//	                  where a slow reader lost events
//	POST   /request   {"op":"create","path":"/a","data":"x"} → the core.Reply JSON
//	                  (also "version", "session", "cxid", "minZxid", "ephemeral", "sequential")
//	GET    /faults    the links and their faults
//	POST   /faults    {"peer":2,"dir":"out|in|both","cut":true,"delayMs":300,"lossPct":10}
//	                  sets that direction's faults (fields left out are zero)
//	DELETE /faults    heals every link
//
// Every request's Host must name this admin (AdminOptions: a guard against
// DNS rebinding, 403 otherwise), and POST and DELETE need Content-Type
// application/json (415 otherwise), which a browser cannot send cross-site
// without a CORS preflight this API never grants.
func (n *Node) Handler(o AdminOptions) http.Handler {
	originPatterns := o.Origins
	if originPatterns == nil {
		originPatterns = []string{"localhost:*", "127.0.0.1:*", "[::1]:*"}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /status", n.serveStatus)
	mux.HandleFunc("GET /events", func(w http.ResponseWriter, r *http.Request) { n.serveEvents(w, r, originPatterns) })
	mux.HandleFunc("POST /request", n.serveRequest)
	mux.HandleFunc("GET /faults", func(w http.ResponseWriter, r *http.Request) { httpjson.Write(w, http.StatusOK, n.Links()) })
	mux.HandleFunc("POST /faults", n.serveFaults)
	mux.HandleFunc("DELETE /faults", func(w http.ResponseWriter, r *http.Request) {
		n.Heal()
		httpjson.Write(w, http.StatusOK, n.Links())
	})
	return n.guard(o, mux)
}

// RequestBody is the JSON of POST /request.
type RequestBody struct {
	Op         string    `json:"op"`
	Path       string    `json:"path,omitempty"`
	Data       string    `json:"data,omitempty"`
	Version    *int32    `json:"version,omitempty"`
	Session    int64     `json:"session,omitempty"`
	Cxid       uint32    `json:"cxid,omitempty"`
	MinZxid    core.Zxid `json:"minZxid,omitempty"`
	Ephemeral  bool      `json:"ephemeral,omitempty"`
	Sequential bool      `json:"sequential,omitempty"`
}

// Request builds the core request.
func (b RequestBody) Request() (core.Request, error) {
	op, err := ztree.ParseOp(b.Op)
	if err != nil {
		return core.Request{}, err
	}
	if op != ztree.OpSync {
		if err := ztree.ValidatePath(b.Path); err != nil {
			return core.Request{}, err
		}
	}
	v := int32(-1)
	if b.Version != nil {
		v = *b.Version
	}
	return core.Request{Session: b.Session, Cxid: b.Cxid, MinZxid: b.MinZxid, Request: ztree.Request{
		Op: op, Path: b.Path, Data: b.Data, Version: v, Ephemeral: b.Ephemeral, Sequential: b.Sequential, Session: b.Session,
	}}, nil
}

func (n *Node) serveRequest(w http.ResponseWriter, r *http.Request) {
	var body RequestBody
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		httpjson.Error(w, http.StatusBadRequest, err)
		return
	}
	req, err := body.Request()
	if err != nil {
		httpjson.Error(w, http.StatusBadRequest, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), RequestTimeout)
	defer cancel()
	rep, err := n.Request(ctx, req)
	switch {
	case errors.Is(err, ErrStopped):
		httpjson.Error(w, http.StatusServiceUnavailable, err)
	case err != nil:
		httpjson.Error(w, http.StatusGatewayTimeout, err)
	default:
		httpjson.Write(w, http.StatusOK, rep)
	}
}

// FaultsBody is the JSON of POST /faults.
type FaultsBody struct {
	Peer core.NodeID `json:"peer"`
	Dir  string      `json:"dir,omitempty"`
	transport.Faults
}

func (n *Node) serveFaults(w http.ResponseWriter, r *http.Request) {
	var body FaultsBody
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		httpjson.Error(w, http.StatusBadRequest, err)
		return
	}
	d, err := transport.ParseDir(body.Dir)
	if err == nil {
		err = n.SetFaults(body.Peer, d, body.Faults)
	}
	if err != nil {
		httpjson.Error(w, http.StatusBadRequest, err)
		return
	}
	httpjson.Write(w, http.StatusOK, n.Links())
}

// eventBuffer is how many events a websocket reader may fall behind by.
const eventBuffer = 1024

func (n *Node) serveEvents(w http.ResponseWriter, r *http.Request, origins []string) {
	// Subscribe before the handshake completes: a client whose Dial returned
	// sees every event after it.
	sub := n.hub.Subscribe(eventBuffer)
	defer sub.Close()
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: origins})
	if err != nil {
		n.log.Debug("websocket refused", slog.Any("error", err))
		return
	}
	defer c.CloseNow()
	ctx := c.CloseRead(r.Context())
	for {
		select {
		case b, ok := <-sub.C:
			if !ok {
				c.Close(websocket.StatusGoingAway, "server stopping")
				return
			}
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err := c.Write(wctx, websocket.MessageText, b)
			cancel()
			if err != nil {
				return
			}
		case <-ctx.Done():
			return
		}
	}
}
