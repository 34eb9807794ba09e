// Package ztree is the replicated state machine of zabplay: ZooKeeper's data
// tree in miniature.
//
// Tree mirrors org.apache.zookeeper.server.DataTree: znodes by path, each with
// data and a Stat (czxid, mzxid, pzxid, version, cversion, ephemeralOwner,
// numChildren), the ephemerals of every session, and the sessions themselves
// (which ZooKeeper keeps beside the tree, in ZKDatabase). Tree.Apply is
// DataTree.processTxn: it applies one committed, idempotent txn at its zxid,
// including ZooKeeper's replay rules (a create that finds its node already
// there still advances the parent's cversion and pzxid, and a delete only
// ever raises the parent's pzxid), so that replaying a txn over a snapshot
// that already holds it is harmless.
//
// Tree.Prep mirrors the leader's
// org.apache.zookeeper.server.PrepRequestProcessor: it checks a client
// Request against the leader's "future" state (the committed tree plus every
// outstanding proposal, ZooKeeper's outstandingChanges) and turns it into the
// Txn that is proposed: a CreateTxn with the sequential suffix and the
// parent's new cversion already resolved, a SetDataTxn with the new absolute
// version, a DeleteTxn, a session txn, or an ErrorTxn carrying the failure
// code, since ZooKeeper replicates failed writes too. Followers never run
// Prep; they only Apply what the leader proposed.
//
// Tree.Hash is a digest of the whole tree in the spirit of ZooKeeper's
// DigestCalculator (ZOOKEEPER-3114): an order-independent sum of per-node
// hashes over path, data and stat, kept up to date on every change, so that
// comparing two replicas costs nothing.
//
// Tree.Prep of a multi preps its ops in order against change records over
// the tree (ZooKeeper's outstandingChanges), so each op sees the ops before
// it, and drops them at the first op that fails; Tree.Apply applies a multi
// whole or not at all.
//
// The package is pure and deterministic: it imports only the standard
// library and core/enum (the name tables of Op and Err), does no I/O, reads no clock, starts no goroutines and never lets
// map iteration order reach its results. It is not safe for concurrent use;
// each simulated server owns its trees.
package ztree
