// Package sim runs ZAB ensembles of core.Nodes in virtual time: one seeded
// random source, one event queue, FIFO links between servers (ZAB assumes
// TCP; as in ZooKeeper each pair keeps two connections, QuorumCnxManager's
// for election notifications and the learner's for everything else, so a
// core closing its learner connection loses nothing of the election), disks
// whose writes become durable only at fsync, and the faults of ZAB's model:
// latency, broken connections, partitions and one-way cuts, crashes that
// lose what was not fsynced, and pauses. Opt-in faults break the model for
// lessons: reordering or duplicating inside a link, and losing an fsynced
// write.
//
// The same Options (seed included) and the same actions give the same trace,
// byte for byte. A Runner (runner.go) runs a scenario through core/script's
// interpreter against a Cluster (target.go) for tests, lessons and bug
// reports. The rooms beside it: core/sim/player is the browser's Player
// (seek, step and act on one run), core/sim/campaign runs many seeds with
// random faults (faults.go) under the checker, on all cores.
package sim
