// Package classroom is serve's hub for shared classroom sessions: a teacher's
// playground, followed by a class through a short code.
//
// The simulator is deterministic (core/sim/player: the same configuration
// and the same actions, each at its step, give the same run), so a room
// relays what a follower needs to rebuild the teacher's run, never frames:
// the configuration (a scenario's text, or voters, observers and seed, and the
// bug switches), the action list, and the time position (t, playing, speed).
// In Live mode the room relays the id of the teacher's live ensemble, which
// followers watch through server/ensemble's own websocket.
//
// A room is keyed by a short code (8 characters of a 31-letter alphabet,
// shown as K7QM-XP2D: about 40 bits, with unknown-code lookups rate limited
// per client) and owned by a 256-bit teacher token that its create answers.
// The teacher speaks on one websocket; each follower has its own, fed from a
// bounded queue of messages encoded once per room. The teacher never waits
// for a follower: a follower whose queue is full is given the room's latest
// state instead of what it missed (it still ends up with every action, in
// order), and one that cannot take a write within the write timeout is
// dropped. Rooms, followers per room and per client are capped; a room with
// no teacher for Options.Idle, or older than Options.Lifetime, is closed and
// its followers told why. README.md in this folder is the API.
package classroom
