package script

import (
	"context"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/ztree"
)

// Target is an ensemble the interpreter drives: the simulator's cluster
// (core/sim) or a live ensemble (server/ensemble). Servers are 1..Size(),
// voters first. The interpreter has resolved every reference and checked
// the statement against the servers' state before it calls a method; a
// Target refuses what its own state forbids with an error made by Refused.
type Target interface {
	// Size is the number of servers.
	Size() int
	// Now is the time in ms: virtual in the simulator, since the start on
	// a live ensemble.
	Now() int64
	// Server is a server's state now; a server that is down has Role Down.
	Server(id core.NodeID) Server

	Crash(id core.NodeID) error
	Restart(id core.NodeID) error
	// Pause stops a running server for ms milliseconds, or until Resume
	// when ms is 0.
	Pause(id core.NodeID, ms int64) error
	Resume(id core.NodeID) error
	// Partition splits the servers into groups that cannot talk to each
	// other; the servers in no group form one more group.
	Partition(groups [][]core.NodeID) error
	// Cut cuts the link from→to, and to→from when bothWays.
	Cut(from, to core.NodeID, bothWays bool) error
	// Heal removes every partition and cut.
	Heal() error
	// Delay sets the one-way latency of the links a→b and b→a to ms, or of
	// every link when a and b are 0.
	Delay(a, b core.NodeID, ms int64) error

	// Submit sends a client request to server via. Via is 0 when the
	// statement named no server and there is no leader: the simulator's
	// client then tries a running server its seed picks; a live ensemble
	// refuses. A live ensemble stops waiting for the answer when ctx is
	// done; the simulator ignores ctx.
	Submit(ctx context.Context, via core.NodeID, req ztree.Request) (Call, error)

	// Run lets ms milliseconds pass.
	Run(ms int64)
	// WaitUntil lets time pass until cond holds or ms milliseconds passed,
	// and reports whether cond held.
	WaitUntil(ms int64, cond func() bool) bool
}

// Server is a server's state, as the interpreter reads it.
type Server struct {
	core.Status
	Paused bool
}

// Up reports whether the server is running (a paused server is running).
func (s Server) Up() bool { return s.Role != core.Down }

// Call is a client request sent by Submit.
type Call interface {
	Done() bool
	Reply() core.Reply
	// Server is the server the request went to.
	Server() core.NodeID
	Request() ztree.Request
}

// Inspector is a Target that can look inside its servers (the simulator):
// expect sync and expect data need it.
type Inspector interface {
	// LastSync is the last sync mode a leader chose for server id ("" if
	// none).
	LastSync(id core.NodeID) string
	// Data reads path in a running server's tree.
	Data(id core.NodeID, path string) (string, ztree.Err)
}

// Verifier is a Target a checker watches: expect ok needs it.
type Verifier interface {
	// Verdict reports whether the checker found nothing so far, and what it
	// found ("ok" if nothing).
	Verdict() (ok bool, found string)
}

// Explainer says why a Target is not yet live and in sync (for a failed
// wait synced).
type Explainer interface {
	Pending() string
}

// FaultSwitch is a Target that can inject random faults (the browser's
// Player): faults on|off needs it.
type FaultSwitch interface {
	SetRandomFaults(on bool)
}

// Sessions is what a Target with session clients offers (the simulator; a
// live ensemble has none yet, so client, watch, close, a request via a
// client and expect session|watch are not actions there).
type Sessions interface {
	// Connect connects client name to server via (a new session, or the
	// client's session moving there), asking for timeoutMs (0: the least).
	Connect(name string, via core.NodeID, timeoutMs int64) error
	// SubmitAs sends a request from client name to its server.
	SubmitAs(ctx context.Context, name string, req ztree.Request) (Call, error)
	// ClientState is the client's state ("connecting", "connected",
	// "disconnected", "expired", "closed") and the notifications it got.
	ClientState(name string) (state string, events []core.WatchEvent, ok bool)
	// SessionOpen reports whether the client's session is open at the
	// leader (in its tree).
	SessionOpen(name string) bool
}
