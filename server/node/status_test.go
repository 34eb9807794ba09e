package node

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/view"
	"github.com/zabplay/zabplay/core/ztree"
)

// A server restarted from what its store holds shows its real log tail and
// tree (core/view) before anything new is written, in Inspect and in
// GET /status; a stopped one has no view.
func TestStatusViewAfterRestart(t *testing.T) {
	e := newEnsemble(t, 3)
	e.waitSynced(10 * time.Second)
	lid, _, _ := e.leader()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var zxids []core.Zxid
	for _, r := range []ztree.Request{
		{Op: ztree.OpCreate, Path: "/a", Data: "one"},
		{Op: ztree.OpCreate, Path: "/b", Data: "two"},
		{Op: ztree.OpSetData, Path: "/a", Data: "uno", Version: -1},
	} {
		rep, err := e.nodes[lid].Request(ctx, core.Request{Request: r})
		require.NoError(t, err)
		require.Equal(t, ztree.OK, rep.Err, "%v", r)
		zxids = append(zxids, rep.Zxid)
	}
	e.waitSynced(10 * time.Second)
	for _, id := range e.ids() {
		e.kill(id)
	}
	// Only s2 comes back: alone it cannot be sent anything but votes, so
	// what it shows is what it restored.
	e.start(2, nil)
	n := e.nodes[2]

	st, err := n.Inspect(ctx, view.Default)
	require.NoError(t, err)
	require.NotNil(t, st.View)
	v := st.View
	assert.True(t, v.Up)
	assert.Equal(t, core.Looking, v.Role)
	assert.Equal(t, zxids[2], v.LastZxid)
	var got []core.Zxid
	for _, l := range v.Log {
		got = append(got, l.Zxid)
		assert.True(t, l.Committed, "%v was applied before the crash", l.Zxid)
	}
	assert.Equal(t, zxids, got, "the log tail is the txns on its disk")
	assert.Equal(t, `create /b "two"`, v.Log[1].Text)
	assert.Equal(t, []view.ZNode{{Path: "/a", Data: "uno", Version: 1}, {Path: "/b", Data: "two"}}, v.Tree)
	assert.Equal(t, 2, v.TreeCount)

	srv := httptest.NewServer(n.Handler(AdminOptions{}))
	defer srv.Close()
	get := func(query string) (int, Status) {
		resp, err := http.Get(srv.URL + "/status" + query)
		require.NoError(t, err)
		defer resp.Body.Close()
		var st Status
		if resp.StatusCode == http.StatusOK {
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
		}
		return resp.StatusCode, st
	}
	code, hs := get("")
	require.Equal(t, http.StatusOK, code)
	require.NotNil(t, hs.View, "GET /status serves the view")
	assert.Equal(t, v.Log, hs.View.Log)
	assert.Equal(t, v.Tree, hs.View.Tree)
	assert.True(t, hs.Running, "the status fields stay")
	assert.Equal(t, core.NodeID(2), hs.ID)

	code, hs = get("?" + ViewQuery(view.Options{LogTail: 1, Paths: []string{"/b", "/none"}}))
	require.Equal(t, http.StatusOK, code)
	require.NotNil(t, hs.View)
	require.Len(t, hs.View.Log, 1)
	assert.Equal(t, zxids[2], hs.View.Log[0].Zxid)
	assert.Empty(t, hs.View.Tree)
	assert.Equal(t, []view.ZNode{{Path: "/b", Data: "two"}}, hs.View.Asked)
	for _, q := range []string{"?log=-1", "?tree=x", "?log=99999"} {
		code, _ = get(q)
		assert.Equal(t, http.StatusBadRequest, code, q)
	}

	e.kill(2)
	_, err = n.Inspect(ctx, view.Default)
	assert.ErrorIs(t, err, ErrStopped)
}
