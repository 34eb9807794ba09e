package node

import (
	"bufio"
	"encoding/json"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/ztree"
)

// The sink (zabplay node --events-fd) gets every event from the first one,
// before anyone could subscribe to the hub, one JSON line each, and nothing
// is held back: what a node did before it stopped is all in the pipe.
func TestEventSinkGetsEveryEventFromTheStart(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	defer pr.Close()
	n, err := Start(Config{ID: 1, Peers: map[core.NodeID]string{1: ln.Addr().String()}, Listener: ln,
		Store: &MemStore{}, EventSink: pw})
	require.NoError(t, err)
	waitFor(t, 5*time.Second, "it leads", func() (bool, string) { // a one-voter ensemble
		st := n.Status()
		return st.Role == core.Leading && st.Established, st.Role.String()
	})
	rep := request(t, n, ztree.OpCreate, "/a", "x")
	require.Equal(t, ztree.OK, rep.Err)
	require.NoError(t, n.Close())
	pw.Close()

	var kinds []core.EventKind
	sawCommit := false
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		var e core.Event
		require.NoError(t, json.Unmarshal(sc.Bytes(), &e), "%s", sc.Bytes())
		kinds = append(kinds, e.Kind)
		sawCommit = sawCommit || (e.Kind == core.EvDeliver && e.Zxid == rep.Zxid)
	}
	require.NotEmpty(t, kinds)
	assert.Equal(t, core.EvRole, kinds[0], "the first event is the start as looking: %v", kinds)
	assert.True(t, sawCommit, "the write's commit is in the pipe: %v", kinds)
}
