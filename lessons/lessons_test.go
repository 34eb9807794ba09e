package lessons

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zabplay/zabplay/core/sim"
)

// wantCourse is the course in order: the twelve lessons of issue 13.
var wantCourse = []string{
	"why-coordination", "roles-votes-zxid", "zxid-and-epochs", "broadcast", "leader-dies", "synchronization",
	"heartbeats", "partitions", "crash-recovery", "clients", "observers", "historical-bugs",
}

// summaryHeading is the heading of each lesson's closing summary.
var summaryHeading = map[Lang]string{En: ">Summary</h2>", Zh: ">小结</h2>"}

func TestEmbeddedLessons(t *testing.T) {
	for _, lang := range Langs {
		ls, err := In(lang)
		require.NoError(t, err, lang)
		require.Len(t, ls, len(wantCourse), lang)
		for i, l := range ls {
			assert.Equal(t, wantCourse[i], l.Slug, lang)
			assert.Equal(t, i+1, l.Order, "%s/%s", lang, l.Slug)
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
			assert.GreaterOrEqual(t, tasks, 1, "%s/%s has no task", lang, l.Slug)
			assert.NotEmpty(t, l.Predicts(), "%s/%s has no prediction", lang, l.Slug)
			var html strings.Builder
			for _, p := range l.Parts {
				html.WriteString(p.HTML)
			}
			assert.Contains(t, html.String(), summaryHeading[lang], "%s/%s has no summary section", lang, l.Slug)
		}
		assert.Equal(t, 4, Find(ls, "leader-dies"), lang)
		assert.Equal(t, -1, Find(ls, "nope"), lang)

		// The leader-dies lesson's first task is the one the playground issue
		// asks for, in order (the e2e tests do it through the UI).
		var checks []string
		for _, s := range ls[4].Widgets()[0].Task.Steps {
			checks = append(checks, s.Check)
		}
		assert.Equal(t, []string{"leader crashed", "new leader", "write committed", "server restarted", "all in sync"}, checks, lang)
	}
	en, err := All()
	require.NoError(t, err)
	assert.Equal(t, "Restart the old leader", en[4].Widgets()[0].Task.Steps[3].Label)
	_, err = In("fr")
	assert.ErrorContains(t, err, `no language "fr"`)
}

// TestLessonScenariosPass runs every scenario of every lesson in both
// languages: each expect passes and the checker finds nothing. A block that
// replays a historical bug (expect-violation=P) must show P with its bug on,
// and be clean with its bug switched off.
func TestLessonScenariosPass(t *testing.T) {
	bugBlocks := 0
	for _, lang := range Langs {
		ls, err := In(lang)
		require.NoError(t, err)
		for _, l := range ls {
			for i, w := range l.Widgets() {
				name := fmt.Sprintf("%s/%s scenario %d", lang, l.Slug, i+1)
				stmts, err := sim.Parse(name, w.Scenario)
				require.NoError(t, err, name)
				res, err := (&sim.Runner{File: name}).Run(stmts, nil)
				require.NoError(t, err, name)
				if w.ExpectViolation == "" {
					assert.True(t, res.OK(), "%s: %d expects failed, violations %v", name, res.Failed, res.Violations)
					continue
				}
				bugBlocks++
				if w.ExpectViolation == "expect" {
					assert.Positive(t, res.Failed, "%s: with its bug on, an expect must fail", name)
				} else {
					var flagged []string
					for _, v := range res.Violations {
						flagged = append(flagged, v.Property)
					}
					assert.Contains(t, flagged, w.ExpectViolation, "%s: with its bug on the checker must flag %s", name, w.ExpectViolation)
				}
				off, err := (&sim.Runner{File: name, BugsOff: true}).Run(stmts, nil)
				require.NoError(t, err, name)
				assert.True(t, off.OK(), "%s: with its bug off the run must be clean: %d expects failed, violations %v",
					name, off.Failed, off.Violations)
			}
		}
	}
	assert.GreaterOrEqual(t, bugBlocks, 2*4, "lesson 12 replays at least four historical bugs in each language")
}

// TestLanguagesMatch: both languages have the same lessons in the same order,
// the same scenarios (statements), the same tasks (the same checks on the same
// widgets) and the same predictions (the same number of choices and the same
// answers); only the words differ, the scenarios' comments included.
func TestLanguagesMatch(t *testing.T) {
	en, err := In(En)
	require.NoError(t, err)
	zh, err := In(Zh)
	require.NoError(t, err)
	require.Equal(t, len(en), len(zh))
	for i := range en {
		e, z := en[i], zh[i]
		require.Equal(t, e.Slug, z.Slug)
		assert.Equal(t, e.Order, z.Order, e.Slug)
		assert.NotEqual(t, e.Title, z.Title, "%s: the Chinese title is not translated", e.Slug)
		assert.True(t, hasHan(z.Title) && hasHan(z.Summary), "%s: the Chinese title and summary are in Chinese", e.Slug)
		ew, zw := e.Widgets(), z.Widgets()
		require.Equal(t, len(ew), len(zw), "%s: widgets", e.Slug)
		for j := range ew {
			name := fmt.Sprintf("%s scenario %d", e.Slug, j+1)
			assert.Equal(t, statements(t, "en "+name, ew[j].Scenario), statements(t, "zh "+name, zw[j].Scenario),
				"%s: the statements differ between en and zh (only comments may)", name)
			for _, c := range comments(zw[j].Scenario) {
				assert.True(t, hasHan(c), "%s: a comment left in English on the Chinese page: %s", name, c)
			}
			assert.Equal(t, ew[j].ExpectViolation, zw[j].ExpectViolation, "%s scenario %d", e.Slug, j+1)
			require.Equal(t, ew[j].Task == nil, zw[j].Task == nil, "%s widget %d: a task in one language only", e.Slug, j+1)
			if ew[j].Task == nil {
				continue
			}
			assert.Equal(t, checksOf(*ew[j].Task), checksOf(*zw[j].Task), "%s widget %d: task checks", e.Slug, j+1)
			assert.NotEqual(t, ew[j].Task.Title, zw[j].Task.Title, "%s widget %d: task title not translated", e.Slug, j+1)
		}
		ep, zp := e.Predicts(), z.Predicts()
		require.Equal(t, len(ep), len(zp), "%s: predictions", e.Slug)
		for j := range ep {
			assert.Equal(t, ep[j].ID, zp[j].ID)
			assert.Equal(t, len(ep[j].Choices), len(zp[j].Choices), "%s prediction %d: choices", e.Slug, j+1)
			assert.Equal(t, ep[j].Answer, zp[j].Answer, "%s prediction %d: answer", e.Slug, j+1)
			assert.True(t, hasHan(zp[j].Question) && hasHan(zp[j].Why), "%s prediction %d: not translated", e.Slug, j+1)
		}
		// The parts come in the same order: text, widgets and predictions.
		assert.Equal(t, kinds(e.Parts), kinds(z.Parts), "%s: the parts are in a different order", e.Slug)
	}
}

// statements is a scenario without its comments, as the scenario parser
// (core/script, through sim.Parse) reads it: each statement with its line.
// The lines count too: the script panel marks a line by its number, and a
// class follower in the other language marks the teacher's run on its own
// page's text.
func statements(t *testing.T, name, scenario string) []string {
	t.Helper()
	stmts, err := sim.Parse(name, scenario)
	require.NoError(t, err, name)
	out := make([]string, len(stmts))
	for i, st := range stmts {
		out[i] = fmt.Sprintf("%d: %s", st.Line, st.Text)
	}
	return out
}

// comments are a scenario's comment lines, the ones the script panel shows
// as comments (static/pg-narrate.js ScriptView: a line that starts with '#').
func comments(scenario string) []string {
	var out []string
	for line := range strings.SplitSeq(scenario, "\n") {
		if l := strings.TrimSpace(line); strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

func checksOf(t Task) []string {
	var out []string
	for _, s := range t.Steps {
		out = append(out, s.Check)
	}
	return out
}

func kinds(parts []Part) string {
	var b strings.Builder
	for _, p := range parts {
		switch {
		case p.Widget != nil:
			b.WriteByte('W')
		case p.Predict != nil:
			b.WriteByte('P')
		}
	}
	return b.String()
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

func TestGlossary(t *testing.T) {
	en, err := GlossaryIn(En)
	require.NoError(t, err)
	zh, err := GlossaryIn(Zh)
	require.NoError(t, err)
	assert.Equal(t, en.Terms, zh.Terms, "both glossaries list the same English terms, in the same order")
	assert.GreaterOrEqual(t, len(en.Terms), 40)
	for _, term := range []string{"txn log", "snapshot", "commit", "quorum / majority", "leader election", "DIFF / TRUNC / SNAP"} {
		assert.Contains(t, en.Terms, term)
	}
	assert.Contains(t, en.HTML, "<table>")
	assert.Contains(t, zh.HTML, "事务日志")
	assert.Contains(t, zh.HTML, "快照")
	assert.Contains(t, zh.HTML, "过半")
	_, err = GlossaryIn("fr")
	assert.Error(t, err)
	_, err = parseGlossary("g.md", []byte("no table\n"), En)
	assert.ErrorContains(t, err, "no table rows")
}

func TestRenderedMarkdown(t *testing.T) {
	ls, err := All()
	require.NoError(t, err)
	var html strings.Builder
	for _, p := range ls[3].Parts { // broadcast
		html.WriteString(p.HTML)
	}
	assert.Contains(t, html.String(), `<h2 id="proposal-ack-commit">`)
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
		{"nested predict", good + "> ```predict\n> question: Q\n> ```\n", "a predict block must be at the top level"},
		{"unknown scenario option", good + "```scenario fast=yes\nensemble voters=3\n```\n", "x.md:6: scenario block: unknown option \"fast=yes\""},
		{"unknown violation", good + "```scenario expect-violation=Sadness\nensemble voters=3\nbug ZOOKEEPER-4646 on\n```\n", "expect-violation=Sadness: want a checker property"},
		{"violation without a bug", good + "```scenario expect-violation=Agreement\nensemble voters=3\n```\n", "needs a \"bug ZOOKEEPER-NNNN on\" line"},
		{"predict without question", good + "```predict\n- a\n- b\n```\n", "x.md:6: predict block: line 1: the question comes before the choices"},
		{"predict one choice", good + "```predict\nquestion: Q\n- a\nanswer: 1\nwhy: W\n```\n", "1 choices: want 2 to 6"},
		{"predict no answer", good + "```predict\nquestion: Q\n- a\n- b\nwhy: W\n```\n", "no \"answer:\" line"},
		{"predict bad answer", good + "```predict\nquestion: Q\n- a\n- b\nanswer: 3\nwhy: W\n```\n", "answer \"3\": want the number of a choice, 1 to 2"},
		{"predict no why", good + "```predict\nquestion: Q\n- a\n- b\nanswer: 1\n```\n", "no \"why:\""},
		{"predict stray", good + "```predict\nquestion: Q\nhmm\n```\n", "line 2: \"hmm\": want question:"},
		{"predict choice after answer", good + "```predict\nquestion: Q\n- a\nanswer: 1\n- b\nwhy: W\n```\n", "line 4: the choices come before answer: and why:"},
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

func TestPredict(t *testing.T) {
	src := good + "Text.\n\n```predict\nquestion: Which server **wins**?\n- s1\n- `s3`\nanswer: 2\nwhy: The highest sid\n  breaks the tie.\n```\n\n" +
		"```scenario\nensemble voters=3 seed=1\n```\n\n```predict\nquestion: Again?\n- yes\n- no\nanswer: 1\nwhy: Yes.\n```\n"
	l, err := Parse("vote.md", []byte(src))
	require.NoError(t, err)
	ps := l.Predicts()
	require.Len(t, ps, 2)
	assert.Equal(t, Predict{ID: "vote-1", Question: "Which server <strong>wins</strong>?", Choices: []string{"s1", "<code>s3</code>"},
		Answer: 2, Why: "The highest sid breaks the tie."}, *ps[0])
	assert.Equal(t, "vote-2", ps[1].ID)
	assert.Equal(t, "PWP", kinds(l.Parts))
	assert.Contains(t, l.Parts[0].HTML, "<p>Text.</p>")
}

func TestExpectViolationOption(t *testing.T) {
	src := good + "```scenario expect-violation=CommittedNeverLost\nensemble voters=3 seed=3\nbug ZOOKEEPER-4646 on\n```\n\n```scenario\nensemble voters=3\n```\n"
	l, err := Parse("bugs.md", []byte(src))
	require.NoError(t, err)
	ws := l.Widgets()
	require.Len(t, ws, 2)
	assert.Equal(t, "CommittedNeverLost", ws[0].ExpectViolation)
	assert.Equal(t, "ensemble voters=3 seed=3\nbug ZOOKEEPER-4646 on", ws[0].Scenario)
	assert.Empty(t, ws[1].ExpectViolation)
}
