// Package view builds a server's state as a viewer sees it, from the real
// core: its role, phase, epochs, vote, zxids, the tail of its txn log and its
// znode tree (bounded). The simulator's Player (core/sim) and every live
// server (server/node's GET /status) publish this same view; the live
// ensemble (server/ensemble) adds only what it alone knows (links, messages
// in flight, the checker's verdict).
//
// It reads a *core.Node and never changes it: call it where the node is
// owned (the simulator's goroutine, a live node's driver loop). It imports
// only core/..., so it builds for GOOS=js as well.
package view

import (
	"strconv"
	"strings"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/ztree"
)

// Bounds of a view, as the browser's playground draws it.
const (
	// LogTail is how many of the last txns of a server's log a view lists.
	LogTail = 24
	// TreeMax is how many znodes (by path, in order) a view lists.
	TreeMax = 64
	// hiddenPath and what is under it are ZooKeeper's own znodes: not shown.
	hiddenPath = "/zookeeper"
)

// Options bounds a view.
type Options struct {
	// LogTail is how many of the last txns of the log to list; TreeMax how
	// many znodes, first by path. 0 lists none.
	LogTail, TreeMax int
	// Paths are znodes to report in Server.Asked whatever TreeMax is (the
	// entries a viewer asks for).
	Paths []string
}

// Default is what the playground shows of each server.
var Default = Options{LogTail: LogTail, TreeMax: TreeMax}

// Server is one server as the playground shows it. Its JSON is a server of
// the wasm binding's and the live API's "state" (wasm/README.md).
type Server struct {
	ID       core.NodeID `json:"id"`
	Name     string      `json:"name"`
	Observer bool        `json:"observer"`
	// Up is false for a server that is down (crashed, not yet restarted).
	// Paused is set by the runtime that paused it; the core cannot know.
	Up            bool             `json:"up"`
	Paused        bool             `json:"paused"`
	Role          core.ServerState `json:"role"`
	Phase         core.Phase       `json:"phase"`
	Leader        core.NodeID      `json:"leader,omitempty"`
	Established   bool             `json:"established,omitempty"`
	AcceptedEpoch core.Epoch       `json:"acceptedEpoch"`
	CurrentEpoch  core.Epoch       `json:"currentEpoch"`
	LastZxid      core.Zxid        `json:"lastZxid"`
	Committed     core.Zxid        `json:"committed"`
	LastLogged    core.Zxid        `json:"lastLogged"`
	Vote          core.Vote        `json:"vote"`
	Round         uint64           `json:"round"`
	// LastSync is the last sync mode a leader chose for this server, when the
	// runtime saw it (the leader decides it; the learner's core forgets it).
	LastSync string `json:"lastSync,omitempty"`
	// Log is the tail of the txn log, oldest first.
	Log []LogEntry `json:"log"`
	// TreeHash is the whole tree's digest (ztree.Tree.Hash, hex), TreeCount
	// and TreeBytes its shown znodes and the bytes of their values, Tree the
	// first of them by path, and Asked the ones Options.Paths named that
	// exist (hidden ones included).
	TreeHash  string  `json:"treeHash"`
	TreeCount int     `json:"treeCount"`
	TreeBytes int     `json:"treeBytes"`
	Tree      []ZNode `json:"tree"`
	Asked     []ZNode `json:"asked,omitempty"`
	// Sessions is the open sessions the server knows, Clients the sessions
	// connected to it, Watches the watches set on it.
	Sessions int `json:"sessions,omitempty"`
	Clients  int `json:"clients,omitempty"`
	Watches  int `json:"watches,omitempty"`
	// Now is the server's own clock (ms) and Timers its failure-detection
	// deadlines in it (core.Timers): a learner's last word from its leader,
	// the leader's learners and proposals, the election's finalize wait. A
	// paused server's clock stands still.
	Now    int64       `json:"now"`
	Timers core.Timers `json:"timers"`
}

// LogEntry is one txn of a server's log tail.
type LogEntry struct {
	Zxid      core.Zxid `json:"zxid"`
	Text      string    `json:"text"`
	Committed bool      `json:"committed"`
}

// ZNode is one node of a server's tree.
type ZNode struct {
	Path    string `json:"path"`
	Data    string `json:"data"`
	Version int32  `json:"version"`
	// Owner is the session owning an ephemeral node ("0x..."), "" for a
	// persistent one.
	Owner string `json:"owner,omitempty"`
}

func znodeOf(path, data string, st ztree.Stat) ZNode {
	z := ZNode{Path: path, Data: data, Version: st.Version}
	if st.EphemeralOwner != 0 {
		z.Owner = "0x" + strconv.FormatUint(uint64(st.EphemeralOwner), 16)
	}
	return z
}

// Hidden reports whether a path is one a view does not show: the root and
// ZooKeeper's own /zookeeper subtree.
func Hidden(path string) bool {
	return path == "/" || path == hiddenPath || strings.HasPrefix(path, hiddenPath+"/")
}

// Of builds the view of a running server from its core. A txn of the log
// is committed when it is at or below the last one the server applied.
func Of(n *core.Node, o Options) Server {
	ns := n.Status()
	s := FromStatus(ns)
	log := n.Log()
	if k := max(o.LogTail, 0); len(log) > k {
		log = log[len(log)-k:]
	}
	s.Log = make([]LogEntry, 0, len(log))
	for i := range log {
		e := &log[i]
		s.Log = append(s.Log, LogEntry{Zxid: e.Zxid, Text: e.Txn.Txn.String(), Committed: e.Zxid <= ns.LastZxid})
	}
	t := n.Tree()
	s.TreeHash = strconv.FormatUint(t.Hash(), 16)
	s.Tree = make([]ZNode, 0, min(max(o.TreeMax, 0), t.Len()))
	for _, path := range t.Paths() {
		if Hidden(path) {
			continue
		}
		data, stat, _ := t.Get(path)
		s.TreeCount++
		s.TreeBytes += len(data)
		if len(s.Tree) < o.TreeMax {
			s.Tree = append(s.Tree, znodeOf(path, data, stat))
		}
	}
	for _, path := range o.Paths {
		if data, stat, err := t.Get(path); err == ztree.OK {
			s.Asked = append(s.Asked, znodeOf(path, data, stat))
		}
	}
	return s
}

// FromStatus is the view of a running server with status ns, without its
// log tail or tree (Of fills them in).
func FromStatus(ns core.Status) Server {
	return Server{
		ID: ns.ID, Name: ns.ID.String(), Observer: ns.Observer, Up: true,
		Role: ns.Role, Phase: ns.Phase, Leader: ns.Leader, Established: ns.Established,
		AcceptedEpoch: ns.AcceptedEpoch, CurrentEpoch: ns.CurrentEpoch,
		LastZxid: ns.LastZxid, Committed: ns.Committed, LastLogged: ns.LastLogged,
		Vote: ns.Vote, Round: ns.Round, Log: []LogEntry{}, Tree: []ZNode{},
		Now: ns.Now, Timers: ns.Timers, Sessions: ns.Sessions, Clients: ns.Clients, Watches: ns.Watches,
	}
}

// Down is the view of a server that is down: who it is and the epochs its
// disk holds. (Its log and tree are shown again once it restarts from them.)
func Down(id core.NodeID, observer bool, d core.Durable) Server {
	return Server{ID: id, Name: id.String(), Observer: observer, Role: core.Down,
		AcceptedEpoch: d.AcceptedEpoch, CurrentEpoch: d.CurrentEpoch, Log: []LogEntry{}, Tree: []ZNode{}}
}
