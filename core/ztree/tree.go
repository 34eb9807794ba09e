package ztree

import (
	"errors"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Stat is ZooKeeper's Stat, filled as DataTree fills it: czxid and ctime
// from the create txn, mzxid and mtime from the last create or setData,
// pzxid from the last change to the children (a create or delete of a child;
// ZooKeeper's replay rules), version (setData), cversion (children created
// and, through the leader's parent cversion, deleted), aversion (always 0:
// ACLs are world:anyone only), ephemeralOwner, dataLength and numChildren.
// Times are milliseconds of the leader's clock.
type Stat struct {
	Czxid          uint64 `json:"czxid"`
	Mzxid          uint64 `json:"mzxid"`
	Ctime          int64  `json:"ctime"`
	Mtime          int64  `json:"mtime"`
	Version        int32  `json:"version"`
	Cversion       int32  `json:"cversion"`
	Aversion       int32  `json:"aversion"`
	EphemeralOwner int64  `json:"ephemeralOwner,omitempty"`
	DataLength     int32  `json:"dataLength"`
	NumChildren    int32  `json:"numChildren"`
	Pzxid          uint64 `json:"pzxid"`
}

// Znode is a node of the tree, ZooKeeper's DataNode. It is exported for
// views; treat it as read-only outside the package.
type Znode struct {
	Data string
	Stat Stat

	children map[string]struct{} // child names; nil until the first child
	pd       uint64              // hashPathData(path, Data), cached for the digest
}

// Result is what applying a txn did: ZooKeeper's ProcessTxnResult, and one
// entry of a multi's results (ZooKeeper's OpResult).
type Result struct {
	// Op is the txn's op; in a multi's Results, OpError for an op that did
	// not apply (the whole multi failed), with Err its code: OK for the ops
	// before the failing one, the failing op's code, RuntimeInconsistency
	// for the ops after it (DataTree.processTxn).
	Op  Op  `json:"op,omitempty"`
	Err Err `json:"err"`
	// Path is, for create, the name of the created node; for delete,
	// setData and check the node's path.
	Path string `json:"path,omitempty"`
	// Stat is the node's stat after a create or setData.
	Stat Stat `json:"stat"`
	// Results are a multi's results, one per op. The multi's own Err is
	// the first non-OK code among them.
	Results []Result `json:"results,omitempty"`
}

// Tree is the data tree: znodes by path (the root "/" always exists),
// sessions with their timeouts, and the ephemeral nodes of each session. The
// zero Tree is not usable; make one with New.
type Tree struct {
	nodes      map[string]*Znode
	sessions   map[int64]int32               // session id -> timeout (ms)
	ephemerals map[int64]map[string]struct{} // owner -> paths; no empty sets
	digest     uint64                        // sum of nodeDigest over nodes
	size       int                           // sum of nodeSize over nodes
}

// nodeOverhead is the fixed per-node part of Size, standing in for the
// serialized Stat and ACL reference of a ZooKeeper snapshot record.
const nodeOverhead = 40

func nodeSize(path, data string) int { return len(path) + len(data) + nodeOverhead }

func hashPathData(path, data string) uint64 {
	return hashString(hashString(fnvOffset, path), data)
}

// nodeDigest is one node's share of Tree.Hash: its path, data and every
// stored stat field (ctime and mtime when set). NumChildren and DataLength
// are left out: they follow from the paths and the data.
func nodeDigest(n *Znode) uint64 {
	s := &n.Stat
	h := hashWord(n.pd, s.Czxid)
	h = hashWord(h, s.Mzxid)
	h = hashWord(h, s.Pzxid)
	h = hashWord(h, uint64(uint32(s.Version))|uint64(uint32(s.Cversion))<<32)
	h = hashWord(h, uint64(s.EphemeralOwner))
	if s.Ctime != 0 || s.Mtime != 0 {
		h = hashWord(h, uint64(s.Ctime))
		h = hashWord(h, uint64(s.Mtime))
	}
	return fmix64(h)
}

// New returns a tree holding only "/", with no sessions.
func New() *Tree {
	root := &Znode{pd: hashPathData("/", "")}
	return &Tree{
		nodes:      map[string]*Znode{"/": root},
		sessions:   map[int64]int32{},
		ephemerals: map[int64]map[string]struct{}{},
		digest:     nodeDigest(root),
		size:       nodeSize("/", ""),
	}
}

// Clone returns a deep copy of the tree: changing either afterwards leaves
// the other as it was.
func (t *Tree) Clone() *Tree {
	c := &Tree{
		nodes:      make(map[string]*Znode, len(t.nodes)),
		sessions:   make(map[int64]int32, len(t.sessions)),
		ephemerals: make(map[int64]map[string]struct{}, len(t.ephemerals)),
		digest:     t.digest,
		size:       t.size,
	}
	slab := make([]Znode, len(t.nodes)) // one allocation for all nodes
	i := 0
	for p, n := range t.nodes {
		m := &slab[i]
		i++
		*m = *n
		m.children = copySet(n.children)
		c.nodes[p] = m
	}
	for s, to := range t.sessions {
		c.sessions[s] = to
	}
	for s, set := range t.ephemerals {
		c.ephemerals[s] = copySet(set)
	}
	return c
}

func copySet(s map[string]struct{}) map[string]struct{} {
	if len(s) == 0 {
		return nil
	}
	m := make(map[string]struct{}, len(s))
	for k := range s {
		m[k] = struct{}{}
	}
	return m
}

// Get returns the data and stat of the node at path, or NoNode.
func (t *Tree) Get(path string) (data string, st Stat, err Err) {
	n := t.nodes[path]
	if n == nil {
		return "", Stat{}, NoNode
	}
	return n.Data, n.Stat, OK
}

// Exists reports whether there is a node at path.
func (t *Tree) Exists(path string) bool { return t.nodes[path] != nil }

// Children returns the sorted names (not full paths) of the children of the
// node at path, or nil if it has none or does not exist.
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

// Len returns the number of znodes, including "/".
func (t *Tree) Len() int { return len(t.nodes) }

// Paths returns the paths of all znodes, sorted.
func (t *Tree) Paths() []string {
	out := make([]string, 0, len(t.nodes))
	for p := range t.nodes {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// Size returns the approximate serialized size of the tree in bytes: the sum
// over nodes of len(path)+len(data)+40. The leader compares it with the
// bytes of the txns a learner lacks to choose SNAP over DIFF, as ZooKeeper
// compares log bytes with the snapshot size.
func (t *Tree) Size() int { return t.size }

// Hash returns a digest of the whole tree content: every node's path, data,
// zxids, versions and ephemeral owner. It is a sum of per-node hashes, so it
// does not depend on map order, and it is kept up to date by every change,
// so it costs nothing to read. Sessions are not part of it, as they are not
// part of ZooKeeper's tree digest.
func (t *Tree) Hash() uint64 { return t.digest }

// ValidatePath checks p against ZooKeeper's PathUtils.validatePath rules: it
// must start with "/", must not end with "/" (except the root itself), must
// have no empty, "." or ".." segments and no NUL, and must not hold the
// characters ZooKeeper forbids (control characters, U+007F to U+009F,
// U+D800 to U+F8FF, U+FFF0 and above, and invalid UTF-8). Error texts start
// with "zab: invalid path"; positions in them are byte offsets.
func ValidatePath(p string) error { return validatePath(p, false) }

// validatePath is ValidatePath, or with seq ZooKeeper's check of a
// sequential create, which validates p+"1" (so "/a/" is allowed and makes
// "/a/0000000000").
func validatePath(p string, seq bool) error {
	if len(p) == 0 {
		return pathError(p, "path length must be > 0", -1)
	}
	if p[0] != '/' {
		return pathError(p, "path must start with / character", -1)
	}
	if len(p) == 1 {
		return nil
	}
	if !seq && p[len(p)-1] == '/' {
		return pathError(p, "path must not end with / character", -1)
	}
	// nameEnds reports whether a node name ends right after byte i.
	nameEnds := func(i int) bool {
		if i+1 == len(p) {
			return !seq
		}
		return p[i+1] == '/'
	}
	last := byte('/')
	for i := 1; i < len(p); {
		c := p[i]
		switch {
		case c == 0:
			return pathError(p, "null character not allowed", i)
		case c == '/' && last == '/':
			return pathError(p, "empty node name specified", i)
		case c == '.' && last == '.':
			if p[i-2] == '/' && nameEnds(i) {
				return pathError(p, "relative paths not allowed", i)
			}
		case c == '.':
			if last == '/' && nameEnds(i) {
				return pathError(p, "relative paths not allowed", i)
			}
		case c < 0x20 || c == 0x7f:
			return pathError(p, "invalid character", i)
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRuneInString(p[i:])
			if r <= 0x9f || r >= 0xd800 && r <= 0xf8ff || r >= 0xfff0 {
				return pathError(p, "invalid character", i)
			}
			last = 'x'
			i += size
			continue
		}
		last = c
		i++
	}
	return nil
}

func pathError(p, why string, at int) error {
	s := "zab: invalid path " + strconv.Quote(p) + ": " + why
	if at >= 0 {
		s += " @" + strconv.Itoa(at)
	}
	return errors.New(s)
}

// splitPath returns the parent path and the node name of a valid path.
func splitPath(p string) (parent, name string) {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/", p[i+1:]
	}
	return p[:i], p[i+1:]
}

// appendSeq appends n as Java's String.format("%010d", n) does: ten digits,
// zero padded, the sign counting towards the width.
func appendSeq(b []byte, n int32) []byte {
	v, width := int64(n), 10
	if v < 0 {
		b = append(b, '-')
		v, width = -v, 9
	}
	var d [10]byte
	i := len(d)
	for v > 0 || len(d)-i < width {
		i--
		d[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, d[i:]...)
}

func failTxn(r Request, code Err, path string) Txn {
	return Txn{Op: OpError, Err: code, Path: path, Session: r.Session}
}

// HasSession reports whether session id is open in the tree (created and
// not yet closed).
func (t *Tree) HasSession(id int64) bool {
	_, ok := t.sessions[id]
	return ok
}

// SessionCount is the number of open sessions.
func (t *Tree) SessionCount() int { return len(t.sessions) }

// Sessions returns the open sessions and their timeouts (ms), by id.
func (t *Tree) Sessions() map[int64]int32 {
	out := make(map[int64]int32, len(t.sessions))
	for id, to := range t.sessions {
		out[id] = to
	}
	return out
}

// Ephemerals returns the paths of the ephemeral nodes session owns, sorted.
func (t *Tree) Ephemerals(session int64) []string {
	set := t.ephemerals[session]
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// Stat returns the stat of the node at path, with dataLength and
// numChildren filled, or NoNode.
func (t *Tree) Stat(path string) (Stat, Err) {
	n := t.nodes[path]
	if n == nil {
		return Stat{}, NoNode
	}
	return n.Stat, OK
}

// changes is a multi's view of the tree while it is prepped: the committed
// tree t under the change records of the ops prepped so far (ZooKeeper's
// outstandingChanges, rolled back when an op of the multi fails).
type changes struct {
	t    *Tree
	over map[string]*Znode // nil value: deleted by an earlier op
}

func (c *changes) node(p string) *Znode {
	if c.over != nil {
		if n, ok := c.over[p]; ok {
			return n
		}
	}
	return c.t.nodes[p]
}

// record applies a prepped txn's effect on node records (not the tree).
func (c *changes) record(tx Txn) {
	if c.over == nil {
		c.over = map[string]*Znode{}
	}
	dup := func(p string) *Znode {
		n := c.node(p)
		if n == nil {
			return nil
		}
		m := *n
		m.children = nil
		c.over[p] = &m
		return &m
	}
	switch tx.Op {
	case OpCreate:
		parent, _ := splitPath(tx.Path)
		if pn := dup(parent); pn != nil {
			pn.Stat.Cversion = tx.ParentCVersion
			pn.Stat.NumChildren++
		}
		c.over[tx.Path] = &Znode{Data: tx.Data, Stat: Stat{EphemeralOwner: tx.EphemeralOwner}}
	case OpDelete:
		parent, _ := splitPath(tx.Path)
		if pn := dup(parent); pn != nil {
			pn.Stat.NumChildren--
		}
		c.over[tx.Path] = nil
	case OpSetData:
		if n := dup(tx.Path); n != nil {
			n.Data = tx.Data
			n.Stat.Version = tx.Version
		}
	}
}

// checkAndIncVersion is PrepRequestProcessor.checkAndIncVersion, with the
// ZOOKEEPER-4743 wrap: the version after -1's predecessor is 0.
func checkAndIncVersion(current, expected int32) (int32, bool) {
	if expected != -1 && expected != current {
		return 0, false
	}
	if current+1 == -1 {
		return 0, true
	}
	return current + 1, true
}

// Prep turns a client request into the txn the leader proposes, as
// PrepRequestProcessor does. It checks the request against t, which should
// be the leader's future state: the committed tree with every txn prepped so
// far applied to it. Prep does not change t. A failed write becomes an
// OpError txn carrying the code, the path and the session, since ZooKeeper
// replicates failed writes too; reads (getData, sync, ...) and unknown ops
// become OpError with BadArguments. The caller stamps Time.
//
// create (and create2) fails with SessionExpired if it is ephemeral and its
// session is not open (ZooKeeper's session check), BadArguments for a bad
// path, NoNode without a parent, NodeExists if the final name is taken, and
// NoChildrenForEphemerals under an ephemeral parent; createContainer and
// createTTL with Unimplemented. A sequential create appends the parent's
// cversion, zero padded to ten digits, to the path. delete fails with
// BadArguments (bad path or "/"), NoNode, BadVersion or NotEmpty; setData
// with BadArguments, NoNode or BadVersion; check with BadArguments, NoNode or
// BadVersion. A Version of -1 matches any version. createSession and
// closeSession need a non-zero Session (else BadArguments); the timeout of
// createSession is taken from Request.Version.
//
// multi preps its ops in order, each seeing the changes of the ops before it;
// at the first that fails, the rest become OpError RuntimeInconsistency and
// the changes are dropped (ZooKeeper's rollbackPendingChanges). The multi
// txn is OpMulti with one txn per op.
func (t *Tree) Prep(r Request) Txn {
	c := &changes{t: t}
	if r.Op != OpMulti {
		return c.prep(r)
	}
	tx := Txn{Op: OpMulti, Session: r.Session, Txns: make([]Txn, 0, len(r.Ops))}
	failed := false
	for _, op := range r.Ops {
		if failed {
			tx.Txns = append(tx.Txns, Txn{Op: OpError, Err: RuntimeInconsistency})
			continue
		}
		op.Session = r.Session
		var sub Txn
		switch op.Op {
		case OpCreate, OpCreate2, OpDelete, OpSetData, OpCheck, OpCreateContainer, OpCreateTTL:
			sub = c.prep(op) // container and TTL: Unimplemented
		default:
			sub = failTxn(op, BadArguments, op.Path)
		}
		sub.Session = 0
		if sub.Op == OpError {
			failed = true
			c.over = nil
		} else {
			c.record(sub)
		}
		tx.Txns = append(tx.Txns, sub)
	}
	return tx
}

func (c *changes) prep(r Request) Txn {
	switch r.Op {
	case OpCreate, OpCreate2:
		return c.prepCreate(r)
	case OpCreateContainer, OpCreateTTL:
		return failTxn(r, Unimplemented, r.Path)
	case OpDelete:
		if ValidatePath(r.Path) != nil || r.Path == "/" {
			return failTxn(r, BadArguments, r.Path)
		}
		parent, _ := splitPath(r.Path)
		if c.node(parent) == nil {
			return failTxn(r, NoNode, r.Path)
		}
		n := c.node(r.Path)
		if n == nil {
			return failTxn(r, NoNode, r.Path)
		}
		if _, ok := checkAndIncVersion(n.Stat.Version, r.Version); !ok {
			return failTxn(r, BadVersion, r.Path)
		}
		if n.Stat.NumChildren > 0 {
			return failTxn(r, NotEmpty, r.Path)
		}
		return Txn{Op: OpDelete, Path: r.Path, Session: r.Session}
	case OpSetData, OpCheck:
		if ValidatePath(r.Path) != nil {
			return failTxn(r, BadArguments, r.Path)
		}
		n := c.node(r.Path)
		if n == nil {
			return failTxn(r, NoNode, r.Path)
		}
		v, ok := checkAndIncVersion(n.Stat.Version, r.Version)
		if !ok {
			return failTxn(r, BadVersion, r.Path)
		}
		if r.Op == OpCheck {
			return Txn{Op: OpCheck, Path: r.Path, Version: v, Session: r.Session}
		}
		return Txn{Op: OpSetData, Path: r.Path, Data: r.Data, Version: v, Session: r.Session}
	case OpCreateSession:
		if r.Session == 0 {
			return failTxn(r, BadArguments, r.Path)
		}
		return Txn{Op: OpCreateSession, Session: r.Session, Timeout: r.Version}
	case OpCloseSession:
		if r.Session == 0 {
			return failTxn(r, BadArguments, r.Path)
		}
		return Txn{Op: OpCloseSession, Session: r.Session}
	}
	return failTxn(r, BadArguments, r.Path)
}

func (c *changes) prepCreate(r Request) Txn {
	if r.Ephemeral {
		if _, ok := c.t.sessions[r.Session]; !ok {
			return failTxn(r, SessionExpired, r.Path)
		}
	}
	if validatePath(r.Path, r.Sequential) != nil {
		return failTxn(r, BadArguments, r.Path)
	}
	// The parent comes from the path as given, before any suffix: "/a/"
	// (sequential) is a child of "/a".
	parentPath := r.Path[:strings.LastIndexByte(r.Path, '/')]
	if parentPath == "" {
		parentPath = "/"
	}
	pn := c.node(parentPath)
	if pn == nil {
		return failTxn(r, NoNode, r.Path)
	}
	path := r.Path
	if r.Sequential {
		b := make([]byte, 0, len(r.Path)+11)
		b = append(b, r.Path...)
		path = string(appendSeq(b, pn.Stat.Cversion))
	}
	if c.node(path) != nil {
		return failTxn(r, NodeExists, path)
	}
	if pn.Stat.EphemeralOwner != 0 {
		return failTxn(r, NoChildrenForEphemerals, path)
	}
	tx := Txn{Op: OpCreate, Path: path, Data: r.Data, ParentCVersion: pn.Stat.Cversion + 1, Session: r.Session}
	if r.Ephemeral {
		tx.EphemeralOwner = r.Session
	}
	return tx
}

// Apply applies a committed txn at zxid, as DataTree.processTxn does, and
// never panics.
//
// create makes the node with czxid = mzxid = pzxid = zxid and, if
// tx.ParentCVersion is above the parent's cversion, sets the parent's
// cversion to it and its pzxid to zxid. It does that even when the node
// already exists (the result is then NodeExists), so that replaying a create
// over a state that has it is harmless, as in ZooKeeper's
// FileTxnSnapLog.processTransaction. It fails with NoNode without a parent.
// delete fails with NoNode; it unlinks the node, raises the parent's pzxid
// to zxid if that is larger and leaves the parent's cversion alone. setData
// fails with NoNode, and sets the data, the absolute tx.Version and mzxid.
// An OpError txn changes nothing and returns its code. createSession records
// the session; closeSession deletes its ephemerals and forgets it.
//
// Txns a correct leader never proposes are refused without any change: a
// create or delete with an invalid path or of "/" (BadArguments, or
// NodeExists for creating "/"), a create under an ephemeral node
// (NoChildrenForEphemerals), a delete of a node with children (NotEmpty),
// and an unknown op (BadArguments).
func (t *Tree) Apply(zxid uint64, tx Txn) Result {
	res := t.apply(zxid, tx)
	res.Op = tx.Op
	return res
}

func (t *Tree) apply(zxid uint64, tx Txn) Result {
	switch tx.Op {
	case OpSetData:
		n := t.nodes[tx.Path]
		if n == nil {
			return Result{Err: NoNode, Path: tx.Path}
		}
		t.digest -= nodeDigest(n)
		t.size += len(tx.Data) - len(n.Data)
		n.Data = tx.Data
		n.pd = hashPathData(tx.Path, tx.Data)
		n.Stat.Version = tx.Version
		n.Stat.Mzxid = zxid
		n.Stat.Mtime = tx.Time
		n.Stat.DataLength = int32(len(tx.Data))
		t.digest += nodeDigest(n)
		return Result{Path: tx.Path, Stat: n.Stat}
	case OpCheck:
		return Result{Path: tx.Path}
	case OpMulti:
		return t.applyMulti(zxid, tx)
	case OpCreate:
		return t.create(zxid, tx)
	case OpDelete:
		return Result{Err: t.deleteNode(zxid, tx.Path), Path: tx.Path}
	case OpError:
		return Result{Err: tx.Err}
	case OpCreateSession:
		t.sessions[tx.Session] = tx.Timeout
		return Result{}
	case OpCloseSession:
		t.closeSession(zxid, tx.Session)
		return Result{}
	}
	return Result{Err: BadArguments}
}

func (t *Tree) create(zxid uint64, tx Txn) Result {
	path := tx.Path
	if path == "/" {
		return Result{Err: NodeExists}
	}
	if ValidatePath(path) != nil {
		return Result{Err: BadArguments}
	}
	parentPath, name := splitPath(path)
	pn := t.nodes[parentPath]
	if pn == nil {
		return Result{Err: NoNode}
	}
	if pn.Stat.EphemeralOwner != 0 {
		return Result{Err: NoChildrenForEphemerals}
	}
	pcv := tx.ParentCVersion
	if pcv == -1 {
		pcv = pn.Stat.Cversion + 1
	}
	if pcv > pn.Stat.Cversion {
		t.digest -= nodeDigest(pn)
		pn.Stat.Cversion = pcv
		pn.Stat.Pzxid = zxid
		t.digest += nodeDigest(pn)
	}
	if t.nodes[path] != nil {
		return Result{Err: NodeExists}
	}
	n := &Znode{
		Data: tx.Data,
		Stat: Stat{Czxid: zxid, Mzxid: zxid, Pzxid: zxid, Ctime: tx.Time, Mtime: tx.Time,
			EphemeralOwner: tx.EphemeralOwner, DataLength: int32(len(tx.Data))},
		pd: hashPathData(path, tx.Data),
	}
	t.nodes[path] = n
	t.digest += nodeDigest(n)
	t.size += nodeSize(path, tx.Data)
	if pn.children == nil {
		pn.children = make(map[string]struct{})
	}
	pn.children[name] = struct{}{}
	pn.Stat.NumChildren++
	if o := tx.EphemeralOwner; o != 0 {
		set := t.ephemerals[o]
		if set == nil {
			set = make(map[string]struct{})
			t.ephemerals[o] = set
		}
		set[path] = struct{}{}
	}
	return Result{Path: path, Stat: n.Stat}
}

// deleteNode is DataTree.deleteNode, refusing "/" and nodes with children.
func (t *Tree) deleteNode(zxid uint64, path string) Err {
	if path == "/" {
		return BadArguments
	}
	n := t.nodes[path]
	if n == nil {
		return NoNode
	}
	if n.Stat.NumChildren > 0 {
		return NotEmpty
	}
	delete(t.nodes, path)
	t.digest -= nodeDigest(n)
	t.size -= nodeSize(path, n.Data)
	parentPath, name := splitPath(path)
	if pn := t.nodes[parentPath]; pn != nil {
		delete(pn.children, name)
		pn.Stat.NumChildren--
		if zxid > pn.Stat.Pzxid {
			t.digest -= nodeDigest(pn)
			pn.Stat.Pzxid = zxid
			t.digest += nodeDigest(pn)
		}
	}
	if o := n.Stat.EphemeralOwner; o != 0 {
		if set := t.ephemerals[o]; set != nil {
			delete(set, path)
			if len(set) == 0 {
				delete(t.ephemerals, o)
			}
		}
	}
	// A cloned node lives in a slab shared with its siblings: let go of what
	// it holds.
	*n = Znode{}
	return OK
}

// applyMulti is DataTree.processTxn's multi: if one of the txns is an
// OpError, none applies and each result is an OpError (OK before the failing
// op, its code, RuntimeInconsistency after it); otherwise each applies in
// order, with the multi's zxid and time. The multi's Err is the first
// non-OK code of its results.
func (t *Tree) applyMulti(zxid uint64, tx Txn) Result {
	res := Result{Results: make([]Result, 0, len(tx.Txns))}
	failed := false
	for _, sub := range tx.Txns {
		if sub.Op == OpError {
			failed = true
			break
		}
	}
	post := false
	for _, sub := range tx.Txns {
		var r Result
		switch {
		case sub.Op == OpError:
			post = true
			r = Result{Op: OpError, Err: sub.Err}
		case failed:
			r = Result{Op: OpError, Err: OK}
			if post {
				r.Err = RuntimeInconsistency
			}
		default:
			sub.Time = tx.Time
			r = t.Apply(zxid, sub)
		}
		if r.Err != OK && res.Err == OK {
			res.Err = r.Err
		}
		res.Results = append(res.Results, r)
	}
	return res
}

// closeSession is DataTree.killSession plus forgetting the session: its
// ephemerals are deleted in reverse path order, children before parents.
func (t *Tree) closeSession(zxid uint64, session int64) {
	if set := t.ephemerals[session]; len(set) > 0 {
		paths := make([]string, 0, len(set))
		for p := range set {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		for i := len(paths) - 1; i >= 0; i-- {
			t.deleteNode(zxid, paths[i])
		}
	}
	delete(t.ephemerals, session)
	delete(t.sessions, session)
}
