package check

import "github.com/zabplay/zabplay/core/ztree"

// WriteOp is one client write with its outcome, for the linearizability check.
type WriteOp struct {
	Client  int64
	Op      ztree.Op
	Path    string
	Data    string
	Version int32 // expected version (-1 any)
	Call    int64
	Return  int64 // 0: no bound on when it took effect
	Err     ztree.Err
	Unknown bool // the result is not known (Err and NewVer mean nothing)
	NewVer  int32
}
