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
