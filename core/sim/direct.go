package sim

import (
	"fmt"
	"math/rand/v2"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/ztree"
)

// Direct is an in-memory ensemble with no latency, no faults and no trace:
// every message is delivered at once in FIFO order and every write is durable
// at once. It measures the core's own cost (benchmarks).
type Direct struct {
	nodes   []*core.Node
	queue   []core.Message
	replies int
	cxid    uint32
}

// NewDirect starts a voters-sized ensemble and runs it until a leader is
// established.
func NewDirect(voters int, seed uint64) (*Direct, error) {
	d := &Direct{nodes: make([]*core.Node, voters+1)}
	var ids []core.NodeID
	for i := 1; i <= voters; i++ {
		ids = append(ids, core.NodeID(i))
	}
	for i := 1; i <= voters; i++ {
		d.nodes[i] = core.NewNode(core.Config{ID: core.NodeID(i), Voters: ids, TickMs: 100, ClockMs: 10,
			Rand: rand.New(rand.NewPCG(seed, uint64(i)))})
		d.nodes[i].SetQuiet(true)
	}
	for t := 0; t < 10000; t++ {
		for i := 1; i <= voters; i++ {
			d.nodes[i].Tick()
			d.ready(i)
		}
		d.drain()
		if d.Leader() != 0 {
			return d, nil
		}
	}
	return nil, fmt.Errorf("sim: no leader after 10000 ticks")
}

// Leader is the established leader or 0.
func (d *Direct) Leader() core.NodeID {
	for i := 1; i < len(d.nodes); i++ {
		if st := d.nodes[i].Status(); st.Established {
			return st.ID
		}
	}
	return 0
}

func (d *Direct) ready(i int) {
	n := d.nodes[i]
	for n.HasReady() {
		rd := n.Ready()
		var last uint64
		if k := len(rd.Writes); k > 0 {
			last = rd.Writes[k-1].Seq
		}
		d.queue = append(d.queue, rd.Messages...)
		d.replies += len(rd.Replies)
		n.Advance()
		if last > 0 {
			n.Step(core.Message{Type: core.MsgPersisted, Seq: last, To: core.NodeID(i)})
		}
	}
}

func (d *Direct) drain() {
	for k := 0; k < len(d.queue); k++ {
		m := d.queue[k]
		d.nodes[m.To].Step(m)
		d.ready(int(m.To))
	}
	clear(d.queue)
	d.queue = d.queue[:0]
}

// Commit sends n setData writes to the leader in batches of batch and runs
// until all are answered.
func (d *Direct) Commit(n, batch int) {
	l := d.Leader()
	want := d.replies + n
	for sent := 0; sent < n; {
		for k := 0; k < batch && sent < n; k++ {
			d.cxid++
			req := core.Request{Session: 1, Cxid: d.cxid, Request: ztree.Request{Op: ztree.OpSetData, Path: "/", Data: "x", Version: -1}}
			d.nodes[l].Step(core.Message{Type: core.MsgClientRequest, To: l, Req: &req})
			sent++
		}
		d.ready(int(l))
		d.drain()
	}
	if d.replies < want {
		panic(fmt.Sprintf("sim: %d replies, want %d", d.replies, want))
	}
}
