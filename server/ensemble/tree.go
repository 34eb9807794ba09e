package ensemble

import (
	"sort"
	"strconv"
	"strings"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/sim"
)

// treeSlack is how many committed txns past a server's last zxid State
// undoes from the stream's latest tree before it replays the history
// instead (a server far behind: rare, and as costly as before).
const treeSlack = 256

// txnText is a txn as the log tail and the tree need it. A committed one
// (stream.history) also says what its path held before it, so the tree of
// a server behind the stream can be drawn by undoing the txns it lacks.
type txnText struct {
	zxid core.Zxid
	text string

	path    string    // the znode it changes ("" when none)
	prev    sim.ZNode // what path held before it
	existed bool      // whether path existed before it
}

// size is roughly what t holds in memory.
func (t *txnText) size() int { return 64 + len(t.text) + len(t.prev.Data) + len(t.prev.Path) }

// parseTxn reads a txn's text as ztree.Txn.String writes it: create and
// setData give the znode after it, delete only the path.
func parseTxn(text string) (op, path string, n sim.ZNode, ok bool) {
	op, rest, _ := strings.Cut(text, " ")
	switch op {
	case "create", "setData":
		path, q, _ := strings.Cut(rest, " ")
		data, err := strconv.QuotedPrefix(q)
		if err != nil {
			return "", "", n, false
		}
		val, _ := strconv.Unquote(data)
		n = sim.ZNode{Path: path, Data: val}
		if op == "setData" {
			if _, v, ok := strings.Cut(q[len(data):], " v="); ok {
				x, _ := strconv.Atoi(v)
				n.Version = int32(x)
			}
		}
		return op, path, n, true
	case "delete":
		return op, rest, n, true
	}
	return "", "", n, false
}

// hidden are the znodes State does not show.
func hidden(path string) bool { return path == "/zookeeper" || strings.HasPrefix(path, "/zookeeper/") }

// liveTree is the tree every committed txn the stream saw leaves, kept up
// to date as they are emitted (State used to replay the whole history for
// every server on every build), with its shown paths in order.
type liveTree struct {
	nodes map[string]sim.ZNode
	paths []string // sorted, without the hidden ones
	bytes int      // the values' bytes, for the ensemble's cap
}

func newLiveTree() *liveTree { return &liveTree{nodes: map[string]sim.ZNode{}} }

// apply applies t and records in t what its path held before.
func (lt *liveTree) apply(t *txnText) {
	op, path, n, ok := parseTxn(t.text)
	if !ok {
		return
	}
	t.path = path
	t.prev, t.existed = lt.nodes[path]
	switch op {
	case "create", "setData":
		lt.nodes[path] = n
		lt.bytes += len(n.Data) - len(t.prev.Data)
		if !t.existed {
			lt.index(path, true)
		}
	case "delete":
		if t.existed {
			delete(lt.nodes, path)
			lt.bytes -= len(t.prev.Data)
			lt.index(path, false)
		}
	}
}

func (lt *liveTree) index(path string, add bool) {
	if hidden(path) {
		return
	}
	i := sort.SearchStrings(lt.paths, path)
	switch {
	case add && (i == len(lt.paths) || lt.paths[i] != path):
		lt.paths = append(lt.paths, "")
		copy(lt.paths[i+1:], lt.paths[i:])
		lt.paths[i] = path
	case !add && i < len(lt.paths) && lt.paths[i] == path:
		lt.paths = append(lt.paths[:i], lt.paths[i+1:]...)
	}
}

// top copies the first k shown znodes; more reports whether there are others.
func (lt *liveTree) top(k int) (out []sim.ZNode, more bool) {
	n := min(k, len(lt.paths))
	out = make([]sim.ZNode, n)
	for i, p := range lt.paths[:n] {
		out[i] = lt.nodes[p]
	}
	return out, len(lt.paths) > n
}

// treeAt is the tree (its first sim.StateTreeMax shown znodes) of a server
// that applied the committed txns up to upTo: the stream's latest tree (its
// first znodes, top, and more if it has others) with the txns of history
// after upTo undone, or, for a server far behind, history replayed.
func treeAt(history []txnText, top []sim.ZNode, more bool, upTo core.Zxid) []sim.ZNode {
	i := sort.Search(len(history), func(i int) bool { return history[i].zxid > upTo })
	undo := history[i:]
	if len(undo) == 0 {
		return top[:min(len(top), sim.StateTreeMax)]
	}
	if i == 0 || len(undo) > len(top)-sim.StateTreeMax && more {
		return replayTree(history[:i])
	}
	// Undoing k txns removes at most k of top: when top is cut, the first
	// StateTreeMax znodes of the older tree are all at most its last path.
	limit := ""
	if more {
		limit = top[len(top)-1].Path
	}
	tree := make(map[string]sim.ZNode, len(top)+len(undo))
	for _, n := range top {
		tree[n.Path] = n
	}
	for k := len(undo) - 1; k >= 0; k-- {
		t := &undo[k]
		if t.path == "" || hidden(t.path) || limit != "" && t.path > limit {
			continue
		}
		if t.existed {
			tree[t.path] = t.prev
		} else {
			delete(tree, t.path)
		}
	}
	return sortedTree(tree)
}

// replayTree applies history from an empty tree.
func replayTree(history []txnText) []sim.ZNode {
	tree := map[string]sim.ZNode{}
	for _, t := range history {
		op, path, n, ok := parseTxn(t.text)
		switch {
		case !ok || hidden(path):
		case op == "delete":
			delete(tree, path)
		default:
			tree[path] = n
		}
	}
	return sortedTree(tree)
}

func sortedTree(tree map[string]sim.ZNode) []sim.ZNode {
	out := make([]sim.ZNode, 0, len(tree))
	for _, n := range tree {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	if len(out) > sim.StateTreeMax {
		out = out[:sim.StateTreeMax]
	}
	return out
}
