package ztree

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestErrStringParse(t *testing.T) {
	for _, tc := range []struct {
		err  Err
		want string
	}{
		{OK, "OK"}, {SystemError, "SYSTEMERROR"}, {RuntimeInconsistency, "RUNTIMEINCONSISTENCY"},
		{ConnectionLoss, "CONNECTIONLOSS"}, {BadArguments, "BADARGUMENTS"}, {NoNode, "NONODE"},
		{BadVersion, "BADVERSION"}, {NoChildrenForEphemerals, "NOCHILDRENFOREPHEMERALS"},
		{NodeExists, "NODEEXISTS"}, {NotEmpty, "NOTEMPTY"}, {SessionExpired, "SESSIONEXPIRED"},
	} {
		assert.Equal(t, tc.want, tc.err.String())
		got, ok := ParseErr(tc.want)
		assert.True(t, ok, tc.want)
		assert.Equal(t, tc.err, got)
		b, err := tc.err.MarshalText()
		require.NoError(t, err)
		var back Err
		require.NoError(t, back.UnmarshalText(b))
		assert.Equal(t, tc.err, back)
	}
	assert.Equal(t, "ERR(-999)", Err(-999).String())
	for _, s := range []string{"ERR(-999)", "nonode", "", "NoNode"} {
		_, ok := ParseErr(s)
		assert.False(t, ok, s)
	}
	var e Err
	require.NoError(t, e.UnmarshalText([]byte("ERR(-999)")))
	assert.Equal(t, Err(-999), e)
	require.NoError(t, e.UnmarshalText([]byte("-101")))
	assert.Equal(t, NoNode, e)
	assert.Error(t, e.UnmarshalText([]byte("bogus")))
}

func TestOpString(t *testing.T) {
	for _, tc := range []struct {
		op   Op
		want string
	}{
		{OpError, "error"}, {OpCreate, "create"}, {OpDelete, "delete"}, {OpSetData, "setData"},
		{OpGetData, "getData"}, {OpSync, "sync"}, {OpCreateSession, "createSession"},
		{OpCloseSession, "closeSession"}, {Op(42), "op(42)"},
	} {
		assert.Equal(t, tc.want, tc.op.String())
		var back Op
		require.NoError(t, back.UnmarshalText([]byte(tc.want)), tc.want)
		assert.Equal(t, tc.op, back)
	}
	var o Op
	assert.Error(t, o.UnmarshalText([]byte("frob")))
}

func TestJSONRoundTrip(t *testing.T) {
	tx := Txn{Op: OpCreate, Path: "/a", Data: "x", EphemeralOwner: 7, ParentCVersion: 3, Session: 7}
	b, err := json.Marshal(tx)
	require.NoError(t, err)
	assert.JSONEq(t, `{"op":"create","path":"/a","data":"x","owner":7,"pcv":3,"session":7}`, string(b))
	var got Txn
	require.NoError(t, json.Unmarshal(b, &got))
	assert.Equal(t, tx, got)

	r := Request{Op: OpSetData, Path: "/a", Version: -1}
	b, err = json.Marshal(r)
	require.NoError(t, err)
	var gr Request
	require.NoError(t, json.Unmarshal(b, &gr))
	assert.Equal(t, r, gr)
}

func TestTxnHash(t *testing.T) {
	b := Txn{Op: OpCreate, Path: "/a", Data: "d", Version: 1, EphemeralOwner: 2,
		ParentCVersion: 3, Err: NoNode, Session: 4, Timeout: 5}
	variants := []Txn{b}
	for _, mut := range []func(*Txn){
		func(t *Txn) { t.Op = OpDelete }, func(t *Txn) { t.Path = "/b" }, func(t *Txn) { t.Data = "e" },
		func(t *Txn) { t.Version = 9 }, func(t *Txn) { t.EphemeralOwner = 9 },
		func(t *Txn) { t.ParentCVersion = 9 }, func(t *Txn) { t.Err = OK }, func(t *Txn) { t.Session = 9 },
		func(t *Txn) { t.Timeout = 9 }, func(t *Txn) { t.Path, t.Data = "/ad", "" },
		func(t *Txn) { t.Path, t.Data = "/", "ad" },
	} {
		v := b
		mut(&v)
		variants = append(variants, v)
	}
	seen := map[uint64]Txn{}
	for _, v := range variants {
		h := v.Hash()
		prev, dup := seen[h]
		assert.False(t, dup, "%v and %v collide", v, prev)
		seen[h] = v
	}
	assert.Equal(t, b.Hash(), b.Hash())
	long := Txn{Op: OpSetData, Path: "/some/longer/path", Data: strings.Repeat("x", 100)}
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = long.Hash() }))
}

func TestTxnString(t *testing.T) {
	for _, tc := range []struct {
		tx   Txn
		want string
	}{
		{Txn{Op: OpCreate, Path: "/a", Data: "hello"}, `create /a "hello"`},
		{Txn{Op: OpCreate, Path: "/e", EphemeralOwner: 0x1f}, `create /e "" owner=0x1f`},
		{Txn{Op: OpSetData, Path: "/a", Data: "bye", Version: 2}, `setData /a "bye" v=2`},
		{Txn{Op: OpDelete, Path: "/a"}, `delete /a`},
		{Txn{Op: OpError, Err: NodeExists}, `error NODEEXISTS`},
		{Txn{Op: OpError, Err: NoNode, Path: "/x"}, `error NONODE /x`},
		{Txn{Op: OpCreateSession, Session: 1, Timeout: 30}, `createSession 0x1`},
		{Txn{Op: OpCloseSession, Session: 1}, `closeSession 0x1`},
		{Txn{Op: Op(50)}, `op(50)`},
	} {
		assert.Equal(t, tc.want, tc.tx.String())
	}
}

func BenchmarkTxnHash(b *testing.B) {
	tx := Txn{Op: OpSetData, Path: "/load", Data: "some payload", Version: 7, Session: 1}
	b.ReportAllocs()
	var sink uint64
	for i := 0; i < b.N; i++ {
		sink += tx.Hash()
	}
	_ = sink
}

func TestParseOp(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Op
	}{
		{"create", OpCreate}, {"delete", OpDelete}, {"set", OpSetData}, {"setData", OpSetData}, {"SETDATA", OpSetData},
		{"get", OpGetData}, {"getdata", OpGetData}, {"sync", OpSync},
	} {
		got, err := ParseOp(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseOp(%q) = %v, %v, want %v", tc.in, got, err, tc.want)
		}
		if back, _ := ParseOp(got.ShortName()); back != got {
			t.Errorf("ParseOp(%v.ShortName()) = %v", got, back)
		}
	}
	for _, bad := range []string{"", "error", "createSession", "put"} {
		if _, err := ParseOp(bad); err == nil {
			t.Errorf("ParseOp(%q) accepted", bad)
		}
	}
}
