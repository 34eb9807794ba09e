package script

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/ztree"
)

// expect reports one expect's outcome.
func (in *Interp) expect(st Stmt, ok bool, got string) {
	if ok {
		in.mu.Lock()
		in.passed++
		in.mu.Unlock()
		in.printf("%s:%d: PASS %s\n", in.File, st.Line, st.Text)
		return
	}
	in.fail(st, true)
	in.printf("%s:%d: FAIL %s (got %s at %dms)\n", in.File, st.Line, st.Text, got, in.t.Now())
}

func needs[T any](t Target, what string) (T, error) {
	x, ok := t.(T)
	if !ok {
		return x, errorf(ErrNotHere, "expect %s: only the simulator can check it", what)
	}
	return x, nil
}

func (in *Interp) expectStmt(st Stmt) error {
	t := in.t
	switch st.Expect {
	case ExpectSession, ExpectWatch:
		ss, err := in.sessions("expect " + st.Expect.String())
		if err != nil {
			return err
		}
		state, events, ok := ss.ClientState(st.Client)
		if !ok || !in.isClient(st.Client) {
			return errorf(ErrReference, "no client %s", st.Client)
		}
		if st.Expect == ExpectSession {
			open := ss.SessionOpen(st.Client)
			got := "open (" + state + ")"
			if !open {
				got = "expired (" + state + ")"
			}
			in.expect(st, open == (st.Want[0] == "open"), got)
			return nil
		}
		want, _ := core.ParseEventType(st.Want[0])
		fired, got := false, "no notification"
		for _, e := range events {
			if e.Type == want && e.Path == st.Want[1] {
				fired = true
			}
		}
		if len(events) > 0 {
			var b strings.Builder
			for i, e := range events {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(e.Type.String() + " " + e.Path)
			}
			got = b.String()
		}
		in.expect(st, fired, got)
	case ExpectOK:
		v, err := needs[Verifier](t, "ok")
		if err != nil {
			return err
		}
		ok, found := v.Verdict()
		in.expect(st, ok, found)
	case ExpectNoLeader:
		l := in.Leader()
		in.expect(st, l == 0, l.String())
	case ExpectLeader:
		l := in.Leader()
		ok, err := in.matchIDs(l, st.Cmp, st.Want)
		if err != nil {
			return err
		}
		in.expect(st, ok, l.String())
	case ExpectRole:
		id, err := in.Resolve(st.Refs[0])
		if err != nil {
			return err
		}
		got := t.Server(id).Role
		ok := st.Cmp == Ne
		for _, w := range st.Want {
			s, _ := core.ParseServerState(w)
			if s == got {
				ok = !ok
				break
			}
		}
		in.expect(st, ok, got.String())
	case ExpectEpoch, ExpectZxid:
		return in.expectNumber(st)
	case ExpectSync:
		insp, err := needs[Inspector](t, "sync")
		if err != nil {
			return err
		}
		id, err := in.Resolve(st.Refs[0])
		if err != nil {
			return err
		}
		got := insp.LastSync(id)
		ok := st.Cmp == Ne
		for _, w := range st.Want {
			if w == got {
				ok = !ok
				break
			}
		}
		if got == "" {
			got = "no sync yet"
		}
		in.expect(st, ok, got)
	case ExpectReply:
		last := in.Last()
		if last == nil {
			return errorf(ErrRefused, "no client request has been sent yet")
		}
		got := "no reply"
		if last.Done() {
			got = last.Reply().Err.String()
		}
		in.expect(st, (got == st.Want[0]) == (st.Cmp == Eq), got)
	case ExpectData:
		return in.expectData(st)
	}
	return nil
}

func (in *Interp) expectNumber(st Stmt) error {
	t := in.t
	id, err := in.Resolve(st.Refs[0])
	if err != nil {
		return err
	}
	get := func(id core.NodeID) uint64 {
		s := t.Server(id)
		if st.Expect == ExpectEpoch {
			return uint64(s.CurrentEpoch)
		}
		return uint64(s.LastTxn)
	}
	got := get(id)
	var want uint64
	switch {
	case len(st.Want) == 2:
		other, err := in.Resolve(st.Want[1])
		if err != nil {
			return err
		}
		want = get(other)
	case st.Expect == ExpectEpoch:
		w, err := strconv.ParseUint(st.Want[0], 0, 32)
		if err != nil {
			return errorf(ErrSyntax, "epoch %q: want a number", st.Want[0])
		}
		want = w
	default:
		z, err := core.ParseZxid(st.Want[0])
		if err != nil {
			return errorf(ErrSyntax, "zxid %q: want 0x... or epoch/counter", st.Want[0])
		}
		want = uint64(z)
	}
	gotS := strconv.FormatUint(got, 10)
	if st.Expect == ExpectZxid {
		gotS = core.Zxid(got).String()
	}
	in.expect(st, (got == want) == (st.Cmp == Eq), gotS)
	return nil
}

func (in *Interp) matchIDs(got core.NodeID, cmp Cmp, want []string) (bool, error) {
	found := false
	for _, w := range want {
		id, err := in.Resolve(w)
		if err != nil {
			return false, err
		}
		if id == got {
			found = true
		}
	}
	if cmp == Ne {
		return !found, nil
	}
	return found, nil
}

func (in *Interp) expectData(st Stmt) error {
	t := in.t
	insp, err := needs[Inspector](t, "data")
	if err != nil {
		return err
	}
	var ids []core.NodeID
	if st.On == "all" {
		for i := 1; i <= t.Size(); i++ {
			if t.Server(core.NodeID(i)).Up() {
				ids = append(ids, core.NodeID(i))
			}
		}
	} else {
		id, err := in.Resolve(st.On)
		if err != nil {
			return err
		}
		ids = append(ids, id)
	}
	ok := true
	var got []string
	for _, id := range ids {
		if !t.Server(id).Up() {
			ok = false
			got = append(got, id.String()+" is down")
			continue
		}
		data, err := insp.Data(id, st.Req.Path)
		switch {
		case st.Cmp == Missing:
			if err != ztree.NoNode {
				ok = false
				got = append(got, fmt.Sprintf("%v has %q", id, data))
			}
		case err != ztree.OK:
			ok = ok && st.Cmp == Ne
			got = append(got, fmt.Sprintf("%v: %v", id, err))
		case (data == st.Want[0]) != (st.Cmp == Eq):
			ok = false
			got = append(got, fmt.Sprintf("%v has %q", id, data))
		}
	}
	in.expect(st, ok, strings.Join(got, ", "))
	return nil
}
