package view

import "github.com/zabplay/zabplay/core"

// What an ensemble's runtime (the simulator, or server/ensemble for a live
// one) knows besides its servers' views: its shape, its links, the messages
// on them and the checker's verdict. Their JSON is the rest of a "state"
// (wasm/README.md, server/ensemble/README.md).

// Violation is the checker's first finding.
type Violation struct {
	Property string `json:"property"`
	Text     string `json:"text"`
	At       int64  `json:"t"`
}

// Config is the ensemble's shape and timing.
type Config struct {
	Voters    int    `json:"voters"`
	Observers int    `json:"observers"`
	Seed      uint64 `json:"seed"`
	TickMs    int    `json:"tickMs"`
	InitLimit int    `json:"initLimit"`
	SyncLimit int    `json:"syncLimit"`
	LatencyMs [2]int `json:"latencyMs"`
	FsyncMs   [2]int `json:"fsyncMs"`
}

// Link is one direction between two servers.
type Link struct {
	From core.NodeID `json:"from"`
	To   core.NodeID `json:"to"`
	Cut  bool        `json:"cut"`
}

// Inflight is a message on a link.
type Inflight struct {
	ID     uint64       `json:"id"`
	From   core.NodeID  `json:"from"`
	To     core.NodeID  `json:"to"`
	Msg    core.MsgType `json:"msg"`
	Text   string       `json:"text"`
	Sent   int64        `json:"sent"`
	Arrive int64        `json:"arrive"`
}

// Action is one change a person (or a scenario) made to a run: a scenario
// statement with every server name resolved, and the point where it happened.
// Step (the events handled before it) makes the replay exact; At is for people.
type Action struct {
	Step uint64 `json:"step"`
	At   int64  `json:"t"`
	Text string `json:"text"`
}
