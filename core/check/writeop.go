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
	// Ops are a multi's operations (Op is OpMulti): create, setData,
	// delete and check, each with Op, Path, Data and Version. Err is the
	// multi's (the first failing op's code) and Errs each op's, as the
	// client got them.
	Ops  []WriteOp
	Errs []ztree.Err
}

// paths lists the znodes op touches.
func (op WriteOp) paths() []string {
	if op.Op != ztree.OpMulti {
		return []string{op.Path}
	}
	out := make([]string, 0, len(op.Ops))
	for _, o := range op.Ops {
		out = append(out, o.Path)
	}
	return out
}
