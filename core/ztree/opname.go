package ztree

import (
	"fmt"
	"strings"
)

// clientOps are the ops a client sends, with the short name the scenario
// language uses for each. The one table of client op names: server/node's
// POST /request and core/script read it.
var clientOps = [...]struct {
	op    Op
	short string
}{
	{OpCreate, "create"},
	{OpDelete, "delete"},
	{OpSetData, "set"},
	{OpGetData, "get"},
	{OpSync, "sync"},
	{OpExists, "exists"},
	{OpGetChildren, "children"},
	{OpGetChildren2, "children2"},
	{OpCreate2, "create2"},
	{OpCheck, "check"},
	{OpMulti, "multi"},
}

// ParseOp reads a client op's name: ZooKeeper's (create, delete, setData,
// getData, sync, exists, getChildren, ...) or the short one, in any case.
func ParseOp(s string) (Op, error) {
	for _, c := range clientOps {
		if strings.EqualFold(s, c.short) || strings.EqualFold(s, c.op.String()) {
			return c.op, nil
		}
	}
	return 0, fmt.Errorf("op %q: want create, delete, setData, getData, sync, exists, getChildren, getChildren2, create2, check or multi", s)
}

// ShortName is a client op's name in the scenario language (set for
// setData, get for getData, children for getChildren), or "" for an op a
// client does not send.
func (o Op) ShortName() string {
	for _, c := range clientOps {
		if c.op == o {
			return c.short
		}
	}
	return ""
}

// IsClientOp reports whether a client sends op o as a request.
func (o Op) IsClientOp() bool { return o.ShortName() != "" }

// IsRead reports whether o is answered by the server the client is
// connected to, from its own tree, without the leader: exists, getData,
// getChildren, getChildren2.
func (o Op) IsRead() bool {
	return o == OpExists || o == OpGetData || o == OpGetChildren || o == OpGetChildren2
}
