package templates

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func render(t *testing.T, c templ.Component) *goquery.Document {
	t.Helper()
	var sb strings.Builder
	require.NoError(t, c.Render(context.Background(), &sb))
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(sb.String()))
	require.NoError(t, err)
	return doc
}

func attrs(s *goquery.Selection) map[string]string {
	out := map[string]string{}
	for _, a := range s.Nodes[0].Attr {
		out[a.Key] = a.Val
	}
	return out
}

func TestWidgetMarkup(t *testing.T) {
	doc := render(t, Widget(Site{WasmBuilt: true}, WidgetProps{Voters: "5", Observers: "1", Seed: "7", Share: true}))
	w := doc.Find("section.zab-widget[data-widget]")
	require.Equal(t, 1, w.Length())
	assert.Equal(t, map[string]string{
		"class": "zab-widget", "data-widget": "", "data-voters": "5", "data-observers": "1", "data-seed": "7",
		"data-share": "true", "aria-label": "ZAB ensemble playground",
	}, attrs(w))
	assert.Contains(t, w.Find("p.zab-widget-fallback").Text(), "Loading the simulator")

	// A scenario replaces the size and seed; the task is JSON; no share.
	scen := "ensemble voters=3 seed=7\nwait leader within 5s"
	task := `{"title":"T","steps":[{"check":"leader crashed","label":"Kill the leader"}]}`
	doc = render(t, Widget(Site{}, WidgetProps{Scenario: scen, Voters: "3", Task: task}))
	w = doc.Find("section.zab-widget")
	assert.Equal(t, map[string]string{
		"class": "zab-widget", "data-widget": "", "data-scenario": scen, "data-task": task,
		"aria-label": "ZAB ensemble playground",
	}, attrs(w))
	missing := w.Find(`p.zab-widget-fallback[data-testid="wasm-missing"]`).Text()
	assert.Contains(t, missing, "The simulator is not built")
	assert.Contains(t, missing, "go tool -modfile=tools/go.mod task serve")
	assert.Contains(t, missing, "go tool -modfile=tools/go.mod task wasm")
}

func TestLayout(t *testing.T) {
	doc := render(t, Page(PageProps{Title: "Lessons", Nav: NavLessons, Path: "/lessons"}))
	assert.Equal(t, "en", doc.Find("html").AttrOr("lang", ""))
	assert.Equal(t, "Lessons · zabplay", doc.Find("title").Text())
	assert.Equal(t, 1, doc.Find(`meta[name="viewport"]`).Length())
	assert.Equal(t, "light dark", doc.Find(`meta[name="color-scheme"]`).AttrOr("content", ""))
	assert.Equal(t, 1, doc.Find(`link[rel="stylesheet"][href="/static/site.css"]`).Length())
	assert.Equal(t, 1, doc.Find(`link[rel="stylesheet"][href="/static/widget.css"]`).Length())
	assert.Equal(t, 0, doc.Find(`script`).Length(), "no widget, no progress: no script")
	assert.Equal(t, "Lessons", doc.Find(`nav a[aria-current="page"]`).Text())
	assert.Equal(t, []string{"Home", "Playground", "Lessons", "Glossary"}, doc.Find(`nav[data-testid="nav"] a`).Map(func(_ int, s *goquery.Selection) string { return s.Text() }))
	sw := doc.Find(`[data-testid="lang-switch"]`)
	assert.Equal(t, "/zh/lessons", sw.AttrOr("href", ""))
	assert.Equal(t, "中文", sw.Text())
	assert.Equal(t, "zh-Hans", sw.AttrOr("lang", ""))
	assert.Equal(t, "/zh/lessons", doc.Find(`link[rel="alternate"][hreflang="zh-Hans"]`).AttrOr("href", ""))
	assert.Equal(t, "/lessons", doc.Find(`link[rel="alternate"][hreflang="en"]`).AttrOr("href", ""))

	doc = render(t, Page(PageProps{Widgets: true, Progress: true}))
	assert.Equal(t, 1, doc.Find(`script[type="module"][src="/static/playground.js"]`).Length())
	assert.Equal(t, 1, doc.Find(`script[type="module"][src="/static/progress.js"]`).Length())
	assert.Equal(t, "zabplay: watch ZooKeeper's ZAB work", doc.Find("title").Text())
	assert.Equal(t, 0, doc.Find(`link[rel="alternate"]`).Length(), "no path, no alternates")
	assert.Equal(t, "/zh/", doc.Find(`[data-testid="lang-switch"]`).AttrOr("href", ""))

	// In Chinese: lang, nav, switch back to English; the home page's English
	// twin is /?lang=en, so the Accept-Language redirect does not bounce back.
	zhSite := Site{Lang: Zh}
	doc = render(t, Page(PageProps{Site: zhSite, Nav: NavHome, Path: "/"}))
	assert.Equal(t, "zh-Hans", doc.Find("html").AttrOr("lang", ""))
	assert.Equal(t, zh.SiteTitle, doc.Find("title").Text())
	assert.Equal(t, []string{"/zh/", "/zh/playground", "/zh/lessons", "/zh/glossary"}, doc.Find(`nav[data-testid="nav"] a`).Map(func(_ int, s *goquery.Selection) string { return s.AttrOr("href", "") }))
	assert.Equal(t, "首页", doc.Find(`nav a[aria-current="page"]`).Text())
	sw = doc.Find(`[data-testid="lang-switch"]`)
	assert.Equal(t, "/?lang=en", sw.AttrOr("href", ""))
	assert.Equal(t, "English", sw.Text())
	assert.Equal(t, "/zh/", doc.Find("a.site-name").AttrOr("href", ""))
}

func TestHref(t *testing.T) {
	for _, tc := range []struct {
		lang       Lang
		path, want string
	}{
		{En, "/", "/"}, {En, "/lessons/broadcast", "/lessons/broadcast"},
		{Zh, "/", "/zh/"}, {Zh, "/lessons/broadcast", "/zh/lessons/broadcast"}, {Zh, "/glossary", "/zh/glossary"},
	} {
		assert.Equal(t, tc.want, tc.lang.Href(tc.path), "%s %s", tc.lang, tc.path)
	}
	assert.Equal(t, Zh, En.Other())
	assert.Equal(t, En, Zh.Other())
	assert.Equal(t, &en, Lang("fr").T(), "an unknown language falls back to English")
	assert.Equal(t, "/lessons/x", LessonLink{Slug: "x"}.Href(En))
	assert.Equal(t, "/zh/lessons/x", LessonLink{Slug: "x"}.Href(Zh))
	assert.Equal(t, []string{"A", "B", "C"}, []string{Letter(0), Letter(1), Letter(2)})
}

// TestTextTablesComplete: every chrome string exists in both languages and
// the Chinese one is translated: no field empty, lists of the same length,
// no Chinese string equal to its English twin (keyboard keys aside).
func TestTextTablesComplete(t *testing.T) {
	ev, zv := reflect.ValueOf(en), reflect.ValueOf(zh)
	typ := ev.Type()
	for i := 0; i < typ.NumField(); i++ {
		name := typ.Field(i).Name
		e, z := ev.Field(i), zv.Field(i)
		switch e.Kind() {
		case reflect.String:
			assert.NotEmpty(t, e.String(), "en.%s", name)
			assert.NotEmpty(t, z.String(), "zh.%s", name)
			assert.NotEqual(t, e.String(), z.String(), "zh.%s is not translated", name)
		case reflect.Func:
			require.False(t, e.IsNil(), "en.%s", name)
			require.False(t, z.IsNil(), "zh.%s", name)
		case reflect.Slice:
			assert.Positive(t, e.Len(), "en.%s", name)
			assert.Equal(t, e.Len(), z.Len(), "zh.%s has another length", name)
		default:
			t.Errorf("field %s: a %s; the test knows strings, funcs and slices", name, e.Kind())
		}
	}
	for i := range en.HowToSteps {
		assert.NotEqual(t, en.HowToSteps[i], zh.HowToSteps[i])
	}
	for i := range en.Shortcuts {
		assert.NotEqual(t, en.Shortcuts[i].Does, zh.Shortcuts[i].Does)
	}
	assert.Equal(t, "Lesson 2 of 12", en.LessonOf(2, 12))
	assert.Equal(t, "第 2 课（共 12 课）", zh.LessonOf(2, 12))
	assert.NotEqual(t, en.AnswerIs("B"), zh.AnswerIs("B"))
	assert.NotEqual(t, en.MethodText("POST"), zh.MethodText("POST"))
	for _, k := range []string{"{visited}", "{lessons}", "{tasks}", "{taskTotal}", "{predicts}", "{predictTotal}"} {
		assert.Contains(t, en.ProgressSummary, k)
		assert.Contains(t, zh.ProgressSummary, k)
	}
}

// TestPagesRenderInBothLanguages renders every page component in each
// language: the right lang, chrome from that language's table, and a
// prediction's answer behind a reveal.
func TestPagesRenderInBothLanguages(t *testing.T) {
	link := LessonLink{Slug: "vote", Title: "T", Summary: "S", Order: 1, Tasks: 1, Predicts: 1}
	view := LessonView{LessonLink: link, Total: 2, Next: &LessonLink{Slug: "next", Title: "N", Order: 2}, Parts: []LessonPart{
		{HTML: "<p>text</p>"},
		{Predict: &PredictView{ID: "vote-1", Question: "Who?", Choices: []string{"s1", "<code>s3</code>"}, Answer: 2, Why: "sid"}},
		{Widget: &WidgetProps{Scenario: "ensemble voters=3", Share: true}},
	}}
	for _, lang := range Langs {
		site := Site{WasmBuilt: true, Lang: lang}
		tx := lang.T()
		for name, c := range map[string]templ.Component{
			"home": Home(site), "playground": Playground(site, 5, 1), "index": LessonIndex(site, []LessonLink{link}),
			"lesson": Lesson(site, view), "glossary": Glossary(site, "<table></table>"),
			"404": NotFound(site, "/x"), "405": MethodNotAllowed(site, "POST"),
		} {
			doc := render(t, c)
			assert.Equal(t, tx.HTMLLang, doc.Find("html").AttrOr("lang", ""), "%s %s", lang, name)
			assert.Equal(t, tx.Footer, strings.TrimSpace(doc.Find("footer").Text()), "%s %s", lang, name)
			assert.Equal(t, lang.Other().T().LangName, doc.Find(`[data-testid="lang-switch"]`).Text(), "%s %s", lang, name)
		}
		doc := render(t, Lesson(site, view))
		assert.Equal(t, tx.LessonOf(1, 2), doc.Find(".lesson-number").Text())
		p := doc.Find(`aside.predict[data-predict="vote-1"][data-answer="2"]`)
		require.Equal(t, 1, p.Length())
		assert.Equal(t, tx.Predict, p.Find(".predict-label").Text())
		assert.Equal(t, "Who?", strings.TrimSpace(p.Find(".predict-question").Text()))
		assert.Equal(t, "A", p.Find("ol.predict-choices").AttrOr("type", ""))
		assert.Equal(t, "s3", p.Find("ol.predict-choices li code").Text())
		assert.Equal(t, tx.ShowAnswer, p.Find("details summary").Text())
		assert.Equal(t, tx.AnswerIs("B"), p.Find("details p strong").Text())
		assert.Equal(t, lang.Href("/lessons/next"), doc.Find(`a[rel="next"]`).AttrOr("href", ""))
		assert.Equal(t, tx.WidgetLabel, doc.Find("[data-widget]").AttrOr("aria-label", ""))
	}
}
