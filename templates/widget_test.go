package templates

import (
	"context"
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
	doc := render(t, Page(PageProps{Title: "Lessons", Nav: NavLessons}))
	assert.Equal(t, "Lessons · zabplay", doc.Find("title").Text())
	assert.Equal(t, 1, doc.Find(`meta[name="viewport"]`).Length())
	assert.Equal(t, "light dark", doc.Find(`meta[name="color-scheme"]`).AttrOr("content", ""))
	assert.Equal(t, 1, doc.Find(`link[rel="stylesheet"][href="/static/site.css"]`).Length())
	assert.Equal(t, 1, doc.Find(`link[rel="stylesheet"][href="/static/widget.css"]`).Length())
	assert.Equal(t, 0, doc.Find(`script`).Length(), "no widget, no script")
	assert.Equal(t, "Lessons", doc.Find(`nav a[aria-current="page"]`).Text())
	assert.Equal(t, []string{"Home", "Playground", "Lessons"}, doc.Find(`nav[data-testid="nav"] a`).Map(func(_ int, s *goquery.Selection) string { return s.Text() }))

	doc = render(t, Page(PageProps{Widgets: true}))
	s := doc.Find(`script[type="module"][src="/static/playground.js"]`)
	assert.Equal(t, 1, s.Length())
}
