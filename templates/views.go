package templates

// Site is what every page needs to know about the server.
type Site struct {
	// WasmBuilt reports whether static/zab.wasm was built into the binary;
	// without it every widget says how to build it.
	WasmBuilt bool
}

// Nav is the navigation entry a page belongs to.
type Nav int

// The navigation entries.
const (
	NavNone Nav = iota
	NavHome
	NavPlayground
	NavLessons
)

// PageProps are the layout's inputs.
type PageProps struct {
	Site    Site
	Title   string // the page's own title; the layout appends the site name
	Nav     Nav
	Widgets bool // the page has a widget: load static/playground.js
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
	Slug    string
	Title   string
	Summary string
	Order   int
}

// Href is the lesson's URL.
func (l LessonLink) Href() string { return "/lessons/" + l.Slug }

// LessonPart is one piece of a lesson's body: rendered Markdown, or a widget.
type LessonPart struct {
	HTML   string // trusted HTML rendered from the embedded Markdown
	Widget *WidgetProps
}

// LessonView is one lesson page.
type LessonView struct {
	LessonLink
	Total      int // lessons in all, for "Lesson 2 of 3"
	Parts      []LessonPart
	Prev, Next *LessonLink
}
