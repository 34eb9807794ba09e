package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/core/ztree"
	"github.com/zabplay/zabplay/server/storage"
)

// TestNodeRefusesCorruptLog: `zabplay node` on a data dir whose log has a
// flipped bit in the middle (valid records after it) exits with the
// *storage.CorruptError, which names the file and says how to recover.
func TestNodeRefusesCorruptLog(t *testing.T) {
	dir := t.TempDir()
	d, _, err := storage.Open(dir, nil)
	require.NoError(t, err)
	ws := []core.Write{{Seq: 1, Kind: core.WriteAcceptedEpoch, Epoch: 1}, {Seq: 2, Kind: core.WriteCurrentEpoch, Epoch: 1}}
	app := core.Write{Seq: 3, Kind: core.WriteAppend}
	for i := range 20 {
		app.Entries = append(app.Entries, core.Entry{Txn: core.Txn{Zxid: core.MakeZxid(1, uint32(i+1)),
			Txn: ztree.Txn{Op: ztree.OpCreate, Path: fmt.Sprintf("/k%02d", i), Data: "some data", ParentCVersion: -1}}})
	}
	_, err = d.Persist(append(ws, app))
	require.NoError(t, err)
	require.NoError(t, d.Close())
	logs, err := filepath.Glob(filepath.Join(dir, "log", "log.*"))
	require.NoError(t, err)
	require.Len(t, logs, 1)
	b, err := os.ReadFile(logs[0])
	require.NoError(t, err)
	b[len(b)/2] ^= 0x20
	require.NoError(t, os.WriteFile(logs[0], b, 0o644))

	err = run(context.Background(), []string{"node", "--id", "1", "--peers", "1=127.0.0.1:2881", "--data", dir}, os.Getenv, io.Discard, io.Discard)
	var ce *storage.CorruptError
	require.True(t, errors.As(err, &ce), "got %v", err)
	require.Equal(t, logs[0], ce.File)
	require.ErrorContains(t, err, logs[0]+" is corrupt at byte offset ")
	require.ErrorContains(t, err, "move the data directory "+dir+" aside")
	after, err := os.ReadFile(logs[0])
	require.NoError(t, err)
	require.Equal(t, b, after, "the log is left as it was")
}
