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
//   - The first frame is a ConnectRequest. Its timeout is clamped into
//     [2, 20] ticks. A new session is a createSession txn through the
//     quorum; a session id with its password (16 bytes any server of the
//     ensemble can recompute from the id) resumes a session, a wrong
//     password is answered as an expired session. A client that has seen a
//     zxid newer than the server's is refused and the connection closed,
//     so it tries another server.
//   - Then requests, pipelined: each is handed to the core in order, and
//     the core answers a session in that order (FIFO client order); the
//     reads the core does not take (exists, getChildren, getData with its
//     Stat) run on the server's loop once the connection's earlier
//     requests are answered. Pings are answered in the same order.
//     closeSession is a txn; the connection closes after its answer.
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
//   - When the server leaves the broadcast phase (an election), every
//     connection is closed, as ZooKeeper shuts its ZooKeeperServer down,
//     and clients reconnect to a server that serves.
package zkserver
