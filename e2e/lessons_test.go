package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// lessonSlugs reads the /lessons index.
func lessonSlugs(t *testing.T, base string) []string {
	t.Helper()
	resp, err := http.Get(base + "/lessons")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /lessons: %d %v", resp.StatusCode, err)
	}
	var out []string
	seen := map[string]bool{}
	for _, m := range regexp.MustCompile(`href="/lessons/([a-z0-9-]+)"`).FindAllStringSubmatch(string(body), -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			out = append(out, m[1])
		}
	}
	if len(out) == 0 {
		t.Fatalf("no lessons linked from /lessons")
	}
	return out
}

type task struct {
	Title string `json:"title"`
	Steps []struct {
		Check string `json:"check"`
		Label string `json:"label"`
	} `json:"steps"`
}

// taskLangs are the languages TestLessonTasks runs in: the path prefix of
// their pages, their <html lang> and what the widget announces when a task is
// complete (pg-task.js TEXT).
var taskLangs = []struct{ name, prefix, htmlLang, complete string }{
	{"en", "", "en", "Task complete"},
	{"zh", "/zh", "zh-Hans", "任务完成"},
}

// TestLessonTasks opens every lesson, in English and in Chinese, and
// completes each widget's task through the UI, as a learner would: buttons,
// server clicks and shortcuts. Buttons are found by their data-act, so the
// same steps drive both languages.
func TestLessonTasks(t *testing.T) {
	base := startSite(t)
	b := newBrowser(t, 1280, 1000)
	slugs := lessonSlugs(t, base)
	for _, lang := range taskLangs {
		t.Run(lang.name, func(t *testing.T) {
			for _, slug := range slugs {
				t.Run(slug, func(t *testing.T) {
					p := newPage(t, b, base+lang.prefix+"/lessons/"+slug, 1280, 1000)
					if got := eval[string](p, `document.documentElement.lang`); got != lang.htmlLang {
						t.Fatalf("<html lang> = %q, want %q", got, lang.htmlLang)
					}
					p.wait("the widgets to mount", `[...document.querySelectorAll('[data-widget]')].every(w => w.dataset.simTime !== undefined)`, 30*time.Second)
					raw := eval[[]string](p, `[...document.querySelectorAll('[data-widget]')].map(w => w.dataset.task || '')`)
					done := 0
					for i, js := range raw {
						if js == "" {
							continue
						}
						var tk task
						if err := json.Unmarshal([]byte(js), &tk); err != nil {
							t.Fatalf("widget %d: data-task: %v", i+1, err)
						}
						completeTask(t, p, i+1, tk)
						done++
					}
					if done == 0 {
						t.Errorf("lesson %s (%s) has no task", slug, lang.name)
					}
					p.shot("lesson-" + lang.name + "-" + slug)
				})
			}
		})
	}
}

// waitScenario waits for widget n's scenario, if it has one, to run to its
// last line. A lesson's task follows its scenario: an action of the
// learner's before then cuts the scenario short, and its later lines (a
// "restart f" among them) never run (TestActionCutsScenario).
func waitScenario(p *page, n int) {
	p.t.Helper()
	p.wait("widget "+strconv.Itoa(n)+"'s scenario to run to its last line",
		`(() => { const rows = [...`+widgetJS(n)+`.querySelectorAll('.zw-script-stmt')]; return !rows.length || rows[rows.length - 1].classList.contains('zw-script-done'); })()`, 120*time.Second)
}

// TestActionCutsScenario: a learner who acts before a lesson's scenario has
// run to its end is told that its later lines will not run, and sees them
// struck through (the simulator drops the scenario's later actions when the
// learner acts: core/sim/player Act).
func TestActionCutsScenario(t *testing.T) {
	base := startSite(t)
	b := newBrowser(t, 1280, 1000)
	p := newPage(t, b, base+"/lessons/synchronization", 1280, 1000)
	w := widgetJS(1)
	p.wait("the widget to mount", w+`.dataset.simTime !== undefined`, 30*time.Second)
	if eval[string](p, w+`.dataset.playing`) == "true" {
		p.click("Pause", actButton(1, "play"))
		p.wait("the widget paused", w+`.dataset.playing === 'false'`, 10*time.Second)
	}
	// Back to the start (the scrubber), then one action: kill s1.
	eval[bool](p, `(() => { const s = `+w+`.querySelector('.zw-scrub'); s.value = '0'; s.dispatchEvent(new Event('input', {bubbles: true})); return true })()`)
	p.wait("the widget back at 0 ms", w+`.dataset.simTime === '0'`, 10*time.Second)
	p.click("server s1", `(//section[@data-widget])[1]//*[@data-node="s1"]`)
	p.click("Kill s1", actButton(1, "crash s1"))
	p.wait("the status to say that the scenario stops", w+`.querySelector('.zw-status').textContent.includes('will not run')`, 10*time.Second)
	rows := eval[[]string](p, `[...`+w+`.querySelectorAll('.zw-script-stmt')].map(r => (r.classList.contains('zw-script-cut') ? 'cut: ' : r.classList.contains('zw-script-done') ? 'ran: ' : 'to run: ') + r.textContent.trim())`)
	want := map[string]bool{"ran: ensemble voters=3 seed=12": true, "cut: crash f": true, "cut: restart f": true, "cut: expect sync f == DIFF": true}
	for _, r := range rows {
		if strings.HasPrefix(r, "to run: ") {
			t.Errorf("after the action at 0 ms, a line still to run: %q (rows: %q)", r, rows)
		}
		delete(want, r)
	}
	if len(want) > 0 {
		t.Errorf("rows %q: missing %v", rows, want)
	}
	status := eval[string](p, w+`.querySelector('.zw-status').textContent`)
	if !strings.Contains(status, "crash s1") || !strings.Contains(status, "before line") {
		t.Errorf("status = %q, want the action and the line the scenario stops before", status)
	}
	eval[bool](p, w+`.querySelector('.zw-script').scrollIntoView({block: 'center'}), true`)
	p.shotScreen("lesson-synchronization-cut")
}

// taskComplete is what a widget announces when its task is complete, by the
// page's <html lang> (taskLangs).
func taskComplete(t *testing.T, p *page) string {
	t.Helper()
	lang := eval[string](p, `document.documentElement.lang`)
	for _, l := range taskLangs {
		if l.htmlLang == lang {
			return l.complete
		}
	}
	t.Fatalf("no task-complete text for <html lang=%q>", lang)
	return ""
}

// completeTask performs each step's action in widget n and waits for its
// checkmark. It finds buttons by data-act (actButton), so it works on a page
// in any language.
func completeTask(t *testing.T, p *page, n int, tk task) {
	t.Helper()
	w := widgetJS(n)
	enabled := func(act string) string {
		return `document.evaluate(` + strconv.Quote(actButton(n, act)) + `, document, null, 9, null).singleNodeValue?.disabled === false`
	}
	p.click("the widget (to make it the active one)", fmt.Sprintf(`(//section[@data-widget])[%d]//span[contains(@class,"zw-timebox")]`, n))
	faster(p, 4)
	if eval[string](p, w+`.dataset.playing`) != "true" {
		// A prediction before this widget holds it at its start (predict.js).
		p.click("Play", actButton(n, "play"))
		p.wait("widget "+strconv.Itoa(n)+" playing after Play", w+`.dataset.playing === 'true'`, 10*time.Second)
	}
	waitScenario(p, n)
	for k, st := range tk.Steps {
		t.Logf("widget %d step %d: %s (%s)", n, k+1, st.Label, st.Check)
		switch st.Check {
		case "leader crashed":
			// The button is enabled once a leader is established; a click
			// on it before then does nothing.
			p.wait("a leader in broadcast", w+`.querySelector('[data-node][data-role="leading"][data-phase="broadcast"]') !== null`, 60*time.Second)
			p.wait("Kill leader (data-act=crash leader) to be enabled", enabled("crash leader"), 10*time.Second)
			p.click("Kill leader", actButton(n, "crash leader"))
		case "write committed":
			p.wait("a leader in broadcast", w+`.querySelector('[data-node][data-role="leading"][data-phase="broadcast"]') !== null`, 90*time.Second)
			p.click("Write", actButton(n, "write"))
		case "server restarted":
			name := eval[string](p, `(`+w+`.querySelector('[data-node][data-role="down"]') || {dataset: {}}).dataset.node || ''`)
			if name == "" {
				t.Fatalf("step %q: no server is down to restart; state %s", st.Label, p.describe())
			}
			p.click("server "+name, fmt.Sprintf(`(//section[@data-widget])[%d]//*[@data-node=%q]`, n, name))
			p.click("Restart "+name, actButton(n, "restart "+name))
		case "partitioned", "stepped down":
			// Cut the leader off alone: it loses its quorum and steps down.
			p.wait("a leader", leaderJS(n), 60*time.Second)
			name := eval[string](p, w+`.querySelector('[data-node][data-role="leading"]').dataset.node`)
			p.click("server "+name, fmt.Sprintf(`(//section[@data-widget])[%d]//*[@data-node=%q]`, n, name))
			p.wait("Partition selected (data-act=partition) to be enabled", enabled("partition"), 10*time.Second)
			p.click("Partition selected", actButton(n, "partition"))
		case "healed":
			p.click("Heal", actButton(n, "heal"))
		}
		p.wait("step "+strconv.Itoa(k+1)+" checked: "+st.Label,
			fmt.Sprintf(`%s.querySelectorAll('.zw-task-step')[%d].classList.contains('is-met')`, w, k), 120*time.Second)
	}
	done := taskComplete(t, p)
	p.wait("the task marked complete and "+strconv.Quote(done)+" announced",
		fmt.Sprintf(`%s.querySelector('.zw-task')?.classList.contains('is-complete') && [...%s.querySelectorAll('[aria-live]')].some(e => e.textContent.includes(%s))`, w, w, strconv.Quote(done)), 10*time.Second)
}
