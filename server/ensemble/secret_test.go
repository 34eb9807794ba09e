package ensemble

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/server/transport"
)

// refusedBy is a slog handler that reports the first "peer refused the
// connection" line of a transport.
type refusedBy chan string

func (r refusedBy) Enabled(context.Context, slog.Level) bool { return true }
func (r refusedBy) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r refusedBy) WithGroup(string) slog.Handler            { return r }
func (r refusedBy) Handle(_ context.Context, rec slog.Record) error {
	if rec.Message == "peer refused the connection" {
		rec.Attrs(func(a slog.Attr) bool {
			if a.Key == "why" {
				select {
				case r <- a.Value.String():
				default:
				}
			}
			return true
		})
	}
	return nil
}

// strangerRefused dials the quorum port of server 1 at addr as server 2 of a
// 2-server ensemble, without the secret, and returns why it was refused.
func strangerRefused(t *testing.T, addr string) string {
	t.Helper()
	why := make(refusedBy, 1)
	tr, err := transport.New(transport.Config{ID: 2, Peers: map[core.NodeID]string{1: addr, 2: "127.0.0.1:0"}, Log: slog.New(why)})
	require.NoError(t, err)
	defer tr.Close()
	select {
	case w := <-why:
		return w
	case <-time.After(10 * time.Second):
		t.Fatal("the stranger was neither refused nor let in")
		return ""
	}
}

// TestEnsembleQuorumSecret: each live ensemble's quorum has its own random
// secret, and a stranger without it is refused.
func TestEnsembleQuorumSecret(t *testing.T) {
	a := newAPI(t, testOptions(t))
	e1, err := a.m.Get(a.create(`{"voters":3}`))
	require.NoError(t, err)
	e2, err := a.m.Get(a.create(`{"voters":1}`))
	require.NoError(t, err)
	assert.Len(t, e1.secret, 32)
	assert.Len(t, e2.secret, 32)
	assert.NotEqual(t, e1.secret, e2.secret, "one secret per ensemble")
	_, err = os.Stat(e1.secretFile())
	assert.True(t, os.IsNotExist(err), "in-process mode writes no secret file")
	assert.Contains(t, strangerRefused(t, e1.members[0].addr), "requires the ensemble's shared secret")
}

// TestProcessModeSecretFile: in process mode the children get the secret
// through a 0600 file in the ensemble's data dir, never on their command
// line, and their quorum ports refuse a stranger.
func TestProcessModeSecretFile(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("process mode needs Linux")
	}
	o := testOptions(t)
	o.Mode, o.NodeBinary = Process, buildZabplay(t)
	a := newAPI(t, o)
	e, err := a.m.Get(a.create(`{"voters":3}`))
	require.NoError(t, err)
	a.waitState(e.ID, 20*time.Second, "synced", synced)

	fi, err := os.Stat(e.secretFile())
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	got, err := os.ReadFile(e.secretFile())
	require.NoError(t, err)
	assert.Equal(t, e.secret, got)
	for _, m := range e.members {
		e.mu.Lock()
		p := m.n.(*proc)
		e.mu.Unlock()
		cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/cmdline")
		require.NoError(t, err)
		args := strings.Split(string(cmdline), "\x00")
		assert.Contains(t, args, "--secret-file")
		assert.Contains(t, args, e.secretFile())
		assert.False(t, bytes.Contains(cmdline, e.secret), "the secret is not on %v's command line", m.id)
	}
	why := strangerRefused(t, e.members[0].addr)
	assert.Contains(t, why, "requires the ensemble's shared secret")
}
