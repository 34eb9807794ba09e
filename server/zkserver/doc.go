// Package zkserver is a live server's client port: it speaks ZooKeeper's
// client protocol (package zkwire) to real clients (zkCli.sh,
// go-zookeeper, Curator, kazoo) and hands their requests to the server's
// core through a Backend (a *node.Node).
//
// One connection, as NIOServerCnxn and FinalRequestProcessor treat it:
//
//   - The first 4 bytes are a length, or one of the four-letter words
//     (ruok, srvr, stat, mntr, conf, cons, wchs run; the others answer that
//     they are not whitelisted), answered from the server's real state, then
//     the connection closes.
//   - The first frame is a ConnectRequest, which goes to the core as a
//     core.Connect (sessions are the core's: core/session.go). Its answer
//     is the ConnectResponse: a new session (a createSession txn through
//     the quorum), or the client's session again (password checked,
//     revalidated at the leader); an expired session or a wrong password
//     gets a response with no session, then the connection closes; a
//     server that is not serving, or is behind the zxid the client has
//     seen, closes the connection, so the client tries another server.
//   - Then requests, pipelined: each goes to the core in order (pings and
//     the reads too: they touch the session and leave watches), and the
//     core answers a session in that order, notifications of fired
//     watches included (xid -1, in zxid order with the replies);
//     setWatches too (the core's setWatches op). The few
//     ops answered here (auth, the unimplemented ones) wait
//     their turn in the same queue. closeSession is a txn; the connection
//     closes after its answer; a connection that ends without it tells
//     the core (MsgDisconnect) and its session lives on until it expires
//     or moves.
//   - Bad input closes the connection and logs one line, and touches no
//     other: a truncated frame, a length over jute.maxbuffer, a frame that
//     does not decode, a request before the ConnectRequest; an unknown op
//     code is answered UNIMPLEMENTED first. A connection must complete its
//     handshake within HandshakeTimeout and then send something (a request
//     or a ping) within every session timeout, so a slow-loris is dropped;
//     a client that does not read its answers is dropped after
//     WriteTimeout; past MaxOutstanding requests in flight the port stops
//     reading a connection.
//   - Connections are capped in all (MaxConns) and per IP (MaxConnsPerIP);
//     refused ones are logged at most once a second.
//   - When the server leaves the broadcast phase (an election), the core
//     tells every connection (Disconnected) and it closes, as ZooKeeper
//     shuts its ZooKeeperServer down; clients reconnect to a server that
//     serves, with their session. A session the leader expired is told
//     Expired and its connection closes.
package zkserver
