package core

import (
	"math/bits"
	"strconv"

	"github.com/zabplay/zabplay/core/enum"
)

// NodeID is a server id (ZooKeeper's sid, the value in the myid file). Servers
// are numbered from 1; 0 means "no server" (ZooKeeper's Long.MIN_VALUE vote of
// an observer).
type NodeID uint8

// MaxNodes is the largest ensemble the core supports: 9 voters plus 4 observers.
const MaxNodes = 13

// String returns "s3" for server 3 and "-" for none.
func (id NodeID) String() string {
	if id == 0 {
		return "-"
	}
	return "s" + strconv.Itoa(int(id))
}

// Epoch is a ZAB epoch, the high 32 bits of a zxid.
type Epoch uint32

// NoEpoch is the "-1" a learner sends in ACKEPOCH when the leader's epoch equals
// its acceptedEpoch (ZooKeeper Learner.registerWithLeader).
const NoEpoch Epoch = 0xffffffff

// MaxEpoch is the highest epoch a server follows: NoEpoch is reserved, and a
// leader proposes maxAccepted+1, so an epoch above MaxEpoch (from a forged or
// corrupt peer) is refused before it is persisted, and a leader whose
// maxAccepted is MaxEpoch cannot propose a new epoch at all.
const MaxEpoch Epoch = NoEpoch - 1

// ValidEpoch reports whether e is an epoch the protocol can follow.
func ValidEpoch(e Epoch) bool { return e <= MaxEpoch }

// Zxid is a ZooKeeper transaction id: epoch<<32 | counter. Zxids compare as
// integers, which is the same as comparing (epoch, counter) lexicographically.
type Zxid uint64

// MakeZxid builds a zxid from an epoch and a counter (ZxidUtils.makeZxid).
func MakeZxid(e Epoch, counter uint32) Zxid { return Zxid(uint64(e)<<32 | uint64(counter)) }

// Epoch returns the high 32 bits.
func (z Zxid) Epoch() Epoch { return Epoch(z >> 32) }

// Counter returns the low 32 bits. A counter of 0 marks the start of an epoch
// and is never used for a txn.
func (z Zxid) Counter() uint32 { return uint32(z) }

// String prints the zxid as ZooKeeper logs do: "0x200000001".
func (z Zxid) String() string { return "0x" + strconv.FormatUint(uint64(z), 16) }

// MarshalText makes zxids readable in JSON traces.
func (z Zxid) MarshalText() ([]byte, error) { return []byte(z.String()), nil }

// UnmarshalText parses "0x..." or a decimal zxid.
func (z *Zxid) UnmarshalText(b []byte) error {
	v, err := ParseZxid(string(b))
	*z = v
	return err
}

// ParseZxid parses "0x200000001", "2/1" (epoch/counter) or a decimal number.
func ParseZxid(s string) (Zxid, error) {
	for i := 0; i < len(s); i++ {
		if s[i] == '/' {
			e, err := strconv.ParseUint(s[:i], 0, 32)
			if err != nil {
				return 0, err
			}
			c, err := strconv.ParseUint(s[i+1:], 0, 32)
			if err != nil {
				return 0, err
			}
			return MakeZxid(Epoch(e), uint32(c)), nil
		}
	}
	v, err := strconv.ParseUint(s, 0, 64)
	return Zxid(v), err
}

// ServerState is QuorumPeer.ServerState.
type ServerState uint8

// The server states, with ZooKeeper's wire values. Down is the simulator's
// "not running" and never appears inside a running core.
const (
	Looking ServerState = iota
	Following
	Leading
	Observing
	Down
)

var stateNames = enum.New[ServerState]("server state", "looking", "following", "leading", "observing", "down")

// String returns the lower-case name used in scenarios and the DOM contract.
func (s ServerState) String() string { return stateNames.Name(s) }

// MarshalText writes the name.
func (s ServerState) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads the name.
func (s *ServerState) UnmarshalText(b []byte) error { return stateNames.Unmarshal(b, s) }

// ParseServerState is the inverse of String.
func ParseServerState(s string) (ServerState, bool) { return stateNames.Parse(s) }

// Phase is QuorumPeer.ZabState.
type Phase uint8

// The ZAB phases.
const (
	PhaseElection Phase = iota
	PhaseDiscovery
	PhaseSync
	PhaseBroadcast
)

var phaseNames = enum.New[Phase]("phase", "election", "discovery", "sync", "broadcast")

// String returns the lower-case name.
func (p Phase) String() string { return phaseNames.Name(p) }

// MarshalText writes the name.
func (p Phase) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText reads the name.
func (p *Phase) UnmarshalText(b []byte) error { return phaseNames.Unmarshal(b, p) }

// nodeSet is a set of server ids as a bitmask; quorum arithmetic on it is cheap.
type nodeSet uint16

func (s nodeSet) has(id NodeID) bool          { return s&(1<<id) != 0 }
func (s *nodeSet) add(id NodeID)              { *s |= 1 << id }
func (s *nodeSet) remove(id NodeID)           { *s &^= 1 << id }
func (s nodeSet) count() int                  { return bits.OnesCount16(uint16(s)) }
func (s nodeSet) intersect(o nodeSet) nodeSet { return s & o }
