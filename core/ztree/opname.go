package ztree

import (
	"fmt"
	"strings"
)

// clientOps are the ops a client sends, with the short name the scenario
// language uses for each (create, delete, set, get, sync). The one table of
// client op names: server/node's POST /request and core/script read it.
var clientOps = [...]struct {
	op    Op
	short string
}{
	{OpCreate, "create"},
	{OpDelete, "delete"},
	{OpSetData, "set"},
	{OpGetData, "get"},
	{OpSync, "sync"},
}

// ParseOp reads a client op's name: ZooKeeper's (create, delete, setData,
// getData, sync) or the short set/get, in any case.
func ParseOp(s string) (Op, error) {
	for _, c := range clientOps {
		if strings.EqualFold(s, c.short) || strings.EqualFold(s, c.op.String()) {
			return c.op, nil
		}
	}
	return 0, fmt.Errorf("op %q: want create, delete, setData, getData or sync", s)
}

// ShortName is a client op's name in the scenario language (set for
// setData, get for getData), or "" for an op a client does not send.
func (o Op) ShortName() string {
	for _, c := range clientOps {
		if c.op == o {
			return c.short
		}
	}
	return ""
}

// IsClientOp reports whether a client sends op o (create, delete, setData,
// getData, sync).
func (o Op) IsClientOp() bool { return o.ShortName() != "" }
