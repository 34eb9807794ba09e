package ensemble

import (
	"testing"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/view"
)

// A message sent to a crashed server is never delivered nor dropped: it is
// not tracked as in flight (after a failover the LOOKING servers'
// NOTIFICATIONs to the down server came back with every state, about once a
// second); once the server restarts, messages to it are tracked again.
func TestInflightSkipsDownServer(t *testing.T) {
	s := &stream{inflight: map[uint64]view.Inflight{}, down: map[core.NodeID]bool{}, lastSync: map[core.NodeID]string{}}
	s.track(core.Event{Kind: core.EvSend, ID: 1, Node: 1, Peer: 3, Msg: core.MsgNotification, At: 10, Arrive: 310})
	s.track(core.Event{Kind: core.EvCrash, Node: 3, At: 20})
	if len(s.inflight) != 0 {
		t.Fatalf("after s3 crashed: %d messages in flight, want 0", len(s.inflight))
	}
	s.track(core.Event{Kind: core.EvSend, ID: 2, Node: 1, Peer: 3, Msg: core.MsgNotification, At: 30, Arrive: 330})
	s.track(core.Event{Kind: core.EvSend, ID: 3, Node: 1, Peer: 2, Msg: core.MsgNotification, At: 30, Arrive: 330})
	if _, ok := s.inflight[2]; ok || len(s.inflight) != 1 {
		t.Fatalf("in flight %v: want only the message to s2", s.inflight)
	}
	s.track(core.Event{Kind: core.EvRestart, Node: 3, At: 40})
	s.track(core.Event{Kind: core.EvSend, ID: 4, Node: 1, Peer: 3, Msg: core.MsgNotification, At: 50, Arrive: 350})
	if _, ok := s.inflight[4]; !ok {
		t.Fatalf("after s3 restarted: the message to it is not tracked")
	}
}
