// Package core is zabplay's ZAB protocol core: one deterministic state machine
// per ZooKeeper server, faithful to Apache ZooKeeper 3.9 (Fast Leader Election,
// discovery, synchronization, broadcast, heartbeats, step-down and observers).
//
// The core has no goroutines, no clock, no I/O and no global randomness. It has
// the shape of etcd-io/raft's RawNode:
//
//	n := core.NewNode(cfg)          // cfg.Restore holds what the server's disk held
//	n.Tick()                        // ClockMs of time has passed
//	n.Step(m)                       // a message from a peer, the disk or a client
//	if n.HasReady() {
//		rd := n.Ready()
//		// 1. write rd.Writes in order (they become durable at the next fsync);
//		//    when an fsync covering Writes up to Seq s completes, Step
//		//    Message{Type: MsgPersisted, Seq: s}.
//		// 2. break the connections in rd.Close, then send rd.Messages.
//		// 3. hand rd.Replies to the clients; record rd.Events.
//		n.Advance()
//	}
//
// The driver never has to hold a message back: the core itself keeps every
// message that must wait for durability (an ACK waits for the fsync of the
// proposal it acknowledges, ZooKeeper's SyncRequestProcessor →
// SendAckRequestProcessor) and releases it when MsgPersisted arrives. So the
// contract is: persist, then send, then reply, then Advance.
//
// Clients reach a server through the driver: Step MsgConnect with a Connect
// for a client's ConnectRequest, MsgClientRequest for each request (pings
// included) and MsgDisconnect when its connection breaks. Everything a
// server sends its clients is in Ready.Replies, in the order each client
// must see it: answers, Connect answers (Reply.Conn) and watch
// notifications (Reply.Watch). Sessions, their expiry at the leader and the
// watches are ZooKeeper's (session.go, watch.go); ACLs are world:anyone only.
//
// The replicated state machine is a znode tree (package ztree). The node applies
// committed txns to it itself; Events report every delivery (EvDeliver) with a
// chain digest of the delivered history so a checker outside the nodes can
// verify the ZAB properties over a trace (see package check).
//
// Historical ZooKeeper bugs can be switched back on (Bugs); each is off by
// default and named by its JIRA id. Mutants (Config.Mutant, mutant.go) are
// one-line mistakes planted on purpose, to measure what the checker and the
// campaign catch; only tests and `zabplay sim --mutants` set them.
package core
