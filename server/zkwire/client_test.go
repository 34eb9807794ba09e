package zkwire

import (
	"bytes"
	"errors"
	"net"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// These tests put a real client, go-zookeeper v1.0.4, in front of a
// scripted peer built only from this package: no server logic, just the
// wire. Every frame the client writes goes through ReadFirst/ReadFrame and
// DecodeRequest, every answer is made by AppendConnectResponse, AppendReply
// or AppendNotification, and the client's results are checked.

type nopLogger struct{}

func (nopLogger) Printf(string, ...any) {}

type captured struct {
	h   RequestHeader
	rec Record
}

// scriptedPeer accepts connections and answers each request from a fixed
// script (answer), recording what it decoded.
type scriptedPeer struct {
	t        *testing.T
	ln       net.Listener
	sid      int64
	passwd   []byte
	connects chan ConnectRequest
	rawFirst chan []byte
	reqs     chan captured

	mu   sync.Mutex
	conn net.Conn
	zxid int64
}

func newScriptedPeer(t *testing.T) *scriptedPeer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &scriptedPeer{
		t: t, ln: ln, sid: 0x1000abcd12345678, passwd: []byte("zabplay-password"),
		connects: make(chan ConnectRequest, 4), rawFirst: make(chan []byte, 4),
		reqs: make(chan captured, 256), zxid: 0x100000000,
	}
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		if p.conn != nil {
			p.conn.Close()
		}
		p.mu.Unlock()
	})
	go p.accept()
	return p
}

func (p *scriptedPeer) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.conn = c
		p.mu.Unlock()
		p.serve(c)
	}
}

func (p *scriptedPeer) write(b []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn != nil {
		p.conn.Write(b)
	}
}

// dropConnection closes the client's connection as a crashed server would.
func (p *scriptedPeer) dropConnection() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.conn.Close()
}

func (p *scriptedPeer) serve(c net.Conn) {
	defer c.Close()
	fr := NewFrameReader(c, 0)
	first, word, err := fr.ReadFirst()
	if err != nil || word != "" {
		p.t.Errorf("first frame: %v %q", err, word)
		return
	}
	p.rawFirst <- append([]byte(nil), first...)
	cr, err := DecodeConnectRequest(first)
	if err != nil {
		p.t.Errorf("ConnectRequest from go-zookeeper: %v", err)
		return
	}
	p.connects <- cr
	p.write(AppendConnectResponse(nil, ConnectResponse{
		TimeOut: 1500, SessionID: p.sid, Passwd: p.passwd, HasReadOnly: cr.HasReadOnly,
	}))
	for {
		frame, err := fr.ReadFrame()
		if err != nil {
			return // the client went away, or the test dropped it
		}
		h, rec, err := DecodeRequest(frame)
		if err != nil {
			p.t.Errorf("request from go-zookeeper %x: %v", frame, err)
			return
		}
		p.reqs <- captured{h, rec}
		code, body := p.answer(h, rec)
		p.mu.Lock()
		zxid := p.zxid
		p.mu.Unlock()
		if h.Type == OpAuth {
			// ZooKeeperServer.processPacket answers auth with zxid 0. It
			// matters: go-zookeeper records a reply's zxid unless it is 0,
			// and when it re-sends credentials after a reconnect its
			// recvLoop would write lastZxid while sendSetWatches reads it,
			// a data race inside go-zookeeper v1.0.4.
			zxid = 0
		}
		p.write(AppendReply(nil, ReplyHeader{Xid: h.Xid, Zxid: zxid, Err: code}, body))
		if h.Type == OpCloseSession {
			return
		}
	}
}

func (p *scriptedPeer) bump() {
	p.mu.Lock()
	p.zxid++
	p.mu.Unlock()
}

// answer is the script: what a server would say, without any state.
func (p *scriptedPeer) answer(h RequestHeader, rec Record) (ErrCode, Record) {
	switch r := rec.(type) {
	case *CreateRequest:
		p.bump()
		path := r.Path
		if r.Flags.Sequential() {
			path += "0000000001"
		}
		return ErrOk, &CreateResponse{Path: path}
	case *GetDataRequest:
		return ErrOk, &GetDataResponse{Data: []byte("hello"), Stat: testStat}
	case *SetDataRequest:
		p.bump()
		st := testStat
		st.Version = r.Version + 1
		return ErrOk, &SetDataResponse{Stat: st}
	case *GetChildren2Request:
		return ErrOk, &GetChildren2Response{Children: []string{"a", "zookeeper"}, Stat: testStat}
	case *ExistsRequest:
		return ErrNoNode, nil
	case *DeleteRequest:
		return ErrBadVersion, nil
	case *SyncRequest:
		return ErrOk, &SyncResponse{Path: r.Path}
	case *MultiRequest:
		p.bump()
		var res MultiResponse
		for _, op := range r.Ops {
			switch o := op.Req.(type) {
			case *CreateRequest:
				res.Results = append(res.Results, OpResult{Type: OpCreate, Path: o.Path})
			case *SetDataRequest:
				res.Results = append(res.Results, OpResult{Type: OpSetData, Stat: testStat})
			default:
				res.Results = append(res.Results, OpResult{Type: op.Type})
			}
		}
		return ErrOk, &res
	}
	return ErrOk, &EmptyResponse{} // ping, auth, setWatches, closeSession
}

// next returns the next request the peer decoded, skipping pings.
func (p *scriptedPeer) next(t *testing.T) captured {
	t.Helper()
	for {
		select {
		case c := <-p.reqs:
			if c.h.Type == OpPing {
				continue
			}
			return c
		case <-time.After(10 * time.Second):
			t.Fatal("no request from the client")
		}
	}
}

func waitState(t *testing.T, events <-chan zk.Event, want zk.State) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.State == want {
				return
			}
		case <-timeout:
			t.Fatalf("client never reached %v", want)
		}
	}
}

func TestGoZookeeperClient(t *testing.T) {
	p := newScriptedPeer(t)
	conn, events, err := zk.Connect([]string{p.ln.Addr().String()}, 4*time.Second, zk.WithLogger(nopLogger{}))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	// The handshake: go-zookeeper's ConnectRequest, byte for byte, then our
	// ConnectResponse makes a session the client reports.
	raw := <-p.rawFirst
	want := unhex(t, "00000000 0000000000000000 00000fa0 0000000000000000 00000010 00000000000000000000000000000000")
	if !bytes.Equal(raw, want) {
		t.Errorf("go-zookeeper's ConnectRequest %x, want %x", raw, want)
	}
	cr := <-p.connects
	if !reflect.DeepEqual(cr, ConnectRequest{TimeOut: 4000, Passwd: make([]byte, 16)}) {
		t.Errorf("decoded %+v", cr)
	}
	if cr.HasReadOnly {
		t.Error("go-zookeeper v1.0.4 sent a readOnly byte: it did not before")
	}
	waitState(t, events, zk.StateHasSession)
	if got := conn.SessionID(); got != p.sid {
		t.Fatalf("client's session id %#x, want %#x", got, p.sid)
	}

	// create (ephemeral sequential, OPEN_ACL_UNSAFE).
	path, err := conn.Create("/app", []byte("hello"), zk.FlagEphemeralSequential, zk.WorldACL(zk.PermAll))
	c := p.next(t)
	wantCreate := &CreateRequest{Path: "/app", Data: []byte("hello"), ACL: OpenACLUnsafe(), Flags: ModeEphemeralSequential}
	if c.h.Type != OpCreate || c.h.Xid <= 0 || !reflect.DeepEqual(c.rec, wantCreate) {
		t.Errorf("create sent %+v %+v", c.h, c.rec)
	}
	if err != nil || path != "/app0000000001" {
		t.Errorf("Create = %q, %v", path, err)
	}

	// getData: the Stat's 11 fields arrive in the client's Stat.
	data, st, err := conn.Get("/app")
	if c := p.next(t); c.h.Type != OpGetData || !reflect.DeepEqual(c.rec, &GetDataRequest{Path: "/app"}) {
		t.Errorf("get sent %+v %+v", c.h, c.rec)
	}
	wantStat := zk.Stat{Czxid: testStat.Czxid, Mzxid: testStat.Mzxid, Ctime: testStat.Ctime, Mtime: testStat.Mtime,
		Version: testStat.Version, Cversion: testStat.Cversion, Aversion: testStat.Aversion,
		EphemeralOwner: testStat.EphemeralOwner, DataLength: testStat.DataLength,
		NumChildren: testStat.NumChildren, Pzxid: testStat.Pzxid}
	if err != nil || string(data) != "hello" || st == nil || *st != wantStat {
		t.Errorf("Get = %q %+v %v", data, st, err)
	}

	// setData.
	st, err = conn.Set("/app", []byte("v2"), 3)
	if c := p.next(t); !reflect.DeepEqual(c.rec, &SetDataRequest{Path: "/app", Data: []byte("v2"), Version: 3}) {
		t.Errorf("set sent %+v", c.rec)
	}
	if err != nil || st.Version != 4 {
		t.Errorf("Set = %+v %v", st, err)
	}

	// getChildren (go-zookeeper uses getChildren2).
	kids, st, err := conn.Children("/")
	if c := p.next(t); c.h.Type != OpGetChildren2 || !reflect.DeepEqual(c.rec, &GetChildren2Request{Path: "/"}) {
		t.Errorf("children sent %+v %+v", c.h, c.rec)
	}
	if err != nil || !reflect.DeepEqual(kids, []string{"a", "zookeeper"}) || st.Pzxid != testStat.Pzxid {
		t.Errorf("Children = %v %+v %v", kids, st, err)
	}

	// An error code becomes the client's error.
	err = conn.Delete("/app", 7)
	if c := p.next(t); !reflect.DeepEqual(c.rec, &DeleteRequest{Path: "/app", Version: 7}) {
		t.Errorf("delete sent %+v", c.rec)
	}
	if !errors.Is(err, zk.ErrBadVersion) {
		t.Errorf("Delete = %v, want %v", err, zk.ErrBadVersion)
	}

	// sync.
	sp, err := conn.Sync("/app")
	if c := p.next(t); c.h.Type != OpSync || !reflect.DeepEqual(c.rec, &SyncRequest{Path: "/app"}) {
		t.Errorf("sync sent %+v %+v", c.h, c.rec)
	}
	if err != nil || sp != "/app" {
		t.Errorf("Sync = %q %v", sp, err)
	}

	// multi: four kinds of op, one result each.
	res, err := conn.Multi(
		&zk.CreateRequest{Path: "/m", Data: []byte("1"), Acl: zk.WorldACL(zk.PermAll), Flags: 0},
		&zk.SetDataRequest{Path: "/m", Data: []byte("2"), Version: 0},
		&zk.CheckVersionRequest{Path: "/m", Version: 1},
		&zk.DeleteRequest{Path: "/m", Version: -1},
	)
	c = p.next(t)
	wantMulti := &MultiRequest{Ops: []MultiOp{
		{Type: OpCreate, Req: &CreateRequest{Path: "/m", Data: []byte("1"), ACL: OpenACLUnsafe()}},
		{Type: OpSetData, Req: &SetDataRequest{Path: "/m", Data: []byte("2")}},
		{Type: OpCheck, Req: &CheckVersionRequest{Path: "/m", Version: 1}},
		{Type: OpDelete, Req: &DeleteRequest{Path: "/m", Version: -1}},
	}}
	if c.h.Type != OpMulti || !reflect.DeepEqual(c.rec, wantMulti) {
		t.Errorf("multi sent %+v %+v", c.h, c.rec)
	}
	if err != nil || len(res) != 4 || res[0].String != "/m" || res[1].Stat == nil || *res[1].Stat != wantStat {
		t.Errorf("Multi = %+v %v", res, err)
	}

	// auth: go-zookeeper sends an AuthPacket with an ordinary xid.
	if err := conn.AddAuth("digest", []byte("u:p")); err != nil {
		t.Errorf("AddAuth: %v", err)
	}
	if c := p.next(t); c.h.Type != OpAuth || c.h.Xid <= 0 || !reflect.DeepEqual(c.rec, &AuthPacket{Scheme: "digest", Auth: []byte("u:p")}) {
		t.Errorf("auth sent %+v %+v", c.h, c.rec)
	}

	// A watch, then a notification (xid -1) fires it.
	ok, _, watch, err := conn.ExistsW("/later")
	if c := p.next(t); !reflect.DeepEqual(c.rec, &ExistsRequest{Path: "/later", Watch: true}) {
		t.Errorf("exists sent %+v", c.rec)
	}
	if ok || err != nil {
		t.Fatalf("ExistsW = %v %v", ok, err)
	}
	p.write(AppendNotification(nil, -1, WatcherEvent{Type: EventNodeCreated, State: StateSyncConnected, Path: "/later"}))
	select {
	case ev := <-watch:
		if ev.Type != zk.EventNodeCreated || ev.Path != "/later" || ev.State != zk.StateSyncConnected {
			t.Errorf("watch event %+v", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the notification never fired the client's watch")
	}

	// A ping (xid -2, no body) arrives within the ping interval (the
	// negotiated 1500 ms timeout: every 500 ms).
	deadline := time.After(10 * time.Second)
	for pinged := false; !pinged; {
		select {
		case c := <-p.reqs:
			pinged = c.h == RequestHeader{Xid: XidPing, Type: OpPing}
			if !pinged {
				t.Errorf("unexpected %+v %+v", c.h, c.rec)
			}
		case <-deadline:
			t.Fatal("no ping")
		}
	}

	// Reconnect: a new watch, the connection drops, the client comes back
	// with its session id, password and last zxid, and re-sets the watch.
	_, _, _, err = conn.ExistsW("/again")
	p.next(t)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	lastZxid := p.zxid
	p.mu.Unlock()
	p.dropConnection()
	cr = <-p.connects
	if cr.SessionID != p.sid || !bytes.Equal(cr.Passwd, p.passwd) || cr.LastZxidSeen != lastZxid {
		t.Errorf("reconnect %+v, want session %#x, our password, last zxid %#x", cr, p.sid, lastZxid)
	}
	// It re-submits its credentials and re-sets its watches, both with
	// ordinary xids (the Java client uses -4 and -8).
	var sawAuth, sawWatches bool
	for range 2 {
		c := p.next(t)
		switch c.h.Type {
		case OpAuth:
			sawAuth = c.h.Xid > 0 && reflect.DeepEqual(c.rec, &AuthPacket{Scheme: "digest", Auth: []byte("u:p")})
		case OpSetWatches:
			sawWatches = c.h.Xid > 0 && reflect.DeepEqual(c.rec, &SetWatchesRequest{
				RelativeZxid: lastZxid, DataWatches: []string{}, ExistWatches: []string{"/again"}, ChildWatches: []string{},
			})
		}
		if !sawAuth && !sawWatches {
			t.Errorf("after reconnect %+v %+v", c.h, c.rec)
		}
	}
	if !sawAuth || !sawWatches {
		t.Errorf("after reconnect: auth re-sent %v, watches re-set %v", sawAuth, sawWatches)
	}

	// close: closeSession with no body.
	conn.Close()
	for {
		c := p.next(t)
		if c.h.Type == OpCloseSession {
			if !reflect.DeepEqual(c.rec, &EmptyRequest{}) {
				t.Errorf("close sent %+v", c.rec)
			}
			break
		}
	}
}
