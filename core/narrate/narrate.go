// Package narrate turns a trace into captions a learner can read: one short
// sentence per step of the protocol, with the reason, in English or
// Simplified Chinese. The playground shows them beside the ring, and its Step
// button moves from one caption to the next.
//
// A Narrator reads the same events the checker reads (core.Event, in trace
// order) and keeps just enough state to explain them: each server's role and
// vote, the leader's ACKs per proposal, the sync mode it chose per learner. It
// never parses event text; it is pure and deterministic, so the same trace
// gives the same captions natively and in WebAssembly.
package narrate

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/ztree"
)

// Lang is a caption language: "en" or "zh".
type Lang string

// Languages.
const (
	English Lang = "en"
	Chinese Lang = "zh"
)

// ParseLang maps a page's language ("zh-CN", "en-US", "") to a Lang; anything
// not Chinese is English.
func ParseLang(s string) Lang {
	if strings.HasPrefix(strings.ToLower(s), "zh") {
		return Chinese
	}
	return English
}

// Caption is one narrated step.
type Caption struct {
	At   int64       `json:"t"`
	Node core.NodeID `json:"node,omitempty"`
	// Key names the template (e.g. "sync.diff"); tests and the UI may key on it.
	Key  string `json:"key"`
	Text string `json:"text"`
}

// Config is what the narrator must know of the ensemble.
type Config struct {
	Voters, Observers []core.NodeID
	TickMs            int
	SyncLimit         int
	InitLimit         int
	FinalizeWaitMs    int
	Lang              Lang
}

// Narrator turns events into captions.
type Narrator struct {
	cfg     Config
	voters  map[core.NodeID]bool
	role    map[core.NodeID]core.ServerState
	leader  map[core.NodeID]core.NodeID // whom a learner follows
	vote    map[core.NodeID]core.Vote
	quorumN map[string]bool // "leader/round" quorums already told
	acks    map[core.Zxid]map[core.NodeID]bool
	phase   map[core.NodeID]core.Phase
	// peerLast is the last zxid each learner reported in ACKEPOCH.
	peerLast map[core.NodeID]core.Zxid
	reqs     map[reqKey]string // what each pending client request asked
	sessions map[int64]bool    // sessions opened so far
	group    *sendGroup
	out      []Caption
	last     Caption // the last caption told
}

type reqKey struct {
	session int64
	cxid    uint32
}

// sendGroup collects the sends of one server at one moment (one Ready), so
// that "s3 sends DIFF, PROPOSAL, COMMIT and NEWLEADER to s2" is one caption.
type sendGroup struct {
	at    int64
	from  core.NodeID
	msgs  []core.Event
	peers map[core.NodeID]bool
}

// New returns a narrator.
func New(cfg Config) *Narrator {
	if cfg.FinalizeWaitMs == 0 {
		cfg.FinalizeWaitMs = 200
	}
	if cfg.Lang == "" {
		cfg.Lang = English
	}
	n := &Narrator{cfg: cfg, voters: map[core.NodeID]bool{}, role: map[core.NodeID]core.ServerState{},
		leader: map[core.NodeID]core.NodeID{}, vote: map[core.NodeID]core.Vote{}, quorumN: map[string]bool{},
		acks: map[core.Zxid]map[core.NodeID]bool{}, phase: map[core.NodeID]core.Phase{},
		peerLast: map[core.NodeID]core.Zxid{}, reqs: map[reqKey]string{}, sessions: map[int64]bool{}}
	for _, v := range cfg.Voters {
		n.voters[v] = true
	}
	return n
}

// Observe reads one event and returns the captions it completes (none, one,
// or the caption of a finished group of sends followed by this event's).
func (n *Narrator) Observe(e core.Event) []Caption {
	n.out = n.out[:0]
	if e.Kind == core.EvSend && n.groupable(e) {
		if g := n.group; g != nil && (g.at != e.At || g.from != e.Node) {
			n.flush()
		}
		if n.group == nil {
			n.group = &sendGroup{at: e.At, from: e.Node, peers: map[core.NodeID]bool{}}
		}
		n.group.msgs = append(n.group.msgs, e)
		n.group.peers[e.Peer] = true
		return n.take()
	}
	if e.Kind != core.EvDeliverMsg && e.Kind != core.EvPersist && e.Kind != core.EvFsync {
		// Anything else that happens ends the group (deliveries and disk
		// events are too frequent to interrupt it).
		n.flush()
	}
	n.observe(e)
	return n.take()
}

// Flush ends a pending group of sends: call it when a step of the driver
// is over, so the last sends are told.
func (n *Narrator) Flush() []Caption {
	n.out = n.out[:0]
	n.flush()
	return n.take()
}

func (n *Narrator) take() []Caption {
	if len(n.out) == 0 {
		return nil
	}
	return append([]Caption(nil), n.out...)
}

func (n *Narrator) say(at int64, node core.NodeID, key string, args ...any) {
	tpl, ok := texts[n.cfg.Lang][key]
	if !ok {
		tpl = texts[English][key]
	}
	c := Caption{At: at, Node: node, Key: key, Text: fmt.Sprintf(tpl, args...)}
	n.out = append(n.out, c)
	n.last = c
}

// told lists, per caption, the packets it already announced: a group of
// only those, sent by the same server at the same moment, is not told again.
var told = map[string]core.MsgType{
	"following":   core.MsgFollowerInfo,
	"observing":   core.MsgObserverInfo,
	"propose":     core.MsgProposal,
	"commit":      core.MsgCommit,
	"established": core.MsgUpToDate,
	"vote.own":    core.MsgNotification,
	"vote.switch": core.MsgNotification,
}

// groupable: PINGs are the heartbeat, told by the timers, not in words; the
// rest is told in groups.
func (n *Narrator) groupable(e core.Event) bool { return e.Msg != core.MsgPing }

func (n *Narrator) quorum() int { return len(n.cfg.Voters)/2 + 1 }

func (n *Narrator) observe(e core.Event) {
	switch e.Kind {
	case core.EvRole:
		n.onRole(e)
	case core.EvVote:
		n.onVote(e)
	case core.EvAcceptedEpoch:
		if n.role[e.Node] == core.Leading {
			n.say(e.At, e.Node, "epoch.leader", e.Node, e.Epoch)
		} else {
			n.say(e.At, e.Node, "epoch.promise", e.Node, e.Epoch)
		}
	case core.EvCurrentEpoch:
		if n.role[e.Node] == core.Leading {
			n.say(e.At, e.Node, "current.leader", e.Node, e.Epoch)
		} else {
			n.say(e.At, e.Node, "current.learner", e.Node, e.Epoch)
		}
	case core.EvSyncMode:
		n.onSyncMode(e)
	case core.EvTruncate:
		n.say(e.At, e.Node, "truncate", e.Node, zx(e.Zxid), zxList(e.Removed))
	case core.EvEstablished:
		n.say(e.At, e.Node, "established", e.Node, e.Epoch, n.quorum())
	case core.EvPropose:
		n.acks[e.Zxid] = map[core.NodeID]bool{}
		switch e.Reason {
		case "session moved":
			n.say(e.At, e.Node, "session.stale", e.Node, sessionID(e.Client))
		case "session expired":
			n.say(e.At, e.Node, "session.late", e.Node, sessionID(e.Client))
		default:
			n.say(e.At, e.Node, "propose", e.Node, zx(e.Zxid), e.Text)
		}
	case core.EvPhase:
		n.phase[e.Node] = e.Phase
	case core.EvRequest:
		if r := e.Req; r != nil {
			what := r.Op.String()
			if r.Path != "" {
				what += " " + r.Path
			}
			n.reqs[reqKey{r.Session, r.Cxid}] = what
		}
	case core.EvDeliverMsg:
		switch {
		case e.Msg == core.MsgAck && n.role[e.Node] == core.Leading && e.Zxid.Counter() != 0:
			if a := n.acks[e.Zxid]; a != nil {
				a[e.Peer] = true
			}
		case e.Msg == core.MsgAckEpoch:
			n.peerLast[e.Peer] = e.Zxid
		}
	case core.EvCrash:
		n.role[e.Node] = core.Down
		n.say(e.At, e.Node, "crash", e.Node)
	case core.EvRestart:
		n.say(e.At, e.Node, "restart", e.Node, zx(e.Zxid))
	case core.EvPause:
		n.say(e.At, e.Node, "pause", e.Node)
	case core.EvResume:
		n.say(e.At, e.Node, "resume", e.Node)
	case core.EvPartition:
		n.onPartition(e)
	case core.EvCut:
		n.say(e.At, 0, "cut", e.Text)
	case core.EvHeal:
		n.say(e.At, 0, "heal")
	case core.EvReply:
		n.onReply(e)
	case core.EvSession:
		n.onSession(e)
	case core.EvWatch:
		if e.Reply != nil && e.Reply.Watch == nil {
			n.say(e.At, e.Node, "watch.set", e.Node, sessionID(e.Client), e.Text, e.Reply.Path)
		}
	case core.EvFatal:
		n.say(e.At, e.Node, "fatal", e.Node, e.Text)
	case core.EvViolation:
		n.say(e.At, 0, "violation", e.Text)
	}
}

func (n *Narrator) onRole(e core.Event) {
	prev := n.role[e.Node]
	n.role[e.Node] = e.Role
	switch e.Role {
	case core.Looking:
		switch {
		case e.Text == "start":
			n.say(e.At, e.Node, "looking.start", e.Node)
		case strings.HasPrefix(e.Text, "read timeout"):
			n.say(e.At, e.Node, "looking.timeout", e.Node, n.leader[e.Node], n.cfg.SyncLimit, n.cfg.SyncLimit*n.cfg.TickMs)
		case prev == core.Leading:
			n.say(e.At, e.Node, "looking.stepdown", e.Node, n.cfg.SyncLimit)
		default:
			n.say(e.At, e.Node, "looking.other", e.Node, e.Text)
		}
		n.leader[e.Node] = 0
	case core.Leading:
		n.say(e.At, e.Node, "leading", e.Node)
	case core.Following:
		n.leader[e.Node] = e.Leader
		n.say(e.At, e.Node, "following", e.Node, e.Leader)
	case core.Observing:
		n.leader[e.Node] = e.Leader
		n.say(e.At, e.Node, "observing", e.Node, e.Leader)
	}
}

func (n *Narrator) onVote(e core.Event) {
	if e.Vote == nil {
		return
	}
	v := *e.Vote
	prev, had := n.vote[e.Node]
	n.vote[e.Node] = v
	if !n.voters[e.Node] {
		return
	}
	switch {
	case !had || e.Peer == 0:
		n.say(e.At, e.Node, "vote.own", e.Node, v.PeerEpoch, zx(v.Zxid))
	case v.Leader != prev.Leader:
		n.say(e.At, e.Node, "vote.switch", e.Node, v.Leader, n.why(prev, v))
	}
	n.maybeQuorum(e.At, v)
}

// why says in words why vote b beats a in FLE's total order.
func (n *Narrator) why(a, b core.Vote) string {
	t := texts[n.cfg.Lang]
	switch {
	case b.PeerEpoch != a.PeerEpoch:
		return fmt.Sprintf(t["why.epoch"], b.Leader, b.PeerEpoch, a.Leader, a.PeerEpoch)
	case b.Zxid != a.Zxid:
		return fmt.Sprintf(t["why.zxid"], b.Leader, zx(b.Zxid), a.Leader, zx(a.Zxid))
	}
	return fmt.Sprintf(t["why.sid"], b.Leader, a.Leader)
}

// maybeQuorum tells the moment a quorum of voters agree on one candidate in
// one round: each of them now waits finalizeWait before it decides.
func (n *Narrator) maybeQuorum(at int64, v core.Vote) {
	var agree []core.NodeID
	for _, id := range n.cfg.Voters {
		w, ok := n.vote[id]
		if ok && n.role[id] == core.Looking && w.Leader == v.Leader && w.ElectionEpoch == v.ElectionEpoch {
			agree = append(agree, id)
		}
	}
	if len(agree) < n.quorum() {
		return
	}
	key := strconv.Itoa(int(v.Leader)) + "/" + strconv.FormatUint(v.ElectionEpoch, 10)
	if n.quorumN[key] {
		return
	}
	n.quorumN[key] = true
	n.say(at, v.Leader, "quorum", join(idStrings(agree), n.cfg.Lang), v.Leader, n.quorum(), len(n.cfg.Voters), n.cfg.FinalizeWaitMs)
}

func (n *Narrator) onSyncMode(e core.Event) {
	key := "sync." + strings.ToLower(strings.ReplaceAll(e.Mode.String(), "+", "-"))
	if e.Reason == core.SnapAsked {
		key = "sync.snap-asked"
	}
	if _, ok := texts[English][key]; !ok {
		key = "sync.other"
	}
	peer := e.PeerZxid
	if peer == 0 {
		peer = n.peerLast[e.Peer]
	}
	window := zx(e.MinCommitted) + "–" + zx(e.MaxCommitted)
	t := texts[n.cfg.Lang]
	// Why the txn log could not serve it (SNAP), or where it starts.
	var logWhy string
	switch {
	case e.LogStart == 0:
		logWhy = t["log.none"]
	case e.LogStart > peer:
		logWhy = fmt.Sprintf(t["log.after"], zx(e.LogStart))
	default:
		logWhy = fmt.Sprintf(t["log.costly"], zx(e.LogStart))
	}
	n.say(e.At, e.Node, key, e.Node, e.Peer, e.Mode, zx(e.Zxid), zx(peer), window, logWhy)
}

// onPartition says which side, if any, still has a quorum of voters.
func (n *Narrator) onPartition(e core.Event) {
	if len(e.Groups) == 0 {
		n.say(e.At, 0, "partition", e.Text)
		return
	}
	sides := make([]string, len(e.Groups))
	var quorumSide []core.NodeID
	for i, g := range e.Groups {
		sides[i] = strings.Join(idStrings(g), " ")
		v := 0
		for _, id := range g {
			if n.voters[id] {
				v++
			}
		}
		if v >= n.quorum() {
			quorumSide = g
		}
	}
	split := strings.Join(sides, " | ")
	if quorumSide == nil {
		n.say(e.At, 0, "partition.noquorum", split, n.quorum(), len(n.cfg.Voters))
		return
	}
	n.say(e.At, 0, "partition.quorum", split, join(idStrings(quorumSide), n.cfg.Lang), n.quorum(), len(n.cfg.Voters))
}

// sessionID prints a session id as ZooKeeper logs it: 0x and hex.
func sessionID(id int64) string { return "0x" + strconv.FormatUint(uint64(id), 16) }

func (n *Narrator) onSession(e core.Event) {
	switch e.Text {
	case "expired":
		n.say(e.At, e.Node, "session.expired", e.Node, sessionID(e.Client))
	case "refused":
		key := "session.refused"
		switch {
		case strings.HasPrefix(e.Reason, "client has seen zxid"):
			key = "session.behind"
		case e.Reason == "session expired" || e.Reason == "wrong password":
			key = "session.gone"
		}
		n.say(e.At, e.Node, key, e.Node, sessionID(e.Client))
	}
}

func (n *Narrator) onReply(e core.Event) {
	r := e.Reply
	if r == nil || r.Op == ztree.OpPing {
		return
	}
	if w := r.Watch; w != nil {
		switch {
		case w.State == core.StateExpired:
			n.say(e.At, r.Server, "session.closed", r.Server, sessionID(r.Session))
		case w.Type != core.EventNone && r.Zxid == 0:
			n.say(e.At, r.Server, "watch.regiven", r.Server, sessionID(r.Session), w.Type.String()+" "+w.Path)
		case w.Type != core.EventNone:
			n.say(e.At, r.Server, "watch.fired", r.Server, sessionID(r.Session), w.Type.String()+" "+w.Path, zx(r.Zxid))
		}
		return
	}
	if r.Conn != 0 && r.Op == ztree.OpCreateSession {
		if r.Err == ztree.OK {
			key := "session.open"
			if n.sessions[r.Session] {
				key = "session.moved"
			}
			n.sessions[r.Session] = true
			n.say(e.At, r.Server, key, r.Server, sessionID(r.Session), r.TimeoutMs)
		}
		return
	}
	k := reqKey{r.Session, r.Cxid}
	what, ok := n.reqs[k]
	delete(n.reqs, k)
	if !ok {
		what = r.Op.String()
	}
	switch r.Err.String() {
	case "OK":
		n.say(e.At, r.Server, "reply.ok", r.Server, what, zx(r.Zxid))
	case "CONNECTIONLOSS":
		n.say(e.At, r.Server, "reply.noleader", r.Server, what)
	default:
		n.say(e.At, r.Server, "reply.err", r.Server, what, r.Err)
	}
}

// flush tells the pending group of sends, if any.
func (n *Narrator) flush() {
	g := n.group
	if g == nil {
		return
	}
	n.group = nil
	// A COMMIT sent by a leader: say how many acked first.
	for _, m := range g.msgs {
		if m.Msg == core.MsgCommit && n.role[g.from] == core.Leading {
			if a, ok := n.acks[m.Zxid]; ok {
				a[g.from] = true
				n.say(g.at, g.from, "commit", len(a), len(n.cfg.Voters), zx(m.Zxid), join(idStrings(keys(a)), n.cfg.Lang))
				delete(n.acks, m.Zxid)
				break
			}
		}
	}
	if t, ok := told[n.last.Key]; ok && n.last.Node == g.from && n.last.At == g.at && allOf(g.msgs, t) {
		return
	}
	peers := join(idStrings(keys(g.peers)), n.cfg.Lang)
	if len(g.msgs) == 1 && g.msgs[0].Msg == core.MsgAck && n.role[g.from] != core.Leading {
		m := g.msgs[0]
		switch {
		case m.Zxid.Counter() != 0:
			n.say(g.at, g.from, "ack", g.from, zx(m.Zxid), m.Peer)
		case n.phase[g.from] == core.PhaseBroadcast:
			n.say(g.at, g.from, "ack.uptodate", g.from, m.Peer)
		default:
			n.say(g.at, g.from, "ack.newleader", g.from, m.Peer)
		}
		return
	}
	if allOf(g.msgs, core.MsgNotification) {
		switch {
		case !n.voters[g.from]:
			n.say(g.at, g.from, "observer.ask", g.from)
		case n.allObservers(g.peers):
			// The answer to an observer asking who leads: the observer's
			// own caption told it.
		default:
			n.say(g.at, g.from, "send.votes", g.from, peers)
		}
		return
	}
	n.say(g.at, g.from, "send", g.from, msgList(g.msgs, n.cfg.Lang), peers, len(g.msgs))
}

func (n *Narrator) allObservers(ids map[core.NodeID]bool) bool {
	for id := range ids {
		if n.voters[id] {
			return false
		}
	}
	return true
}

func allOf(ms []core.Event, t core.MsgType) bool {
	for _, m := range ms {
		if m.Msg != t {
			return false
		}
	}
	return true
}

// msgList: "DIFF, PROPOSAL ×2, COMMIT ×2 and NEWLEADER", in first-sent order.
func msgList(ms []core.Event, lang Lang) string {
	var order []core.MsgType
	count := map[core.MsgType]int{}
	for _, m := range ms {
		if count[m.Msg] == 0 {
			order = append(order, m.Msg)
		}
		count[m.Msg]++
	}
	parts := make([]string, len(order))
	for i, t := range order {
		parts[i] = t.String()
		if c := count[t]; c > 1 {
			parts[i] += " ×" + strconv.Itoa(c)
		}
	}
	return join(parts, lang)
}

func join(parts []string, lang Lang) string {
	and, sep := " and ", ", "
	if lang == Chinese {
		and, sep = "和 ", "、"
		if len(parts) > 1 {
			return strings.Join(parts[:len(parts)-1], sep) + " " + and + parts[len(parts)-1]
		}
	}
	if len(parts) <= 1 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], sep) + and + parts[len(parts)-1]
}

func keys(m map[core.NodeID]bool) []core.NodeID {
	var out []core.NodeID
	for id := range m {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func idStrings(ids []core.NodeID) []string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = id.String()
	}
	return s
}

// zx formats a zxid as the playground does: epoch·counter.
func zx(z core.Zxid) string {
	return strconv.FormatUint(uint64(z.Epoch()), 10) + "·" + strconv.FormatUint(uint64(z.Counter()), 10)
}

func zxList(rs []core.Removed) string {
	if len(rs) == 0 {
		return "-"
	}
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = zx(r.Zxid)
	}
	return strings.Join(s, ", ")
}
