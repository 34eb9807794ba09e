package storage

import (
	"bytes"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/ztree"
)

// logBuf collects a Disk's log lines for the tests to read.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newLog() (*slog.Logger, *logBuf) {
	lb := &logBuf{}
	return slog.New(slog.NewTextHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug})), lb
}

// image is a core.Durable in a comparable form: the tree as its encoding, an
// empty log as nil.
type image struct {
	Accepted, Current core.Epoch
	HasSnap           bool
	Zxid, TxnZxid     core.Zxid
	Digest            uint64
	Tree              []byte
	Log               []core.Entry
}

func imageOf(t testing.TB, d core.Durable) image {
	t.Helper()
	im := image{Accepted: d.AcceptedEpoch, Current: d.CurrentEpoch}
	if s := d.Snap; s != nil {
		b, err := s.Tree.MarshalBinary()
		require.NoError(t, err)
		im.HasSnap, im.Zxid, im.TxnZxid, im.Digest, im.Tree = true, s.Zxid, s.TxnZxid, s.Digest, b
	}
	if len(d.Log) > 0 {
		im.Log = d.Log
	}
	return im
}

// gen makes a plausible random history: zxids that only go up (a new epoch
// after every truncate or reset), txns of every kind, trees for snapshots.
type gen struct {
	rng     *rand.Rand
	epoch   core.Epoch
	counter uint32
	seq     uint64
	tree    *ztree.Tree
}

func newGen(seed uint64) *gen {
	return &gen{rng: rand.New(rand.NewPCG(seed, 7)), epoch: 1, tree: ztree.New()}
}

func (g *gen) nextEpoch() { g.epoch++; g.counter = 0 }

func (g *gen) str(n int) string {
	b := make([]byte, g.rng.IntN(n+1))
	for i := range b {
		b[i] = byte(g.rng.IntN(256))
	}
	return string(b)
}

func (g *gen) entry() core.Entry {
	g.counter++
	z := core.MakeZxid(g.epoch, g.counter)
	ops := []ztree.Op{ztree.OpCreate, ztree.OpDelete, ztree.OpSetData, ztree.OpError, ztree.OpCreateSession, ztree.OpCloseSession}
	tx := ztree.Txn{
		Op: ops[g.rng.IntN(len(ops))], Path: "/n" + g.str(8), Data: g.str(120),
		Version: g.rng.Int32() - 1<<30, EphemeralOwner: g.rng.Int64() - 1<<62, ParentCVersion: -1,
		Err: ztree.NoNode, Session: -g.rng.Int64(), Timeout: g.rng.Int32(),
	}
	g.tree.Apply(uint64(z), ztree.Txn{Op: ztree.OpCreate, Path: "/z" + z.String(), Data: tx.Data, ParentCVersion: -1})
	return core.Entry{Txn: core.Txn{Zxid: z, Origin: core.NodeID(g.rng.IntN(10)), Cxid: g.rng.Uint32(), Txn: tx},
		Digest: g.rng.Uint64()}
}

func (g *gen) appendW(n int) core.Write {
	w := core.Write{Kind: core.WriteAppend}
	for range n {
		w.Entries = append(w.Entries, g.entry())
	}
	return w
}

func (g *gen) snap(txnZxid core.Zxid) *core.Snapshot {
	z := txnZxid
	if g.rng.IntN(3) == 0 {
		z = core.MakeZxid(g.epoch, 0) // an epoch start, as after NEWLEADER
		if z < txnZxid {
			z = txnZxid
		}
	}
	return &core.Snapshot{Zxid: z, TxnZxid: txnZxid, Digest: g.rng.Uint64(), Tree: g.tree.Clone()}
}

// persist gives ws Seqs and persists them on d and on the oracle.
func (g *gen) persist(t testing.TB, d *Disk, oracle *core.Durable, ws ...core.Write) {
	t.Helper()
	for i := range ws {
		g.seq++
		ws[i].Seq = g.seq
		ws[i].ApplyTo(oracle)
	}
	last, err := d.Persist(ws)
	require.NoError(t, err)
	require.Equal(t, g.seq, last)
}

// reopen closes d and opens its directory again.
func reopen(t testing.TB, d *Disk, opt Options) (*Disk, core.Durable) {
	t.Helper()
	require.NoError(t, d.Close())
	d2, dur, err := OpenWith(d.dir, nil, opt)
	require.NoError(t, err)
	return d2, dur
}

// files lists the names in dir (sorted), or fails.
func files(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

// withPrefix filters names.
func withPrefix(names []string, prefix string) []string {
	var out []string
	for _, n := range names {
		if strings.HasPrefix(n, prefix) && !strings.Contains(n[len(prefix):], ".") {
			out = append(out, n)
		}
	}
	return out
}

// lastSegPath returns the path of the segment with the highest seq.
func lastSegPath(t testing.TB, d *Disk) string {
	t.Helper()
	require.NotEmpty(t, d.segs)
	return d.segs[len(d.segs)-1].path
}

func mustWriteFile(t testing.TB, path string, b []byte) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, b, 0o644))
}

func join(dir string, parts ...string) string {
	return filepath.Join(append([]string{dir}, parts...)...)
}
