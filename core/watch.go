package core

import (
	"github.com/zabplay/zabplay/core/enum"
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
