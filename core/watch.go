package core

import (
	"sort"
	"strings"

	"github.com/zabplay/zabplay/core/enum"
	"github.com/zabplay/zabplay/core/ztree"
)

// Watches, as ZooKeeper's WatchManager keeps them: a read with Watch set
// (exists, getData, getChildren, getChildren2) leaves a one-shot watch at
// the server that answers it, for the session's connection there. That
// server fires it when it applies the txn that changes the node, in the
// same step as the txn's reply, so a client sees the notification of zxid Z
// before the reply to any request of a higher zxid (FinalRequestProcessor
// applies the txn, triggering the watches, before it answers). A
// notification is a Reply with Op notification and Watch set; its Zxid is
// the txn's. A watch fires once and is gone; a connection that breaks
// (MsgDisconnect) or moves takes its watches with it.
//
// Which event fires which watch (DataTree):
//
//	create /p         NodeCreated on data watches of /p (left by exists); NodeChildrenChanged on child watches of the parent
//	delete /p         NodeDeleted on data and child watches of /p; NodeChildrenChanged on child watches of the parent
//	setData /p        NodeDataChanged on data watches of /p
//	closeSession      as a delete, for each ephemeral it removes
//
// exists on a missing node leaves an exists watch (it fires NodeCreated);
// getData, getChildren on a missing node leave none (NoNode).

// EventType is a watch event's type, Watcher.Event.EventType with
// ZooKeeper's numbers.
type EventType int32

// The event types.
const (
	EventNone                EventType = -1
	EventNodeCreated         EventType = 1
	EventNodeDeleted         EventType = 2
	EventNodeDataChanged     EventType = 3
	EventNodeChildrenChanged EventType = 4
)

var eventTypeNames = enum.Sparse("event type", map[EventType]string{
	EventNone:                "None",
	EventNodeCreated:         "NodeCreated",
	EventNodeDeleted:         "NodeDeleted",
	EventNodeDataChanged:     "NodeDataChanged",
	EventNodeChildrenChanged: "NodeChildrenChanged",
})

// String is ZooKeeper's name: "NodeDataChanged".
func (t EventType) String() string { return eventTypeNames.Name(t) }

// MarshalText writes the name.
func (t EventType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText reads the name.
func (t *EventType) UnmarshalText(b []byte) error { return eventTypeNames.Unmarshal(b, t) }

// ParseEventType is the inverse of String.
func ParseEventType(s string) (EventType, bool) { return eventTypeNames.Parse(s) }

// KeeperState is a watch event's state, Watcher.Event.KeeperState with
// ZooKeeper's numbers.
type KeeperState int32

// The states a server sends.
const (
	StateDisconnected  KeeperState = 0
	StateSyncConnected KeeperState = 3
	StateClosed        KeeperState = 7
	StateExpired       KeeperState = -112
)

var keeperStateNames = enum.Sparse("keeper state", map[KeeperState]string{
	StateDisconnected:  "Disconnected",
	StateSyncConnected: "SyncConnected",
	StateClosed:        "Closed",
	StateExpired:       "Expired",
})

// String is ZooKeeper's name: "SyncConnected".
func (s KeeperState) String() string { return keeperStateNames.Name(s) }

// MarshalText writes the name.
func (s KeeperState) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads the name.
func (s *KeeperState) UnmarshalText(b []byte) error { return keeperStateNames.Unmarshal(b, s) }

// WatchEvent is a notification to a client: ZooKeeper's WatcherEvent (type,
// state, path). A fired watch has State SyncConnected; a session this
// server's client held that was expired has Type None and State Expired.
type WatchEvent struct {
	Type  EventType   `json:"type"`
	State KeeperState `json:"state"`
	Path  string      `json:"path,omitempty"`
}

// WatchKind is which of a server's watch tables a watch sits in.
type WatchKind uint8

// The watch tables of DataTree: data watches (getData, and exists, on a node
// there or not) and child watches (getChildren, getChildren2).
const (
	WatchData WatchKind = iota
	WatchChild
)

var watchKindNames = enum.New[WatchKind]("watch kind", "data", "child")

// String names the kind: data or child.
func (k WatchKind) String() string { return watchKindNames.Name(k) }

// MarshalText writes the name.
func (k WatchKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads the name.
func (k *WatchKind) UnmarshalText(b []byte) error { return watchKindNames.Unmarshal(b, k) }

// ParseWatchKind is the inverse of String.
func ParseWatchKind(s string) (WatchKind, bool) { return watchKindNames.Parse(s) }

// watchTable is one of DataTree's WatchManagers: path → sessions watching,
// kept sorted by session id so watches fire in one order everywhere.
type watchTable map[string][]int64

func (w watchTable) add(path string, session int64) {
	l := w[path]
	i := sort.Search(len(l), func(i int) bool { return l[i] >= session })
	if i < len(l) && l[i] == session {
		return
	}
	l = append(l, 0)
	copy(l[i+1:], l[i:])
	l[i] = session
	w[path] = l
}

// take removes and returns the watchers of path (a watch fires once).
func (w watchTable) take(path string) []int64 {
	l := w[path]
	delete(w, path)
	return l
}

// count is the number of watches in the table.
func (w watchTable) count() int {
	n := 0
	for _, l := range w {
		n += len(l)
	}
	return n
}

func (w watchTable) removeSession(session int64) {
	for p, l := range w {
		for i, s := range l {
			if s == session {
				l = append(l[:i], l[i+1:]...)
				break
			}
		}
		if len(l) == 0 {
			delete(w, p)
		} else {
			w[p] = l
		}
	}
}

func (n *Node) addWatch(session int64, kind WatchKind, path string) {
	t := &n.dataWatches
	if kind == WatchChild {
		t = &n.childWatches
	}
	if *t == nil {
		*t = watchTable{}
	}
	t.add(path, session)
	n.emit(Event{Kind: EvWatch, Client: session, Text: kind.String(), Reply: &Reply{Session: session, Path: path}})
}

func (n *Node) removeWatches(session int64) {
	n.dataWatches.removeSession(session)
	n.childWatches.removeSession(session)
}

// notify sends a notification to a session connected here.
func (n *Node) notify(session int64, z Zxid, ev WatchEvent) {
	rep := Reply{Session: session, Op: ztree.OpNotification, Zxid: z, Server: n.id, Watch: &ev}
	n.rd.Replies = append(n.rd.Replies, rep)
	if ev.State == StateSyncConnected {
		n.emit(Event{Kind: EvWatch, Client: session, Zxid: z, Text: ev.Type.String(), Reply: &rep})
	}
}

// fire sends the watchers of path (from the tables given) event typ, once
// each.
func (n *Node) fire(z Zxid, path string, typ EventType, tables ...watchTable) {
	var who []int64
	for _, t := range tables {
		if t == nil {
			continue
		}
		for _, s := range t.take(path) {
			i := sort.Search(len(who), func(i int) bool { return who[i] >= s })
			if i < len(who) && who[i] == s {
				continue
			}
			who = append(who, 0)
			copy(who[i+1:], who[i:])
			who[i] = s
		}
	}
	for _, s := range who {
		if n.conns[s] != nil {
			n.notify(s, z, WatchEvent{Type: typ, State: StateSyncConnected, Path: path})
		}
	}
}

// setWatches is DataTree.setWatches: a client that reconnected gives back
// the watches it had (r.Ops: the getData, exists and getChildren that set
// them) with the last zxid it saw (r.MinZxid, SetWatches' relativeZxid).
// A watch whose node changed since then fires at once, before the reply
// (FinalRequestProcessor); the others are set here again. Such a
// notification has no zxid (0; ZooKeeper's WatchedEvent.NO_ZXID).
func (n *Node) setWatches(r Request) {
	rel := uint64(r.MinZxid)
	now := func(typ EventType, path string) {
		n.notify(r.Session, 0, WatchEvent{Type: typ, State: StateSyncConnected, Path: path})
	}
	for _, w := range r.Ops {
		if ztree.ValidatePath(w.Path) != nil {
			continue // no node has that name: nothing to watch
		}
		_, st, err := n.tree.Get(w.Path)
		there := err == ztree.OK
		switch w.Op {
		case ztree.OpGetData:
			switch {
			case !there:
				now(EventNodeDeleted, w.Path)
			case st.Mzxid > rel:
				now(EventNodeDataChanged, w.Path)
			default:
				n.addWatch(r.Session, WatchData, w.Path)
			}
		case ztree.OpExists:
			if there {
				now(EventNodeCreated, w.Path)
			} else {
				n.addWatch(r.Session, WatchData, w.Path)
			}
		case ztree.OpGetChildren, ztree.OpGetChildren2:
			switch {
			case !there:
				now(EventNodeDeleted, w.Path)
			case st.Pzxid > rel:
				now(EventNodeChildrenChanged, w.Path)
			default:
				n.addWatch(r.Session, WatchChild, w.Path)
			}
		}
	}
}

// triggerWatches fires what applying t did (DataTree.createNode, deleteNode,
// setData, killSession); deleted are the paths a closeSession removed.
func (n *Node) triggerWatches(t *Txn, tx ztree.Txn, res ztree.Result, deleted []string) {
	if len(n.dataWatches)+len(n.childWatches) == 0 {
		return
	}
	parent := func(p string) string {
		i := strings.LastIndexByte(p, '/')
		if i <= 0 {
			return "/"
		}
		return p[:i]
	}
	del := func(p string) {
		n.fire(t.Zxid, p, EventNodeDeleted, n.dataWatches, n.childWatches)
		n.fire(t.Zxid, parent(p), EventNodeChildrenChanged, n.childWatches)
	}
	switch tx.Op {
	case ztree.OpCreate:
		if res.Err == ztree.OK {
			n.fire(t.Zxid, res.Path, EventNodeCreated, n.dataWatches)
			n.fire(t.Zxid, parent(res.Path), EventNodeChildrenChanged, n.childWatches)
		}
	case ztree.OpDelete:
		if res.Err == ztree.OK {
			del(tx.Path)
		}
	case ztree.OpSetData:
		if res.Err == ztree.OK {
			n.fire(t.Zxid, tx.Path, EventNodeDataChanged, n.dataWatches)
		}
	case ztree.OpMulti:
		if res.Err == ztree.OK {
			for i := range tx.Txns {
				if i < len(res.Results) {
					n.triggerWatches(t, tx.Txns[i], res.Results[i], nil)
				}
			}
		}
	case ztree.OpCloseSession:
		for i := len(deleted) - 1; i >= 0; i-- {
			del(deleted[i])
		}
	}
}
