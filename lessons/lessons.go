// Package lessons holds the site's course: Markdown files with front matter
// (title, order, summary), one folder per language (en/, zh/) with the same
// file names, embedded in the binary, and the glossary (glossary/en.md,
// glossary/zh.md). A fenced ```scenario block becomes a playground widget
// preloaded with that scenario; a fenced ```task block becomes the checklist
// (data-task) of the nearest widget before it, or after it when there is none
// before; a fenced ```predict block is a prediction. See README.md for the
// formats.
package lessons

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"

	"github.com/zabplay/zabplay/core/check"
	"github.com/zabplay/zabplay/core/sim"
)

//go:embed en/*.md zh/*.md glossary/*.md
var files embed.FS

// Lang is a language of the course: the name of its folder.
type Lang string

// The course's languages. English is the default.
const (
	En Lang = "en"
	Zh Lang = "zh"
)

// Langs are the course's languages, the default first.
var Langs = []Lang{En, Zh}

// Lesson is one parsed lesson.
type Lesson struct {
	Slug    string // the file name without .md: the URL is /lessons/{Slug} (/zh/lessons/{Slug})
	Title   string
	Order   int
	Summary string
	Parts   []Part // the body, in order
}

// Part is one piece of a lesson's body: rendered Markdown, a widget or a
// prediction (exactly one of the three).
type Part struct {
	HTML    string   // rendered Markdown
	Widget  *Widget  // a playground widget
	Predict *Predict // a prediction
}

// Widget is a playground widget a lesson's scenario block asks for.
type Widget struct {
	Scenario string // the scenario's text (data-scenario)
	Task     *Task  // the checklist, if a task block belongs to this widget
	Share    bool   // the lesson's first widget owns the page URL
	// ExpectViolation is set for a scenario that replays a historical bug
	// (```scenario expect-violation=PROPERTY): with its bug switches on the
	// checker must flag PROPERTY ("expect": an expect of the block must
	// fail); with them off the run must be clean.
	ExpectViolation string
}

// Predicts returns the lesson's predictions in order.
func (l Lesson) Predicts() []*Predict {
	var out []*Predict
	for _, p := range l.Parts {
		if p.Predict != nil {
			out = append(out, p.Predict)
		}
	}
	return out
}

// Widgets returns the lesson's widgets in order.
func (l Lesson) Widgets() []*Widget {
	var out []*Widget
	for _, p := range l.Parts {
		if p.Widget != nil {
			out = append(out, p.Widget)
		}
	}
	return out
}

// course parses every language's lessons once.
var course = sync.OnceValues(func() (map[Lang][]Lesson, error) {
	out := map[Lang][]Lesson{}
	for _, lang := range Langs {
		sub, err := fs.Sub(files, string(lang))
		if err != nil {
			return nil, err
		}
		ls, err := Load(sub)
		if err != nil {
			return nil, fmt.Errorf("%s/%w", lang, err)
		}
		out[lang] = ls
	}
	return out, nil
})

// All returns the embedded English lessons sorted by order. It parses them
// once; an error means a lesson file is malformed (a test catches it before
// release).
func All() ([]Lesson, error) { return In(En) }

// In returns the embedded lessons of one language, sorted by order.
func In(lang Lang) ([]Lesson, error) {
	c, err := course()
	if err != nil {
		return nil, err
	}
	ls, ok := c[lang]
	if !ok {
		return nil, fmt.Errorf("lessons: no language %q", lang)
	}
	return ls, nil
}

// Load reads every *.md file of fsys except README.md, sorted by order.
func Load(fsys fs.FS) ([]Lesson, error) {
	names, err := fs.Glob(fsys, "*.md")
	if err != nil {
		return nil, err
	}
	var out []Lesson
	orders := map[int]string{}
	for _, name := range names {
		if name == "README.md" {
			continue
		}
		src, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		l, err := Parse(name, src)
		if err != nil {
			return nil, err
		}
		if other, dup := orders[l.Order]; dup {
			return nil, fmt.Errorf("%s: order %d is also the order of %s", name, l.Order, other)
		}
		orders[l.Order] = name
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Order < out[j].Order })
	return out, nil
}

// Find returns the index of the lesson with this slug, or -1.
func Find(ls []Lesson, slug string) int {
	for i, l := range ls {
		if l.Slug == slug {
			return i
		}
	}
	return -1
}

var md = goldmark.New(
	goldmark.WithExtensions(extension.GFM),
	goldmark.WithParserOptions(parser.WithAutoHeadingID()),
)

// Parse reads one lesson file. name is the file name (it gives the slug and
// prefixes every error, with a line number where there is one).
func Parse(name string, src []byte) (Lesson, error) {
	slug := strings.TrimSuffix(path.Base(name), ".md")
	if !validSlug(slug) {
		return Lesson{}, fmt.Errorf("%s: the file name must be lower-case letters, digits and '-' before .md", name)
	}
	fm, body, bodyLine, err := splitFrontMatter(src)
	if err != nil {
		return Lesson{}, fmt.Errorf("%s:%w", name, err)
	}
	l := Lesson{Slug: slug}
	if err := fm.apply(&l); err != nil {
		return Lesson{}, fmt.Errorf("%s:%w", name, err)
	}
	if l.Parts, err = renderBody(slug, body, func(offset int) int {
		return bodyLine + bytes.Count(body[:offset], []byte("\n"))
	}); err != nil {
		return Lesson{}, fmt.Errorf("%s:%w", name, err)
	}
	return l, nil
}

func validSlug(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// renderBody renders the Markdown body top-level block by block, turning
// scenario blocks into widgets, predict blocks into predictions and attaching
// task blocks to widgets. lineOf maps a byte offset in body to a line of the
// file, for errors.
func renderBody(slug string, body []byte, lineOf func(int) int) ([]Part, error) {
	doc := md.Parser().Parse(text.NewReader(body))
	if err := checkNesting(doc, body, lineOf); err != nil {
		return nil, err
	}
	type pendingTask struct {
		task   Task
		before int // widgets before the task block
		line   int
	}
	var (
		parts   []Part
		widgets []*Widget
		tasks   []pendingTask
		buf     bytes.Buffer
		npred   int
	)
	flush := func() {
		if buf.Len() > 0 {
			parts = append(parts, Part{HTML: buf.String()})
			buf.Reset()
		}
	}
	for n := doc.FirstChild(); n != nil; n = n.NextSibling() {
		if fc, ok := n.(*ast.FencedCodeBlock); ok {
			content, line := fenceText(fc, body, lineOf)
			switch string(fc.Language(body)) {
			case "scenario":
				if _, err := sim.Parse("scenario", content); err != nil {
					return nil, fmt.Errorf("%d: scenario block: %w", line, err)
				}
				w := &Widget{Scenario: strings.TrimRight(content, "\n"), Share: len(widgets) == 0}
				if err := scenarioInfo(w, fc, body); err != nil {
					return nil, fmt.Errorf("%d: scenario block: %w", line, err)
				}
				flush()
				parts = append(parts, Part{Widget: w})
				widgets = append(widgets, w)
				continue
			case "task":
				t, err := ParseTask(content)
				if err != nil {
					return nil, fmt.Errorf("%d: task block: %w", line, err)
				}
				tasks = append(tasks, pendingTask{t, len(widgets), line})
				continue
			case "predict":
				p, err := ParsePredict(content)
				if err != nil {
					return nil, fmt.Errorf("%d: predict block: %w", line, err)
				}
				npred++
				p.ID = fmt.Sprintf("%s-%d", slug, npred)
				flush()
				parts = append(parts, Part{Predict: &p})
				continue
			}
		}
		if err := md.Renderer().Render(&buf, body, n); err != nil {
			return nil, err
		}
	}
	flush()
	for _, pt := range tasks {
		var w *Widget
		switch {
		case pt.before > 0:
			w = widgets[pt.before-1]
		case len(widgets) > 0:
			w = widgets[0]
		default:
			return nil, fmt.Errorf("%d: task block: no scenario block to attach it to", pt.line)
		}
		if w.Task != nil {
			return nil, fmt.Errorf("%d: task block: the widget it belongs to already has a task", pt.line)
		}
		t := pt.task
		w.Task = &t
	}
	return parts, nil
}

// fenceText returns a fenced block's text and the file line of its fence.
func fenceText(fc *ast.FencedCodeBlock, body []byte, lineOf func(int) int) (string, int) {
	var sb strings.Builder
	lines := fc.Lines()
	for i := 0; i < lines.Len(); i++ {
		seg := lines.At(i)
		sb.Write(seg.Value(body))
	}
	line := 0
	if fc.Info != nil {
		line = lineOf(fc.Info.Segment.Start)
	} else if lines.Len() > 0 {
		line = lineOf(lines.At(0).Start) - 1
	}
	return sb.String(), line
}

// scenarioInfo reads the words after "scenario" on the fence line: today only
// expect-violation=PROPERTY, for a block that replays a historical bug.
func scenarioInfo(w *Widget, fc *ast.FencedCodeBlock, body []byte) error {
	if fc.Info == nil {
		return nil
	}
	words := strings.Fields(string(fc.Info.Segment.Value(body)))
	for _, word := range words[1:] {
		key, value, _ := strings.Cut(word, "=")
		if key != "expect-violation" {
			return fmt.Errorf("unknown option %q after scenario (known: expect-violation=PROPERTY)", word)
		}
		if !knownViolation(value) {
			return fmt.Errorf("expect-violation=%s: want a checker property (%s) or expect", value, strings.Join(Violations, ", "))
		}
		if !hasBugOn(w.Scenario) {
			return fmt.Errorf("expect-violation needs a \"bug ZOOKEEPER-NNNN on\" line: only a historical bug may break the checker")
		}
		w.ExpectViolation = value
	}
	return nil
}

// Violations are the names expect-violation takes: the checker's properties
// (check.Properties, the protocol's too: a bug such as stale-ack breaks
// AckDurable), and "expect" for a block whose own expects fail.
var Violations = append(slices.Clone(check.Properties), "expect")

func knownViolation(v string) bool { return slices.Contains(Violations, v) }

func hasBugOn(scenario string) bool {
	for _, line := range strings.Split(scenario, "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[0] == "bug" && f[2] == "on" {
			return true
		}
	}
	return false
}

// checkNesting rejects scenario, task and predict blocks inside lists or quotes: they
// would silently render as code instead of a widget.
func checkNesting(doc ast.Node, body []byte, lineOf func(int) int) error {
	var err error
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		fc, ok := n.(*ast.FencedCodeBlock)
		if !entering || !ok || n.Parent() == doc {
			return ast.WalkContinue, nil
		}
		if lang := string(fc.Language(body)); lang == "scenario" || lang == "task" || lang == "predict" {
			_, line := fenceText(fc, body, lineOf)
			err = fmt.Errorf("%d: a %s block must be at the top level, not inside a list or quote", line, lang)
			return ast.WalkStop, nil
		}
		return ast.WalkContinue, nil
	})
	return err
}
