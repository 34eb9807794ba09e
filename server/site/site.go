// Package site is the web site's HTTP side: the pages (rendered with the templ
// components of templates/), the lessons, and the static assets with their
// precompressed variants. It holds no user-facing text: that lives in
// templates/ and lessons/.
package site

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/zabplay/zabplay/core"
	"github.com/zabplay/zabplay/lessons"
	"github.com/zabplay/zabplay/static"
	"github.com/zabplay/zabplay/templates"
)

// Options configure Handler. The zero value serves the embedded assets and
// lessons.
type Options struct {
	Log       *slog.Logger     // nil: discard; requests are logged at debug level
	Static    fs.FS            // the assets under /static/; nil: static.FS
	Lessons   []lessons.Lesson // English, sorted by order; nil: lessons.All()
	LessonsZh []lessons.Lesson // Chinese, sorted by order; nil: lessons.In(lessons.Zh)
	// SimOnly says no live ensembles stand behind the site (the Workers
	// edition, cloudflare/): pages say where Live mode would be that it
	// needs `zabplay serve` (templates.Site.SimOnly).
	SimOnly bool
	// Warm compresses the text assets (JS, CSS, ...) in the background as
	// the handler is made, instead of at each one's first request: a
	// brotli at its best level takes a few hundred ms of CPU for the
	// widget's modules, which the first visitor after a start would wait
	// for (serve sets it). Warmed, when not nil, is closed when they are
	// all in memory (a benchmark waits for it).
	Warm   bool
	Warmed chan<- struct{}
}

// Handler returns the site: GET (and HEAD) /, /playground, /lessons,
// /lessons/{slug}, /glossary, the same pages in Chinese under /zh/, /healthz
// and /static/...; a 404 page for anything else and 405 for other methods.
// Every response carries the security headers. / redirects a browser whose
// Accept-Language prefers Chinese to /zh/ (Vary: Accept-Language), unless
// the URL says ?lang=en.
//
// With nil Options.Lessons or LessonsZh it panics if the embedded lessons do
// not parse, as template.Must does: `go test ./lessons` catches that before a
// release.
func Handler(opts Options) http.Handler {
	if opts.Static == nil {
		opts.Static = static.FS
	}
	h := newHandler(opts, static.HasWasmIn(opts.Static))
	a := &assets{fsys: opts.Static, notFound: h.notFound}
	h.assets = a
	if opts.Warm {
		go a.warm(opts.Log, opts.Warmed)
	}
	return h.routes()
}

// Pages returns the site without its assets, for a host that serves /static/
// itself (the Workers edition: Workers static assets). It is Handler in
// every other way. opts.Static is ignored: a /static/ path that reaches it
// is not found (the host had no such file), and the widgets load the
// simulator, which the host's build put beside the other assets. It refers
// neither to static.FS nor to the asset server, so a binary built on it
// carries no asset (the wasm alone is 4 MB) and no brotli encoder.
func Pages(opts Options) http.Handler {
	h := newHandler(opts, true)
	h.assets = http.HandlerFunc(h.notFound)
	return h.routes()
}

// newHandler is what Handler and Pages share; wasm says whether the widgets
// can load the simulator. The caller sets h.assets, then calls h.routes.
func newHandler(opts Options, wasm bool) *handler {
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	course := map[templates.Lang][]lessons.Lesson{templates.En: opts.Lessons, templates.Zh: opts.LessonsZh}
	glossary := map[templates.Lang]string{}
	for _, lang := range templates.Langs {
		if course[lang] == nil {
			ls, err := lessons.In(lessons.Lang(lang))
			if err != nil {
				panic(fmt.Sprintf("site: embedded lessons: %v", err))
			}
			course[lang] = ls
		}
		g, err := lessons.GlossaryIn(lessons.Lang(lang))
		if err != nil {
			panic(fmt.Sprintf("site: embedded glossary: %v", err))
		}
		glossary[lang] = g.HTML
	}
	return &handler{
		log:      opts.Log,
		wasm:     wasm,
		simOnly:  opts.SimOnly,
		lessons:  course,
		glossary: glossary,
	}
}

// routes is the site's mux behind its middleware.
func (h *handler) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", h.root)
	mux.HandleFunc("GET /zh", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/zh/", http.StatusMovedPermanently)
	})
	for _, lang := range templates.Langs {
		prefix := strings.TrimSuffix(lang.Href("/"), "/")
		if lang == templates.Zh {
			mux.HandleFunc("GET /zh/{$}", h.page(lang, h.home))
		}
		mux.HandleFunc("GET "+prefix+"/playground", h.page(lang, h.playground))
		mux.HandleFunc("GET "+prefix+"/lessons", h.page(lang, h.lessonIndex))
		mux.HandleFunc("GET "+prefix+"/lessons/{slug}", h.page(lang, h.lesson))
		mux.HandleFunc("GET "+prefix+"/glossary", h.page(lang, h.glossaryPage))
	}
	mux.HandleFunc("GET /healthz", h.healthz)
	mux.Handle("GET /static/{path...}", h.assets)
	mux.HandleFunc("/", h.notFound)
	return h.middleware(mux)
}

type handler struct {
	log      *slog.Logger
	wasm     bool
	simOnly  bool
	lessons  map[templates.Lang][]lessons.Lesson
	glossary map[templates.Lang]string // rendered HTML
	assets   http.Handler              // /static/...
}

// site is what a page in lang needs to know.
func (h *handler) site(lang templates.Lang) templates.Site {
	return templates.Site{WasmBuilt: h.wasm, Lang: lang, SimOnly: h.simOnly}
}

// langOf is the language of a request's path: Chinese under /zh/.
func langOf(r *http.Request) templates.Lang {
	if r.URL.Path == "/zh" || strings.HasPrefix(r.URL.Path, "/zh/") {
		return templates.Zh
	}
	return templates.En
}

// page adapts a handler of one language to http.HandlerFunc.
func (h *handler) page(lang templates.Lang, f func(http.ResponseWriter, *http.Request, templates.Lang)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { f(w, r, lang) }
}

// middleware sets the security headers, refuses methods other than GET and
// HEAD, and logs each request at debug level.
func (h *handler) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		setSecurityHeaders(w.Header())
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			sw.Header().Set("Allow", "GET, HEAD")
			h.render(sw, r, http.StatusMethodNotAllowed, templates.MethodNotAllowed(h.site(langOf(r)), r.Method))
		} else {
			next.ServeHTTP(sw, r)
		}
		h.log.Debug("request", slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", sw.status), slog.Duration("took", time.Since(start)))
	})
}

// contentSecurityPolicy allows only same-origin resources. Go's WebAssembly
// needs 'wasm-unsafe-eval' to compile zab.wasm; no script may be inline or
// eval'd. Inline style attributes are allowed because the widget sets some
// (static/pg-lanes.js colours log entries with a style attribute).
const contentSecurityPolicy = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; " +
	"style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// SecurityHeaders sets the headers every page carries (CSP, nosniff,
// referrer policy, no framing) on every answer of next: `serve` wraps the
// live ensembles' API (/api/) in it, so its JSON answers carry them too.
func SecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setSecurityHeaders(w.Header())
		next.ServeHTTP(w, r)
	})
}

func setSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	h.Set("X-Frame-Options", "DENY")
}

// statusWriter remembers the status for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// render renders c fully before writing, so a failed render is a clean 500.
func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		h.log.Error("render", slog.String("path", r.URL.Path), slog.Any("error", err))
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

// root is /: the English home page, or a redirect to /zh/ for a browser
// whose Accept-Language prefers Chinese (not with ?lang=en, which the
// language switch uses). Both answers vary by Accept-Language.
func (h *handler) root(w http.ResponseWriter, r *http.Request) {
	w.Header().Add("Vary", "Accept-Language")
	if r.URL.Query().Get("lang") != "en" && PrefersChinese(r.Header.Get("Accept-Language")) {
		w.Header().Set("Cache-Control", "no-cache")
		http.Redirect(w, r, "/zh/", http.StatusFound)
		return
	}
	h.home(w, r, templates.En)
}

func (h *handler) home(w http.ResponseWriter, r *http.Request, lang templates.Lang) {
	h.render(w, r, http.StatusOK, templates.Home(h.site(lang)))
}

func (h *handler) playground(w http.ResponseWriter, r *http.Request, lang templates.Lang) {
	voters, observers := shared(r.URL.Query())
	h.render(w, r, http.StatusOK, templates.Playground(h.site(lang), voters, observers))
}

// shared is the ensemble a playground address holds (its voters and
// observers, read as static/pg-share.js reads them), or the playground's 5
// and 1: the page's lead names what the widget will run. A value the
// simulator refuses (voters 1 to core.MaxVoters, observers 0 to
// core.MaxObservers) keeps the default; the widget says what is wrong with
// it.
func shared(q url.Values) (voters, observers int) {
	voters, observers = 5, 1
	num := func(k string) (int, bool) {
		f, err := strconv.ParseFloat(q.Get(k), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, false
		}
		return int(math.Floor(f)), true
	}
	if v, ok := num("voters"); ok && v >= 1 && v <= core.MaxVoters {
		voters = v
	}
	if o, ok := num("observers"); ok && o >= 0 && o <= core.MaxObservers {
		observers = o
	}
	return voters, observers
}

func (h *handler) lessonIndex(w http.ResponseWriter, r *http.Request, lang templates.Lang) {
	ls := h.lessons[lang]
	links := make([]templates.LessonLink, len(ls))
	for i, l := range ls {
		links[i] = link(l)
	}
	h.render(w, r, http.StatusOK, templates.LessonIndex(h.site(lang), links))
}

func (h *handler) lesson(w http.ResponseWriter, r *http.Request, lang templates.Lang) {
	ls := h.lessons[lang]
	i := lessons.Find(ls, r.PathValue("slug"))
	if i < 0 {
		h.notFound(w, r)
		return
	}
	h.render(w, r, http.StatusOK, templates.Lesson(h.site(lang), lessonView(ls, i)))
}

func (h *handler) glossaryPage(w http.ResponseWriter, r *http.Request, lang templates.Lang) {
	h.render(w, r, http.StatusOK, templates.Glossary(h.site(lang), h.glossary[lang]))
}

func (h *handler) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = io.WriteString(w, "ok\n")
}

func (h *handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusNotFound, templates.NotFound(h.site(langOf(r)), r.URL.Path))
}

func link(l lessons.Lesson) templates.LessonLink {
	tasks := 0
	for _, w := range l.Widgets() {
		if w.Task != nil {
			tasks++
		}
	}
	return templates.LessonLink{Slug: l.Slug, Title: l.Title, Summary: l.Summary, Order: l.Order,
		Tasks: tasks, Predicts: len(l.Predicts())}
}

// lessonView maps lesson i to the page's view: its parts, widgets with their
// task JSON, and the lessons before and after it.
func lessonView(ls []lessons.Lesson, i int) templates.LessonView {
	l := ls[i]
	v := templates.LessonView{LessonLink: link(l), Total: len(ls)}
	for _, p := range l.Parts {
		if q := p.Predict; q != nil {
			v.Parts = append(v.Parts, templates.LessonPart{Predict: &templates.PredictView{
				ID: q.ID, Question: q.Question, Choices: q.Choices, Answer: q.Answer, Why: q.Why}})
			continue
		}
		if p.Widget == nil {
			v.Parts = append(v.Parts, templates.LessonPart{HTML: p.HTML})
			continue
		}
		wp := &templates.WidgetProps{Scenario: p.Widget.Scenario, Share: p.Widget.Share}
		if p.Widget.Task != nil {
			wp.Task = p.Widget.Task.JSON()
		}
		v.Parts = append(v.Parts, templates.LessonPart{Widget: wp})
	}
	if i > 0 {
		prev := link(ls[i-1])
		v.Prev = &prev
	}
	if i+1 < len(ls) {
		next := link(ls[i+1])
		v.Next = &next
	}
	return v
}
