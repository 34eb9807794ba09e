package node

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/server/transport"
)

// refusals is a slog handler that passes on the transport's "refusing
// connection" lines.
type refusals struct {
	mu    sync.Mutex
	whys  []string
	added chan struct{}
}

func (r *refusals) Enabled(context.Context, slog.Level) bool { return true }
func (r *refusals) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *refusals) WithGroup(string) slog.Handler            { return r }
func (r *refusals) Handle(_ context.Context, rec slog.Record) error {
	if rec.Message != "refusing connection" {
		return nil
	}
	rec.Attrs(func(a slog.Attr) bool {
		if a.Key == "why" {
			r.mu.Lock()
			r.whys = append(r.whys, a.Value.String())
			r.mu.Unlock()
			select {
			case r.added <- struct{}{}:
			default:
			}
		}
		return true
	})
	return nil
}

func (r *refusals) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.whys)
}

// rogueSetup runs server s1 of a 3-server ensemble for real; the test plays
// s2 and s3 with transports holding secret (nil: none).
func rogueSetup(t *testing.T, secret []byte) (*Node, *MemStore, *refusals, *Sub, map[core.NodeID]*transport.Transport) {
	addrs := map[core.NodeID]string{}
	lns := map[core.NodeID]net.Listener{}
	for i := core.NodeID(1); i <= 3; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		lns[i], addrs[i] = ln, ln.Addr().String()
	}
	store := &MemStore{}
	ref := &refusals{added: make(chan struct{}, 1)}
	n, err := Start(Config{
		ID: 1, Peers: addrs, Listener: lns[1], Secret: testSecret, Store: store,
		TickMs: 100, ClockMs: 10, InitLimit: 10, SyncLimit: 5, Seed: 1, Log: slog.New(ref),
	})
	require.NoError(t, err)
	t.Cleanup(func() { n.Close() })
	sub := n.Hub().Subscribe(4096) // before any rogue can connect
	rogues := map[core.NodeID]*transport.Transport{}
	for _, id := range []core.NodeID{2, 3} {
		tr, err := transport.New(transport.Config{ID: id, Peers: addrs, Listener: lns[id], Secret: secret, BackoffMax: 50 * time.Millisecond})
		require.NoError(t, err)
		t.Cleanup(func() { tr.Close() })
		rogues[id] = tr
	}
	return n, store, ref, sub, rogues
}

// electRogue makes s1 follow s3: s3 says it leads, s2 says it follows s3.
// It returns once s1 sent s3 its FOLLOWERINFO.
func electRogue(t *testing.T, rogues map[core.NodeID]*transport.Transport) {
	vote := core.Vote{Leader: 3, ElectionEpoch: 1, PeerEpoch: 1}
	resend := time.NewTicker(50 * time.Millisecond)
	defer resend.Stop()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case <-resend.C:
			rogues[3].Send(core.Message{Type: core.MsgNotification, From: 3, To: 1, State: core.Leading, Vote: vote})
			rogues[2].Send(core.Message{Type: core.MsgNotification, From: 2, To: 1, State: core.Following, Vote: vote})
		case <-rogues[2].Recv():
		case in := <-rogues[3].Recv():
			if !in.Lost && in.Msg.Type == core.MsgFollowerInfo {
				return
			}
		case <-deadline:
			t.Fatal("s1 never followed the rogue s3")
		}
	}
}

// TestForgedLeaderInfoNotPersisted: a peer that has the secret (so the
// transport lets it in) gets s1 to follow it and sends LEADERINFO with epoch
// 0xffffffff. s1 must refuse it: not persist it, not ACKEPOCH it. This is
// the core's epoch check (issue 8, section 2); the transport cannot tell a
// forged message from a real one once the sender is authenticated.
func TestForgedLeaderInfoNotPersisted(t *testing.T) {
	n, store, _, _, rogues := rogueSetup(t, testSecret)
	electRogue(t, rogues)
	st := n.Status()
	require.Equal(t, core.Following, st.Role)
	require.Equal(t, core.NodeID(3), st.Leader)

	rogues[3].Send(core.Message{Type: core.MsgLeaderInfo, From: 3, To: 1, Zxid: core.MakeZxid(0xffffffff, 0)})
	// s1 either acknowledges the epoch (the bug) or gives up following s3.
	deadline := time.After(10 * time.Second)
	poll := time.NewTicker(10 * time.Millisecond)
	defer poll.Stop()
	for done := false; !done; {
		select {
		case in := <-rogues[3].Recv():
			if !in.Lost && in.Msg.Type == core.MsgAckEpoch {
				t.Fatalf("s1 acknowledged the forged epoch: %s", core.Describe(in.Msg))
			}
		case <-rogues[2].Recv():
		case <-poll.C:
			st = n.Status()
			done = st.Role != core.Following || st.Leader != 3
		case <-deadline:
			t.Fatalf("s1 neither refused nor acknowledged the forged LEADERINFO: %+v", n.Status())
		}
	}
	assert.NoError(t, n.Err(), "s1 keeps running")
	d := store.Durable()
	assert.Zero(t, d.AcceptedEpoch, "acceptedEpoch on disk")
	assert.Zero(t, d.CurrentEpoch, "currentEpoch on disk")
	assert.NotEqual(t, core.Epoch(0xffffffff), n.Status().AcceptedEpoch, "acceptedEpoch in memory")
}

// TestRogueWithoutSecretCannotReachTheCore: the same attack without the
// secret never gets a message to s1's core.
func TestRogueWithoutSecretCannotReachTheCore(t *testing.T) {
	n, store, ref, sub, rogues := rogueSetup(t, nil)
	vote := core.Vote{Leader: 3, ElectionEpoch: 1, PeerEpoch: 1}
	rogues[3].Send(core.Message{Type: core.MsgNotification, From: 3, To: 1, State: core.Leading, Vote: vote})
	rogues[2].Send(core.Message{Type: core.MsgNotification, From: 2, To: 1, State: core.Following, Vote: vote})
	rogues[3].Send(core.Message{Type: core.MsgLeaderInfo, From: 3, To: 1, Zxid: core.MakeZxid(0xffffffff, 0)})
	// Both rogues dial s1 (the larger id dials) and are refused, again and again.
	deadline := time.After(10 * time.Second)
	for ref.count() < 4 {
		select {
		case <-ref.added:
		case <-deadline:
			t.Fatalf("s1 refused %d connections, want 4", ref.count())
		}
	}
	ref.mu.Lock()
	for _, why := range ref.whys {
		assert.True(t, strings.Contains(why, "requires the ensemble's shared secret"), why)
	}
	ref.mu.Unlock()
	st := n.Status()
	assert.Equal(t, core.Looking, st.Role)
	for _, l := range st.Links {
		assert.False(t, l.Connected, "link to %v", l.Peer)
	}
	assert.Zero(t, store.Durable().AcceptedEpoch)
	for drained := false; !drained; {
		select {
		case b := <-sub.C:
			assert.NotContains(t, string(b), `"kind":"deliver-msg"`, "nothing was delivered to s1")
		default:
			drained = true
		}
	}
}
