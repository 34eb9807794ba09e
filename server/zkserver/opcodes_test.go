package zkserver

import (
	"strconv"
	"testing"

	"github.com/zabplay/zabplay/core/ztree"
	"github.com/zabplay/zabplay/server/zkwire"
)

// TestOpCodesAgree: core/ztree's ops and zkwire's op codes are both
// ZooKeeper's ZooDefs.OpCode, kept as two tables because zkwire imports the
// standard library only and the core imports nothing outside core/. Every
// op the core has must be the wire's op of the same number and name, or the
// port would hand the core one op for another.
func TestOpCodesAgree(t *testing.T) {
	ops := []ztree.Op{ztree.OpError, ztree.OpNotification, ztree.OpCreate, ztree.OpDelete, ztree.OpExists,
		ztree.OpGetData, ztree.OpSetData, ztree.OpGetChildren, ztree.OpSync, ztree.OpPing, ztree.OpGetChildren2,
		ztree.OpCheck, ztree.OpMulti, ztree.OpCreate2, ztree.OpCreateContainer, ztree.OpCreateTTL,
		ztree.OpSetWatches, ztree.OpCreateSession, ztree.OpCloseSession}
	for _, op := range ops {
		if w := zkwire.OpCode(op); w.String() != op.String() {
			t.Errorf("op %d: the core calls it %q, the wire %q", op, op.String(), w.String())
		}
	}
	// The core's list above is all of them: an op it names is in it.
	for n := -128; n < 128; n++ {
		op := ztree.Op(n)
		if op.String() == "op("+strconv.Itoa(n)+")" {
			continue
		}
		found := false
		for _, o := range ops {
			found = found || o == op
		}
		if !found {
			t.Errorf("core/ztree names op %d %q: add it here and check it against zkwire", n, op.String())
		}
	}
}
