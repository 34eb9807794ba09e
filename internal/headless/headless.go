// Package headless starts the headless Chromium that the browser tests (e2e/
// and cloudflare/) drive through chromedp, with the flags of
// shared/toolchain.md.
package headless

import (
	"context"
	"os"
	"os/exec"
	"testing"

	"github.com/chromedp/chromedp"
)

// Path finds the browser: $CHROMIUM, else the first of Debian's and
// Google's names on the PATH. The test fails with what to install.
func Path(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatalf("Chromium not found (the browser tests need it): go tool -modfile=tools/go.mod task chromium, or set CHROMIUM=/path/to/chrome")
	return ""
}

// Browser starts Chromium with a window of width×height CSS px and a fresh
// profile; it is killed, and its files removed, when the test ends.
func Browser(t testing.TB, width, height int) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(Path(t)),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
		// Its process-singleton folder (org.chromium.Chromium.*) goes in
		// TMPDIR and stays there when the browser is killed: hundreds in
		// /tmp after a few runs. Here it goes with the test's files.
		chromedp.Env("TMPDIR=" + t.TempDir()),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	bctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return bctx
}
