package ensemble

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// rootPattern names the data roots serve makes in the temp dir; pidFile,
// inside one, holds the pid of the serve that owns it.
const (
	rootPattern = "zabplay-ensembles-"
	pidFile     = "serve.pid"
	// staleNoPid is how old a root without a pid file must be to be
	// removed (one being made right now has none for a moment).
	staleNoPid = 10 * time.Minute
)

// makeRoot makes a data root in tmp and writes this process's pid in it.
func makeRoot(tmp string) (string, error) {
	dir, err := os.MkdirTemp(tmp, rootPattern)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, pidFile), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	return dir, nil
}

// removeStaleRoots removes the data roots in tmp that a serve killed before
// it could clean up left behind: those whose owner is no longer running (no
// process with its pid, or one started after the pid file was written), and
// those with no pid file older than staleNoPid. A root whose owner may still
// run is kept.
func removeStaleRoots(tmp string, log *slog.Logger) {
	dirs, err := filepath.Glob(filepath.Join(tmp, rootPattern+"*"))
	if err != nil {
		return
	}
	for _, dir := range dirs {
		fi, err := os.Lstat(dir)
		if err != nil || !fi.IsDir() {
			continue
		}
		why, stale := staleRoot(dir, fi)
		if !stale {
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			log.Warn("removing a stale ensembles dir", slog.String("dir", dir), slog.Any("error", err))
			continue
		}
		log.Info("removed a stale ensembles dir", slog.String("dir", dir), slog.String("why", why))
	}
}

func staleRoot(dir string, fi os.FileInfo) (string, bool) {
	pf := filepath.Join(dir, pidFile)
	st, err := os.Stat(pf)
	if errors.Is(err, os.ErrNotExist) {
		if time.Since(fi.ModTime()) > staleNoPid {
			return "no pid file, untouched for " + staleNoPid.String(), true
		}
		return "", false
	}
	b, err := os.ReadFile(pf)
	if err != nil {
		return "", false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return "", false
	}
	if pid == os.Getpid() {
		return "", false
	}
	if processAlive(pid, st.ModTime()) {
		return "", false
	}
	return "its serve (pid " + strconv.Itoa(pid) + ") is gone", true
}
