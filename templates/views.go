package templates

// Site is what every page needs to know about the server, and the language
// the page is rendered in.
type Site struct {
	// WasmBuilt reports whether static/zab.wasm was built into the binary;
	// without it every widget says how to build it.
	WasmBuilt bool
	// Lang is the page's language (the zero value is English).
	Lang Lang
	// SimOnly says no live servers stand behind the site (the Workers
	// edition, cloudflare/): the footer says Live mode needs zabplay serve,
	// and every widget carries data-live-off with the same news for its
	// Live switch (static/README.md).
	SimOnly bool
}

// T is the page chrome in the page's language.
func (s Site) T() *Text { return s.Lang.T() }

// Href is path in the page's language.
func (s Site) Href(path string) string { return s.Lang.Href(path) }

// Nav is the navigation entry a page belongs to.
type Nav int

// The navigation entries.
const (
	NavNone Nav = iota
	NavHome
	NavPlayground
	NavLessons
	NavGlossary
)

// PageProps are the layout's inputs.
type PageProps struct {
	Site    Site
	Title   string // the page's own title; the layout appends the site name
	Nav     Nav
	Widgets bool // the page has a widget: load static/playground.js
	// Progress loads static/progress.js, which keeps the course progress in
	// localStorage (lesson pages) and shows it (the lessons index).
	Progress bool
	// Path is the page's path without the language prefix ("/lessons/broadcast"):
	// the language switch links to it in the other language. Empty: the
	// switch goes to the other language's home page.
	Path string
}

// WidgetProps are one widget's data attributes (static/README.md, "The
// widget markup"). Scenario wins over Voters/Observers/Seed, which are
// rendered only without one; empty strings are left out.
type WidgetProps struct {
	Scenario  string
	Voters    string
	Observers string
	Seed      string
	Task      string // the task as JSON (lessons.Task.JSON)
	Share     bool   // this widget owns the page URL (at most one per page)
}

// LessonLink is a lesson as the index and the prev/next links show it.
type LessonLink struct {
	Slug     string
	Title    string
	Summary  string
	Order    int
	Tasks    int // widgets with a task, for the progress view
	Predicts int // predictions, for the progress view
}

// Href is the lesson's URL in a language.
func (l LessonLink) Href(lang Lang) string { return lang.Href("/lessons/" + l.Slug) }

// PredictView is one prediction (lessons.Predict): trusted inline HTML
// rendered from the embedded Markdown.
type PredictView struct {
	ID       string
	Question string
	Choices  []string
	Answer   int // 1-based
	Why      string
}

// Letter is the label of choice i (0-based): A, B, C...
func Letter(i int) string { return string(rune('A' + i)) }

// LessonPart is one piece of a lesson's body: rendered Markdown, a widget or
// a prediction.
type LessonPart struct {
	HTML    string // trusted HTML rendered from the embedded Markdown
	Widget  *WidgetProps
	Predict *PredictView
}

// LessonView is one lesson page.
type LessonView struct {
	LessonLink
	Total      int // lessons in all, for "Lesson 2 of 12"
	Parts      []LessonPart
	Prev, Next *LessonLink
}
