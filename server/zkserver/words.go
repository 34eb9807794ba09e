package zkserver

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/server/node"
	"github.com/zabplay/zabplay/server/zkwire"
)

// Version is what the four-letter words print as the server's version.
var Version = zkwire.FullVersion("3.9.4-zabplay", time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC))

// words are the four-letter words the port runs; ZooKeeper runs only srvr
// unless 4lw.commands.whitelist says more, and answers the others
// NotWhitelisted.
var words = map[string]bool{"ruok": true, "srvr": true, "stat": true, "mntr": true, "conf": true, "cons": true, "wchs": true}

// fourLetter answers a four-letter word and closes the connection, as
// NIOServerCnxn.checkFourLetterWord does.
func (c *conn) fourLetter(word string) {
	c.nc.SetWriteDeadline(time.Now().Add(c.s.cfg.WriteTimeout))
	c.nc.Write([]byte(c.s.Word(word)))
}

// Word is a four-letter word's answer.
func (s *Server) Word(word string) string {
	if !words[word] {
		return zkwire.NotWhitelisted(word)
	}
	if word == "ruok" {
		return zkwire.Ruok
	}
	st := s.Stats()
	switch word {
	case "srvr":
		return st.Srvr()
	case "stat":
		return st.Stat()
	case "mntr":
		return st.Mntr()
	case "cons":
		return st.Cons()
	case "wchs":
		return st.Wchs()
	case "conf":
		cf := s.cfg.Conf
		cf.TickTime = s.cfg.TickMs
		cf.MinSessionTimeout, cf.MaxSessionTimeout = int(s.cfg.MinSessionTimeout()), int(s.cfg.MaxSessionTimeout())
		cf.MaxClientCnxns = s.cfg.MaxConnsPerIP
		return cf.Conf(st.Serving)
	}
	return zkwire.NotWhitelisted(word)
}

// Stats fills what the four-letter words print from the server and its
// connections.
func (s *Server) Stats() *zkwire.ServerStats {
	ns := s.cfg.Backend.Status()
	lo, avg, hi := s.stats.latencies()
	st := &zkwire.ServerStats{
		Serving: serving(ns), Version: Version,
		MinLatency: lo, AvgLatency: avg, MaxLatency: hi,
		Received: s.stats.received.Load(), Sent: s.stats.sent.Load(),
		Zxid: int64(ns.LastZxid), Mode: mode(ns),
		ProposalSizes: [3]int64{-1, -1, -1},
		PeerState:     peerState(ns),
		Uptime:        time.Since(s.start).Milliseconds(),
		OpenFDs:       -1, MaxFDs: -1,
	}
	s.cfg.Backend.Read(context.Background(), func(n *core.Node) {
		t := n.Tree()
		st.NodeCount = int64(t.Len())
		st.ApproximateDataSize = int64(t.Size())
		for id := range t.Sessions() {
			st.EphemeralsCount += int64(len(t.Ephemerals(id)))
		}
		// The watches set at this server, data and child (core.Status);
		// NB: the core does not count the connections and paths holding
		// them, so wchs prints 0 for those.
		st.WatchCount = int64(n.Status().Watches)
		st.Watches = st.WatchCount
		if ns.Role == core.Leading {
			for _, l := range n.Status().Timers.Learners {
				st.Learners++
				if l.Synced && l.Observer {
					st.SyncedObservers++
				} else if l.Synced {
					st.SyncedFollowers++
				}
			}
		}
	})
	s.mu.Lock()
	for c := range s.conns {
		st.Conns = append(st.Conns, c.stats())
	}
	s.mu.Unlock()
	st.Connections = len(st.Conns)
	for _, c := range st.Conns {
		st.Outstanding += c.Queued
	}
	return st
}

func mode(st node.Status) string {
	switch st.Role {
	case core.Leading:
		return "leader"
	case core.Following:
		return "follower"
	case core.Observing:
		return "observer"
	}
	return strings.ToLower(st.Role.String())
}

// peerState is QuorumPeer.getDetailedPeerState: "leading - broadcast".
func peerState(st node.Status) string {
	role := map[core.ServerState]string{core.Leading: "leading", core.Following: "following", core.Observing: "observing", core.Looking: "looking"}[st.Role]
	if role == "" {
		role = "looking"
	}
	return fmt.Sprintf("%s - %s", role, strings.ToLower(st.Phase.String()))
}

// stats is the connection as stat and cons print it.
func (c *conn) stats() zkwire.ConnStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := c.info
	cs := zkwire.ConnStats{
		Remote: "/" + c.remote, Interest: 1, Queued: int64(len(c.pending)),
		Received: i.received, Sent: i.sent, SessionID: c.session, LastOp: i.lastOp,
		Established: c.est.UnixMilli(), Timeout: int32(c.timeout.Milliseconds()),
		LastCxid: i.lastCxid, LastZxid: i.lastZxid, LastResponse: i.lastResp, LastLatency: i.lastLat,
		MinLatency: i.minLat, MaxLatency: i.maxLat,
	}
	if i.sent > 0 {
		cs.AvgLatency = i.sum / i.sent
	}
	if c.est.IsZero() {
		cs.SessionID = 0
	}
	return cs
}

// ConfOf is what conf prints of a server's config (the client port is
// filled in when it listens).
func ConfOf(cfg node.Config, dataDir string) zkwire.ConfInfo {
	cc := cfg.CoreConfig()
	ci := zkwire.ConfInfo{SecureClientPort: -1, DataDir: dataDir, DataLogDir: dataDir, ClientPortListenBacklog: -1, ServerID: int64(cfg.ID)}
	q := &zkwire.QuorumConf{InitLimit: cfg.InitLimit, SyncLimit: cfg.SyncLimit, ElectionAlg: 3}
	obs := map[core.NodeID]bool{}
	for _, o := range cc.Observers {
		obs[o] = true
	}
	if obs[cfg.ID] {
		q.PeerType = 1
	}
	ids := make([]core.NodeID, 0, len(cfg.Peers))
	for id := range cfg.Peers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		addr := cfg.Peers[id]
		if id == cfg.ID {
			if _, p, err := net.SplitHostPort(addr); err == nil {
				q.QuorumPort, _ = strconv.Atoi(p)
				q.ElectionPort = q.QuorumPort // one port carries both here
			}
		}
		kind := "participant"
		if obs[id] {
			kind = "observer"
		}
		q.Members = append(q.Members, fmt.Sprintf("server.%d=%s:%s:%s", id, addr, portOf(addr), kind))
	}
	ci.Quorum = q
	return ci
}

func portOf(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}
