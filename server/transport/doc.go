// Package transport carries core.Messages between live ZAB servers over TCP.
//
// Each pair of servers keeps one connection. As in ZooKeeper's
// QuorumCnxManager the larger sid wins: the server with the higher id dials,
// and a connection that arrives from a smaller id is refused with a log line.
// Every connection opens with a handshake naming the sender's id and the
// protocol version; unknown ids and other versions are refused.
//
// Wire format: every frame is
//
//	version (1 byte, = Version) | type (1 byte) | length (4 bytes, big endian) | body (length bytes)
//
// with frame types Hello (uvarint sender id, both ways), Reject (a UTF-8
// reason, then the sender closes) and Msg (uvarint trace id, then the message
// in the binary encoding of AppendMessage). A malformed frame closes its
// connection with a log line; it never panics the process.
//
// A connection that breaks is reported as an Inbound with Lost set, ordered
// after every message that arrived on it and before any message of the next
// connection: the runtime steps it into the core as MsgConnLost, exactly as
// the simulator's breakConn does. Messages queued on a connection when it
// breaks are lost (TCP loses what is in flight); messages sent while no
// connection is up wait for the next one (bounded; QuorumCnxManager keeps a
// send queue per peer too).
//
// For teaching, each direction of each link has Faults (delay, loss, cut) that
// can change while the transport runs. They stay inside ZAB's model of FIFO
// TCP links: a delay keeps order, and a lost or cut message breaks its
// connection (both ends notice), since a message cannot vanish from the
// middle of a TCP stream.
package transport
