// Package server is the home of everything that runs outside the simulator:
// site (the HTTP pages and assets), storage (a server's txn log, snapshots and
// epoch files on disk), transport (TCP between servers), httpjson (the JSON
// answers of the HTTP APIs), node (one live server driving the core) and
// ensemble (live ensembles behind serve). Nothing imports them but main, e2e
// and each other.
package server
