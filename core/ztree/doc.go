// Package ztree is the replicated state machine of zabplay: ZooKeeper's
// DataTree in miniature (org.apache.zookeeper.server.DataTree), with the
// leader's PrepRequestProcessor that turns client requests into idempotent
// txns. It is pure and deterministic: no I/O, no clock, no map order leaks.
package ztree
