package ztree

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkInvariants recomputes everything Tree keeps incrementally and checks
// the links between nodes, children, owners and ephemerals.
func checkInvariants(t testing.TB, tr *Tree) {
	t.Helper()
	require.NotNil(t, tr.nodes["/"], "root")
	var digest uint64
	size := 0
	for p, n := range tr.nodes {
		require.NoError(t, ValidatePath(p))
		require.Equal(t, hashPathData(p, n.Data), n.pd, "pd of %s", p)
		digest += nodeDigest(n)
		size += nodeSize(p, n.Data)
		require.Equal(t, int32(len(n.children)), n.Stat.NumChildren, "numChildren of %s", p)
		for c := range n.children {
			child := p + "/" + c
			if p == "/" {
				child = "/" + c
			}
			require.NotNil(t, tr.nodes[child], "child %s", child)
		}
		if p != "/" {
			parent, name := splitPath(p)
			require.Contains(t, tr.nodes[parent].children, name, "parent of %s", p)
		}
		if o := n.Stat.EphemeralOwner; o != 0 {
			require.Contains(t, tr.ephemerals[o], p)
		}
	}
	for o, set := range tr.ephemerals {
		require.NotEmpty(t, set)
		for p := range set {
			require.Equal(t, o, tr.nodes[p].Stat.EphemeralOwner, p)
		}
	}
	require.Equal(t, digest, tr.Hash(), "digest")
	require.Equal(t, size, tr.Size(), "size")
}

// run preps each request on tr and applies it at zxids first, first+1, ...
func run(tr *Tree, first uint64, reqs ...Request) ([]Txn, []Result) {
	txns := make([]Txn, len(reqs))
	res := make([]Result, len(reqs))
	for i, r := range reqs {
		txns[i] = tr.Prep(r)
		res[i] = tr.Apply(first+uint64(i), txns[i])
	}
	return txns, res
}

func mustRun(t *testing.T, tr *Tree, first uint64, reqs ...Request) {
	t.Helper()
	_, res := run(tr, first, reqs...)
	for i, r := range res {
		require.Equal(t, OK, r.Err, "request %d %+v", i, reqs[i])
	}
}

func TestValidatePath(t *testing.T) {
	for _, tc := range []struct {
		path string
		seq  bool
		want string // "" = valid, else a substring of the error
	}{
		{"/", false, ""},
		{"/a", false, ""},
		{"/a/b/c", false, ""},
		{"/a.b", false, ""},
		{"/.a", false, ""},
		{"/a..", false, ""},
		{"/...", false, ""},
		{"/zoo-keeper_1", false, ""},
		{"/é", false, ""},
		{"", false, "length"},
		{"a", false, "start with /"},
		{"a/b", false, "start with /"},
		{"/a/", false, "end with /"},
		{"//", false, "end with /"},
		{"//a", false, "empty node name"},
		{"/a//b", false, "empty node name"},
		{"/.", false, "relative"},
		{"/..", false, "relative"},
		{"/a/./b", false, "relative"},
		{"/a/../b", false, "relative"},
		{"/a\x00b", false, "null character"},
		{"/a\tb", false, "invalid character"},
		{"/a\x7fb", false, "invalid character"},
		{"/a\u0085", false, "invalid character"},
		{"/a\ue000", false, "invalid character"},
		{"/a\ufff0", false, "invalid character"},
		{"/a\U0001F600", false, "invalid character"},
		{"/a\xffb", false, "invalid character"},
		// A sequential create validates path+"1".
		{"/", true, ""},
		{"/a/", true, ""},
		{"/a/.", true, ""},
		{"/a/..", true, ""},
		{"/a//", true, "empty node name"},
		{"a/", true, "start with /"},
	} {
		err := validatePath(tc.path, tc.seq)
		if tc.want == "" {
			assert.NoError(t, err, "%q seq=%v", tc.path, tc.seq)
			continue
		}
		if assert.Error(t, err, "%q seq=%v", tc.path, tc.seq) {
			assert.True(t, strings.HasPrefix(err.Error(), "zab: invalid path"), err.Error())
			assert.Contains(t, err.Error(), tc.want)
		}
		if !tc.seq {
			assert.Error(t, ValidatePath(tc.path))
		}
	}
}

func TestAppendSeq(t *testing.T) {
	for _, tc := range []struct {
		n    int32
		want string
	}{
		{0, "0000000000"}, {1, "0000000001"}, {1234567, "0001234567"},
		{2147483647, "2147483647"}, {-1, "-000000001"}, {-2147483648, "-2147483648"},
	} {
		assert.Equal(t, tc.want, string(appendSeq(nil, tc.n)))
	}
}

// base is "/" with /a ("x"), /a/b, /e (ephemeral of session 5) and session 5.
func base(t *testing.T) *Tree {
	tr := New()
	mustRun(t, tr, 1,
		Request{Op: OpCreateSession, Session: 5, Version: 4000},
		Request{Op: OpCreate, Path: "/a", Data: "x"},
		Request{Op: OpCreate, Path: "/a/b"},
		Request{Op: OpCreate, Path: "/e", Ephemeral: true, Session: 5},
	)
	return tr
}

func TestPrep(t *testing.T) {
	fail := func(code Err, path string, s int64) Txn {
		return Txn{Op: OpError, Err: code, Path: path, Session: s}
	}
	for _, tc := range []struct {
		name string
		req  Request
		want Txn
	}{
		{"create", Request{Op: OpCreate, Path: "/n", Data: "d", Session: 9},
			Txn{Op: OpCreate, Path: "/n", Data: "d", ParentCVersion: 3, Session: 9}},
		{"create child", Request{Op: OpCreate, Path: "/a/c"},
			Txn{Op: OpCreate, Path: "/a/c", ParentCVersion: 2}},
		{"create ephemeral", Request{Op: OpCreate, Path: "/f", Ephemeral: true, Session: 5},
			Txn{Op: OpCreate, Path: "/f", EphemeralOwner: 5, ParentCVersion: 3, Session: 5}},
		{"create sequential", Request{Op: OpCreate, Path: "/a/s-", Sequential: true},
			Txn{Op: OpCreate, Path: "/a/s-0000000001", ParentCVersion: 2}},
		{"create sequential dir", Request{Op: OpCreate, Path: "/a/", Sequential: true},
			Txn{Op: OpCreate, Path: "/a/0000000001", ParentCVersion: 2}},
		{"create bad path", Request{Op: OpCreate, Path: "/n/", Session: 9}, fail(BadArguments, "/n/", 9)},
		{"create no parent", Request{Op: OpCreate, Path: "/x/y"}, fail(NoNode, "/x/y", 0)},
		{"create exists", Request{Op: OpCreate, Path: "/a"}, fail(NodeExists, "/a", 0)},
		{"create root", Request{Op: OpCreate, Path: "/"}, fail(NodeExists, "/", 0)},
		{"create under ephemeral", Request{Op: OpCreate, Path: "/e/c"}, fail(NoChildrenForEphemerals, "/e/c", 0)},
		{"ephemeral without session", Request{Op: OpCreate, Path: "/f", Ephemeral: true, Session: 6},
			fail(SessionExpired, "/f", 6)},
		{"delete", Request{Op: OpDelete, Path: "/a/b", Version: -1}, Txn{Op: OpDelete, Path: "/a/b"}},
		{"delete version", Request{Op: OpDelete, Path: "/a/b", Version: 0, Session: 5},
			Txn{Op: OpDelete, Path: "/a/b", Session: 5}},
		{"delete bad version", Request{Op: OpDelete, Path: "/a/b", Version: 1}, fail(BadVersion, "/a/b", 0)},
		{"delete missing", Request{Op: OpDelete, Path: "/zz", Version: -1}, fail(NoNode, "/zz", 0)},
		{"delete not empty", Request{Op: OpDelete, Path: "/a", Version: -1}, fail(NotEmpty, "/a", 0)},
		{"delete root", Request{Op: OpDelete, Path: "/", Version: -1}, fail(BadArguments, "/", 0)},
		{"delete bad path", Request{Op: OpDelete, Path: "a", Version: -1}, fail(BadArguments, "a", 0)},
		{"setData", Request{Op: OpSetData, Path: "/a", Data: "y", Version: -1},
			Txn{Op: OpSetData, Path: "/a", Data: "y", Version: 1}},
		{"setData version", Request{Op: OpSetData, Path: "/a", Data: "y", Version: 0},
			Txn{Op: OpSetData, Path: "/a", Data: "y", Version: 1}},
		{"setData root", Request{Op: OpSetData, Path: "/", Data: "r", Version: -1},
			Txn{Op: OpSetData, Path: "/", Data: "r", Version: 1}},
		{"setData bad version", Request{Op: OpSetData, Path: "/a", Version: 3}, fail(BadVersion, "/a", 0)},
		{"setData missing", Request{Op: OpSetData, Path: "/zz", Version: -1}, fail(NoNode, "/zz", 0)},
		{"setData bad path", Request{Op: OpSetData, Path: "/a/./b", Version: -1}, fail(BadArguments, "/a/./b", 0)},
		{"createSession", Request{Op: OpCreateSession, Session: 8, Version: 3000},
			Txn{Op: OpCreateSession, Session: 8, Timeout: 3000}},
		{"createSession zero", Request{Op: OpCreateSession}, fail(BadArguments, "", 0)},
		{"closeSession", Request{Op: OpCloseSession, Session: 5}, Txn{Op: OpCloseSession, Session: 5}},
		{"getData", Request{Op: OpGetData, Path: "/a"}, fail(BadArguments, "/a", 0)},
		{"sync", Request{Op: OpSync, Path: "/"}, fail(BadArguments, "/", 0)},
		{"unknown", Request{Op: Op(77)}, fail(BadArguments, "", 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := base(t)
			h := tr.Hash()
			got := tr.Prep(tc.req)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, h, tr.Hash(), "Prep must not change the tree")
		})
	}
}

func TestApplyCodes(t *testing.T) {
	for _, tc := range []struct {
		name string
		tx   Txn
		want Err
	}{
		{"create", Txn{Op: OpCreate, Path: "/n", ParentCVersion: 3}, OK},
		{"create exists", Txn{Op: OpCreate, Path: "/a", ParentCVersion: 3}, NodeExists},
		{"create root", Txn{Op: OpCreate, Path: "/"}, NodeExists},
		{"create no parent", Txn{Op: OpCreate, Path: "/x/y"}, NoNode},
		{"create bad path", Txn{Op: OpCreate, Path: "x"}, BadArguments},
		{"create empty path", Txn{Op: OpCreate}, BadArguments},
		{"create under ephemeral", Txn{Op: OpCreate, Path: "/e/c"}, NoChildrenForEphemerals},
		{"delete", Txn{Op: OpDelete, Path: "/a/b"}, OK},
		{"delete missing", Txn{Op: OpDelete, Path: "/zz"}, NoNode},
		{"delete not empty", Txn{Op: OpDelete, Path: "/a"}, NotEmpty},
		{"delete root", Txn{Op: OpDelete, Path: "/"}, BadArguments},
		{"delete garbage", Txn{Op: OpDelete, Path: "zz"}, NoNode},
		{"setData", Txn{Op: OpSetData, Path: "/a", Data: "q", Version: 9}, OK},
		{"setData missing", Txn{Op: OpSetData, Path: "/zz"}, NoNode},
		{"createSession", Txn{Op: OpCreateSession, Session: 3}, OK},
		{"closeSession", Txn{Op: OpCloseSession, Session: 5}, OK},
		{"closeSession unknown", Txn{Op: OpCloseSession, Session: 99}, OK},
		{"getData is no txn", Txn{Op: OpGetData, Path: "/a"}, BadArguments},
		{"unknown op", Txn{Op: Op(100)}, BadArguments},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := base(t)
			got := tr.Apply(100, tc.tx)
			assert.Equal(t, tc.want, got.Err)
			checkInvariants(t, tr)
		})
	}
	// An error txn changes nothing and returns its code, whatever it is.
	for _, code := range []Err{OK, SystemError, RuntimeInconsistency, ConnectionLoss, BadArguments, NoNode,
		BadVersion, NoChildrenForEphemerals, NodeExists, NotEmpty, SessionExpired, Err(-999)} {
		tr := base(t)
		h := tr.Hash()
		got := tr.Apply(100, Txn{Op: OpError, Err: code, Path: "/a"})
		assert.Equal(t, Result{Op: OpError, Err: code}, got, code.String())
		assert.Equal(t, h, tr.Hash())
	}
}

func TestApplyStats(t *testing.T) {
	tr := New()
	got := tr.Apply(7, Txn{Op: OpCreate, Path: "/a", Data: "hi", ParentCVersion: 1, Time: 1500})
	assert.Equal(t, Result{Op: OpCreate, Path: "/a", Stat: Stat{Czxid: 7, Mzxid: 7, Pzxid: 7, Ctime: 1500, Mtime: 1500, DataLength: 2}}, got)
	_, root, _ := tr.Get("/")
	assert.Equal(t, Stat{Cversion: 1, Pzxid: 7, NumChildren: 1}, root)

	got = tr.Apply(8, Txn{Op: OpSetData, Path: "/a", Data: "you", Version: 5, Time: 2500})
	assert.Equal(t, Result{Op: OpSetData, Path: "/a", Stat: Stat{Czxid: 7, Mzxid: 8, Pzxid: 7, Ctime: 1500, Mtime: 2500, Version: 5, DataLength: 3}}, got)
	data, st, err := tr.Get("/a")
	assert.Equal(t, "you", data)
	assert.Equal(t, got.Stat, st)
	assert.Equal(t, OK, err)

	// Delete raises the parent's pzxid only upwards and leaves cversion.
	tr.Apply(9, Txn{Op: OpCreate, Path: "/b", ParentCVersion: 2})
	assert.Equal(t, OK, tr.Apply(12, Txn{Op: OpDelete, Path: "/b"}).Err)
	_, root, _ = tr.Get("/")
	assert.Equal(t, Stat{Cversion: 2, Pzxid: 12, NumChildren: 1}, root)
	assert.Equal(t, OK, tr.Apply(10, Txn{Op: OpDelete, Path: "/a"}).Err)
	_, root, _ = tr.Get("/")
	assert.Equal(t, Stat{Cversion: 2, Pzxid: 12}, root)

	// ParentCVersion -1 means "the parent's cversion plus one".
	tr.Apply(13, Txn{Op: OpCreate, Path: "/c", ParentCVersion: -1})
	_, root, _ = tr.Get("/")
	assert.Equal(t, int32(3), root.Cversion)
	checkInvariants(t, tr)

	_, _, err = tr.Get("/nope")
	assert.Equal(t, NoNode, err)
}

func TestSequential(t *testing.T) {
	tr := New()
	mustRun(t, tr, 1, Request{Op: OpCreate, Path: "/q"})
	seq := Request{Op: OpCreate, Path: "/q/n-", Sequential: true}
	txns, res := run(tr, 2, seq, seq)
	assert.Equal(t, "/q/n-0000000000", txns[0].Path)
	assert.Equal(t, "/q/n-0000000001", txns[1].Path)
	assert.Equal(t, "/q/n-0000000001", res[1].Path)
	// A delete does not move cversion, so no number is ever reused.
	mustRun(t, tr, 4, Request{Op: OpDelete, Path: "/q/n-0000000001", Version: -1})
	txns, _ = run(tr, 5, seq, Request{Op: OpCreate, Path: "/q/", Sequential: true})
	assert.Equal(t, "/q/n-0000000002", txns[0].Path)
	assert.Equal(t, "/q/0000000003", txns[1].Path)
	assert.Equal(t, []string{"0000000003", "n-0000000000", "n-0000000002"}, tr.Children("/q"))
	checkInvariants(t, tr)
}

func TestVersions(t *testing.T) {
	tr := New()
	mustRun(t, tr, 1, Request{Op: OpCreate, Path: "/v", Data: "0"})
	for i, tc := range []struct {
		req  Request
		want Err
		ver  int32 // version of /v afterwards
	}{
		{Request{Op: OpSetData, Path: "/v", Data: "1", Version: 0}, OK, 1},
		{Request{Op: OpSetData, Path: "/v", Data: "2", Version: 0}, BadVersion, 1},
		{Request{Op: OpSetData, Path: "/v", Data: "2", Version: -1}, OK, 2},
		{Request{Op: OpSetData, Path: "/v", Data: "3", Version: 2}, OK, 3},
		{Request{Op: OpDelete, Path: "/v", Version: 2}, BadVersion, 3},
		{Request{Op: OpDelete, Path: "/v", Version: 3}, OK, -1},
		{Request{Op: OpSetData, Path: "/v", Version: -1}, NoNode, -1},
	} {
		_, res := run(tr, uint64(10+i), tc.req)
		assert.Equal(t, tc.want, res[0].Err, "step %d", i)
		_, st, err := tr.Get("/v")
		if tc.ver < 0 {
			assert.Equal(t, NoNode, err, "step %d", i)
		} else {
			assert.Equal(t, tc.ver, st.Version, "step %d", i)
		}
	}
}

func TestCloseSessionRemovesEphemerals(t *testing.T) {
	tr := New()
	mustRun(t, tr, 1,
		Request{Op: OpCreateSession, Session: 1, Version: 5000},
		Request{Op: OpCreateSession, Session: 2, Version: 5000},
		Request{Op: OpCreate, Path: "/p"},
		Request{Op: OpCreate, Path: "/p/e1", Ephemeral: true, Session: 1},
		Request{Op: OpCreate, Path: "/p/e-", Ephemeral: true, Sequential: true, Session: 1},
		Request{Op: OpCreate, Path: "/e2", Ephemeral: true, Session: 2},
		Request{Op: OpCreate, Path: "/keep", Session: 1},
	)
	assert.Equal(t, map[int64]int32{1: 5000, 2: 5000}, tr.sessions)
	_, st, _ := tr.Get("/p/e1")
	assert.Equal(t, int64(1), st.EphemeralOwner)

	txns, res := run(tr, 20, Request{Op: OpCloseSession, Session: 1})
	assert.Equal(t, "closeSession 0x1", txns[0].String())
	assert.Equal(t, OK, res[0].Err)
	assert.Equal(t, []string{"/", "/e2", "/keep", "/p"}, tr.Paths())
	_, p, _ := tr.Get("/p")
	assert.Equal(t, Stat{Czxid: 3, Mzxid: 3, Pzxid: 20, Cversion: 2}, p)
	assert.Equal(t, map[int64]int32{2: 5000}, tr.sessions)
	checkInvariants(t, tr)

	// The session is gone: it can make no more ephemerals.
	assert.Equal(t, Txn{Op: OpError, Err: SessionExpired, Path: "/x", Session: 1},
		tr.Prep(Request{Op: OpCreate, Path: "/x", Ephemeral: true, Session: 1}))
}

func TestCreateReplayIdempotent(t *testing.T) {
	tr := New()
	mustRun(t, tr, 1, Request{Op: OpCreate, Path: "/a"})
	tx := tr.Prep(Request{Op: OpCreate, Path: "/a/b", Data: "d"})
	assert.Equal(t, OK, tr.Apply(2, tx).Err)
	once := tr.Hash()
	assert.Equal(t, Result{Op: OpCreate, Err: NodeExists}, tr.Apply(2, tx))
	assert.Equal(t, once, tr.Hash())
	checkInvariants(t, tr)

	// The cversion rule: a replayed create whose parent cversion is ahead of
	// the tree's (the node was deleted and re-made in the fuzzy range) still
	// moves the parent's cversion and pzxid, though the node exists.
	assert.Equal(t, NodeExists, tr.Apply(9, Txn{Op: OpCreate, Path: "/a/b", ParentCVersion: 5}).Err)
	_, st, _ := tr.Get("/a")
	assert.Equal(t, int32(5), st.Cversion)
	assert.Equal(t, uint64(9), st.Pzxid)
	data, _, _ := tr.Get("/a/b")
	assert.Equal(t, "d", data)
	checkInvariants(t, tr)
}

func TestHashOrderIndependent(t *testing.T) {
	a, b := New(), New()
	ca := Txn{Op: OpCreate, Path: "/a", Data: "1", ParentCVersion: 2}
	cb := Txn{Op: OpCreate, Path: "/b", Data: "2", ParentCVersion: 1}
	a.Apply(1, ca)
	a.Apply(2, cb)
	b.Apply(2, cb)
	b.Apply(1, ca)
	assert.Equal(t, a.Paths(), b.Paths())
	assert.Equal(t, a.Hash(), b.Hash())

	b.Apply(3, Txn{Op: OpSetData, Path: "/b", Data: "3", Version: 1})
	assert.NotEqual(t, a.Hash(), b.Hash())
	a.Apply(3, Txn{Op: OpSetData, Path: "/b", Data: "3", Version: 1})
	assert.Equal(t, a.Hash(), b.Hash())
	assert.NotEqual(t, New().Hash(), a.Hash())
}

func TestClone(t *testing.T) {
	orig := base(t)
	h, paths, size := orig.Hash(), orig.Paths(), orig.Size()
	c := orig.Clone()
	assert.Equal(t, h, c.Hash())
	checkInvariants(t, c)

	mustRun(t, c, 50,
		Request{Op: OpSetData, Path: "/a", Data: "changed", Version: -1},
		Request{Op: OpCreate, Path: "/a/c"},
		Request{Op: OpDelete, Path: "/a/b", Version: -1},
		Request{Op: OpCloseSession, Session: 5},
		Request{Op: OpCreateSession, Session: 6},
	)
	assert.NotEqual(t, h, c.Hash())
	assert.Equal(t, h, orig.Hash())
	assert.Equal(t, paths, orig.Paths())
	assert.Equal(t, size, orig.Size())
	data, _, _ := orig.Get("/a")
	assert.Equal(t, "x", data)
	assert.Equal(t, []string{"b"}, orig.Children("/a"))
	assert.Equal(t, map[int64]int32{5: 4000}, orig.sessions)
	checkInvariants(t, orig)
	checkInvariants(t, c)

	// And the other way round.
	h2 := c.Hash()
	mustRun(t, orig, 60, Request{Op: OpSetData, Path: "/a/b", Data: "o", Version: -1})
	assert.Equal(t, h2, c.Hash())
}

func TestViews(t *testing.T) {
	tr := base(t)
	assert.Equal(t, 4, tr.Len())
	assert.Equal(t, []string{"/", "/a", "/a/b", "/e"}, tr.Paths())
	assert.Equal(t, []string{"a", "e"}, tr.Children("/"))
	assert.Nil(t, tr.Children("/a/b"))
	assert.Nil(t, tr.Children("/missing"))
	assert.True(t, tr.Exists("/a/b"))
	assert.False(t, tr.Exists("/b"))
	assert.Equal(t, len("/")+len("/a")+len("x")+len("/a/b")+len("/e")+4*40, tr.Size())
	assert.Equal(t, nodeSize("/", ""), New().Size())
}

// xorshift is a tiny deterministic generator for the determinism test.
type xorshift uint64

func (x *xorshift) next(n int) int {
	*x ^= *x << 13
	*x ^= *x >> 7
	*x ^= *x << 17
	return int(uint64(*x) % uint64(n))
}

func TestPrepApplyDeterminism(t *testing.T) {
	paths := []string{"/a", "/b", "/a/x", "/a/y", "/b/z", "/e", "/e/c", "/c/", "/bad/"}
	rng := xorshift(88172645463325252)
	future, replicaA, replicaB := New(), New(), New()
	codes := map[Err]int{}
	for i := 0; i < 3000; i++ {
		p := paths[rng.next(len(paths))]
		var r Request
		switch rng.next(7) {
		case 0, 1:
			r = Request{Op: OpCreate, Path: p, Data: "d", Sequential: rng.next(4) == 0,
				Ephemeral: p == "/e" || rng.next(3) == 0, Session: int64(1 + rng.next(3))}
		case 2:
			r = Request{Op: OpDelete, Path: p, Version: int32(rng.next(3) - 1)}
		case 3, 4:
			r = Request{Op: OpSetData, Path: p, Data: "v", Version: int32(rng.next(3) - 1)}
		case 5:
			r = Request{Op: OpCreateSession, Session: int64(1 + rng.next(3)), Version: 1000}
		default:
			r = Request{Op: OpCloseSession, Session: int64(1 + rng.next(3))}
		}
		zxid := uint64(i + 1)
		tx := future.Prep(r)
		want := future.Apply(zxid, tx)
		if tx.Op == OpError {
			assert.Equal(t, tx.Err, want.Err)
		}
		codes[want.Err]++
		assert.Equal(t, want, replicaA.Apply(zxid, tx), "txn %d %v", i, tx)
		assert.Equal(t, want, replicaB.Apply(zxid, tx), "txn %d %v", i, tx)
		if i%500 == 0 {
			replicaB = replicaB.Clone() // snapshots along the way change nothing
		}
	}
	assert.Equal(t, future.Hash(), replicaA.Hash())
	assert.Equal(t, future.Hash(), replicaB.Hash())
	assert.Equal(t, future.Paths(), replicaA.Paths())
	assert.Equal(t, future.sessions, replicaB.sessions)
	checkInvariants(t, future)
	checkInvariants(t, replicaB)
	for _, code := range []Err{OK, NoNode, NodeExists, BadVersion, NotEmpty, BadArguments,
		NoChildrenForEphemerals, SessionExpired} {
		assert.Positive(t, codes[code], "the walk should produce %v", code)
	}
}

func TestApplyNeverPanics(t *testing.T) {
	weird := []string{"", "/", "x", "//", "/a/", "/a//b", "/\x00", "/a/../b", "/\xff", "/a/b/c/d"}
	ops := []Op{OpError, OpCreate, OpDelete, OpGetData, OpSetData, OpSync, OpCreateSession, OpCloseSession, 0, 99}
	tr := base(t)
	z := uint64(100)
	for _, p := range weird {
		for _, op := range ops {
			for _, pcv := range []int32{-1, 0, 1 << 30} {
				z++
				tx := Txn{Op: op, Path: p, ParentCVersion: pcv, EphemeralOwner: int64(pcv), Session: 5}
				assert.NotPanics(t, func() { tr.Apply(z, tx) }, "%v", tx)
				assert.NotPanics(t, func() {
					tr.Prep(Request{Op: op, Path: p, Sequential: pcv == 0, Ephemeral: pcv < 0, Session: 5})
				})
			}
		}
	}
	checkInvariants(t, tr)
}

func TestApplySetDataNoAlloc(t *testing.T) {
	tr := base(t)
	tx := Txn{Op: OpSetData, Path: "/a/b", Data: "payload"}
	z := uint64(100)
	allocs := testing.AllocsPerRun(1000, func() {
		z++
		tx.Version++
		tr.Apply(z, tx)
	})
	assert.Zero(t, allocs)
	checkInvariants(t, tr)
}

func BenchmarkApplySetData(b *testing.B) {
	tr := New()
	tr.Apply(1, Txn{Op: OpCreate, Path: "/load", Data: "0", ParentCVersion: 1})
	tx := Txn{Op: OpSetData, Path: "/load", Data: "some payload", Session: 1}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tx.Version = int32(i + 1)
		if tr.Apply(uint64(i+2), tx).Err != OK {
			b.Fatal("setData failed")
		}
	}
}

func BenchmarkPrepApplySetData(b *testing.B) {
	tr := New()
	tr.Apply(1, Txn{Op: OpCreate, Path: "/load", Data: "0", ParentCVersion: 1})
	r := Request{Op: OpSetData, Path: "/load", Data: "some payload", Version: -1, Session: 1}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tr.Apply(uint64(i+2), tr.Prep(r))
	}
}

func BenchmarkClone1000(b *testing.B) {
	tr := New()
	for i := 0; i < 1000; i++ {
		tr.Apply(uint64(i+1), tr.Prep(Request{Op: OpCreate, Path: "/n-", Data: "data", Sequential: true}))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = tr.Clone()
	}
}

func FuzzPrepApply(f *testing.F) {
	f.Add(int8(OpCreate), "/a/n-", "d", int32(-1), true, true, int64(5), uint64(100))
	f.Add(int8(OpDelete), "/a", "", int32(0), false, false, int64(0), uint64(1))
	f.Add(int8(OpSetData), "/e", "x", int32(0), false, false, int64(5), uint64(7))
	f.Add(int8(OpCloseSession), "", "", int32(0), false, false, int64(5), uint64(9))
	f.Fuzz(func(t *testing.T, op int8, path, data string, version int32, seq, eph bool, session int64, zxid uint64) {
		tr := New()
		mustRun(t, tr, 1, Request{Op: OpCreateSession, Session: 5}, Request{Op: OpCreate, Path: "/a"},
			Request{Op: OpCreate, Path: "/e", Ephemeral: true, Session: 5})
		r := Request{Op: Op(op), Path: path, Data: data, Version: version, Sequential: seq, Ephemeral: eph, Session: session}
		tx := tr.Prep(r)
		got := tr.Apply(zxid, tx)
		if tx.Op == OpError {
			require.Equal(t, tx.Err, got.Err)
		} else {
			require.Equal(t, OK, got.Err, "%v", tx)
		}
		// Raw txns from the fuzzer too: Apply must cope with anything.
		tr.Apply(zxid, Txn{Op: Op(op), Path: path, Data: data, Version: version, ParentCVersion: version, EphemeralOwner: session})
		checkInvariants(t, tr)
	})
}

// A txn's one binary encoding round-trips every field, and the Decoder
// refuses truncated input without panicking.
func TestTxnEncoding(t *testing.T) {
	in := Txn{Op: OpCreate, Path: "/a/b", Data: "你好 世界", Version: -3, EphemeralOwner: 1 << 40,
		ParentCVersion: 7, Err: NodeExists, Session: -2, Timeout: 30000}
	b, err := in.AppendBinary(nil)
	require.NoError(t, err)
	var out Txn
	d := NewDecoder(b)
	d.DecodeTxn(&out)
	require.NoError(t, d.Err())
	require.Zero(t, d.Len())
	require.Equal(t, in, out)
	for i := range b {
		d := NewDecoder(b[:i])
		var tr Txn
		d.DecodeTxn(&tr)
		require.Error(t, d.Err(), "truncated at %d", i)
	}
}
