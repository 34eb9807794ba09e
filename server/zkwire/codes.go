package zkwire

import "strconv"

// OpCode is a request's type, ZooKeeper's ZooDefs.OpCode.
type OpCode int32

// The op codes of ZooDefs.OpCode (ZooKeeper 3.9). createSession,
// closeSession (-10, -11) are txn types as well; error (-1) only ever
// appears in a multi's results.
const (
	OpNotification         OpCode = 0
	OpCreate               OpCode = 1
	OpDelete               OpCode = 2
	OpExists               OpCode = 3
	OpGetData              OpCode = 4
	OpSetData              OpCode = 5
	OpGetACL               OpCode = 6
	OpSetACL               OpCode = 7
	OpGetChildren          OpCode = 8
	OpSync                 OpCode = 9
	OpPing                 OpCode = 11
	OpGetChildren2         OpCode = 12
	OpCheck                OpCode = 13
	OpMulti                OpCode = 14
	OpCreate2              OpCode = 15
	OpReconfig             OpCode = 16
	OpCheckWatches         OpCode = 17
	OpRemoveWatches        OpCode = 18
	OpCreateContainer      OpCode = 19
	OpDeleteContainer      OpCode = 20
	OpCreateTTL            OpCode = 21
	OpMultiRead            OpCode = 22
	OpAuth                 OpCode = 100
	OpSetWatches           OpCode = 101
	OpSASL                 OpCode = 102
	OpGetEphemerals        OpCode = 103
	OpGetAllChildrenNumber OpCode = 104
	OpSetWatches2          OpCode = 105
	OpAddWatch             OpCode = 106
	OpWhoAmI               OpCode = 107
	OpCreateSession        OpCode = -10
	OpCloseSession         OpCode = -11
	OpError                OpCode = -1
)

// opNames are ZooDefs.OpCode's field names (Request.op2String prints the
// same names for most of them).
var opNames = map[OpCode]string{
	OpNotification:         "notification",
	OpCreate:               "create",
	OpDelete:               "delete",
	OpExists:               "exists",
	OpGetData:              "getData",
	OpSetData:              "setData",
	OpGetACL:               "getACL",
	OpSetACL:               "setACL",
	OpGetChildren:          "getChildren",
	OpSync:                 "sync",
	OpPing:                 "ping",
	OpGetChildren2:         "getChildren2",
	OpCheck:                "check",
	OpMulti:                "multi",
	OpCreate2:              "create2",
	OpReconfig:             "reconfig",
	OpCheckWatches:         "checkWatches",
	OpRemoveWatches:        "removeWatches",
	OpCreateContainer:      "createContainer",
	OpDeleteContainer:      "deleteContainer",
	OpCreateTTL:            "createTTL",
	OpMultiRead:            "multiRead",
	OpAuth:                 "auth",
	OpSetWatches:           "setWatches",
	OpSASL:                 "sasl",
	OpGetEphemerals:        "getEphemerals",
	OpGetAllChildrenNumber: "getAllChildrenNumber",
	OpSetWatches2:          "setWatches2",
	OpAddWatch:             "addWatch",
	OpWhoAmI:               "whoAmI",
	OpCreateSession:        "createSession",
	OpCloseSession:         "closeSession",
	OpError:                "error",
}

// String returns ZooDefs.OpCode's name for op, or "op(N)" for a number
// ZooKeeper does not define.
func (op OpCode) String() string {
	if s, ok := opNames[op]; ok {
		return s
	}
	return "op(" + strconv.Itoa(int(op)) + ")"
}

// Known reports whether ZooKeeper defines op.
func (op OpCode) Known() bool {
	_, ok := opNames[op]
	return ok
}

// ErrCode is an error code on the wire (ReplyHeader.err, a multi's
// ErrorResult), ZooKeeper's KeeperException.Code.
type ErrCode int32

// KeeperException.Code's values (ZooKeeper 3.9).
const (
	ErrOk                           ErrCode = 0
	ErrSystemError                  ErrCode = -1
	ErrRuntimeInconsistency         ErrCode = -2
	ErrDataInconsistency            ErrCode = -3
	ErrConnectionLoss               ErrCode = -4
	ErrMarshallingError             ErrCode = -5
	ErrUnimplemented                ErrCode = -6
	ErrOperationTimeout             ErrCode = -7
	ErrBadArguments                 ErrCode = -8
	ErrUnknownSession               ErrCode = -12
	ErrNewConfigNoQuorum            ErrCode = -13
	ErrReconfigInProgress           ErrCode = -14
	ErrAPIError                     ErrCode = -100
	ErrNoNode                       ErrCode = -101
	ErrNoAuth                       ErrCode = -102
	ErrBadVersion                   ErrCode = -103
	ErrNoChildrenForEphemerals      ErrCode = -108
	ErrNodeExists                   ErrCode = -110
	ErrNotEmpty                     ErrCode = -111
	ErrSessionExpired               ErrCode = -112
	ErrInvalidCallback              ErrCode = -113
	ErrInvalidACL                   ErrCode = -114
	ErrAuthFailed                   ErrCode = -115
	ErrSessionMoved                 ErrCode = -118
	ErrNotReadOnly                  ErrCode = -119
	ErrEphemeralOnLocalSession      ErrCode = -120
	ErrNoWatcher                    ErrCode = -121
	ErrRequestTimeout               ErrCode = -122
	ErrReconfigDisabled             ErrCode = -123
	ErrSessionClosedRequireSASLAuth ErrCode = -124
	ErrQuotaExceeded                ErrCode = -125
	ErrThrottledOp                  ErrCode = -127
)

// errNames: the enum constant names of KeeperException.Code and the message
// KeeperException.getCodeMessage gives each (it has no case for
// UNKNOWNSESSION and REQUESTTIMEOUT, so its default prints the enum's name).
var errNames = map[ErrCode][2]string{
	ErrOk:                           {"OK", "ok"},
	ErrSystemError:                  {"SYSTEMERROR", "SystemError"},
	ErrRuntimeInconsistency:         {"RUNTIMEINCONSISTENCY", "RuntimeInconsistency"},
	ErrDataInconsistency:            {"DATAINCONSISTENCY", "DataInconsistency"},
	ErrConnectionLoss:               {"CONNECTIONLOSS", "ConnectionLoss"},
	ErrMarshallingError:             {"MARSHALLINGERROR", "MarshallingError"},
	ErrUnimplemented:                {"UNIMPLEMENTED", "Unimplemented"},
	ErrOperationTimeout:             {"OPERATIONTIMEOUT", "OperationTimeout"},
	ErrBadArguments:                 {"BADARGUMENTS", "BadArguments"},
	ErrUnknownSession:               {"UNKNOWNSESSION", "Unknown error UNKNOWNSESSION"},
	ErrNewConfigNoQuorum:            {"NEWCONFIGNOQUORUM", "NewConfigNoQuorum"},
	ErrReconfigInProgress:           {"RECONFIGINPROGRESS", "ReconfigInProgress"},
	ErrAPIError:                     {"APIERROR", "APIError"},
	ErrNoNode:                       {"NONODE", "NoNode"},
	ErrNoAuth:                       {"NOAUTH", "NoAuth"},
	ErrBadVersion:                   {"BADVERSION", "BadVersion"},
	ErrNoChildrenForEphemerals:      {"NOCHILDRENFOREPHEMERALS", "NoChildrenForEphemerals"},
	ErrNodeExists:                   {"NODEEXISTS", "NodeExists"},
	ErrNotEmpty:                     {"NOTEMPTY", "Directory not empty"},
	ErrSessionExpired:               {"SESSIONEXPIRED", "Session expired"},
	ErrInvalidCallback:              {"INVALIDCALLBACK", "Invalid callback"},
	ErrInvalidACL:                   {"INVALIDACL", "InvalidACL"},
	ErrAuthFailed:                   {"AUTHFAILED", "AuthFailed"},
	ErrSessionMoved:                 {"SESSIONMOVED", "Session moved"},
	ErrNotReadOnly:                  {"NOTREADONLY", "Not a read-only call"},
	ErrEphemeralOnLocalSession:      {"EPHEMERALONLOCALSESSION", "Ephemeral node on local session"},
	ErrNoWatcher:                    {"NOWATCHER", "No such watcher"},
	ErrRequestTimeout:               {"REQUESTTIMEOUT", "Unknown error REQUESTTIMEOUT"},
	ErrReconfigDisabled:             {"RECONFIGDISABLED", "Reconfig is disabled"},
	ErrSessionClosedRequireSASLAuth: {"SESSIONCLOSEDREQUIRESASLAUTH", "Session closed because client failed to authenticate"},
	ErrQuotaExceeded:                {"QUOTAEXCEEDED", "Quota has exceeded"},
	ErrThrottledOp:                  {"THROTTLEDOP", "Op throttled due to high load"},
}

// String returns KeeperException.Code's constant name (NONODE), or
// "ErrCode(N)" for a code ZooKeeper does not define.
func (c ErrCode) String() string {
	if n, ok := errNames[c]; ok {
		return n[0]
	}
	return "ErrCode(" + strconv.Itoa(int(c)) + ")"
}

// Message returns the text KeeperException prints after "KeeperErrorCode = "
// ("NoNode", "Directory not empty"), or "Unknown error N".
func (c ErrCode) Message() string {
	if n, ok := errNames[c]; ok {
		return n[1]
	}
	return "Unknown error " + strconv.Itoa(int(c))
}

// Known reports whether ZooKeeper defines c.
func (c ErrCode) Known() bool {
	_, ok := errNames[c]
	return ok
}

// Error makes an ErrCode an error: "KeeperErrorCode = NoNode", as
// KeeperException.getMessage prints it without a path.
func (c ErrCode) Error() string { return "KeeperErrorCode = " + c.Message() }

// EventType is a WatcherEvent's type, Watcher.Event.EventType.
type EventType int32

// Watcher.Event.EventType's values.
const (
	EventNone                   EventType = -1
	EventNodeCreated            EventType = 1
	EventNodeDeleted            EventType = 2
	EventNodeDataChanged        EventType = 3
	EventNodeChildrenChanged    EventType = 4
	EventDataWatchRemoved       EventType = 5
	EventChildWatchRemoved      EventType = 6
	EventPersistentWatchRemoved EventType = 7
)

var eventNames = map[EventType]string{
	EventNone:                   "None",
	EventNodeCreated:            "NodeCreated",
	EventNodeDeleted:            "NodeDeleted",
	EventNodeDataChanged:        "NodeDataChanged",
	EventNodeChildrenChanged:    "NodeChildrenChanged",
	EventDataWatchRemoved:       "DataWatchRemoved",
	EventChildWatchRemoved:      "ChildWatchRemoved",
	EventPersistentWatchRemoved: "PersistentWatchRemoved",
}

// String returns the Java enum's name (NodeDataChanged).
func (t EventType) String() string {
	if s, ok := eventNames[t]; ok {
		return s
	}
	return "EventType(" + strconv.Itoa(int(t)) + ")"
}

// KeeperState is a WatcherEvent's state, Watcher.Event.KeeperState. A
// watch's notification carries SyncConnected.
type KeeperState int32

// Watcher.Event.KeeperState's values (the deprecated Unknown, NoSyncConnected
// included: they have numbers on the wire).
const (
	StateUnknown           KeeperState = -1
	StateDisconnected      KeeperState = 0
	StateNoSyncConnected   KeeperState = 1
	StateSyncConnected     KeeperState = 3
	StateAuthFailed        KeeperState = 4
	StateConnectedReadOnly KeeperState = 5
	StateSaslAuthenticated KeeperState = 6
	StateExpired           KeeperState = -112
	StateClosed            KeeperState = 7
)

var stateNames = map[KeeperState]string{
	StateUnknown:           "Unknown",
	StateDisconnected:      "Disconnected",
	StateNoSyncConnected:   "NoSyncConnected",
	StateSyncConnected:     "SyncConnected",
	StateAuthFailed:        "AuthFailed",
	StateConnectedReadOnly: "ConnectedReadOnly",
	StateSaslAuthenticated: "SaslAuthenticated",
	StateExpired:           "Expired",
	StateClosed:            "Closed",
}

// String returns the Java enum's name (SyncConnected).
func (s KeeperState) String() string {
	if n, ok := stateNames[s]; ok {
		return n
	}
	return "KeeperState(" + strconv.Itoa(int(s)) + ")"
}

// AddWatchMode is AddWatchRequest.mode, ZooDefs.AddWatchModes.
type AddWatchMode int32

// ZooDefs.AddWatchModes.
const (
	AddWatchPersistent          AddWatchMode = 0
	AddWatchPersistentRecursive AddWatchMode = 1
)

// WatcherType is CheckWatchesRequest.type and RemoveWatchesRequest.type,
// Watcher.WatcherType.
type WatcherType int32

// Watcher.WatcherType's values.
const (
	WatcherChildren            WatcherType = 1
	WatcherData                WatcherType = 2
	WatcherAny                 WatcherType = 3
	WatcherPersistent          WatcherType = 4
	WatcherPersistentRecursive WatcherType = 5
)

// Special xids (ClientCnxn): a reply with one of these is not the answer to
// a numbered request.
const (
	XidNotification int32 = -1 // a WatcherEvent (ClientCnxn.NOTIFICATION_XID)
	XidPing         int32 = -2 // a ping and its answer (PING_XID)
	XidAuth         int32 = -4 // an AuthPacket and its answer (AUTHPACKET_XID)
	XidSetWatches   int32 = -8 // SetWatches/SetWatches2 on reconnect (SET_WATCHES_XID)
)

// Perms are ACL.perms bits, ZooDefs.Perms.
const (
	PermRead   int32 = 1 << 0
	PermWrite  int32 = 1 << 1
	PermCreate int32 = 1 << 2
	PermDelete int32 = 1 << 3
	PermAdmin  int32 = 1 << 4
	PermAll    int32 = PermRead | PermWrite | PermCreate | PermDelete | PermAdmin
)

func itoa(v int32) string { return strconv.Itoa(int(v)) }
