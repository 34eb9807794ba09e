package e2e

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/zabplay/zabplay/lessons"
	"github.com/zabplay/zabplay/server/classroom"
	"github.com/zabplay/zabplay/server/ensemble"
	"github.com/zabplay/zabplay/server/site"
	"github.com/zabplay/zabplay/static"
)

// startClassSite serves the site with the classroom hub under /api/rooms,
// as serve mounts it.
func startClassSite(t testing.TB) string {
	t.Helper()
	fsys := os.DirFS(filepath.Join("..", "static"))
	if !static.HasWasmIn(fsys) {
		t.Fatalf("static/zab.wasm or static/wasm_exec.js is missing: run go tool -modfile=tools/go.mod task wasm")
	}
	ls, err := lessons.All()
	if err != nil {
		t.Fatalf("lessons.All() = %v", err)
	}
	hub := classroom.New(classroom.Options{})
	mux := http.NewServeMux()
	mux.Handle("/api/rooms", hub.Handler())
	mux.Handle("/api/rooms/", hub.Handler())
	mux.Handle("/", site.Handler(site.Options{Static: fsys, Lessons: ls}))
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { srv.Close(); hub.Close() })
	return srv.URL
}

// TestClassroomFollow: a teacher shares the playground; a second browser
// opens the link and follows; the teacher's kill-leader shows on the
// student's screen within a second; the student detaches and explores on
// its own copy, which the teacher's next action leaves alone.
func TestClassroomFollow(t *testing.T) {
	base := startClassSite(t)
	tb := newBrowser(t, 1280, 900)
	teacher := newPage(t, tb, base+"/playground", 1280, 900)
	teacher.wait("the widget to mount", widgetJS(1)+`?.dataset.simTime !== undefined`, 30*time.Second)
	teacher.wait("the class bar", `!!document.querySelector('[data-testid="class-share"]')`, 10*time.Second)
	teacher.click("Share with the class", `//button[@data-testid="class-share"]`)
	teacher.wait("a class code", `/^[A-Z0-9]{4}-[A-Z0-9]{4}$/.test(document.querySelector('[data-testid="class-code"]')?.textContent || '')`, 10*time.Second)
	link := eval[string](teacher, `document.querySelector('[data-testid="class-link"]').href`)
	code := eval[string](teacher, `document.querySelector('[data-testid="class-code"]').textContent`)
	if !strings.Contains(link, "/playground?follow="+code) {
		t.Fatalf("follow link %q, want /playground?follow=%s", link, code)
	}

	sb := newBrowser(t, 1280, 900)
	student := newPage(t, sb, link, 1280, 900)
	student.wait("the student following", widgetJS(1)+`?.dataset.following === `+jsString(code), 30*time.Second)
	teacher.wait("the teacher told of one student", `document.querySelector('[data-testid="class-count"]').textContent.startsWith('1 ')`, 10*time.Second)
	teacher.click("the widget (to make it the active one)", `(//section[@data-widget])[1]//span[contains(@class,"zw-timebox")]`)
	faster(teacher, 3)
	teacher.wait("a leader in broadcast", widgetJS(1)+`.querySelector('[data-node][data-role="leading"][data-phase="broadcast"]') !== null`, 60*time.Second)
	student.wait("the same leader on the student's screen", leaderJS(1), 10*time.Second)

	// The moment of the click, and the moment the student's ring shows the
	// leader down, on one machine's clock.
	teacher.click("Pause", button(1, "Pause"))
	teacher.wait("Kill leader enabled (an established leader)", `!document.evaluate(`+jsString(button(1, "Kill leader"))+`, document, null, 9, null).singleNodeValue.disabled`, 10*time.Second)
	leader := eval[string](teacher, widgetJS(1)+`.querySelector('[data-node][data-role="leading"]').dataset.node`)
	student.wait("the student paused where the teacher is", widgetJS(1)+`.dataset.playing === 'false'`, 5*time.Second)
	eval[bool](student, `(() => { const w = `+widgetJS(1)+`; const tick = () => {
		const n = w.querySelector('[data-node="`+leader+`"]');
		if (n && n.dataset.role === 'down') { window.__seenAt = Date.now(); return; }
		setTimeout(tick, 5); }; tick(); return true; })()`)
	eval[bool](teacher, `(() => { document.querySelector('[data-widget] .zw-actions button').closest('[data-widget]').addEventListener('click', (e) => {
		if (e.target.closest('button')?.textContent.trim() === 'Kill leader') window.__killAt = Date.now(); }, true); return true; })()`)
	teacher.click("Kill leader", button(1, "Kill leader"))
	defer func() {
		if t.Failed() {
			t.Logf("teacher's actions %s, playing %s, kill button disabled %v; student's actions %s", eval[string](teacher, `JSON.stringify(`+widgetJS(1)+`.__zw.state.actions)`),
				eval[string](teacher, widgetJS(1)+`.dataset.playing`), eval[bool](teacher, `document.evaluate(`+jsString(button(1, "Kill leader"))+`, document, null, 9, null).singleNodeValue.disabled`),
				eval[string](student, `JSON.stringify(`+widgetJS(1)+`.__zw.state.actions)`))
			t.Logf("student's class bar: %q; teacher's: %q", eval[string](student, `document.querySelector('[data-testid="class-status"]').textContent`),
				eval[string](teacher, `document.querySelector('[data-testid="class-status"]').textContent`))
		}
	}()
	student.wait("the killed leader down on the student's screen", `window.__seenAt > 0`, 5*time.Second)
	killAt := eval[float64](teacher, `window.__killAt`)
	seenAt := eval[float64](student, `window.__seenAt`)
	lag := time.Duration(seenAt-killAt) * time.Millisecond
	// Where the time went (classroom.js's performance marks, on the machine's clock).
	mark := `((n) => { const m = performance.getEntriesByName(n).at(-1); return m ? performance.timeOrigin + m.startTime : 0; })`
	sentAt := eval[float64](teacher, mark+`('classroom:sent-act')`)
	gotAt := eval[float64](student, mark+`('classroom:got-act')`)
	loadedAt := eval[float64](student, mark+`('classroom:loaded')`)
	t.Logf("click → act sent %.0f ms → received %.0f ms → run rebuilt %.0f ms → drawn %.0f ms", sentAt-killAt, gotAt-sentAt, loadedAt-gotAt, seenAt-loadedAt)
	t.Logf("teacher's kill-leader click → the student's ring shows %s down: %v", leader, lag)
	if lag > time.Second {
		t.Errorf("the student saw the kill-leader %v after the click, want within a second", lag)
	}
	student.shot("classroom-student-following")
	teacher.shot("classroom-teacher-sharing")

	// Detach: the student's own copy; the teacher restarts the server, the
	// student's stays down.
	student.click("Detach", `//button[@data-testid="class-detach"]`)
	student.wait("detached", widgetJS(1)+`.dataset.following === undefined`, 5*time.Second)
	teacher.click("the killed server", `(//section[@data-widget])[1]//*[@data-node="`+leader+`"]`)
	teacher.click("Restart", button(1, "Restart "+leader))
	teacher.wait("the teacher's server back", widgetJS(1)+`.querySelector('[data-node="`+leader+`"]').dataset.role !== 'down'`, 10*time.Second)
	time.Sleep(1500 * time.Millisecond) // what a follower would have had by now
	if role := eval[string](student, widgetJS(1)+`.querySelector('[data-node="`+leader+`"]').dataset.role`); role != "down" {
		t.Errorf("detached student's %s is %q: the teacher's restart reached it", leader, role)
	}
	// Back to the teacher: the restart arrives.
	student.click("Back to the teacher", `//button[@data-testid="class-rejoin"]`)
	student.wait("the teacher's restart on the student's screen", widgetJS(1)+`.querySelector('[data-node="`+leader+`"]').dataset.role !== 'down'`, 5*time.Second)

	// The teacher reloads the page: it goes on teaching the same room, and
	// the student follows the reloaded run.
	if err := chromedp.Do(teacher.ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	teacher.wait("the same class code after a reload", `document.querySelector('[data-testid="class-code"]')?.textContent === `+jsString(code), 30*time.Second)
	student.wait("the student still following", widgetJS(1)+`.dataset.following === `+jsString(code), 10*time.Second)
	if st := eval[string](student, `document.querySelector('[data-testid="class-status"]').textContent`); strings.Contains(st, "closed") {
		t.Errorf("after the teacher's reload the student reads %q", st)
	}

	// Another student types the code, in lower case without its dash, on
	// the Chinese playground.
	zh := newPage(t, sb, base+"/zh/playground", 1280, 900)
	zh.wait("the class bar", `!!document.querySelector('[data-testid="class-follow"]') && `+widgetJS(1)+`?.__zw?.sim`, 30*time.Second)
	zh.click("跟随课堂", `//button[@data-testid="class-follow"]`)
	if err := chromedp.Do(zh.ctx, chromedp.SendKeys(`//input[@data-testid="class-code-input"]`, strings.ToLower(strings.ReplaceAll(code, "-", ""))+"\r")); err != nil {
		t.Fatal(err)
	}
	zh.wait("following by the typed code", widgetJS(1)+`.dataset.following === `+jsString(code), 30*time.Second)
	if st := eval[string](zh, `document.querySelector('[data-testid="class-status"]').textContent`); !strings.Contains(st, "正在跟随课堂 "+code) {
		t.Errorf("the Chinese class bar reads %q", st)
	}
}

// TestClassroomFollowLive: a teacher shares a lesson's widget, then switches
// it to Live; the follower watches the same real servers (no token: it
// cannot act on them) and sees the teacher's kill-leader.
func TestClassroomFollowLive(t *testing.T) {
	fsys := os.DirFS(filepath.Join("..", "static"))
	if !static.HasWasmIn(fsys) {
		t.Fatalf("static/zab.wasm or static/wasm_exec.js is missing: run go tool -modfile=tools/go.mod task wasm")
	}
	ls, err := lessons.All()
	if err != nil {
		t.Fatal(err)
	}
	m, err := ensemble.New(ensemble.Options{Root: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	hub := classroom.New(classroom.Options{})
	t.Cleanup(hub.Close)
	mux := http.NewServeMux()
	mux.Handle("/api/rooms", hub.Handler())
	mux.Handle("/api/rooms/", hub.Handler())
	mux.Handle("/api/", site.SecurityHeaders(m.Handler()))
	mux.Handle("/", site.Handler(site.Options{Static: fsys, Lessons: ls}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	base := srv.URL

	tb := newBrowser(t, 1280, 900)
	teacher := newPage(t, tb, base+"/lessons/leader-dies", 1280, 900)
	teacher.wait("the widget to mount", widgetJS(1)+`?.__zw?.sim`, 30*time.Second)
	teacher.click("Share with the class", `(//button[@data-testid="class-share"])[1]`)
	teacher.wait("a class code", `!!document.querySelector('[data-testid="class-link"]')`, 10*time.Second)
	link := eval[string](teacher, `document.querySelector('[data-testid="class-link"]').href`)
	teacher.click("Live", button(1, "Live"))
	teacher.wait("live mode", widgetJS(1)+`.dataset.mode === 'live'`, 30*time.Second)

	sb := newBrowser(t, 1280, 900)
	student := newPage(t, sb, link, 1280, 900)
	student.wait("the student watching the live servers", widgetJS(1)+`?.dataset.mode === 'live'`, 30*time.Second)
	if ids := m.IDs(); len(ids) != 1 {
		t.Fatalf("%d ensembles running (%v), want the teacher's only", len(ids), ids)
	}
	teacher.wait("a leader", leaderJS(1)+` && `+widgetJS(1)+`.querySelector('[data-role="leading"][data-phase="broadcast"]') !== null`, 60*time.Second)
	student.wait("the same leader for the student", leaderJS(1), 10*time.Second)
	leader := eval[string](teacher, widgetJS(1)+`.querySelector('[data-role="leading"]').dataset.node`)
	teacher.click("Kill leader", button(1, "Kill leader"))
	student.wait("the leader down on the student's screen", widgetJS(1)+`.querySelector('[data-node="`+leader+`"]').dataset.role === 'down'`, 10*time.Second)
	student.shot("classroom-student-live")
	if ids := m.IDs(); len(ids) != 1 {
		t.Errorf("%d ensembles running, want 1: the follower must not start its own", len(ids))
	}
}
