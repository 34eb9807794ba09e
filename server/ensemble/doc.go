// Package ensemble is the ensemble manager behind `serve`: it starts live ZAB
// ensembles (server/node servers on loopback TCP, each with its own data dir
// under a temp root and server/storage on disk) and lets browsers watch and
// poke them through the HTTP API of README.md (the contract).
//
// An action (POST .../actions) is a statement of the scenario language: it
// is parsed and run by core/script's interpreter, the simulator's, against
// the ensemble (actions.go checks a live ensemble's bounds, target.go
// applies what the interpreter resolved), so leader, follower, rest and let
// names mean the same servers here as in the simulator.
//
// Each server of an ensemble is a node.Node in this process. A crash is the
// node's Close (what was not fsynced is lost); a restart starts a new node
// from the same data dir on the same address. Partitions, cuts and delays
// become node.SetFaults calls on both ends of each link: the sender delays
// and cuts its Out direction, the receiver cuts its In direction. A pause, in
// this mode, cuts every link of the server both ways; its clock keeps ticking
// (a node cannot stop its ticks), so a paused leader notices at once that its
// followers are gone, where a SIGSTOPped ZooKeeper would notice only on
// resume.
//
// In Process mode (process.go) each server is a `zabplay node` child
// instead: crash is SIGKILL, pause SIGSTOP (a real pause), faults, requests
// and status go through its admin HTTP, and its events come from a pipe
// it writes before acting on each, so a SIGKILL loses none.
//
// Every server's Hub is merged into one stream (stream.go) whose times are
// milliseconds since the ensemble started. The merge respects causality: a
// server's events keep their order, and a deliver-msg (or a drop on arrival)
// waits until its send has been emitted, so the checker (core/check) sees
// the leader commit before a follower delivers, exactly as in the simulator.
// The stream feeds the state's messages in flight (sends not yet delivered or
// dropped, by event ID), sync modes and the latest leader, the checker, and
// each viewer's bounded queue (fanout.go: each batch encoded once, the same
// bytes for every viewer): a viewer that falls behind, or any viewer when the
// merger itself lost events, loses its queue and gets
// {"type":"gap","dropped":N} and a fresh snapshot; the ensemble never waits
// for a viewer.
//
// Each server in a State is its own view (core/view: role, phase, epochs,
// zxids, its real log tail and tree), as the server publishes it: a
// node.Node's Inspect, or a child's GET /status (state.go). Nothing is
// rebuilt from event texts.
//
// Ids are 128 random bits ("e-" and 32 hex digits) and looked up in a map;
// nothing from a request reaches the file system. Acting on an ensemble and
// deleting it take the capability token its create answered; watching it
// takes none (README.md: ownership, cross-site requests, limits).
package ensemble
