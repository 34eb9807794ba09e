package ztree

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A multi applies all its ops or none, and reports each op's result as
// DataTree.processTxn does.
func TestMultiAllOrNothing(t *testing.T) {
	tr := base(t)
	ok := Request{Op: OpMulti, Session: 5, Ops: []Request{
		{Op: OpCreate, Path: "/m", Data: "1"},
		{Op: OpSetData, Path: "/m", Data: "2", Version: 0}, // sees the create before it
		{Op: OpCheck, Path: "/a", Version: 0},
		{Op: OpCreate, Path: "/m/s-", Sequential: true},
		{Op: OpDelete, Path: "/a/b", Version: -1},
	}}
	tx := tr.Prep(ok)
	require.Equal(t, OpMulti, tx.Op)
	require.Len(t, tx.Txns, 5)
	assert.Equal(t, "/m/s-0000000000", tx.Txns[3].Path)
	assert.Equal(t, int32(1), tx.Txns[1].Version)
	tx.Time = 900
	res := tr.Apply(10, tx)
	assert.Equal(t, OK, res.Err)
	require.Len(t, res.Results, 5)
	assert.Equal(t, []Op{OpCreate, OpSetData, OpCheck, OpCreate, OpDelete},
		[]Op{res.Results[0].Op, res.Results[1].Op, res.Results[2].Op, res.Results[3].Op, res.Results[4].Op})
	data, st, err := tr.Get("/m")
	assert.Equal(t, OK, err)
	assert.Equal(t, "2", data)
	assert.Equal(t, Stat{Czxid: 10, Mzxid: 10, Pzxid: 10, Ctime: 900, Mtime: 900, Version: 1, Cversion: 1,
		DataLength: 1, NumChildren: 1}, st)
	assert.False(t, tr.Exists("/a/b"))
	checkInvariants(t, tr)

	// The third op fails: nothing applies; OK before it, its code, then
	// RuntimeInconsistency.
	h := tr.Hash()
	bad := Request{Op: OpMulti, Session: 5, Ops: []Request{
		{Op: OpCreate, Path: "/n"},
		{Op: OpSetData, Path: "/n", Data: "x", Version: -1},
		{Op: OpCheck, Path: "/m", Version: 7},
		{Op: OpDelete, Path: "/m/s-0000000000", Version: -1},
	}}
	tx = tr.Prep(bad)
	assert.Equal(t, []Txn{{Op: OpCreate, Path: "/n", ParentCVersion: 4}, {Op: OpSetData, Path: "/n", Data: "x", Version: 1},
		{Op: OpError, Err: BadVersion, Path: "/m"}, {Op: OpError, Err: RuntimeInconsistency}}, tx.Txns)
	res = tr.Apply(11, tx)
	assert.Equal(t, BadVersion, res.Err)
	assert.Equal(t, []Result{{Op: OpError, Err: OK}, {Op: OpError, Err: OK}, {Op: OpError, Err: BadVersion},
		{Op: OpError, Err: RuntimeInconsistency}}, res.Results)
	assert.Equal(t, h, tr.Hash())
	assert.False(t, tr.Exists("/n"))

	// A container or TTL create fails a multi as it fails alone.
	tx = tr.Prep(Request{Op: OpMulti, Ops: []Request{{Op: OpCreate, Path: "/c1"}, {Op: OpCreateTTL, Path: "/t"}}})
	assert.Equal(t, Unimplemented, tx.Txns[1].Err)
	// Ops a multi cannot hold fail it; an empty multi succeeds.
	tx = tr.Prep(Request{Op: OpMulti, Ops: []Request{{Op: OpGetData, Path: "/m"}}})
	assert.Equal(t, BadArguments, tx.Txns[0].Err)
	res = tr.Apply(12, tr.Prep(Request{Op: OpMulti}))
	assert.Equal(t, OK, res.Err)
	assert.Empty(t, res.Results)
}

func TestPrepNewOps(t *testing.T) {
	tr := base(t)
	assert.Equal(t, Unimplemented, tr.Prep(Request{Op: OpCreateContainer, Path: "/c"}).Err)
	assert.Equal(t, Unimplemented, tr.Prep(Request{Op: OpCreateTTL, Path: "/c"}).Err)
	assert.Equal(t, Txn{Op: OpCreate, Path: "/c", ParentCVersion: 3}, tr.Prep(Request{Op: OpCreate2, Path: "/c"}))
	assert.Equal(t, Txn{Op: OpCheck, Path: "/a", Version: 1}, tr.Prep(Request{Op: OpCheck, Path: "/a", Version: -1}))
	assert.Equal(t, NoNode, tr.Prep(Request{Op: OpCheck, Path: "/zz", Version: -1}).Err)
	assert.Equal(t, BadArguments, tr.Prep(Request{Op: OpCheck, Path: "zz", Version: -1}).Err)
	// ZOOKEEPER-4743: the version after 0x7fffffff wraps past -1 to 0.
	v, ok := checkAndIncVersion(-2, -1)
	assert.True(t, ok)
	assert.Equal(t, int32(0), v)
}

func TestTxnEncodingMultiAndTime(t *testing.T) {
	tx := Txn{Op: OpMulti, Session: 9, Time: 123456, Txns: []Txn{
		{Op: OpCreate, Path: "/a", Data: "d", ParentCVersion: 1},
		{Op: OpError, Err: RuntimeInconsistency},
	}}
	b, err := tx.AppendBinary(nil)
	require.NoError(t, err)
	d := NewDecoder(b)
	var back Txn
	d.DecodeTxn(&back)
	require.NoError(t, d.Err())
	assert.Equal(t, 0, d.Len())
	assert.Equal(t, tx, back)
	assert.NotEqual(t, tx.Hash(), Txn{Op: OpMulti, Session: 9}.Hash(), "a multi's txns are part of its hash")
	assert.Equal(t, tx.Hash(), Txn{Op: OpMulti, Session: 9, Txns: tx.Txns}.Hash(), "the time is not")

	// A multi inside a multi is refused, and a count beyond the data too.
	nested := Txn{Op: OpMulti, Txns: []Txn{{Op: OpMulti, Txns: []Txn{{Op: OpDelete, Path: "/a"}}}}}
	b, _ = nested.AppendBinary(nil)
	d = NewDecoder(b)
	d.DecodeTxn(&back)
	assert.ErrorContains(t, d.Err(), "multi inside a multi")
}

func TestTreeEncodingKeepsTimes(t *testing.T) {
	tr := base(t)
	tr.Apply(20, Txn{Op: OpSetData, Path: "/a", Data: "zz", Version: 1, Time: 77})
	b, err := tr.MarshalBinary()
	require.NoError(t, err)
	back := New()
	require.NoError(t, back.UnmarshalBinary(b))
	assert.Equal(t, tr.Hash(), back.Hash())
	_, st, _ := back.Get("/a")
	assert.Equal(t, int64(77), st.Mtime)
	assert.Equal(t, int32(2), st.DataLength)

	// Version 1 (no times) still reads.
	v1 := []byte{1, 1, 1, '/', 0, 0, 0, 0, 0, 0, 0, 0}
	require.NoError(t, back.UnmarshalBinary(v1))
	assert.Equal(t, 1, back.Len())
}
