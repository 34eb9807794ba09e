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

// treeState is the znodes of one partition, sorted by path; a znode not
// listed does not exist (a zero znodeState is never listed).
type treeState []pathState

type pathState struct {
	path string
	s    znodeState
}

func (t treeState) get(p string) znodeState {
	for _, e := range t {
		if e.path == p {
			return e.s
		}
	}
	return znodeState{}
}

// with returns t with p set to s (a copy; t is not changed).
func (t treeState) with(p string, s znodeState) treeState {
	out := make(treeState, 0, len(t)+1)
	done := false
	for _, e := range t {
		if e.path == p {
			done = true
			if s != (znodeState{}) {
				out = append(out, pathState{p, s})
			}
			continue
		}
		if !done && e.path > p {
			done = true
			if s != (znodeState{}) {
				out = append(out, pathState{p, s})
			}
		}
		out = append(out, e)
	}
	if !done && s != (znodeState{}) {
		out = append(out, pathState{p, s})
	}
	return out
}

type writeOut struct {
	err     ztree.Err
	version int32
	unknown bool
	errs    []ztree.Err
}

// stepOne applies one create, setData, delete or check to t.
func stepOne(t treeState, op WriteOp) (treeState, ztree.Err, int32) {
	s := t.get(op.Path)
	switch op.Op {
	case ztree.OpCreate:
		if s.exists {
			return t, ztree.NodeExists, 0
		}
		return t.with(op.Path, znodeState{exists: true, data: op.Data}), ztree.OK, 0
	case ztree.OpSetData, ztree.OpDelete, ztree.OpCheck:
		switch {
		case !s.exists:
			return t, ztree.NoNode, 0
		case op.Version != -1 && op.Version != s.version:
			return t, ztree.BadVersion, 0
		}
		switch op.Op {
		case ztree.OpSetData:
			next := znodeState{exists: true, data: op.Data, version: s.version + 1}
			return t.with(op.Path, next), ztree.OK, next.version
		case ztree.OpDelete:
			return t.with(op.Path, znodeState{}), ztree.OK, 0
		}
		return t, ztree.OK, 0
	}
	return t, ztree.BadArguments, 0
}

// stepMulti applies a multi: all its ops or none; the errors as a client
// gets them (OK before the failing op, its code, RuntimeInconsistency after).
func stepMulti(t treeState, ops []WriteOp) (treeState, ztree.Err, []ztree.Err) {
	errs := make([]ztree.Err, len(ops))
	cur := t
	for i, op := range ops {
		next, err, _ := stepOne(cur, op)
		if err != ztree.OK {
			errs[i] = err
			for k := i + 1; k < len(ops); k++ {
				errs[k] = ztree.RuntimeInconsistency
			}
			for k := 0; k < i; k++ {
				errs[k] = ztree.OK
			}
			return t, err, errs
		}
		cur = next
	}
	return cur, ztree.OK, errs
}

// partitionOps groups the operations into sets that touch disjoint znodes
// (a multi joins the znodes it touches), each in a stable order.
func partitionOps(h []porcupine.Operation) [][]porcupine.Operation {
	parent := map[string]string{}
	var find func(string) string
	find = func(p string) string {
		if q, ok := parent[p]; ok && q != p {
			r := find(q)
			parent[p] = r
			return r
		}
		parent[p] = p
		return p
	}
	for _, op := range h {
		ps := op.Input.(WriteOp).paths()
		for _, p := range ps {
			find(p)
		}
		for _, p := range ps[1:] {
			a, b := find(ps[0]), find(p)
			if a != b {
				if a < b {
					parent[b] = a
				} else {
					parent[a] = b
				}
			}
		}
	}
	by := map[string][]porcupine.Operation{}
	for _, op := range h {
		root := find(op.Input.(WriteOp).paths()[0])
		by[root] = append(by[root], op)
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
}

// writeModel is the znodes under a parent that always exists: create,
// setData, delete and multi (of those and check) with ZooKeeper's result
// codes; znodes no multi joins are checked apart.
var writeModel = porcupine.Model{
	Partition: partitionOps,
	Init:      func() interface{} { return treeState(nil) },
	Equal: func(a, b interface{}) bool {
		x, y := a.(treeState), b.(treeState)
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
		return true
	},
	Hash: func(st interface{}) uint64 {
		h := uint64(14695981039346656037)
		for _, e := range st.(treeState) {
			for _, s := range [...]string{e.path, e.s.data} {
				for i := 0; i < len(s); i++ {
					h = (h ^ uint64(s[i])) * 1099511628211
				}
				h = (h ^ 0xff) * 1099511628211
			}
			h ^= uint64(uint32(e.s.version)) << 20
			if e.s.exists {
				h ^= 1 << 63
			}
		}
		return h
	},
	Step: func(st, in, out interface{}) (bool, interface{}) {
		s := st.(treeState)
		op := in.(WriteOp)
		o := out.(writeOut)
		if op.Op == ztree.OpMulti {
			next, err, errs := stepMulti(s, op.Ops)
			if o.unknown {
				return true, next
			}
			if o.err != err || len(o.errs) != len(errs) {
				return false, s
			}
			for i := range errs {
				if o.errs[i] != errs[i] {
					return false, s
				}
			}
			return true, next
		}
		next, err, ver := stepOne(s, op)
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
		if op.Op == ztree.OpMulti {
			return fmt.Sprintf("multi %v -> %v %v", op.paths(), o.err, o.errs)
		}
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
			Output: writeOut{err: op.Err, version: op.NewVer, unknown: op.Unknown || op.Return == 0, errs: op.Errs},
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
		for _, p := range op.paths() {
			if !seen[p] {
				seen[p] = true
				paths = append(paths, p)
			}
		}
	}
	fmt.Fprintf(&b, " (paths %s)", strings.Join(paths, " "))
	return &Violation{Property: LinearizableWrites, Text: b.String()}
}
