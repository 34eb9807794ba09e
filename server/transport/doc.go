// Package transport carries core.Messages between live ZAB servers over TCP.
//
// Each pair of servers keeps one connection. As in ZooKeeper's
// QuorumCnxManager the larger sid wins: the server with the higher id dials,
// and a connection that arrives from a smaller id is refused with a log line.
// Every connection opens with a handshake (auth.go) naming both servers' ids
// and carrying a fresh nonce from each side; unknown ids and other versions
// are refused. Each side then sends an HMAC-SHA256 of both ids and both
// nonces under the shared secret (Config.Secret, `zabplay node
// --secret-file`), the dialer first: a connection is installed only when
// both proved they know it, and a recorded handshake replayed later fails
// (the other side's nonce is new). ZooKeeper's quorum SASL plays this part.
// Without a secret (on both sides: a server with one refuses a server
// without) the MACs use an empty key and prove nothing: the quorum port is
// open to anyone who reaches it.
//
// Optionally (Config.TLS, `zabplay node --tls-cert --tls-key --tls-ca`)
// every connection is mutual TLS 1.3 first, both certificates signed by the
// ensemble's CA, and a dialer's certificate must name the host that Peers
// gives the id it claims (tls.go); the handshake above then runs inside it.
// ZooKeeper's quorum TLS (sslQuorum) plays this part.
//
// Wire format: every frame is
//
//	version (1 byte, = Version) | type (1 byte) | length (4 bytes, big endian) | body (length bytes)
//
// with frame types Hello (flags, uvarint sender id, uvarint expected id, a
// 32-byte nonce), Auth (32 bytes of HMAC-SHA256), Reject (a UTF-8 reason,
// then the sender closes) and Msg (uvarint trace id, then the message in the
// binary encoding of AppendMessage). A malformed frame closes its connection
// with a log line; it never panics the process.
//
// Nothing a stranger sends costs more than a few dozen bytes (with TLS, the
// TLS handshake's own bound, 64 KiB a message, comes first): each frame
// type has its own bound (MaxBody: the handshake frames their real size, a
// Msg 64 MiB, since a SNAP carries the whole tree), a frame of a type the
// handshake does not expect is refused from its header, and a large body is
// read as it arrives instead of allocated from the length its header
// claims. A handshake has a deadline (Config.HandshakeTimeout), and the
// handshakes in flight and the connections from one remote IP are capped
// (Config.MaxHandshakes, Config.MaxConnsPerAddr); past a cap a connection is
// refused at once. Refusals are logged, at most ten lines a second, the rest
// counted in the next line.
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
