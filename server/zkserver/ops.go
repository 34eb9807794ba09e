package zkserver

import (
	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/ztree"
	"github.com/zabplay/zabplay/server/zkwire"
)

// conv turns the core's reply into the answer's code and body.
type conv func(core.Reply) (zkwire.ErrCode, zkwire.Record)

// noBody answers with the code alone (delete, check, closeSession, ping,
// setWatches).
func noBody(rep core.Reply) (zkwire.ErrCode, zkwire.Record) { return zkwire.ErrCode(rep.Err), nil }

// handle answers one decoded request: every op the core takes goes to it,
// in order; the rest are answered here, in the same order. It reports false
// once the connection is closed.
func (c *conn) handle(h zkwire.RequestHeader, rec zkwire.Record) bool {
	req := func(op ztree.Op, path string) core.Request {
		return core.Request{Request: ztree.Request{Op: op, Path: path}}
	}
	switch r := rec.(type) {
	case *zkwire.EmptyRequest:
		switch h.Type {
		case zkwire.OpPing:
			// Pings touch the session and are answered in order, with the
			// server's last zxid.
			return c.submit(h, req(ztree.OpPing, ""), noBody)
		case zkwire.OpCloseSession:
			// The connection closes once the answer is written
			// (NIOServerCnxn.sendCloseSession).
			return c.submitThen(h, req(ztree.OpCloseSession, ""), noBody, c.close)
		}
	case *zkwire.CreateRequest:
		op := ztree.OpCreate
		switch h.Type {
		case zkwire.OpCreate2:
			op = ztree.OpCreate2
		case zkwire.OpCreateContainer:
			op = ztree.OpCreateContainer
		}
		return c.submit(h, core.Request{Request: createReq(op, r)}, func(rep core.Reply) (zkwire.ErrCode, zkwire.Record) {
			if rep.Err != ztree.OK {
				return zkwire.ErrCode(rep.Err), nil
			}
			if op == ztree.OpCreate2 {
				return zkwire.ErrOk, &zkwire.Create2Response{Path: rep.Path, Stat: statOf(rep.Stat)}
			}
			return zkwire.ErrOk, &zkwire.CreateResponse{Path: rep.Path}
		})
	case *zkwire.CreateTTLRequest:
		return c.submit(h, req(ztree.OpCreateTTL, r.Path), noBody)
	case *zkwire.DeleteRequest:
		dr := req(ztree.OpDelete, r.Path)
		dr.Version = r.Version
		return c.submit(h, dr, noBody)
	case *zkwire.SetDataRequest:
		sr := req(ztree.OpSetData, r.Path)
		sr.Data, sr.Version = string(r.Data), r.Version
		return c.submit(h, sr, withStat(func(st zkwire.Stat) zkwire.Record { return &zkwire.SetDataResponse{Stat: st} }))
	case *zkwire.CheckVersionRequest:
		cr := req(ztree.OpCheck, r.Path)
		cr.Version = r.Version
		return c.submit(h, cr, noBody)
	case *zkwire.SyncRequest:
		return c.submit(h, req(ztree.OpSync, r.Path), func(rep core.Reply) (zkwire.ErrCode, zkwire.Record) {
			return zkwire.ErrCode(rep.Err), &zkwire.SyncResponse{Path: r.Path}
		})
	case *zkwire.ExistsRequest:
		er := req(ztree.OpExists, r.Path)
		er.Watch = r.Watch
		return c.submit(h, er, withStat(func(st zkwire.Stat) zkwire.Record { return &zkwire.ExistsResponse{Stat: st} }))
	case *zkwire.GetDataRequest:
		gr := req(ztree.OpGetData, r.Path)
		gr.Watch = r.Watch
		return c.submit(h, gr, func(rep core.Reply) (zkwire.ErrCode, zkwire.Record) {
			if rep.Err != ztree.OK {
				return zkwire.ErrCode(rep.Err), nil
			}
			return zkwire.ErrOk, &zkwire.GetDataResponse{Data: []byte(rep.Data), Stat: statOf(rep.Stat)}
		})
	case *zkwire.GetChildrenRequest:
		gr := req(ztree.OpGetChildren, r.Path)
		gr.Watch = r.Watch
		return c.submit(h, gr, func(rep core.Reply) (zkwire.ErrCode, zkwire.Record) {
			if rep.Err != ztree.OK {
				return zkwire.ErrCode(rep.Err), nil
			}
			return zkwire.ErrOk, &zkwire.GetChildrenResponse{Children: rep.Children}
		})
	case *zkwire.GetChildren2Request:
		gr := req(ztree.OpGetChildren2, r.Path)
		gr.Watch = r.Watch
		return c.submit(h, gr, func(rep core.Reply) (zkwire.ErrCode, zkwire.Record) {
			if rep.Err != ztree.OK {
				return zkwire.ErrCode(rep.Err), nil
			}
			return zkwire.ErrOk, &zkwire.GetChildren2Response{Children: rep.Children, Stat: statOf(rep.Stat)}
		})
	case *zkwire.GetACLRequest:
		// world:anyone is the only ACL: the answer is the node's Stat with
		// OPEN_ACL_UNSAFE (an exists without a watch, through the core).
		return c.submit(h, req(ztree.OpExists, r.Path), withStat(func(st zkwire.Stat) zkwire.Record {
			return &zkwire.GetACLResponse{ACL: zkwire.OpenACLUnsafe(), Stat: st}
		}))
	case *zkwire.MultiRequest:
		if h.Type == zkwire.OpMulti {
			return c.multi(h, r)
		}
	case *zkwire.AuthPacket:
		// zabplay knows world:anyone only: credentials are accepted and
		// grant nothing (no ACL is enforced).
		return c.push(pend{xid: h.Xid, op: h.Type, zxid: c.lastZxid()})
	case *zkwire.SetWatchesRequest:
		return c.setWatches(h, r.RelativeZxid, r.DataWatches, r.ExistWatches, r.ChildWatches)
	case *zkwire.SetWatches2Request:
		// Persistent watches cannot be there to give back: addWatch is
		// unimplemented here.
		return c.setWatches(h, r.RelativeZxid, r.DataWatches, r.ExistWatches, r.ChildWatches)
	}
	return c.push(pend{xid: h.Xid, op: h.Type, err: zkwire.ErrUnimplemented, zxid: c.lastZxid()})
}

// setWatches hands a reconnecting client's watches to the core (its
// setWatches op): those whose node changed after relative fire before the
// answer, the others are set again.
func (c *conn) setWatches(h zkwire.RequestHeader, relative int64, data, exist, child []string) bool {
	ops := make([]ztree.Request, 0, len(data)+len(exist)+len(child))
	for _, l := range []struct {
		op    ztree.Op
		paths []string
	}{{ztree.OpGetData, data}, {ztree.OpExists, exist}, {ztree.OpGetChildren, child}} {
		for _, p := range l.paths {
			ops = append(ops, ztree.Request{Op: l.op, Path: p})
		}
	}
	r := core.Request{MinZxid: core.Zxid(max(relative, 0)), Request: ztree.Request{Op: ztree.OpSetWatches, Ops: ops}}
	return c.submit(h, r, noBody)
}

func createReq(op ztree.Op, r *zkwire.CreateRequest) ztree.Request {
	return ztree.Request{Op: op, Path: r.Path, Data: string(r.Data), Sequential: r.Flags.Sequential(), Ephemeral: r.Flags.Ephemeral()}
}

// withStat answers the Stat the core's reply carries in body.
func withStat(body func(zkwire.Stat) zkwire.Record) conv {
	return func(rep core.Reply) (zkwire.ErrCode, zkwire.Record) {
		if rep.Err != ztree.OK {
			return zkwire.ErrCode(rep.Err), nil
		}
		return zkwire.ErrOk, body(statOf(rep.Stat))
	}
}

// multi hands a multi to the core as one request: all its ops apply or
// none. The answer has a result per op and an OK header, as ZooKeeper's
// (the errors are in the results).
func (c *conn) multi(h zkwire.RequestHeader, m *zkwire.MultiRequest) bool {
	mr := core.Request{Request: ztree.Request{Op: ztree.OpMulti}}
	types := make([]zkwire.OpCode, len(m.Ops))
	for i, op := range m.Ops {
		types[i] = op.Type
		var r ztree.Request
		switch q := op.Req.(type) {
		case *zkwire.CreateRequest:
			o := ztree.OpCreate
			if op.Type == zkwire.OpCreate2 {
				o = ztree.OpCreate2
			} else if op.Type == zkwire.OpCreateContainer {
				o = ztree.OpCreateContainer
			}
			r = createReq(o, q)
		case *zkwire.CreateTTLRequest:
			r = ztree.Request{Op: ztree.OpCreateTTL, Path: q.Path}
		case *zkwire.DeleteRequest:
			r = ztree.Request{Op: ztree.OpDelete, Path: q.Path, Version: q.Version}
		case *zkwire.SetDataRequest:
			r = ztree.Request{Op: ztree.OpSetData, Path: q.Path, Data: string(q.Data), Version: q.Version}
		case *zkwire.CheckVersionRequest:
			r = ztree.Request{Op: ztree.OpCheck, Path: q.Path, Version: q.Version}
		default:
			return c.push(pend{xid: h.Xid, op: h.Type, err: zkwire.ErrUnimplemented, zxid: c.lastZxid()})
		}
		mr.Ops = append(mr.Ops, r)
	}
	return c.submit(h, mr, func(rep core.Reply) (zkwire.ErrCode, zkwire.Record) {
		if len(rep.Results) != len(types) {
			return zkwire.ErrCode(rep.Err), nil
		}
		resp := &zkwire.MultiResponse{Results: make([]zkwire.OpResult, len(types))}
		failed := rep.Err != ztree.OK
		for i, res := range rep.Results {
			o := &resp.Results[i]
			if failed {
				o.Type, o.Err = zkwire.OpError, zkwire.ErrCode(res.Err)
				continue
			}
			o.Type, o.Path = types[i], res.Path
			switch types[i] {
			case zkwire.OpCreate2, zkwire.OpSetData:
				o.Stat = statOf(&res.Stat)
			case zkwire.OpCreate, zkwire.OpCreateContainer, zkwire.OpCreateTTL:
			default:
				o.Path = ""
			}
		}
		return zkwire.ErrOk, resp
	})
}

func (c *conn) lastZxid() int64 { return int64(c.s.cfg.Backend.Status().LastZxid) }

// statOf is a znode's Stat on the wire.
func statOf(s *ztree.Stat) zkwire.Stat {
	if s == nil {
		return zkwire.Stat{}
	}
	return zkwire.Stat{
		Czxid: int64(s.Czxid), Mzxid: int64(s.Mzxid), Ctime: s.Ctime, Mtime: s.Mtime, Pzxid: int64(s.Pzxid),
		Version: s.Version, Cversion: s.Cversion, Aversion: s.Aversion, EphemeralOwner: s.EphemeralOwner,
		DataLength: s.DataLength, NumChildren: s.NumChildren,
	}
}
