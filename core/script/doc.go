// Package script is the scenario language (README.md, "The scenario
// language"): its one parser and its one interpreter.
//
// Parse reads a scenario file, ParseStatement one statement. An Interp runs
// statements against a Target: the simulator's cluster (core/sim) or a live
// ensemble (server/ensemble). References (sN, leader, follower, observer,
// rest and names bound by let) resolve here, in Interp.Resolve, and nowhere
// else, so the same text means the same servers in both. Each statement the
// interpreter applies reports an Outcome: the statement with every reference
// resolved and the servers it named.
//
// The package imports core and core/ztree only, and builds for GOOS=js (the
// browser's Player uses it through core/sim).
package script
