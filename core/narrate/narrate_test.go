package narrate_test

import (
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/narrate"
	"github.com/zabplay/zabplay/core/sim/player"
)

// narrateScenario runs a scenario file in the Player and narrates its trace.
func narrateScenario(t *testing.T, file string, lang narrate.Lang) []narrate.Caption {
	t.Helper()
	src, err := os.ReadFile(file)
	require.NoError(t, err)
	p, err := player.NewPlayer(player.PlayerConfig{Scenario: string(src)})
	require.NoError(t, err)
	p.AdvanceTo(20000)
	o := p.Options()
	var voters, observers []core.NodeID
	for i := 1; i <= o.Voters+o.Observers; i++ {
		if i <= o.Voters {
			voters = append(voters, core.NodeID(i))
		} else {
			observers = append(observers, core.NodeID(i))
		}
	}
	n := narrate.New(narrate.Config{Voters: voters, Observers: observers, TickMs: o.TickMs, SyncLimit: o.SyncLimit,
		InitLimit: o.InitLimit, Lang: lang})
	var out []narrate.Caption
	for _, e := range p.Events() {
		out = append(out, n.Observe(e)...)
	}
	return append(out, n.Flush()...)
}

func keys(cs []narrate.Caption) map[string][]string {
	m := map[string][]string{}
	for _, c := range cs {
		m[c.Key] = append(m[c.Key], c.Text)
	}
	return m
}

// A follower that missed writes while down is told as a learner would need
// it: the election and its quorum, the epoch promises, the leader's choice of
// DIFF with the zxid it syncs to, the proposals, the ACKs after fsync and the
// commit by a counted quorum.
func TestNarrateSyncDiff(t *testing.T) {
	cs := narrateScenario(t, "../sim/testdata/sync-diff.txt", narrate.English)
	k := keys(cs)
	require.NotEmpty(t, k["quorum"], "the quorum of votes is told")
	assert.Contains(t, k["quorum"][0], "a quorum (2 of 3)")
	assert.Contains(t, k["quorum"][0], "finalizeWait (200 ms)")
	require.NotEmpty(t, k["established"])
	assert.Contains(t, k["established"][0], "leader of epoch 1")
	require.NotEmpty(t, k["sync.diff"], "the DIFF for the follower that was down")
	assert.Regexp(t, `^s3 picks DIFF for s[12]: `, k["sync.diff"][0])
	require.NotEmpty(t, k["propose"])
	assert.Contains(t, k["propose"][0], `s3 proposes 1·1 (create /a "one")`)
	require.NotEmpty(t, k["ack"])
	assert.Regexp(t, `^s[12] logged 1·1 to disk \(fsync\) and ACKs it to s3\.$`, k["ack"][0])
	require.NotEmpty(t, k["commit"])
	assert.Regexp(t, `^[23] of 3 acked 1·1 \(s.*\): a quorum, so it is committed\.`, k["commit"][0])
	assert.NotEmpty(t, k["crash"])
	assert.NotEmpty(t, k["restart"])
	// The DIFF's packets go out in one caption, in the order they were sent.
	var sends []string
	for _, c := range cs {
		if c.Key == "send" && strings.Contains(c.Text, "DIFF") {
			sends = append(sends, c.Text)
		}
	}
	assert.Contains(t, sends, "s3 sends DIFF and NEWLEADER to s1.", "an empty DIFF at the first election")
	found := false
	for _, s := range sends {
		found = found || regexp.MustCompile(`^s3 sends DIFF, PROPOSAL ×2, COMMIT ×2 and NEWLEADER to s[12]\.$`).MatchString(s)
	}
	assert.True(t, found, "the DIFF with the two missed txns: %q", sends)
}

// TRUNC is told with the zxid the learner is cut back to and what it loses.
func TestNarrateTrunc(t *testing.T) {
	k := keys(narrateScenario(t, "../sim/testdata/leader-crash-uncommitted-truncated.txt", narrate.English))
	require.NotEmpty(t, k["sync.trunc"])
	require.NotEmpty(t, k["truncate"])
	assert.Contains(t, k["truncate"][0], "never reached a quorum")
}

// Chinese captions tell the same story with the same facts.
func TestNarrateChinese(t *testing.T) {
	en := narrateScenario(t, "../sim/testdata/sync-diff.txt", narrate.English)
	zh := narrateScenario(t, "../sim/testdata/sync-diff.txt", narrate.Chinese)
	require.Equal(t, len(en), len(zh))
	for i := range en {
		assert.Equal(t, en[i].Key, zh[i].Key)
		assert.Equal(t, en[i].At, zh[i].At)
	}
	k := keys(zh)
	require.NotEmpty(t, k["sync.diff"])
	assert.Contains(t, k["sync.diff"][0], "DIFF（差异同步）")
	assert.Regexp(t, `已过半`, k["commit"][0])
}

var argRE = regexp.MustCompile(`%\[(\d+)\][a-z]`)

// Every caption exists in both languages and uses the same arguments.
func TestTextsComplete(t *testing.T) {
	en, zh := narrate.Texts(narrate.English), narrate.Texts(narrate.Chinese)
	require.Equal(t, sortedKeys(en), sortedKeys(zh))
	for k, e := range en {
		assert.Equal(t, args(e), args(zh[k]), "arguments of %q", k)
		assert.NotContains(t, zh[k], "%s", "%q: use explicit indexes", k)
	}
}

func args(s string) []string {
	seen := map[string]bool{}
	for _, m := range argRE.FindAllStringSubmatch(s, -1) {
		seen[m[0]] = true
	}
	return sortedKeys(seen)
}

func sortedKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestPrintCaptions(t *testing.T) {
	if os.Getenv("NARRATE_PRINT") == "" {
		t.Skip("set NARRATE_PRINT=file to print a scenario's captions")
	}
	for _, c := range narrateScenario(t, os.Getenv("NARRATE_PRINT"), narrate.ParseLang(os.Getenv("NARRATE_LANG"))) {
		t.Logf("%6d %-4s %-16s %s", c.At, c.Node, c.Key, c.Text)
	}
}

// Sessions, expiry and watches are told: the session opened through the
// leader, the watch left and fired, the leader expiring a silent session.
func TestNarrateSessions(t *testing.T) {
	k := keys(narrateScenario(t, "../sim/testdata/watch-fires.txt", narrate.English))
	require.NotEmpty(t, k["session.open"])
	assert.Regexp(t, `^s2 opens session 0x[0-9a-f]+ for a client \(timeout 2000 ms\)`, k["session.open"][0])
	require.NotEmpty(t, k["watch.set"])
	assert.Regexp(t, `^s2 leaves a data watch on /a for session 0x`, k["watch.set"][0])
	require.NotEmpty(t, k["watch.fired"])
	assert.Regexp(t, `^s2 applies 1·3 and fires the watch of session 0x[0-9a-f]+: NodeDataChanged /a\.`, k["watch.fired"][0])

	k = keys(narrateScenario(t, "../sim/testdata/ephemeral-outlives-partitioned-client.txt", narrate.Chinese))
	require.NotEmpty(t, k["session.expired"])
	assert.Contains(t, k["session.expired"][0], "closeSession")
	assert.Contains(t, k["session.expired"][0], "临时节点")
}

// The old server's late write after the client moved is told as the
// leader's refusal (ZOOKEEPER-710), not as an ordinary proposal.
func TestNarrateSessionMoved(t *testing.T) {
	for _, lang := range []narrate.Lang{narrate.English, narrate.Chinese} {
		k := keys(narrateScenario(t, "../sim/testdata/session-moved.txt", lang))
		require.Len(t, k["session.stale"], 1, "%v", lang)
		assert.Contains(t, k["session.stale"][0], "SESSIONMOVED")
		assert.Regexp(t, `^Leader s\d`, k["session.stale"][0])
		for _, p := range k["propose"] {
			assert.NotContains(t, p, "SESSIONMOVED", "the refusal is also told as a proposal")
		}
	}
}
