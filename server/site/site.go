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
	"net/http"
	"strconv"
	"time"

	"github.com/a-h/templ"

	"github.com/zabplay/zabplay/lessons"
	"github.com/zabplay/zabplay/static"
	"github.com/zabplay/zabplay/templates"
)

// Options configure Handler. The zero value serves the embedded assets and
// lessons.
type Options struct {
	Log     *slog.Logger     // nil: discard; requests are logged at debug level
	Static  fs.FS            // the assets under /static/; nil: static.FS
	Lessons []lessons.Lesson // sorted by order; nil: lessons.All()
}

// Handler returns the site: GET (and HEAD) /, /playground, /lessons,
// /lessons/{slug}, /healthz and /static/...; a 404 page for anything else and
// 405 for other methods. Every response carries the security headers.
//
// With nil Options.Lessons it panics if the embedded lessons do not parse, as
// template.Must does: `go test ./lessons` catches that before a release.
func Handler(opts Options) http.Handler {
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Static == nil {
		opts.Static = static.FS
	}
	if opts.Lessons == nil {
		ls, err := lessons.All()
		if err != nil {
			panic(fmt.Sprintf("site: embedded lessons: %v", err))
		}
		opts.Lessons = ls
	}
	h := &handler{
		log:     opts.Log,
		site:    templates.Site{WasmBuilt: static.HasWasmIn(opts.Static)},
		lessons: opts.Lessons,
	}
	h.assets = &assets{fsys: opts.Static, notFound: h.notFound}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", h.home)
	mux.HandleFunc("GET /playground", h.playground)
	mux.HandleFunc("GET /lessons", h.lessonIndex)
	mux.HandleFunc("GET /lessons/{slug}", h.lesson)
	mux.HandleFunc("GET /healthz", h.healthz)
	mux.Handle("GET /static/{path...}", h.assets)
	mux.HandleFunc("/", h.notFound)
	return h.middleware(mux)
}

type handler struct {
	log     *slog.Logger
	site    templates.Site
	lessons []lessons.Lesson
	assets  *assets
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
			h.render(sw, r, http.StatusMethodNotAllowed, templates.MethodNotAllowed(h.site, r.Method))
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

func (h *handler) home(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, templates.Home(h.site))
}

func (h *handler) playground(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, templates.Playground(h.site))
}

func (h *handler) lessonIndex(w http.ResponseWriter, r *http.Request) {
	links := make([]templates.LessonLink, len(h.lessons))
	for i, l := range h.lessons {
		links[i] = link(l)
	}
	h.render(w, r, http.StatusOK, templates.LessonIndex(h.site, links))
}

func (h *handler) lesson(w http.ResponseWriter, r *http.Request) {
	i := lessons.Find(h.lessons, r.PathValue("slug"))
	if i < 0 {
		h.notFound(w, r)
		return
	}
	h.render(w, r, http.StatusOK, templates.Lesson(h.site, lessonView(h.lessons, i)))
}

func (h *handler) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = io.WriteString(w, "ok\n")
}

func (h *handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusNotFound, templates.NotFound(h.site, r.URL.Path))
}

func link(l lessons.Lesson) templates.LessonLink {
	return templates.LessonLink{Slug: l.Slug, Title: l.Title, Summary: l.Summary, Order: l.Order}
}

// lessonView maps lesson i to the page's view: its parts, widgets with their
// task JSON, and the lessons before and after it.
func lessonView(ls []lessons.Lesson, i int) templates.LessonView {
	l := ls[i]
	v := templates.LessonView{LessonLink: link(l), Total: len(ls)}
	for _, p := range l.Parts {
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
