package ztree

import (
	"errors"
	"sort"
	"strings"
)

// Stat is the subset of ZooKeeper's Stat the simulator shows.
type Stat struct {
	Czxid          uint64 `json:"czxid"`
	Mzxid          uint64 `json:"mzxid"`
	Pzxid          uint64 `json:"pzxid"`
	Version        int32  `json:"version"`
	Cversion       int32  `json:"cversion"`
	EphemeralOwner int64  `json:"ephemeralOwner,omitempty"`
	NumChildren    int32  `json:"numChildren"`
}

// Znode is a node of the tree. Treat it as read-only outside the package.
type Znode struct {
	Data     string
	Stat     Stat
	children map[string]struct{}
}

// Result is what applying a txn did.
type Result struct {
	Err  Err    `json:"err"`
	Path string `json:"path,omitempty"`
	Stat Stat   `json:"stat"`
}

// Tree is the data tree: znodes by path ("/" always exists), sessions and
// ephemerals.
type Tree struct {
	nodes      map[string]*Znode
	sessions   map[int64]int32
	ephemerals map[int64]map[string]struct{}
}

// New returns a tree holding only "/".
func New() *Tree {
	return &Tree{
		nodes:      map[string]*Znode{"/": {}},
		sessions:   map[int64]int32{},
		ephemerals: map[int64]map[string]struct{}{},
	}
}

// Clone returns a deep copy.
func (t *Tree) Clone() *Tree {
	c := &Tree{
		nodes:      make(map[string]*Znode, len(t.nodes)),
		sessions:   make(map[int64]int32, len(t.sessions)),
		ephemerals: make(map[int64]map[string]struct{}, len(t.ephemerals)),
	}
	for p, n := range t.nodes {
		m := &Znode{Data: n.Data, Stat: n.Stat}
		if len(n.children) > 0 {
			m.children = make(map[string]struct{}, len(n.children))
			for k := range n.children {
				m.children[k] = struct{}{}
			}
		}
		c.nodes[p] = m
	}
	for s, to := range t.sessions {
		c.sessions[s] = to
	}
	for s, set := range t.ephemerals {
		m := make(map[string]struct{}, len(set))
		for k := range set {
			m[k] = struct{}{}
		}
		c.ephemerals[s] = m
	}
	return c
}

// ValidatePath applies ZooKeeper's PathUtils.validatePath rules.
func ValidatePath(p string) error {
	bad := func(why string) error { return errors.New("zab: invalid path " + p + ": " + why) }
	switch {
	case p == "":
		return bad("empty")
	case p[0] != '/':
		return bad("must start with /")
	case p == "/":
		return nil
	case p[len(p)-1] == '/':
		return bad("must not end with /")
	case strings.IndexByte(p, 0) >= 0:
		return bad("contains NUL")
	}
	for _, seg := range strings.Split(p[1:], "/") {
		switch seg {
		case "":
			return bad("empty segment")
		case ".", "..":
			return bad("relative segment " + seg)
		}
	}
	return nil
}

func parentOf(p string) (parent, name string) {
	i := strings.LastIndexByte(p, '/')
	if i == 0 {
		return "/", p[1:]
	}
	return p[:i], p[i+1:]
}

// Get returns a node's data and stat, or NoNode.
func (t *Tree) Get(path string) (string, Stat, Err) {
	n := t.nodes[path]
	if n == nil {
		return "", Stat{}, NoNode
	}
	st := n.Stat
	st.NumChildren = int32(len(n.children))
	return n.Data, st, OK
}

// Exists reports whether path exists.
func (t *Tree) Exists(path string) bool { return t.nodes[path] != nil }

// Children returns the sorted child names of path.
func (t *Tree) Children(path string) []string {
	n := t.nodes[path]
	if n == nil || len(n.children) == 0 {
		return nil
	}
	out := make([]string, 0, len(n.children))
	for k := range n.children {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Len is the number of znodes including "/".
func (t *Tree) Len() int { return len(t.nodes) }

// Paths returns every path, sorted.
func (t *Tree) Paths() []string {
	out := make([]string, 0, len(t.nodes))
	for p := range t.nodes {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// Size approximates the serialized size of the tree in bytes.
func (t *Tree) Size() int {
	s := 0
	for p, n := range t.nodes {
		s += len(p) + len(n.Data) + 40
	}
	return s
}

// Hash is a hash of the whole content, independent of map order.
func (t *Tree) Hash() uint64 {
	var h uint64
	for p, n := range t.nodes {
		x := mixS(fnvOffset, p)
		x = mixS(x, n.Data)
		x = mixU(x, uint64(uint32(n.Stat.Version))|uint64(uint32(n.Stat.Cversion))<<32)
		x = mixU(x, uint64(n.Stat.EphemeralOwner))
		x = mixU(x, n.Stat.Czxid^n.Stat.Mzxid<<1^n.Stat.Pzxid<<2)
		h += x * 0x9E3779B97F4A7C15
	}
	return h
}

func seqSuffix(n int32) string {
	var b [10]byte
	v := uint32(n)
	for i := 9; i >= 0; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return string(b[:])
}

// Prep turns a request into the txn the leader would propose, checking it
// against this tree (the leader's future state).
func (t *Tree) Prep(r Request) Txn {
	fail := func(e Err) Txn { return Txn{Op: OpError, Err: e, Path: r.Path, Session: r.Session} }
	switch r.Op {
	case OpCreate:
		if ValidatePath(r.Path) != nil || r.Path == "/" {
			return fail(BadArguments)
		}
		parent, _ := parentOf(r.Path)
		pn := t.nodes[parent]
		if pn == nil {
			return fail(NoNode)
		}
		if pn.Stat.EphemeralOwner != 0 {
			return fail(NoChildrenForEphemerals)
		}
		path := r.Path
		if r.Sequential {
			path += seqSuffix(pn.Stat.Cversion)
		}
		if t.nodes[path] != nil {
			return Txn{Op: OpError, Err: NodeExists, Path: path, Session: r.Session}
		}
		tx := Txn{Op: OpCreate, Path: path, Data: r.Data, ParentCVersion: pn.Stat.Cversion + 1, Session: r.Session}
		if r.Ephemeral {
			tx.EphemeralOwner = r.Session
		}
		return tx
	case OpDelete:
		if ValidatePath(r.Path) != nil || r.Path == "/" {
			return fail(BadArguments)
		}
		n := t.nodes[r.Path]
		switch {
		case n == nil:
			return fail(NoNode)
		case r.Version != -1 && r.Version != n.Stat.Version:
			return fail(BadVersion)
		case len(n.children) > 0:
			return fail(NotEmpty)
		}
		return Txn{Op: OpDelete, Path: r.Path, Session: r.Session}
	case OpSetData:
		if ValidatePath(r.Path) != nil {
			return fail(BadArguments)
		}
		n := t.nodes[r.Path]
		switch {
		case n == nil:
			return fail(NoNode)
		case r.Version != -1 && r.Version != n.Stat.Version:
			return fail(BadVersion)
		}
		return Txn{Op: OpSetData, Path: r.Path, Data: r.Data, Version: n.Stat.Version + 1, Session: r.Session}
	case OpCreateSession:
		return Txn{Op: OpCreateSession, Session: r.Session, Timeout: r.Version}
	case OpCloseSession:
		return Txn{Op: OpCloseSession, Session: r.Session}
	}
	return fail(BadArguments)
}

// Apply applies a txn at zxid (DataTree.processTxn). It never panics.
func (t *Tree) Apply(zxid uint64, tx Txn) Result {
	switch tx.Op {
	case OpCreate:
		return t.create(zxid, tx)
	case OpDelete:
		return t.delete(zxid, tx.Path)
	case OpSetData:
		n := t.nodes[tx.Path]
		if n == nil {
			return Result{Err: NoNode, Path: tx.Path}
		}
		n.Data, n.Stat.Version, n.Stat.Mzxid = tx.Data, tx.Version, zxid
		return Result{Path: tx.Path, Stat: n.Stat}
	case OpCreateSession:
		t.sessions[tx.Session] = tx.Timeout
		return Result{}
	case OpCloseSession:
		set := t.ephemerals[tx.Session]
		paths := make([]string, 0, len(set))
		for p := range set {
			paths = append(paths, p)
		}
		sort.Sort(sort.Reverse(sort.StringSlice(paths)))
		for _, p := range paths {
			t.delete(zxid, p)
		}
		delete(t.ephemerals, tx.Session)
		delete(t.sessions, tx.Session)
		return Result{}
	case OpError:
		return Result{Err: tx.Err, Path: tx.Path}
	}
	return Result{Err: BadArguments}
}

func (t *Tree) create(zxid uint64, tx Txn) Result {
	if ValidatePath(tx.Path) != nil || tx.Path == "/" {
		return Result{Err: BadArguments, Path: tx.Path}
	}
	parent, name := parentOf(tx.Path)
	pn := t.nodes[parent]
	if pn == nil {
		return Result{Err: NoNode, Path: tx.Path}
	}
	if tx.ParentCVersion > pn.Stat.Cversion {
		pn.Stat.Cversion, pn.Stat.Pzxid = tx.ParentCVersion, zxid
	}
	if t.nodes[tx.Path] != nil {
		return Result{Err: NodeExists, Path: tx.Path}
	}
	n := &Znode{Data: tx.Data, Stat: Stat{Czxid: zxid, Mzxid: zxid, Pzxid: zxid, EphemeralOwner: tx.EphemeralOwner}}
	t.nodes[tx.Path] = n
	if pn.children == nil {
		pn.children = map[string]struct{}{}
	}
	pn.children[name] = struct{}{}
	if tx.EphemeralOwner != 0 {
		set := t.ephemerals[tx.EphemeralOwner]
		if set == nil {
			set = map[string]struct{}{}
			t.ephemerals[tx.EphemeralOwner] = set
		}
		set[tx.Path] = struct{}{}
	}
	return Result{Path: tx.Path, Stat: n.Stat}
}

func (t *Tree) delete(zxid uint64, path string) Result {
	n := t.nodes[path]
	if n == nil || path == "/" {
		return Result{Err: NoNode, Path: path}
	}
	parent, name := parentOf(path)
	delete(t.nodes, path)
	if pn := t.nodes[parent]; pn != nil {
		delete(pn.children, name)
		if zxid > pn.Stat.Pzxid {
			pn.Stat.Pzxid = zxid
		}
	}
	if o := n.Stat.EphemeralOwner; o != 0 {
		delete(t.ephemerals[o], path)
	}
	return Result{Path: path}
}
