package ztree

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// randomTree builds a tree by a random walk of prepped and applied requests:
// nested nodes, ephemerals, sessions, deletes (so some nodes have an empty,
// non-nil children set).
func randomTree(seed uint64, steps int) *Tree {
	paths := []string{"/a", "/b", "/a/x", "/a/y", "/b/z", "/e", "/a/x/q", "/c/"}
	rng := xorshift(seed)
	tr := New()
	for i := 0; i < steps; i++ {
		p := paths[rng.next(len(paths))]
		var r Request
		switch rng.next(6) {
		case 0, 1:
			r = Request{Op: OpCreate, Path: p, Data: string(rune('a' + rng.next(26))), Sequential: rng.next(4) == 0,
				Ephemeral: rng.next(4) == 0, Session: int64(1 + rng.next(3))}
		case 2:
			r = Request{Op: OpDelete, Path: p, Version: -1}
		case 3:
			r = Request{Op: OpSetData, Path: p, Data: "v\x00é", Version: -1}
		case 4:
			r = Request{Op: OpCreateSession, Session: int64(1 + rng.next(3)), Version: int32(1000 * rng.next(30))}
		default:
			r = Request{Op: OpCloseSession, Session: int64(1 + rng.next(3))}
		}
		tr.Apply(uint64(i+1)<<3, tr.Prep(r))
	}
	return tr
}

func TestEncodeRoundTrip(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		tr := randomTree(seed*7919, 400)
		b, err := tr.MarshalBinary()
		require.NoError(t, err)
		got := New()
		require.NoError(t, got.UnmarshalBinary(b))
		checkInvariants(t, got)
		require.Equal(t, tr.Clone(), got, "seed %d", seed)
		b2, err := got.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, b, b2, "re-encoding is byte-identical")
		// The decoded tree keeps working like the original.
		mustRun(t, got, 1<<40, Request{Op: OpCreate, Path: "/new", Data: "x"})
		mustRun(t, tr, 1<<40, Request{Op: OpCreate, Path: "/new", Data: "x"})
		require.Equal(t, tr.Hash(), got.Hash())
	}
	empty, err := New().MarshalBinary()
	require.NoError(t, err)
	got := New()
	require.NoError(t, got.UnmarshalBinary(empty))
	require.Equal(t, New(), got)
}

func TestDecodeRefuses(t *testing.T) {
	enc := func(tr *Tree) []byte {
		b, err := tr.MarshalBinary()
		require.NoError(t, err)
		return b
	}
	good := enc(randomTree(42, 200))
	// Hand-made encodings of trees Apply cannot build.
	node := func(b []byte, path, data string, owner int64) []byte {
		b = appendString(b, path)
		b = appendString(b, data)
		return append(b, 1, 1, 1, 0, 0, byte(owner*2)) // zxids 1, versions 0, zigzag owner
	}
	mk := func(sessions []byte, nodes ...[2]any) []byte {
		b := []byte{encodingVersion, byte(len(nodes))}
		for _, n := range nodes {
			b = node(b, n[0].(string), "", int64(n[1].(int)))
		}
		return append(b, sessions...)
	}
	cases := map[string][]byte{
		"empty":           nil,
		"version":         append([]byte{9}, good[1:]...),
		"truncated":       good[:len(good)-1],
		"trailing":        append(append([]byte{}, good...), 0),
		"no root":         mk([]byte{0}),
		"root not first":  mk([]byte{0}, [2]any{"/a", 0}, [2]any{"/", 0}),
		"unsorted":        mk([]byte{0}, [2]any{"/", 0}, [2]any{"/b", 0}, [2]any{"/a", 0}),
		"duplicate":       mk([]byte{0}, [2]any{"/", 0}, [2]any{"/a", 0}, [2]any{"/a", 0}),
		"orphan":          mk([]byte{0}, [2]any{"/", 0}, [2]any{"/a/b", 0}),
		"invalid path":    mk([]byte{0}, [2]any{"/", 0}, [2]any{"/a/", 0}),
		"under ephemeral": mk([]byte{0}, [2]any{"/", 0}, [2]any{"/a", 3}, [2]any{"/a/b", 0}),
		"dup session":     mk([]byte{2, 2, 10, 2, 10}, [2]any{"/", 0}),
		"huge count":      {encodingVersion, 0xff, 0xff, 0xff, 0xff, 0x0f},
	}
	for name, b := range cases {
		tr := randomTree(7, 50)
		before := enc(tr)
		err := tr.UnmarshalBinary(b)
		require.Error(t, err, name)
		require.Contains(t, err.Error(), "zab: ztree:", name)
		require.Equal(t, before, enc(tr), "%s: a failed decode leaves the tree alone", name)
	}
}

func FuzzUnmarshalBinary(f *testing.F) {
	for _, seed := range []uint64{1, 2, 3} {
		b, _ := randomTree(seed, 60).MarshalBinary()
		f.Add(b)
	}
	b, _ := New().MarshalBinary()
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		tr := New()
		if tr.UnmarshalBinary(b) != nil {
			return
		}
		checkInvariants(t, tr)
		// Whatever decodes re-encodes to a canonical form that decodes to the
		// same tree.
		out, err := tr.MarshalBinary()
		require.NoError(t, err)
		again := New()
		require.NoError(t, again.UnmarshalBinary(out))
		require.Equal(t, tr, again)
	})
}
