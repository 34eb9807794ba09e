package lessons

import (
	"encoding/json"
	"io"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zabplay/zabplay/core/sim"
)

func TestEmbeddedLessons(t *testing.T) {
	ls, err := All()
	require.NoError(t, err)
	require.Len(t, ls, 3)
	wantSlugs := []string{"roles-votes-zxid", "broadcast", "leader-dies"}
	for i, l := range ls {
		assert.Equal(t, wantSlugs[i], l.Slug)
		assert.Equal(t, i+1, l.Order)
		assert.NotEmpty(t, l.Title)
		assert.NotEmpty(t, l.Summary)
		ws := l.Widgets()
		require.NotEmpty(t, ws, l.Slug)
		tasks := 0
		for j, w := range ws {
			assert.Equal(t, j == 0, w.Share, "%s widget %d: only the first shares the URL", l.Slug, j)
			if w.Task != nil {
				tasks++
				var back Task
				require.NoError(t, json.Unmarshal([]byte(w.Task.JSON()), &back))
				assert.Equal(t, *w.Task, back)
			}
		}
		assert.GreaterOrEqual(t, tasks, 1, "%s has no task", l.Slug)
	}
	assert.Equal(t, 2, Find(ls, "leader-dies"))
	assert.Equal(t, -1, Find(ls, "nope"))

	// Lesson 3's task is the one the issue asks for, in order.
	var checks []string
	for _, s := range ls[2].Widgets()[0].Task.Steps {
		checks = append(checks, s.Check)
	}
	assert.Equal(t, []string{"leader crashed", "new leader", "write committed", "server restarted", "all in sync"}, checks)
	assert.Equal(t, "Restart the old leader", ls[2].Widgets()[0].Task.Steps[3].Label)
}

// TestLessonScenariosPass runs every scenario of every lesson: each expect
// passes and the checker finds nothing.
func TestLessonScenariosPass(t *testing.T) {
	ls, err := All()
	require.NoError(t, err)
	for _, l := range ls {
		for i, w := range l.Widgets() {
			res, err := sim.RunScenario(l.Slug, w.Scenario, nil, io.Discard, nil)
			require.NoError(t, err, "%s scenario %d", l.Slug, i+1)
			assert.True(t, res.OK(), "%s scenario %d: %d failed, %d violations", l.Slug, i+1, res.Failed, len(res.Violations))
		}
	}
}

func TestRenderedMarkdown(t *testing.T) {
	ls, err := All()
	require.NoError(t, err)
	var html strings.Builder
	for _, p := range ls[1].Parts {
		html.WriteString(p.HTML)
	}
	assert.Contains(t, html.String(), `<h2 id="every-write-goes-through-the-leader">`)
	assert.Contains(t, html.String(), "<strong>PROPOSAL.</strong>")
	assert.NotContains(t, html.String(), "```")
	assert.NotContains(t, html.String(), "ensemble voters=", "scenario text leaked into the HTML")
}

const good = "---\ntitle: T\norder: 1\nsummary: S\n---\n"

func TestTaskAttachesToNearestWidget(t *testing.T) {
	scen := "```scenario\nensemble voters=3 seed=%s\n```\n"
	task := "```task\ntitle: %s\n- leader elected: Watch\n```\n"
	src := good + "```task\ntitle: first\n- leader elected: Watch\n```\n" + // no widget before: the first after
		strings.Replace(scen, "%s", "1", 1) + "text\n\n" +
		strings.Replace(scen, "%s", "2", 1) + strings.Replace(task, "%s", "second", 1)
	l, err := Parse("x.md", []byte(src))
	require.NoError(t, err)
	ws := l.Widgets()
	require.Len(t, ws, 2)
	assert.Equal(t, "first", ws[0].Task.Title)
	assert.Equal(t, "second", ws[1].Task.Title)
	assert.Equal(t, "ensemble voters=3 seed=1", ws[0].Scenario)
	assert.True(t, ws[0].Share)
	assert.False(t, ws[1].Share)
	require.Len(t, l.Parts, 3)
	assert.Contains(t, l.Parts[1].HTML, "<p>text</p>")
}

func TestParseErrors(t *testing.T) {
	scen := "```scenario\nensemble voters=3\n```\n"
	for _, tc := range []struct{ name, src, want string }{
		{"no front matter", "# hi\n", "x.md:1: a lesson starts with front matter"},
		{"unclosed", "---\ntitle: T\n", "no closing"},
		{"unknown key", "---\ntitle: T\nauthor: me\n---\n", "x.md:3: unknown front matter key \"author\""},
		{"not key value", "---\ntitle T\n---\n", "x.md:2:"},
		{"missing summary", "---\ntitle: T\norder: 1\n---\n", "summary is missing"},
		{"bad order", "---\ntitle: T\norder: first\nsummary: S\n---\n", "x.md:3: order \"first\""},
		{"twice", "---\ntitle: T\ntitle: U\n---\n", "title is set twice"},
		{"bad scenario", good + "\n```scenario\nensemble voters=3\nfly away\n```\n", "x.md:7: scenario block"},
		{"scenario without ensemble", good + "```scenario\nrun 2s\n```\n", "the first line must be"},
		{"task without title", good + scen + "```task\n- leader elected: Watch\n```\n", "x.md:9: task block: no \"title:\" line"},
		{"task without steps", good + scen + "```task\ntitle: T\n```\n", "no steps"},
		{"unknown check", good + scen + "```task\ntitle: T\n- leader exploded: Boom\n```\n", "unknown check \"leader exploded\""},
		{"step without label", good + scen + "```task\ntitle: T\n- leader elected\n```\n", "want \"- CHECK: label\""},
		{"stray line", good + scen + "```task\ntitle: T\nplease\n```\n", "line 2: \"please\""},
		{"task without widget", good + "```task\ntitle: T\n- healed: Heal\n```\n", "no scenario block"},
		{"two tasks one widget", good + scen + "```task\ntitle: A\n- healed: Heal\n```\n```task\ntitle: B\n- healed: Heal\n```\n", "already has a task"},
		{"nested", good + "- item\n\n  ```scenario\n  ensemble voters=3\n  ```\n", "top level"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			assert.NotPanics(t, func() { _, err = Parse("x.md", []byte(tc.src)) })
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	_, err := Parse("Bad Name.md", []byte(good))
	assert.ErrorContains(t, err, "file name")
}

func TestLoad(t *testing.T) {
	fsys := fstest.MapFS{
		"README.md": {Data: []byte("# not a lesson\n")},
		"b.md":      {Data: []byte("---\ntitle: B\norder: 2\nsummary: S\n---\nbody\n")},
		"a.md":      {Data: []byte("---\ntitle: A\norder: 1\nsummary: S\n---\nbody\n")},
	}
	ls, err := Load(fsys)
	require.NoError(t, err)
	require.Len(t, ls, 2)
	assert.Equal(t, "a", ls[0].Slug)
	assert.Equal(t, "<p>body</p>\n", ls[0].Parts[0].HTML)

	fsys["c.md"] = &fstest.MapFile{Data: []byte("---\ntitle: C\norder: 2\nsummary: S\n---\n")}
	_, err = Load(fsys)
	assert.ErrorContains(t, err, "order 2 is also the order of b.md")
}
