// Package server will drive the ZAB core with a real runtime: TCP between
// servers, a txn log and snapshots on disk with fsync, and real timers (the
// live-ensembles issue). It imports core; nothing imports it but main.
package server
