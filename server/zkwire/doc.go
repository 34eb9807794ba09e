// Package zkwire is ZooKeeper's client wire protocol, as Apache ZooKeeper
// 3.8 and 3.9 speak it, so that real clients (zkCli.sh, go-zookeeper,
// Curator, kazoo) can talk to a live zabplay server. It is only the
// protocol: encoding and decoding, framing and the four-letter words'
// output formats. Sessions, watches and the answers' contents belong to the
// core and the server (issue 11). It imports the standard library only.
//
// What each part mirrors in ZooKeeper's sources:
//
//   - jute.go: the jute binary encoding (zookeeper-jute's
//     BinaryInputArchive and BinaryOutputArchive): big-endian int and long,
//     a boolean as one byte, buffer and ustring as an int length then the
//     bytes (-1 is null), vector as an int count then the items (-1 is
//     null). A Decoder has sticky errors, never panics and never allocates
//     more than its input can back (see Decoder for where it is stricter
//     than Java, so that an accepted input has one encoding).
//   - records.go, requests.go, responses.go, multi.go: the records of
//     zookeeper.jute (org.apache.zookeeper.data and .proto) that clients
//     send and receive: Id, ACL, Stat; ConnectRequest and ConnectResponse
//     with the optional trailing readOnly byte (compat/ProtocolManager);
//     RequestHeader, ReplyHeader, WatcherEvent; the requests of create,
//     create2, createContainer, createTTL, delete, exists, getData, setData,
//     getACL, setACL, getChildren, getChildren2, sync, check, multi and
//     multiRead (MultiOperationRecord, MultiResponse, OpResult), auth
//     (AuthPacket), setWatches, setWatches2, addWatch, checkWatches,
//     removeWatches, getEphemerals, getAllChildrenNumber, sasl, whoAmI,
//     ping and closeSession (no body), and their responses; CreateMode's
//     flags (CreateMode.java).
//   - request.go: DecodeRequest, a frame's header and the record its op
//     code names, which is what NIOServerCnxn.readRequest and
//     FinalRequestProcessor deserialize; reconfig is not decoded.
//   - codes.go: ZooDefs.OpCode (with names), KeeperException.Code (with
//     names and getCodeMessage's texts), Watcher.Event.EventType and
//     KeeperState, ZooDefs.AddWatchModes and Perms, Watcher.WatcherType, and
//     ClientCnxn's special xids (-1 notification, -2 ping, -4 auth, -8
//     setWatches).
//   - frame.go: the 4-byte big-endian length framing and jute.maxbuffer
//     (0xfffff by default) of NIOServerCnxn.readLength, checked before
//     anything is allocated, the body read as it arrives.
//   - fourletter.go: the four-letter words a connection may send instead
//     of a first length (FourLetterCommands, NIOServerCnxn.checkFourLetterWord),
//     and the output of ruok (RuokCommand), srvr and stat (StatCommand,
//     ServerStats.toString), cons (ConsCommand,
//     ServerCnxn.dumpConnectionInfo), wchs (WatchCommand,
//     WatchManager.toString) and mntr (MonitorCommand) as functions of a
//     ServerStats the server fills, and conf (ConfCommand,
//     ZooKeeperServer.dumpConf, QuorumZooKeeperServer.dumpConf) of a
//     ConfInfo. envi, dump, dirs, wchc, wchp, isro, hash, crst, srst, gtmk
//     and stmk are recognized but have no output here.
//
// ACLs are decoded and encoded whole, but zabplay enforces none:
// world:anyone (OpenACLUnsafe) is the only identity it knows.
//
// What real clients send, as the tests pin it down:
//
//   - go-zookeeper v1.0.4 (client_test.go, against a scripted peer made of
//     this package only): a ConnectRequest without the readOnly byte;
//     create, getData, setData, getChildren2 (its Children), delete, sync,
//     exists with a watch, multi, auth with an ordinary xid (not -4), pings
//     with xid -2 and no body, closeSession with no body; after a
//     reconnect, its session id, password and last zxid, its credentials
//     again, then setWatches with an ordinary xid (not -8).
//   - zkCli.sh 3.8.0 (zkcli_test.go, frames captured once): a
//     ConnectRequest with the readOnly byte, one request per command (ls
//     is getChildren2, addWatch is persistent recursive by default, create
//     without data sends null data), and no closeSession: a one-shot
//     zkCli.sh leaves its session to expire, ephemerals included.
//
// FuzzDecode (go test -fuzz FuzzDecode, corpus in testdata/fuzz) checks
// that no frame panics a decoder, that a decoded value holds at most a few
// times its frame's size, and that every accepted frame re-encodes to its
// own bytes.
package zkwire
