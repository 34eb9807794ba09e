package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
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

// TestLessonTasks opens every lesson and completes each widget's task through
// the UI, as a learner would: buttons, server clicks and shortcuts.
func TestLessonTasks(t *testing.T) {
	base := startSite(t)
	b := newBrowser(t, 1280, 1000)
	for _, slug := range lessonSlugs(t, base) {
		t.Run(slug, func(t *testing.T) {
			p := newPage(t, b, base+"/lessons/"+slug, 1280, 1000)
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
				t.Logf("lesson %s has no task", slug)
			}
			p.shot("lesson-" + slug)
		})
	}
}

// completeTask performs each step's action in widget n and waits for its checkmark.
func completeTask(t *testing.T, p *page, n int, tk task) {
	t.Helper()
	w := widgetJS(n)
	p.click("the widget (to make it the active one)", fmt.Sprintf(`(//section[@data-widget])[%d]//span[contains(@class,"zw-timebox")]`, n))
	faster(p, 4)
	if eval[string](p, w+`.dataset.playing`) != "true" {
		p.click("Play", button(n, "Play"))
	}
	for k, st := range tk.Steps {
		t.Logf("widget %d step %d: %s (%s)", n, k+1, st.Label, st.Check)
		switch st.Check {
		case "leader crashed":
			// The button is enabled once a leader is established; a click
			// on it before then does nothing.
			p.wait("a leader in broadcast", w+`.querySelector('[data-node][data-role="leading"][data-phase="broadcast"]') !== null`, 60*time.Second)
			p.wait("Kill leader to be enabled", `!document.evaluate(`+strconv.Quote(button(n, "Kill leader"))+`, document, null, 9, null).singleNodeValue.disabled`, 10*time.Second)
			p.click("Kill leader", button(n, "Kill leader"))
		case "write committed":
			p.wait("a leader in broadcast", w+`.querySelector('[data-node][data-role="leading"][data-phase="broadcast"]') !== null`, 90*time.Second)
			p.click("Write", button(n, "Write"))
		case "server restarted":
			name := eval[string](p, `(`+w+`.querySelector('[data-node][data-role="down"]') || {dataset: {}}).dataset.node || ''`)
			if name == "" {
				t.Fatalf("step %q: no server is down to restart; state %s", st.Label, p.describe())
			}
			p.click("server "+name, fmt.Sprintf(`(//section[@data-widget])[%d]//*[@data-node=%q]`, n, name))
			p.click("Restart "+name, button(n, "Restart "+name))
		case "partitioned", "stepped down":
			// Cut the leader off alone: it loses its quorum and steps down.
			p.wait("a leader", leaderJS(n), 60*time.Second)
			name := eval[string](p, w+`.querySelector('[data-node][data-role="leading"]').dataset.node`)
			p.click("server "+name, fmt.Sprintf(`(//section[@data-widget])[%d]//*[@data-node=%q]`, n, name))
			p.click("Partition selected", button(n, "Partition selected"))
		case "healed":
			p.click("Heal", button(n, "Heal"))
		}
		p.wait("step "+strconv.Itoa(k+1)+" checked: "+st.Label,
			fmt.Sprintf(`%s.querySelectorAll('.zw-task-step')[%d].classList.contains('is-met')`, w, k), 120*time.Second)
	}
	p.wait(`"Task complete"`, fmt.Sprintf(`[...%s.querySelectorAll('[aria-live]')].some(e => e.textContent.includes('Task complete'))`, w), 10*time.Second)
}
