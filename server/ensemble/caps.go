package ensemble

import (
	"context"
	"time"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/view"
	"github.com/zabplay/zabplay/core/ztree"
)

// reservationMax is how long a write's share of the caps is held when no
// leader's tree is seen to hold its txn (it was lost, or leaders changed).
const reservationMax = 30 * time.Second

// statsTries bounds how often reserve asks again for a tree at least as new
// as the one reservations were last pruned against (statsPause apart).
const (
	statsTries = 50
	statsPause = 10 * time.Millisecond
)

// reservation is a write's share of the ensemble's caps (Options.MaxZnodes,
// MaxDataBytes), held from before it is sent until the tree the caps are
// checked against (the leader's: treeStats) holds its txn, so writes in
// flight together cannot pass a cap.
type reservation struct {
	zxid  core.Zxid // the txn, once the server answered OK; 0 before
	nodes int
	bytes int
	at    time.Time
}

// reserve checks a create or setData against the caps and holds its share;
// a write over a cap is an *ErrAction and reaches no server.
//
// A write answered but not yet seen answered here may be counted twice
// (in the tree and as a reservation), so a write that looks over a cap
// while others are unanswered waits for them (pendingMax at most) and
// checks again: concurrent writes up to the cap all pass.
func (e *Ensemble) reserve(ctx context.Context, req ztree.Request) (*reservation, error) {
	if req.Op != ztree.OpCreate && req.Op != ztree.OpSetData {
		return nil, nil
	}
	start := time.Now()
	for {
		r, unanswered, err := e.tryReserve(req)
		if err == nil || !unanswered || time.Since(start) > pendingMax {
			return r, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(statsPause):
		}
	}
}

// pendingMax bounds how long reserve waits for unanswered writes before it
// refuses a write that looks over a cap.
const pendingMax = 10 * time.Second

// tryReserve is one check of reserve's; unanswered says whether other
// writes were unanswered when it found req over a cap.
func (e *Ensemble) tryReserve(req ztree.Request) (_ *reservation, unanswered bool, _ error) {
	o := e.opts
	var count, bytes, old int
	var applied core.Zxid
	for try := 1; ; try++ {
		count, bytes, applied, old = e.treeStats(req.Path)
		e.mu.Lock()
		// NB: reservations were pruned against the tree as of capsApplied;
		// stats older than that would miss the txns pruned (a write past
		// the cap got through that way). A new leader catches up soon.
		if applied >= e.capsApplied || try == statsTries {
			e.capsApplied = max(e.capsApplied, applied)
			break
		}
		e.mu.Unlock()
		time.Sleep(statsPause)
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
		unanswered = unanswered || x.zxid == 0
	}
	clear(e.reserved[len(kept):])
	e.reserved = kept
	if r.nodes > 0 && count+pn+r.nodes > o.MaxZnodes {
		return nil, unanswered, bad("this ensemble holds %d znodes (%d more being written), the most it may hold is %d: delete some first (nothing was written)",
			count, pn, o.MaxZnodes)
	}
	if r.bytes > 0 && bytes+pb+r.bytes > o.MaxDataBytes {
		return nil, unanswered, bad("this write would bring the ensemble's data to %d bytes, over its cap of %d: delete or shorten some values first (nothing was written)",
			bytes+pb+r.bytes, o.MaxDataBytes)
	}
	e.reserved = append(e.reserved, r)
	return r, false, nil
}

// release ends a write's reservation: at once if it failed, else when the
// tree the caps are checked against holds its txn.
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

// treeStats is what the caps need of the ensemble's tree: its znodes, its
// values' bytes, the last txn it applied, and the size of path's value. It
// is the view of the leader (the server of the latest established event,
// while it still leads), else of the running server that applied the most;
// when none answers, the last stats found.
func (e *Ensemble) treeStats(path string) (count, bytes int, applied core.Zxid, old int) {
	o := view.Options{Paths: []string{path}}
	ask := func(m *member) (view.Server, bool) {
		e.mu.Lock()
		n := m.n
		e.mu.Unlock()
		if n == nil {
			return view.Server{}, false
		}
		ctx, cancel := context.WithTimeout(context.Background(), viewWait)
		defer cancel()
		st, err := n.Inspect(ctx, o)
		if err != nil || st.View == nil {
			return view.Server{}, false
		}
		return *st.View, true
	}
	var best view.Server
	found := false
	if id := e.stream.lastLeader(); id != 0 {
		v, ok := ask(e.members[id-1])
		best, found = v, ok && v.Role == core.Leading && v.Established
	}
	if !found {
		for _, m := range e.members {
			if v, ok := ask(m); ok && (!found || v.LastZxid > best.LastZxid) {
				best, found = v, true
			}
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if !found {
		s := e.lastStats
		return s.count, s.bytes, s.applied, 0
	}
	if len(best.Asked) > 0 {
		old = len(best.Asked[0].Data)
	}
	e.lastStats = treeStats{best.TreeCount, best.TreeBytes, best.LastZxid}
	return best.TreeCount, best.TreeBytes, best.LastZxid, old
}

// treeStats are the counts of the tree the caps were last checked against.
type treeStats struct {
	count, bytes int
	applied      core.Zxid
}
