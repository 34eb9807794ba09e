package sim

// evKind is the kind of a queued simulator event.
type evKind uint8

const (
	evTick evKind = iota + 1
	evDeliver
	evFsync
	evConnLost
	evResume
	evClient
	evRestart
	evHeal
	evFault
	evCrash // a crash scheduled by the sync fault (node, gen)
	// evClientClose: a session client closed its connection (conn upTo,
	// session peer) to a server that was paused; it runs after what the
	// client had sent before it, when the server resumes.
	evClientClose
)

// qev is one queued event. Events run in (at, seq) order, which makes the run
// deterministic.
type qev struct {
	at   int64
	seq  uint64
	kind evKind
	node int
	gen  uint64
	msg  *inflight
	peer int
	upTo uint64
	op   *clientOp
}

type evHeap []qev

func (h evHeap) less(i, j int) bool {
	return h[i].at < h[j].at || (h[i].at == h[j].at && h[i].seq < h[j].seq)
}

func (h *evHeap) push(e qev) {
	*h = append(*h, e)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !s.less(i, p) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *evHeap) pop() qev {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s[last] = qev{}
	s = s[:last]
	i := 0
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(s) && s.less(l, m) {
			m = l
		}
		if r < len(s) && s.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}
