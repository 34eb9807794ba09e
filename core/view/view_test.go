package view

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/ztree"
)

// restored starts server 1 of three from a disk whose log holds txns (epoch
// 3, counters from 1): the state a live server is in when it restarts on
// an existing data dir, before anyone has sent it anything.
func restored(t *testing.T, txns []ztree.Txn) *core.Node {
	t.Helper()
	d := core.Durable{AcceptedEpoch: 3, CurrentEpoch: 3}
	for i, tx := range txns {
		d.Log = append(d.Log, core.Entry{Txn: core.Txn{Zxid: core.MakeZxid(3, uint32(i+1)), Txn: tx}})
	}
	return core.NewNode(core.Config{ID: 1, Voters: []core.NodeID{1, 2, 3}, Rand: rand.New(rand.NewPCG(1, 1)), Restore: d})
}

func create(path, data string) ztree.Txn {
	return ztree.Txn{Op: ztree.OpCreate, Path: path, Data: data, ParentCVersion: -1}
}

// A server restored from its disk shows its real log tail (the last
// LogTail txns, committed since it applied them) and its tree: the first
// TreeMax znodes by path, /zookeeper hidden, the counts and digest of all.
func TestOfRestored(t *testing.T) {
	txns := []ztree.Txn{create("/zookeeper", ""), create("/zookeeper/quota", "q")}
	for i := range 70 {
		txns = append(txns, create(fmt.Sprintf("/k%02d", i), strconv.Itoa(i)))
	}
	txns = append(txns, ztree.Txn{Op: ztree.OpSetData, Path: "/k05", Data: "five", Version: 1})
	n := restored(t, txns)

	s := Of(n, Default)
	assert.Equal(t, core.NodeID(1), s.ID)
	assert.Equal(t, "s1", s.Name)
	assert.True(t, s.Up)
	assert.Equal(t, core.Looking, s.Role)
	assert.Equal(t, core.Epoch(3), s.CurrentEpoch)
	last := core.MakeZxid(3, uint32(len(txns)))
	assert.Equal(t, last, s.LastZxid)
	assert.Equal(t, last, s.LastLogged)

	require.Len(t, s.Log, LogTail)
	for i, e := range s.Log {
		k := len(txns) - LogTail + i
		assert.Equal(t, core.MakeZxid(3, uint32(k+1)), e.Zxid, "entry %d", i)
		assert.Equal(t, txns[k].String(), e.Text, "entry %d", i)
		assert.True(t, e.Committed, "entry %d: applied, so committed", i)
	}
	assert.Equal(t, `setData /k05 "five" v=1`, s.Log[LogTail-1].Text)

	require.Len(t, s.Tree, TreeMax)
	assert.Equal(t, ZNode{Path: "/k00", Data: "0"}, s.Tree[0], "/, /zookeeper and under it are hidden")
	assert.Equal(t, ZNode{Path: "/k05", Data: "five", Version: 1}, s.Tree[5])
	assert.Equal(t, "/k63", s.Tree[TreeMax-1].Path)
	assert.Equal(t, 70, s.TreeCount)
	bytes := 0
	for i := range 70 {
		bytes += len(strconv.Itoa(i))
	}
	assert.Equal(t, bytes-1+len("five"), s.TreeBytes)
	assert.Equal(t, strconv.FormatUint(n.Tree().Hash(), 16), s.TreeHash)
	assert.Empty(t, s.Asked)

	// Fewer entries, and znodes asked for by path whatever the bound.
	s = Of(n, Options{LogTail: 2, Paths: []string{"/k69", "/nope", "/zookeeper/quota"}})
	require.Len(t, s.Log, 2)
	assert.Equal(t, last, s.Log[1].Zxid)
	assert.Empty(t, s.Tree)
	assert.Equal(t, 70, s.TreeCount, "the counts cover the whole tree")
	assert.Equal(t, []ZNode{{Path: "/k69", Data: "69"}, {Path: "/zookeeper/quota", Data: "q"}}, s.Asked)
}

// A server with an empty disk has an empty log and tree, listed as [] (the
// browser reads them as arrays).
func TestOfEmpty(t *testing.T) {
	s := Of(restored(t, nil), Default)
	b, err := json.Marshal(s)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"log":[]`)
	assert.Contains(t, string(b), `"tree":[]`)
	assert.Zero(t, s.TreeCount)
	assert.NotContains(t, string(b), `"asked"`)
}

// The JSON names are the ones static/ reads (pg-lanes.js, pg-ring.js,
// playground.js, live.js) and wasm/README.md documents.
func TestServerJSON(t *testing.T) {
	n := restored(t, []ztree.Txn{create("/a", "hi")})
	s := Of(n, Default)
	s.Paused, s.LastSync = true, "DIFF"
	b, err := json.Marshal(s)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	for _, k := range []string{"id", "name", "observer", "up", "paused", "role", "phase", "acceptedEpoch", "currentEpoch",
		"lastZxid", "committed", "lastLogged", "vote", "round", "lastSync", "log", "tree", "treeHash", "treeCount", "treeBytes"} {
		assert.Contains(t, m, k)
	}
	assert.Equal(t, "looking", m["role"])
	assert.Equal(t, "0x300000001", m["lastZxid"])
	assert.Equal(t, []any{map[string]any{"zxid": "0x300000001", "text": `create /a "hi"`, "committed": true}}, m["log"])
	assert.Equal(t, []any{map[string]any{"path": "/a", "data": "hi", "version": float64(0)}}, m["tree"])
}

// A down server shows who it is and the epochs its disk holds.
func TestDown(t *testing.T) {
	s := Down(4, true, core.Durable{AcceptedEpoch: 5, CurrentEpoch: 4,
		Log: []core.Entry{{Txn: core.Txn{Zxid: core.MakeZxid(4, 1), Txn: create("/a", "x")}}}})
	assert.Equal(t, Server{ID: 4, Name: "s4", Observer: true, Role: core.Down, AcceptedEpoch: 5, CurrentEpoch: 4,
		Log: []LogEntry{}, Tree: []ZNode{}}, s)
}

func TestHidden(t *testing.T) {
	for p, want := range map[string]bool{"/": true, "/zookeeper": true, "/zookeeper/quota": true,
		"/zookeeperx": false, "/a": false, "/a/zookeeper": false} {
		assert.Equal(t, want, Hidden(p), p)
	}
}

// An ephemeral node shows its owner, and the server its open sessions.
func TestOfSessions(t *testing.T) {
	n := restored(t, []ztree.Txn{
		{Op: ztree.OpCreateSession, Session: 0x1000000aa, Timeout: 4000},
		{Op: ztree.OpCreate, Path: "/lock", Data: "me", EphemeralOwner: 0x1000000aa, ParentCVersion: -1},
		create("/p", "x"),
	})
	s := Of(n, Default)
	assert.Equal(t, 1, s.Sessions)
	assert.Zero(t, s.Clients, "nobody is connected to a server that is not serving")
	assert.Equal(t, []ZNode{{Path: "/lock", Data: "me", Owner: "0x1000000aa"}, {Path: "/p", Data: "x"}}, s.Tree)
}
