package ensemble

import (
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/view"
	"github.com/zabplay/zabplay/core/ztree"
)

// A live server restarted on an existing data dir shows its real log tail
// and tree in State before anything new is written, though this ensemble's
// stream never saw those txns: its view comes from the server, not from
// the events. (Before core/view, State drew logs and trees from the txns the
// stream had seen proposed and committed, so this server showed none.)
func TestRestartShowsDiskLogAndTree(t *testing.T) {
	t.Run("in process", func(t *testing.T) { restartShowsDisk(t, testOptions(t)) })
	t.Run("process", func(t *testing.T) {
		if runtime.GOOS != "linux" {
			t.Skip("process mode needs Linux")
		}
		if testing.Short() {
			t.Skip("builds zabplay; not with -short")
		}
		o := testOptions(t)
		o.Mode, o.NodeBinary = Process, buildZabplay(t)
		restartShowsDisk(t, o)
	})
}

func restartShowsDisk(t *testing.T, o Options) {
	a := newAPI(t, o)

	// Ensemble A writes three txns to its one server's disk, then crashes it.
	ida := a.create(`{"voters":1}`)
	a.waitState(ida, 15*time.Second, "a leader", synced)
	var zxids []core.Zxid
	for _, text := range []string{"create /a one", "create /b two", "set /a uno"} {
		r := a.mustAct(ida, text)
		require.NotNil(t, r.Reply)
		require.Equal(t, ztree.OK, r.Reply.Err, text)
		zxids = append(zxids, r.Reply.Zxid)
	}
	a.mustAct(ida, "crash s1")
	ea, err := a.m.Get(ida)
	require.NoError(t, err)

	// Ensemble B's server is crashed, given A's data dir, and restarted.
	idb := a.create(`{"voters":1}`)
	a.waitState(idb, 15*time.Second, "a leader", synced)
	eb, err := a.m.Get(idb)
	require.NoError(t, err)
	a.mustAct(idb, "crash s1")
	dir := eb.members[0].dir
	require.NoError(t, os.RemoveAll(dir))
	require.NoError(t, os.CopyFS(dir, os.DirFS(ea.members[0].dir)))
	r := a.mustAct(idb, "restart s1")

	st := r.State // a GET right after the restart
	s := st.Servers[0]
	require.True(t, s.Up, "s1 restarted: %+v", s)
	var got []core.Zxid
	for _, l := range s.Log {
		got = append(got, l.Zxid)
		assert.True(t, l.Committed, "%v was applied before the crash", l.Zxid)
	}
	assert.Equal(t, zxids, got, "s1's log tail is the txns on its disk")
	require.Len(t, s.Log, 3)
	assert.Equal(t, `create /a "one"`, s.Log[0].Text)
	assert.Equal(t, zxids[2], s.LastZxid)
	assert.Equal(t, []view.ZNode{{Path: "/a", Data: "uno", Version: 1}, {Path: "/b", Data: "two"}}, s.Tree)
	assert.Equal(t, 2, s.TreeCount)
	assert.Equal(t, len("uno")+len("two"), s.TreeBytes)
	assert.Equal(t, 2, st.ActionsTotal, "nothing was written to B: it was created, crashed and restarted")

	// It leads again on what it restored, and the next write follows it.
	st = a.waitState(idb, 15*time.Second, "s1 leads", synced)
	require.Equal(t, core.NodeID(1), st.Leader)
	w := a.mustAct(idb, "create /c three")
	require.Equal(t, ztree.OK, w.Reply.Err)
	st = a.waitState(idb, 5*time.Second, "/c in s1's tree", func(st State) (bool, string) {
		return len(st.Servers[0].Tree) == 3, fmt.Sprintf("tree %v", st.Servers[0].Tree)
	})
	log := st.Servers[0].Log
	assert.Equal(t, w.Reply.Zxid, log[len(log)-1].Zxid)
	assert.Greater(t, w.Reply.Zxid.Epoch(), zxids[2].Epoch(), "a new epoch")
}
