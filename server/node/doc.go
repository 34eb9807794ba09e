// Package node is the live runtime of one ZAB server: it drives one
// core.Node with real TCP (package transport), a real Store and real timers.
//
// One goroutine owns the core. It takes, one at a time, a tick of a
// time.Ticker every Config.ClockMs, a message or broken connection from the
// transport, the completion of an fsync, or a client request, steps it into
// the core, and handles the Ready in the core's order (core/doc.go): the
// writes go to the persister, the connections in Close are closed, the
// messages are sent, the replies are handed back, then Advance. The
// persister goroutine performs and fsyncs the writes in batches (group
// commit: whatever accumulated while the last fsync ran) and the loop steps
// MsgPersisted with the last Seq of each batch, exactly as the simulator's
// fsyncDone does (core/sim/cluster.go). A broken connection is stepped as
// MsgConnLost, as the simulator's notifyConnLost does.
//
// Every event the core emits, and the send, deliver-msg, drop, fsync, request
// and reply events the runtime makes (the same kinds and fields as the
// simulator, core/event.go), go to a Hub; Event.At is wall-clock milliseconds
// since the node started. A subscriber that falls behind never blocks the
// node: its events are dropped and the next one it gets is a
// {"kind":"gap","dropped":N,"t":T} marker.
//
// Inspect asks the loop for the core's view (core/view: role, phase,
// epochs, zxids, the real log tail and tree), built between two inputs, the
// same view the simulator's Player shows; GET /status serves it.
//
// Handler serves the admin HTTP API: GET /status, GET /events (websocket),
// POST /request, and the teaching faults GET/POST/DELETE /faults. It answers
// only requests whose Host names the admin (an IP address of its listener,
// loopback, localhost or a name in AdminOptions.Hosts: a page whose DNS
// name was rebound to this machine gets 403), and POST and DELETE only with
// Content-Type application/json (415 otherwise), which a cross-site page
// cannot send without a CORS preflight the admin never grants.
//
// A client port (package zkserver) drives the core's sessions: Connect
// steps a client's ConnectRequest (MsgConnect) and routes what the core
// sends that connection (the Connect's answer, then its session's replies
// and watch notifications, in the core's order) to a ClientSink; Submit
// steps a request without waiting, so a connection pipelines; Disconnect
// steps MsgDisconnect for a connection that ended without closeSession.
// Read runs a function on the loop between two inputs (the four-letter
// words' counts).
//
// Config.Secret is the ensemble's shared secret: the transport lets in only
// servers that prove they know it (see package transport).
package node
