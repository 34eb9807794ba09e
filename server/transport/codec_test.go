package transport

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/ztree"
)

func sampleTree(t testing.TB) *ztree.Tree {
	tr := ztree.New()
	tr.Apply(0x100000001, ztree.Txn{Op: ztree.OpCreateSession, Session: 7, Timeout: 3000})
	tr.Apply(0x100000002, ztree.Txn{Op: ztree.OpCreate, Path: "/a", Data: "hello", ParentCVersion: -1})
	tr.Apply(0x100000003, ztree.Txn{Op: ztree.OpCreate, Path: "/a/e", Data: "x", EphemeralOwner: 7, ParentCVersion: -1})
	require.Equal(t, 3, tr.Len())
	return tr
}

func sampleMessages(t testing.TB) []core.Message {
	txn := &core.Txn{Zxid: core.MakeZxid(3, 5), Origin: 2, Cxid: 9, Txn: ztree.Txn{Op: ztree.OpSetData, Path: "/a", Data: "bye\x00é", Version: 4, Session: -12, Err: ztree.NoNode}}
	req := &core.Request{Session: 1<<56 | 3, Cxid: 4, MinZxid: 0x300000001, Origin: 3, Request: ztree.Request{Op: ztree.OpCreate, Path: "/b", Data: "d", Version: -1, Sequential: true, Ephemeral: true, Session: 5}}
	return []core.Message{
		{Type: core.MsgNotification, From: 1, To: 2, State: core.Looking, Vote: core.Vote{Leader: 3, Zxid: 0x200000007, ElectionEpoch: 12, PeerEpoch: 2}},
		{Type: core.MsgAckEpoch, From: 2, To: 1, Zxid: 0x200000007, Epoch: core.NoEpoch},
		{Type: core.MsgAckEpoch, From: 6, To: 1, Zxid: 0x2a00000008, Epoch: 0x2b, WantSnap: true},
		{Type: core.MsgProposal, From: 1, To: 3, Zxid: txn.Zxid, Txn: txn},
		{Type: core.MsgSnap, From: 1, To: 2, Zxid: 0x300000003, Snap: &core.Snapshot{Zxid: 0x300000003, TxnZxid: 0x300000002, Digest: 0xdeadbeefcafef00d, Tree: sampleTree(t)}},
		{Type: core.MsgRequest, From: 2, To: 1, Req: req},
		{Type: core.MsgPing, From: 1, To: 2, Zxid: core.MakeZxid(0xffffffff, 0xffffffff)},
		{Type: core.MsgPing, From: 2, To: 1, Zxid: 0x300000001, Touches: &[]core.Touch{{Session: 1<<56 | 7, TimeoutMs: 4000}, {Session: -3, TimeoutMs: 0}}},
		{Type: core.MsgRevalidate, From: 2, To: 1, Connect: &core.Connect{Conn: 99, Session: 2<<56 | 1, TimeoutMs: 6000}},
		{Type: core.MsgRevalidate, From: 1, To: 2, Connect: &core.Connect{Conn: 99, Session: 2<<56 | 1, Valid: true}},
		{Type: core.MsgRequest, From: 2, To: 1, Req: &core.Request{Session: 2<<56 | 1, Cxid: 5, Origin: 2, Connected: true,
			Request: ztree.Request{Op: ztree.OpMulti, Session: 2<<56 | 1, Ops: []ztree.Request{
				{Op: ztree.OpCreate, Path: "/m", Data: "x", Ephemeral: true, Sequential: true},
				{Op: ztree.OpCheck, Path: "/a", Version: 3},
			}}}},
		{Type: core.MsgRequest, From: 2, To: 1, Req: &core.Request{Session: 9, Cxid: 6, Origin: 2,
			Request: ztree.Request{Op: ztree.OpGetData, Path: "/w", Watch: true, Session: 9}}},
	}
}

func TestMessageRoundTrip(t *testing.T) {
	for _, m := range sampleMessages(t) {
		b, err := MsgBody(nil, 42, m)
		require.NoError(t, err)
		frames, err := DecodeFrames(AppendFrame(nil, FrameMsg, b))
		require.NoError(t, err)
		require.Len(t, frames, 1)
		id, got, err := ParseMsg(frames[0].Body)
		require.NoError(t, err, core.Describe(m))
		assert.Equal(t, uint64(42), id)
		if m.Snap != nil {
			require.NotNil(t, got.Snap)
			assert.Equal(t, m.Snap.Tree.Hash(), got.Snap.Tree.Hash())
			assert.Equal(t, m.Snap.Tree.Paths(), got.Snap.Tree.Paths())
			ms, gs := *m.Snap, *got.Snap
			ms.Tree, gs.Tree = nil, nil
			assert.Equal(t, ms, gs)
			m.Snap, got.Snap = nil, nil
		}
		assert.Equal(t, m, got, "round trip of %s", core.Describe(m))
	}
}

func TestLocalInputsNeverTravel(t *testing.T) {
	for _, typ := range []core.MsgType{core.MsgNone, core.MsgPersisted, core.MsgConnLost, core.MsgClientRequest, core.MsgConnect, core.MsgDisconnect} {
		_, err := AppendMessage(nil, core.Message{Type: typ})
		assert.Error(t, err, typ.String())
		_, err = DecodeMessage([]byte{byte(typ), 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0})
		assert.Error(t, err, typ.String())
	}
}

func TestBadFrames(t *testing.T) {
	good := AppendFrame(nil, FrameHello, newHello(false, 2, 1).body())
	for name, b := range map[string][]byte{
		"version":   append([]byte{9}, good[1:]...),
		"type":      append([]byte{Version, 77}, good[2:]...),
		"too long":  {Version, byte(FrameMsg), 0xff, 0xff, 0xff, 0xff},
		"big hello": {Version, byte(FrameHello), 0, 0, 1, 0},
		"big auth":  {Version, byte(FrameAuth), 0, 0, 0, maxAuth + 1},
		"truncated": good[:len(good)-1],
	} {
		_, err := DecodeFrames(b)
		assert.ErrorIs(t, err, ErrFrame, name)
		_, err = ReadFrame(bytes.NewReader(b))
		assert.Error(t, err, name)
	}
	// Every prefix of a valid message fails cleanly.
	for _, m := range sampleMessages(t) {
		b, err := AppendMessage(nil, m)
		require.NoError(t, err)
		for i := range b {
			_, err := DecodeMessage(b[:i])
			assert.Error(t, err, "%s cut at %d", core.Describe(m), i)
		}
		_, err = DecodeMessage(append(b, 0))
		assert.Error(t, err, "trailing byte")
	}
}

// FuzzDecode feeds arbitrary bytes to the frame and message decoders: they
// must return an error or a message that encodes back, never panic.
func FuzzDecode(f *testing.F) {
	for _, m := range sampleMessages(f) {
		b, _ := MsgBody(nil, 1, m)
		f.Add(AppendFrame(nil, FrameMsg, b))
	}
	f.Add(AppendFrame(nil, FrameHello, newHello(true, 3, 1).body()))
	f.Add(AppendFrame(nil, FrameAuth, make([]byte, maxAuth)))
	f.Fuzz(func(t *testing.T, b []byte) {
		frames, _ := DecodeFrames(b)
		ReadFrame(bytes.NewReader(b))
		for _, fr := range frames {
			parseHello(fr.Body)
			_, m, err := ParseMsg(fr.Body)
			if err != nil {
				continue
			}
			if _, err := AppendMessage(nil, m); err != nil {
				t.Fatalf("decoded %s does not encode: %v", core.Describe(m), err)
			}
		}
		DecodeMessage(b)
	})
}
