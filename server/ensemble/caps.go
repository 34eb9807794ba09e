package ensemble

import (
	"time"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/ztree"
)

// reservationMax is how long a write's share of the caps is held when the
// stream never shows its txn (its events were lost).
const reservationMax = 30 * time.Second

// reservation is a write's share of the ensemble's caps (Options.MaxZnodes,
// MaxDataBytes), held from before it is sent until the stream's tree shows
// its txn, so writes in flight together cannot pass a cap.
type reservation struct {
	zxid  core.Zxid // the txn, once the server answered OK; 0 before
	nodes int
	bytes int
	at    time.Time
}

// reserve checks a create or setData against the caps and holds its share;
// a write over a cap is an *ErrAction and reaches no server.
func (e *Ensemble) reserve(req ztree.Request) (*reservation, error) {
	if req.Op != ztree.OpCreate && req.Op != ztree.OpSetData {
		return nil, nil
	}
	o := e.opts
	var count, bytes, old int
	var applied core.Zxid
	for {
		count, bytes, applied, old = e.stream.treeStats(req.Path)
		e.mu.Lock()
		// NB: reservations were pruned against the tree as of capsApplied;
		// stats older than that would miss the txns pruned (a write past
		// the cap got through that way).
		if applied >= e.capsApplied {
			e.capsApplied = applied
			break
		}
		e.mu.Unlock()
	}
	defer e.mu.Unlock()
	r := &reservation{at: time.Now()}
	if req.Op == ztree.OpCreate {
		r.nodes, r.bytes = 1, len(req.Data)
	} else {
		r.bytes = max(len(req.Data)-old, 0)
	}
	kept := e.reserved[:0]
	pn, pb := 0, 0
	for _, x := range e.reserved {
		if x.zxid != 0 && x.zxid <= applied || r.at.Sub(x.at) > reservationMax {
			continue
		}
		kept = append(kept, x)
		pn += x.nodes
		pb += x.bytes
	}
	clear(e.reserved[len(kept):])
	e.reserved = kept
	if r.nodes > 0 && count+pn+r.nodes > o.MaxZnodes {
		return nil, bad("this ensemble holds %d znodes (%d more being written), the most it may hold is %d: delete some first (nothing was written)",
			count, pn, o.MaxZnodes)
	}
	if r.bytes > 0 && bytes+pb+r.bytes > o.MaxDataBytes {
		return nil, bad("this write would bring the ensemble's data to %d bytes, over its cap of %d: delete or shorten some values first (nothing was written)",
			bytes+pb+r.bytes, o.MaxDataBytes)
	}
	e.reserved = append(e.reserved, r)
	return r, nil
}

// release ends a write's reservation: at once if it failed, else when the
// stream's tree shows its txn.
func (e *Ensemble) release(r *reservation, rep *core.Reply) {
	if r == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if rep != nil && rep.Err == ztree.OK && rep.Zxid != 0 {
		r.zxid = rep.Zxid
		return
	}
	for i, x := range e.reserved {
		if x == r {
			e.reserved = append(e.reserved[:i], e.reserved[i+1:]...)
			return
		}
	}
}
