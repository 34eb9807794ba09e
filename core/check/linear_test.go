//go:build !js

package check

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zabplay/zabplay/core/ztree"
)

func TestLinearizable(t *testing.T) {
	ok := []WriteOp{
		{Client: 1, Op: ztree.OpCreate, Path: "/a", Data: "x", Version: -1, Call: 0, Return: 10},
		{Client: 2, Op: ztree.OpCreate, Path: "/a", Data: "y", Version: -1, Call: 20, Return: 30, Err: ztree.NodeExists},
		{Client: 1, Op: ztree.OpSetData, Path: "/a", Data: "z", Version: 0, Call: 40, Return: 50, NewVer: 1},
	}
	assert.Nil(t, Linearizable(ok, 0))
	// Planted: a create that succeeds after another create finished.
	bad := append([]WriteOp(nil), ok...)
	bad[1].Err = ztree.OK
	v := Linearizable(bad, 0)
	require.NotNil(t, v)
	assert.Equal(t, LinearizableWrites, v.Property)
}

// A multi is one atomic step over the znodes it touches: its partner ops on
// /a and /b must see both of its changes or neither.
func TestLinearizableMulti(t *testing.T) {
	multi := WriteOp{Client: 1, Op: ztree.OpMulti, Call: 10, Return: 20, Ops: []WriteOp{
		{Op: ztree.OpCreate, Path: "/a", Data: "x", Version: -1},
		{Op: ztree.OpCreate, Path: "/b", Data: "y", Version: -1},
	}, Errs: []ztree.Err{ztree.OK, ztree.OK}}
	ok := []WriteOp{
		multi,
		{Client: 2, Op: ztree.OpSetData, Path: "/a", Data: "z", Version: 0, Call: 30, Return: 40, NewVer: 1},
		{Client: 3, Op: ztree.OpMulti, Call: 50, Return: 60, Err: ztree.BadVersion, Ops: []WriteOp{
			{Op: ztree.OpDelete, Path: "/b", Version: -1},
			{Op: ztree.OpCheck, Path: "/a", Version: 0},
			{Op: ztree.OpDelete, Path: "/a", Version: -1},
		}, Errs: []ztree.Err{ztree.OK, ztree.BadVersion, ztree.RuntimeInconsistency}},
		{Client: 2, Op: ztree.OpCreate, Path: "/b", Data: "w", Version: -1, Call: 70, Return: 80, Err: ztree.NodeExists},
	}
	assert.Nil(t, Linearizable(ok, 0))

	// Planted: the failed multi's delete of /b took effect after all.
	bad := append([]WriteOp(nil), ok...)
	bad[3].Err = ztree.OK
	v := Linearizable(bad, 0)
	require.NotNil(t, v)
	assert.Equal(t, LinearizableWrites, v.Property)

	// Planted: half a multi: /a created by it, /b not.
	half := []WriteOp{multi, {Client: 2, Op: ztree.OpCreate, Path: "/b", Data: "q", Version: -1, Call: 30, Return: 40}}
	require.NotNil(t, Linearizable(half, 0))

	// A multi reported with the wrong per-op codes is not explained either.
	codes := append([]WriteOp(nil), ok...)
	codes[2].Errs = []ztree.Err{ztree.BadVersion, ztree.BadVersion, ztree.BadVersion}
	require.NotNil(t, Linearizable(codes, 0))
}
