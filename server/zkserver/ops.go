package zkserver

import (
	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/ztree"
	"github.com/zabplay/zabplay/server/zkwire"
)

// handle answers one decoded request. It reports false once the
// connection is closed.
func (c *conn) handle(h zkwire.RequestHeader, rec zkwire.Record) bool {
	switch r := rec.(type) {
	case *zkwire.EmptyRequest:
		switch h.Type {
		case zkwire.OpPing:
			// The answer is queued behind the session's earlier requests,
			// with the server's last zxid (FinalRequestProcessor).
			return c.push(pend{xid: h.Xid, op: h.Type, zxid: c.lastZxid()})
		case zkwire.OpCloseSession:
			// The connection closes once the answer is written
			// (NIOServerCnxn.sendCloseSession).
			return c.submitThen(h, core.Request{Request: ztree.Request{Op: ztree.OpCloseSession}},
				func(rep core.Reply) (zkwire.ErrCode, zkwire.Record) { return zkwire.ErrCode(rep.Err), nil }, c.close)
		}
		return c.push(pend{xid: h.Xid, op: h.Type, err: zkwire.ErrUnimplemented, zxid: c.lastZxid()})
	case *zkwire.CreateRequest:
		mode := r.Flags
		if mode.Container() || mode.TTL() {
			return c.push(pend{xid: h.Xid, op: h.Type, err: zkwire.ErrUnimplemented, zxid: c.lastZxid()})
		}
		cr := core.Request{Request: ztree.Request{Op: ztree.OpCreate, Path: r.Path, Data: string(r.Data),
			Sequential: mode.Sequential(), Ephemeral: mode.Ephemeral()}}
		create2 := h.Type == zkwire.OpCreate2
		return c.submit(h, cr, func(rep core.Reply) (zkwire.ErrCode, zkwire.Record) {
			if rep.Err != ztree.OK {
				return zkwire.ErrCode(rep.Err), nil
			}
			if create2 {
				st, _ := c.statOf(rep.Path)
				return zkwire.ErrOk, &zkwire.Create2Response{Path: rep.Path, Stat: st}
			}
			return zkwire.ErrOk, &zkwire.CreateResponse{Path: rep.Path}
		})
	case *zkwire.DeleteRequest:
		return c.submit(h, core.Request{Request: ztree.Request{Op: ztree.OpDelete, Path: r.Path, Version: r.Version}},
			func(rep core.Reply) (zkwire.ErrCode, zkwire.Record) { return zkwire.ErrCode(rep.Err), nil })
	case *zkwire.SetDataRequest:
		return c.submit(h, core.Request{Request: ztree.Request{Op: ztree.OpSetData, Path: r.Path, Data: string(r.Data), Version: r.Version}},
			func(rep core.Reply) (zkwire.ErrCode, zkwire.Record) {
				if rep.Err != ztree.OK {
					return zkwire.ErrCode(rep.Err), nil
				}
				st, _ := c.statOf(r.Path)
				st.Version, st.Mzxid = rep.Version, int64(rep.Zxid)
				return zkwire.ErrOk, &zkwire.SetDataResponse{Stat: st}
			})
	case *zkwire.SyncRequest:
		return c.submit(h, core.Request{Request: ztree.Request{Op: ztree.OpSync, Path: r.Path}},
			func(rep core.Reply) (zkwire.ErrCode, zkwire.Record) {
				return zkwire.ErrCode(rep.Err), &zkwire.SyncResponse{Path: r.Path}
			})
	case *zkwire.GetDataRequest:
		return c.read(h, r.Path, func(n *core.Node) (zkwire.ErrCode, zkwire.Record) {
			data, st, err := n.Tree().Get(r.Path)
			if err != ztree.OK {
				return zkwire.ErrCode(err), nil
			}
			return zkwire.ErrOk, &zkwire.GetDataResponse{Data: []byte(data), Stat: toStat(st, len(data))}
		})
	case *zkwire.ExistsRequest:
		return c.read(h, r.Path, func(n *core.Node) (zkwire.ErrCode, zkwire.Record) {
			data, st, err := n.Tree().Get(r.Path)
			if err != ztree.OK {
				return zkwire.ErrCode(err), nil
			}
			return zkwire.ErrOk, &zkwire.ExistsResponse{Stat: toStat(st, len(data))}
		})
	case *zkwire.GetChildrenRequest:
		return c.read(h, r.Path, func(n *core.Node) (zkwire.ErrCode, zkwire.Record) {
			if !n.Tree().Exists(r.Path) {
				return zkwire.ErrNoNode, nil
			}
			return zkwire.ErrOk, &zkwire.GetChildrenResponse{Children: n.Tree().Children(r.Path)}
		})
	case *zkwire.GetChildren2Request:
		return c.read(h, r.Path, func(n *core.Node) (zkwire.ErrCode, zkwire.Record) {
			data, st, err := n.Tree().Get(r.Path)
			if err != ztree.OK {
				return zkwire.ErrCode(err), nil
			}
			return zkwire.ErrOk, &zkwire.GetChildren2Response{Children: n.Tree().Children(r.Path), Stat: toStat(st, len(data))}
		})
	case *zkwire.GetACLRequest:
		return c.read(h, r.Path, func(n *core.Node) (zkwire.ErrCode, zkwire.Record) {
			data, st, err := n.Tree().Get(r.Path)
			if err != ztree.OK {
				return zkwire.ErrCode(err), nil
			}
			return zkwire.ErrOk, &zkwire.GetACLResponse{ACL: zkwire.OpenACLUnsafe(), Stat: toStat(st, len(data))}
		})
	case *zkwire.AuthPacket:
		// zabplay knows world:anyone only; credentials are accepted and
		// grant nothing (ACLs are not enforced).
		return c.push(pend{xid: h.Xid, op: h.Type, zxid: c.lastZxid()})
	case *zkwire.SetWatchesRequest, *zkwire.SetWatches2Request:
		// Watches are the core's (issue 11); until it has them a client's
		// re-registered watches are acknowledged and never fire.
		return c.push(pend{xid: h.Xid, op: h.Type, zxid: c.lastZxid()})
	}
	return c.push(pend{xid: h.Xid, op: h.Type, err: zkwire.ErrUnimplemented, zxid: c.lastZxid()})
}

// read answers a read the core does not take (yet) on the server's loop,
// once the connection's earlier requests are answered, so that the
// session's order holds.
func (c *conn) read(h zkwire.RequestHeader, path string, f func(*core.Node) (zkwire.ErrCode, zkwire.Record)) bool {
	if ztree.ValidatePath(path) != nil {
		return c.push(pend{xid: h.Xid, op: h.Type, err: zkwire.ErrBadArguments, zxid: c.lastZxid()})
	}
	if !c.quiesce() {
		return false
	}
	p := pend{xid: h.Xid, op: h.Type}
	err := c.s.cfg.Backend.Read(c.ctx, func(n *core.Node) {
		if st := n.Status(); st.Phase != core.PhaseBroadcast {
			p.err = zkwire.ErrConnectionLoss
			return
		}
		p.err, p.body = f(n)
		p.zxid = int64(n.Status().LastZxid)
	})
	if err != nil || p.err == zkwire.ErrConnectionLoss {
		c.fail("server stopped serving", err)
		return false
	}
	return c.push(p)
}

// statOf reads a znode's Stat on the server's loop.
func (c *conn) statOf(path string) (zkwire.Stat, bool) {
	var st zkwire.Stat
	ok := false
	c.s.cfg.Backend.Read(c.ctx, func(n *core.Node) {
		data, s, err := n.Tree().Get(path)
		if err == ztree.OK {
			st, ok = toStat(s, len(data)), true
		}
	})
	return st, ok
}

func (c *conn) lastZxid() int64 { return int64(c.s.cfg.Backend.Status().LastZxid) }

// toStat is a znode's Stat on the wire.
func toStat(s ztree.Stat, dataLen int) zkwire.Stat {
	return zkwire.Stat{
		Czxid: int64(s.Czxid), Mzxid: int64(s.Mzxid), Pzxid: int64(s.Pzxid),
		Version: s.Version, Cversion: s.Cversion, EphemeralOwner: s.EphemeralOwner,
		DataLength: int32(dataLen), NumChildren: s.NumChildren,
	}
}
