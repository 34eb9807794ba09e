package site

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"unicode"

	"github.com/PuerkitoBio/goquery"
	"github.com/andybalholm/brotli"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zabplay/zabplay/lessons"
	"github.com/zabplay/zabplay/templates"
)

// testFS stands in for static.FS so the tests never depend on the wasm build.
func testFS(withWasm bool) fstest.MapFS {
	fsys := fstest.MapFS{
		"playground.js":   {Data: []byte("export {};\n")},
		"site.css":        {Data: []byte("body{}\n")},
		"widget.css":      {Data: []byte(".zab-widget{}\n")},
		"site.css.gz":     {Data: []byte("GZ-site.css")},
		"static.go":       {Data: []byte("package static\n")},
		"README.md":       {Data: []byte("# static\n")},
		"only.js.br":      {Data: []byte("BR without the plain file")},
		"dir/inner.js":    {Data: []byte("inner\n")},
		"wasm_exec.js.br": {Data: []byte("BR-wasm_exec.js")},
	}
	if withWasm {
		fsys["zab.wasm"] = &fstest.MapFile{Data: []byte("\x00asm plain")}
		fsys["zab.wasm.br"] = &fstest.MapFile{Data: []byte("BR-zab.wasm")}
		fsys["zab.wasm.gz"] = &fstest.MapFile{Data: []byte("GZ-zab.wasm")}
		fsys["wasm_exec.js"] = &fstest.MapFile{Data: []byte("// go wasm_exec\n")}
	}
	return fsys
}

func newServer(t *testing.T, withWasm bool) http.Handler {
	t.Helper()
	ls, err := lessons.All()
	require.NoError(t, err)
	return Handler(Options{Static: testFS(withWasm), Lessons: ls})
}

func do(t *testing.T, h http.Handler, method, target string, header ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

func page(t *testing.T, h http.Handler, target string, wantStatus int) *goquery.Document {
	t.Helper()
	resp := do(t, h, "GET", target)
	require.Equal(t, wantStatus, resp.StatusCode, "GET %s", target)
	assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"), target)
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	require.NoError(t, err)
	return doc
}

// widgets checks the page's widgets against the static/README.md contract
// and returns them.
func widgets(t *testing.T, doc *goquery.Document) *goquery.Selection {
	t.Helper()
	ws := doc.Find("section.zab-widget[data-widget]")
	label := templates.En.T().WidgetLabel
	if doc.Find("html").AttrOr("lang", "") == templates.Zh.T().HTMLLang {
		label = templates.Zh.T().WidgetLabel
	}
	ws.Each(func(_ int, w *goquery.Selection) {
		assert.Equal(t, label, w.AttrOr("aria-label", ""))
		assert.Equal(t, 1, w.Find("p.zab-widget-fallback").Length())
	})
	assert.LessOrEqual(t, doc.Find(`[data-share="true"]`).Length(), 1, "at most one widget shares the URL")
	scripts := doc.Find(`script[type="module"][src="/static/playground.js"]`).Length()
	if ws.Length() > 0 {
		assert.Equal(t, 1, scripts, "a page with a widget loads playground.js")
	} else {
		assert.Equal(t, 0, scripts)
	}
	return ws
}

func TestHome(t *testing.T) {
	h := newServer(t, true)
	doc := page(t, h, "/", 200)
	ws := widgets(t, doc)
	require.Equal(t, 1, ws.Length())
	assert.Equal(t, "3", ws.AttrOr("data-voters", ""))
	assert.Equal(t, "1", ws.AttrOr("data-seed", ""))
	_, share := ws.Attr("data-share")
	assert.False(t, share)
	answer := doc.Find(`[data-testid="answer"]`)
	assert.Contains(t, answer.Find("h2").Text(), "How does ZooKeeper keep leader and followers in sync?")
	assert.Contains(t, answer.Find("p").Text(), "PROPOSAL")
	assert.Equal(t, "Home", doc.Find(`nav a[aria-current="page"]`).Text())
	assert.Contains(t, ws.Find(".zab-widget-fallback").Text(), "Loading the simulator")
}

func TestPlayground(t *testing.T) {
	doc := page(t, newServer(t, true), "/playground", 200)
	ws := widgets(t, doc)
	require.Equal(t, 1, ws.Length())
	assert.Equal(t, "5", ws.AttrOr("data-voters", ""))
	assert.Equal(t, "1", ws.AttrOr("data-observers", ""))
	assert.Equal(t, "true", ws.AttrOr("data-share", ""))
	keys := doc.Find(`[data-testid="shortcuts"] kbd`).Map(func(_ int, s *goquery.Selection) string { return s.Text() })
	assert.Equal(t, []string{"Space", "n", "k", "f", "p", "h", "w", "[ and ]", "1 to 9", "Esc"}, keys)
	assert.Contains(t, doc.Find(`[data-testid="how-to"]`).Text(), "How to use it")
}

// TestPlaygroundLead: the lead names the ensemble the address holds (a
// shared link with nine servers said "Five voters and one observer"), and
// an address the simulator refuses keeps the default.
func TestPlaygroundLead(t *testing.T) {
	h := newServer(t, true)
	for _, c := range []struct{ query, en, zh string }{
		{"", "Five voters and one observer (s6).", "五个投票成员加一个 Observer（s6）。"},
		{"?seed=1&voters=9&observers=0", "Nine voters and no observers.", "九个投票成员，没有 Observer。"},
		{"?voters=3&observers=2&t=500", "Three voters and two observers (s4–s5).", "三个投票成员加两个 Observer（s4–s5）。"},
		{"?voters=1", "One voter and one observer (s2).", "一个投票成员加一个 Observer（s2）。"},
		{"?voters=12&observers=-1", "Five voters and one observer (s6).", "五个投票成员加一个 Observer（s6）。"},
		{"?voters=abc&observers=NaN", "Five voters and one observer (s6).", "五个投票成员加一个 Observer（s6）。"},
		{"?voters=7.9&observers=4", "Seven voters and four observers (s8–s11).", "七个投票成员加四个 Observer（s8–s11）。"},
	} {
		en := page(t, h, "/playground"+c.query, 200).Find("p.lead").Text()
		assert.True(t, strings.HasPrefix(en, c.en), "%q: %q", c.query, en)
		zh := page(t, h, "/zh/playground"+c.query, 200).Find("p.lead").Text()
		assert.True(t, strings.HasPrefix(zh, c.zh), "%q: %q", c.query, zh)
	}
}

func TestLessonIndex(t *testing.T) {
	h := newServer(t, true)
	for _, lang := range templates.Langs {
		doc := page(t, h, lang.Href("/lessons"), 200)
		assert.Equal(t, 0, widgets(t, doc).Length())
		items := doc.Find(`[data-testid="lessons"] li`)
		require.Equal(t, 12, items.Length(), lang)
		hrefs := items.Find("a").Map(func(_ int, s *goquery.Selection) string { return s.AttrOr("href", "") })
		assert.Equal(t, lang.Href("/lessons/why-coordination"), hrefs[0])
		assert.Equal(t, lang.Href("/lessons/leader-dies"), hrefs[4])
		assert.Equal(t, lang.Href("/lessons/historical-bugs"), hrefs[11])
		assert.Equal(t, "1", items.First().AttrOr("value", ""))
		assert.Equal(t, "why-coordination", items.First().AttrOr("data-slug", ""))
		assert.Equal(t, "1", items.First().AttrOr("data-tasks", ""))
		assert.Equal(t, "1", items.First().AttrOr("data-predicts", ""))
		assert.NotEmpty(t, strings.TrimSpace(items.First().Find("p").Text()), "summary")
		// The progress view: static/progress.js fills it from localStorage,
		// with the strings the page gives it.
		prog := doc.Find(`[data-testid="progress"]`)
		require.Equal(t, 1, prog.Length())
		assert.Equal(t, lang.T().ProgressSummary, prog.AttrOr("data-progress-summary", ""))
		assert.Equal(t, lang.T().ProgressVisited, prog.AttrOr("data-t-visited", ""))
		assert.Equal(t, 1, doc.Find(`script[type="module"][src="/static/progress.js"]`).Length())
	}
}

func TestLessonPages(t *testing.T) {
	h := newServer(t, true)
	for _, lang := range templates.Langs {
		ls, err := lessons.In(lessons.Lang(lang))
		require.NoError(t, err)
		for i, l := range ls {
			t.Run(string(lang)+"/"+l.Slug, func(t *testing.T) {
				doc := page(t, h, lang.Href("/lessons/"+l.Slug), 200)
				assert.Equal(t, lang.T().HTMLLang, doc.Find("html").AttrOr("lang", ""))
				assert.Equal(t, l.Title+" · zabplay", doc.Find("title").Text())
				assert.Equal(t, l.Title, doc.Find("article h1").Text())
				assert.Equal(t, l.Slug, doc.Find("article").AttrOr("data-lesson", ""))
				ws := widgets(t, doc)
				require.Equal(t, len(l.Widgets()), ws.Length())
				assert.Equal(t, "true", ws.First().AttrOr("data-share", ""))
				tasks := 0
				ws.Each(func(j int, w *goquery.Selection) {
					assert.Equal(t, l.Widgets()[j].Scenario, w.AttrOr("data-scenario", ""))
					assert.True(t, strings.HasPrefix(w.AttrOr("data-scenario", ""), "# ") ||
						strings.HasPrefix(w.AttrOr("data-scenario", ""), "ensemble"))
					_, hasVoters := w.Attr("data-voters")
					assert.False(t, hasVoters, "a scenario widget carries no data-voters")
					raw, ok := w.Attr("data-task")
					if !ok {
						return
					}
					tasks++
					var task lessons.Task
					require.NoError(t, json.Unmarshal([]byte(raw), &task))
					assert.NotEmpty(t, task.Title)
					assert.NotEmpty(t, task.Steps)
				})
				assert.GreaterOrEqual(t, tasks, 1)
				// Predictions: the question, the choices, the answer behind a reveal.
				preds := doc.Find(`aside.predict[data-testid="predict"]`)
				require.Equal(t, len(l.Predicts()), preds.Length())
				preds.Each(func(j int, p *goquery.Selection) {
					want := l.Predicts()[j]
					assert.Equal(t, want.ID, p.AttrOr("data-predict", ""))
					assert.Equal(t, strconv.Itoa(want.Answer), p.AttrOr("data-answer", ""))
					assert.Equal(t, len(want.Choices), p.Find("ol.predict-choices li").Length())
					assert.Equal(t, lang.T().ShowAnswer, p.Find("details.predict-reveal summary").Text())
					assert.Contains(t, p.Find("details.predict-reveal p strong").Text(), templates.Letter(want.Answer-1))
				})
				assert.NotContains(t, doc.Find("article").Text(), "```")
				assert.Contains(t, doc.Find(".lesson-number").Text(), lang.T().LessonOf(i+1, 12))
				nav := doc.Find(`[data-testid="lesson-nav"]`)
				prev, next := nav.Find(`a[rel="prev"]`), nav.Find(`a[rel="next"]`)
				if i == 0 {
					assert.Equal(t, 0, prev.Length())
				} else {
					assert.Equal(t, lang.Href("/lessons/"+ls[i-1].Slug), prev.AttrOr("href", ""))
					assert.Contains(t, prev.Text(), ls[i-1].Title)
				}
				if i+1 < len(ls) {
					assert.Equal(t, lang.Href("/lessons/"+ls[i+1].Slug), next.AttrOr("href", ""))
				} else {
					assert.Equal(t, lang.Href("/playground"), next.AttrOr("href", ""))
				}
				// The language switch goes to the same lesson in the other language.
				assert.Equal(t, lang.Other().Href("/lessons/"+l.Slug), doc.Find(`[data-testid="lang-switch"]`).AttrOr("href", ""))
				assert.Equal(t, 1, doc.Find(`script[type="module"][src="/static/progress.js"]`).Length())
			})
		}
	}
	// The leader-dies lesson's task is the one the playground issue specifies.
	doc := page(t, h, "/lessons/leader-dies", 200)
	var task lessons.Task
	require.NoError(t, json.Unmarshal([]byte(doc.Find("[data-task]").First().AttrOr("data-task", "")), &task))
	assert.Equal(t, "leader crashed", task.Steps[0].Check)
	assert.Equal(t, "all in sync", task.Steps[4].Check)
}

// TestEveryPageInBothLanguages: every page has the right <html lang>, a title
// in its language, navigation that stays in it, and a language switch to the
// same page in the other language.
func TestEveryPageInBothLanguages(t *testing.T) {
	h := newServer(t, true)
	paths := []string{"/", "/playground", "/lessons", "/glossary"}
	ls, err := lessons.All()
	require.NoError(t, err)
	for _, l := range ls {
		paths = append(paths, "/lessons/"+l.Slug)
	}
	for _, lang := range templates.Langs {
		tx := lang.T()
		for _, path := range paths {
			target := lang.Href(path)
			doc := page(t, h, target, 200)
			assert.Equal(t, tx.HTMLLang, doc.Find("html").AttrOr("lang", ""), target)
			title := doc.Find("title").Text()
			assert.NotEmpty(t, title, target)
			if lang == templates.Zh {
				assert.True(t, hasHan(title), "%s: title %q is not in Chinese", target, title)
			} else {
				assert.False(t, hasHan(title), "%s: title %q is not in English", target, title)
			}
			sw := doc.Find(`header [data-testid="lang-switch"]`)
			require.Equal(t, 1, sw.Length(), target)
			other := lang.Other()
			want := other.Href(path)
			if other == templates.En && path == "/" {
				want = "/?lang=en"
			}
			assert.Equal(t, want, sw.AttrOr("href", ""), target)
			assert.Equal(t, other.T().LangName, sw.Text(), target)
			assert.Equal(t, other.T().HTMLLang, sw.AttrOr("lang", ""), target)
			assert.Equal(t, other.T().HTMLLang, sw.AttrOr("hreflang", ""), target)
			navs := doc.Find(`nav[data-testid="nav"] a`).Map(func(_ int, s *goquery.Selection) string { return s.AttrOr("href", "") })
			assert.Equal(t, []string{lang.Href("/"), lang.Href("/playground"), lang.Href("/lessons"), lang.Href("/glossary")}, navs, target)
			navText := doc.Find(`nav[data-testid="nav"] a`).Map(func(_ int, s *goquery.Selection) string { return s.Text() })
			assert.Equal(t, []string{tx.Home, tx.Play, tx.Lessons, tx.Glossary}, navText, target)
			assert.Equal(t, tx.Footer, strings.TrimSpace(doc.Find("footer").Text()), target)
			assert.Equal(t, lang.Href(path), doc.Find(`link[rel="alternate"][hreflang="`+tx.HTMLLang+`"]`).AttrOr("href", ""), target)
			// Every link into the site stays in the page's language.
			doc.Find("main a[href^='/']").Each(func(_ int, a *goquery.Selection) {
				href := a.AttrOr("href", "")
				assert.Equal(t, lang == templates.Zh, strings.HasPrefix(href, "/zh/"), "%s links to %s", target, href)
			})
		}
	}
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

func TestAcceptLanguage(t *testing.T) {
	h := newServer(t, true)
	for _, tc := range []struct{ accept, want string }{
		{"zh-CN,zh;q=0.9,en;q=0.8", "/zh/"},
		{"zh", "/zh/"},
		{"zh-TW", "/zh/"},
		{"fr-FR, zh-Hans;q=0.5", "/zh/"},
		{"en-US,en;q=0.9,zh;q=0.8", ""},
		{"en, zh", ""},
		{"zh;q=0", ""},
		{"de", ""},
		{"", ""},
	} {
		resp := do(t, h, "GET", "/", "Accept-Language", tc.accept)
		assert.Contains(t, resp.Header.Values("Vary"), "Accept-Language", tc.accept)
		if tc.want != "" {
			assert.Equal(t, http.StatusFound, resp.StatusCode, tc.accept)
			assert.Equal(t, tc.want, resp.Header.Get("Location"), tc.accept)
			continue
		}
		assert.Equal(t, 200, resp.StatusCode, tc.accept)
		assert.Contains(t, body(t, resp), `<html lang="en">`, tc.accept)
	}
	// The language switch's English home page stays English for a Chinese browser.
	resp := do(t, h, "GET", "/?lang=en", "Accept-Language", "zh-CN")
	assert.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, body(t, resp), `<html lang="en">`)
	// Other pages never redirect: their URL names their language.
	resp = do(t, h, "GET", "/lessons", "Accept-Language", "zh-CN")
	assert.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, body(t, resp), `<html lang="en">`)
	resp = do(t, h, "GET", "/zh", "Accept-Language", "en")
	assert.Equal(t, http.StatusMovedPermanently, resp.StatusCode)
	assert.Equal(t, "/zh/", resp.Header.Get("Location"))
	doc := page(t, h, "/zh/", 200)
	assert.Equal(t, "zh-Hans", doc.Find("html").AttrOr("lang", ""))
	assert.Equal(t, templates.Zh.T().AnswerTitle, doc.Find(`[data-testid="answer"] h2`).Text())
}

func TestPrefersChinese(t *testing.T) {
	for header, want := range map[string]bool{
		"zh-CN": true, "ZH-cn": true, "zh-Hant-TW, en;q=0.9": true, "en;q=0.5, zh;q=0.6": true,
		"zh, en": true, "en, zh": false, "en-GB": false, "": false, "zh;q=0": false, "zh;q=abc": false,
		"*": false, "ja, zh;q=0.1": true, "en;q=0.4,zh;q=0.4": false,
	} {
		assert.Equal(t, want, PrefersChinese(header), header)
	}
}

func TestGlossaryPage(t *testing.T) {
	h := newServer(t, true)
	for _, lang := range templates.Langs {
		doc := page(t, h, lang.Href("/glossary"), 200)
		g := doc.Find(`[data-testid="glossary"]`)
		assert.Equal(t, lang.T().Glossary, g.Find("h1").Text())
		assert.GreaterOrEqual(t, g.Find("tbody tr").Length(), 40)
		assert.Contains(t, g.Text(), "事务日志")
		assert.Contains(t, g.Text(), "txn log")
		assert.Equal(t, lang.T().Glossary, doc.Find(`nav a[aria-current="page"]`).Text())
	}
}

func TestWasmMissing(t *testing.T) {
	h := newServer(t, false)
	for _, target := range []string{"/", "/playground", "/lessons/broadcast"} {
		doc := page(t, h, target, 200)
		ws := widgets(t, doc)
		require.Positive(t, ws.Length())
		ws.Each(func(_ int, w *goquery.Selection) {
			text := w.Find(".zab-widget-fallback").Text()
			assert.Contains(t, text, "The simulator is not built")
			assert.Contains(t, text, "go tool -modfile=tools/go.mod task serve")
			assert.Contains(t, text, "go tool -modfile=tools/go.mod task wasm")
		})
	}
}

func TestNotFound(t *testing.T) {
	h := newServer(t, true)
	for _, target := range []string{"/no/such/page", "/lessons/no-such-lesson", "/lessons/", "/static/", "/static/nope.js",
		"/static/static.go", "/static/README.md", "/static/dir", "/static/only.js", "/static/only.js.br", "/playground/"} {
		doc := page(t, h, target, 404)
		assert.Equal(t, "Not found", doc.Find("h1").Text(), target)
		links := doc.Find(`[data-testid="helpful-links"] a`).Map(func(_ int, s *goquery.Selection) string { return s.AttrOr("href", "") })
		assert.Equal(t, []string{"/", "/playground", "/lessons"}, links, target)
	}
	doc := page(t, h, "/no/<such>", 404)
	assert.Contains(t, doc.Find("main code").Text(), "/no/<such>")
	for _, target := range []string{"/zh/nope", "/zh/lessons/no-such-lesson", "/zh/lessons/"} {
		doc := page(t, h, target, 404)
		assert.Equal(t, "zh-Hans", doc.Find("html").AttrOr("lang", ""), target)
		assert.Equal(t, templates.Zh.T().NotFound, doc.Find("h1").Text(), target)
		links := doc.Find(`[data-testid="helpful-links"] a`).Map(func(_ int, s *goquery.Selection) string { return s.AttrOr("href", "") })
		assert.Equal(t, []string{"/zh/", "/zh/playground", "/zh/lessons"}, links, target)
	}
}

func TestMethods(t *testing.T) {
	h := newServer(t, true)
	for _, m := range []string{"POST", "PUT", "DELETE", "PATCH", "OPTIONS"} {
		for _, target := range []string{"/", "/lessons/broadcast", "/static/site.css", "/nowhere"} {
			resp := do(t, h, m, target)
			assert.Equal(t, 405, resp.StatusCode, "%s %s", m, target)
			assert.Equal(t, "GET, HEAD", resp.Header.Get("Allow"))
			assert.Contains(t, body(t, resp), "Method not allowed")
		}
	}
	resp := do(t, h, "HEAD", "/")
	assert.Equal(t, 200, resp.StatusCode)
	assert.Empty(t, body(t, resp))
	resp = do(t, h, "HEAD", "/static/zab.wasm")
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "application/wasm", resp.Header.Get("Content-Type"))
}

func TestHealthz(t *testing.T) {
	resp := do(t, newServer(t, true), "GET", "/healthz")
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "ok\n", body(t, resp))
}

func TestSecurityHeadersEverywhere(t *testing.T) {
	h := newServer(t, true)
	for _, rq := range [][2]string{{"GET", "/"}, {"GET", "/playground"}, {"GET", "/lessons"}, {"GET", "/lessons/broadcast"},
		{"GET", "/zh/"}, {"GET", "/zh/lessons/broadcast"}, {"GET", "/glossary"},
		{"GET", "/healthz"}, {"GET", "/static/zab.wasm"}, {"GET", "/nope"}, {"POST", "/"}, {"HEAD", "/static/site.css"}} {
		resp := do(t, h, rq[0], rq[1])
		csp := resp.Header.Get("Content-Security-Policy")
		assert.Contains(t, csp, "script-src 'self' 'wasm-unsafe-eval'", rq)
		assert.Contains(t, csp, "default-src 'self'", rq)
		assert.Contains(t, csp, "frame-ancestors 'none'", rq)
		assert.NotContains(t, csp, "'unsafe-eval'", rq)
		assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"), rq)
		assert.Equal(t, "strict-origin-when-cross-origin", resp.Header.Get("Referrer-Policy"), rq)
		assert.Equal(t, "DENY", resp.Header.Get("X-Frame-Options"), rq)
	}
}

func TestStaticContentTypes(t *testing.T) {
	h := newServer(t, true)
	for name, want := range map[string]string{
		"zab.wasm":      "application/wasm",
		"playground.js": "text/javascript; charset=utf-8",
		"site.css":      "text/css; charset=utf-8",
		"dir/inner.js":  "text/javascript; charset=utf-8",
	} {
		resp := do(t, h, "GET", "/static/"+name)
		assert.Equal(t, 200, resp.StatusCode, name)
		assert.Equal(t, want, resp.Header.Get("Content-Type"), name)
		assert.Equal(t, "public, max-age=300", resp.Header.Get("Cache-Control"), name)
		assert.Equal(t, "Accept-Encoding", resp.Header.Get("Vary"), name)
		assert.NotEmpty(t, resp.Header.Get("ETag"), name)
	}
}

func TestPrecompressed(t *testing.T) {
	h := newServer(t, true)
	for _, tc := range []struct{ file, accept, wantEnc, wantBody string }{
		{"zab.wasm", "gzip, deflate, br", "br", "BR-zab.wasm"},
		{"zab.wasm", "br;q=0.5, gzip;q=1", "br", "BR-zab.wasm"},
		{"zab.wasm", "gzip", "gzip", "GZ-zab.wasm"},
		{"zab.wasm", "br;q=0, gzip", "gzip", "GZ-zab.wasm"},
		{"zab.wasm", "*", "br", "BR-zab.wasm"},
		{"zab.wasm", "*, br;q=0", "gzip", "GZ-zab.wasm"},
		{"zab.wasm", "", "", "\x00asm plain"},
		{"zab.wasm", "identity", "", "\x00asm plain"},
		{"zab.wasm", "br;q=0, gzip;q=0", "", "\x00asm plain"},
		{"wasm_exec.js", "br", "br", "BR-wasm_exec.js"},
		{"site.css", "br, gzip", "gzip", "GZ-site.css"},
		{"playground.js", "", "", "export {};\n"},
	} {
		resp := do(t, h, "GET", "/static/"+tc.file, "Accept-Encoding", tc.accept)
		name := tc.file + " with Accept-Encoding: " + tc.accept
		require.Equal(t, 200, resp.StatusCode, name)
		assert.Equal(t, tc.wantEnc, resp.Header.Get("Content-Encoding"), name)
		assert.Equal(t, tc.wantBody, body(t, resp), name)
		assert.Equal(t, strconv.Itoa(len(tc.wantBody)), resp.Header.Get("Content-Length"), name)
		assert.Equal(t, "Accept-Encoding", resp.Header.Get("Vary"), name)
		assert.Equal(t, contentTypes["."+strings.SplitN(tc.file, ".", 2)[1]], resp.Header.Get("Content-Type"), name)
	}
}

// TestCompressedOnTheFly: text without a precompressed file beside it is
// compressed once and served with the right headers; the bytes decode back.
func TestCompressedOnTheFly(t *testing.T) {
	h := newServer(t, true)
	for _, tc := range []struct{ file, accept, wantEnc, want string }{
		{"wasm_exec.js", "gzip", "gzip", "// go wasm_exec\n"},
		{"playground.js", "br, gzip", "br", "export {};\n"},
		{"playground.js", "gzip", "gzip", "export {};\n"},
	} {
		for range 2 { // the second time from the cache
			resp := do(t, h, "GET", "/static/"+tc.file, "Accept-Encoding", tc.accept)
			require.Equal(t, 200, resp.StatusCode)
			require.Equal(t, tc.wantEnc, resp.Header.Get("Content-Encoding"), tc.file)
			raw := body(t, resp)
			assert.Equal(t, strconv.Itoa(len(raw)), resp.Header.Get("Content-Length"))
			var r io.Reader = strings.NewReader(raw)
			if tc.wantEnc == "gzip" {
				zr, err := gzip.NewReader(r)
				require.NoError(t, err)
				r = zr
			} else {
				r = brotli.NewReader(r)
			}
			got, err := io.ReadAll(r)
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(got), tc.file)
			assert.Contains(t, resp.Header.Get("ETag"), tc.wantEnc)
		}
	}
}

func TestETagRevalidation(t *testing.T) {
	h := newServer(t, true)
	first := do(t, h, "GET", "/static/zab.wasm", "Accept-Encoding", "br")
	etag := first.Header.Get("ETag")
	require.NotEmpty(t, etag)
	plain := do(t, h, "GET", "/static/zab.wasm").Header.Get("ETag")
	assert.NotEqual(t, etag, plain, "each encoding has its own ETag")
	again := do(t, h, "GET", "/static/zab.wasm", "Accept-Encoding", "br", "If-None-Match", etag)
	assert.Equal(t, 304, again.StatusCode)
	assert.Empty(t, body(t, again))
}

func TestZeroOptionsServeEmbedded(t *testing.T) {
	h := Handler(Options{})
	assert.Equal(t, 200, do(t, h, "GET", "/lessons/leader-dies").StatusCode)
	resp := do(t, h, "GET", "/static/site.css")
	assert.Equal(t, 200, resp.StatusCode, "static/site.css is embedded")
	assert.Equal(t, 404, do(t, h, "GET", "/static/static.go").StatusCode)
}

// TestSimOnly: with Options.SimOnly (the Workers edition) every page of both
// languages is the page `serve` renders but for the news that Live mode is
// off: the footer's sentence and each widget's data-live-off. Pages, which
// that edition mounts, answers the same pages and leaves /static/ to its host.
func TestSimOnly(t *testing.T) {
	ls, err := lessons.All()
	require.NoError(t, err)
	live := Handler(Options{Static: testFS(true), Lessons: ls})
	simOnly := Handler(Options{Static: testFS(true), Lessons: ls, SimOnly: true})
	pages := Pages(Options{Lessons: ls, SimOnly: true})
	paths := []string{"/", "/zh/", "/playground", "/zh/playground", "/lessons", "/zh/lessons", "/glossary", "/zh/glossary", "/nope"}
	for _, l := range ls {
		paths = append(paths, "/lessons/"+l.Slug, "/zh/lessons/"+l.Slug)
	}
	for _, path := range paths {
		a, b := do(t, live, "GET", path), do(t, simOnly, "GET", path)
		require.Equal(t, a.StatusCode, b.StatusCode, path)
		liveHTML, simHTML := body(t, a), body(t, b)
		assert.Equal(t, simHTML, body(t, do(t, pages, "GET", path)), "%s: Pages and Handler differ", path)
		doc, err := goquery.NewDocumentFromReader(strings.NewReader(simHTML))
		require.NoError(t, err)
		tx := templates.En.T()
		if strings.HasPrefix(path, "/zh/") {
			tx = templates.Zh.T()
		}
		assert.Equal(t, tx.FooterSimOnly, strings.TrimSpace(doc.Find(`footer [data-testid="live-off"]`).Text()), path)
		doc.Find("[data-widget]").Each(func(_ int, w *goquery.Selection) {
			v, ok := w.Attr("data-live-off")
			assert.True(t, ok && v == tx.LiveOff, "%s: a widget without data-live-off", path)
		})
		// Take the news out again: what is left is serve's page.
		doc.Find("[data-widget]").RemoveAttr("data-live-off")
		doc.Find(`footer [data-testid="live-off"]`).RemoveAttr("data-testid").SetText(tx.Footer)
		liveDoc, err := goquery.NewDocumentFromReader(strings.NewReader(liveHTML))
		require.NoError(t, err)
		got, err := doc.Html()
		require.NoError(t, err)
		want, err := liveDoc.Html()
		require.NoError(t, err)
		assert.Equal(t, want, got, "%s: the sim-only page differs from serve's beyond the Live news", path)
	}
	assert.Equal(t, http.StatusNotFound, do(t, pages, "GET", "/static/site.css").StatusCode)
	assert.NotEmpty(t, do(t, pages, "GET", "/static/site.css").Header.Get("Content-Security-Policy"))
}

// TestWarm: warm compresses with brotli every text asset that has no
// precompressed variant (a file with its own .br or .gz is left alone, as
// are the types never compressed); the handler then answers from that; and
// Handler with Warm closes Warmed when it is done.
func TestWarm(t *testing.T) {
	fsys := testFS(true)
	a := &assets{fsys: fsys}
	done := make(chan struct{})
	a.warm(nil, done)
	<-done
	var packed []string
	a.packed.Range(func(k, _ any) bool { packed = append(packed, k.(string)); return true })
	require.ElementsMatch(t, []string{"br:playground.js", "br:widget.css", "br:dir/inner.js"}, packed)
	b, err := a.pack("playground.js", "br")
	require.NoError(t, err)
	plain, err := io.ReadAll(brotli.NewReader(strings.NewReader(string(b))))
	require.NoError(t, err)
	require.Equal(t, "export {};\n", string(plain))

	ls, err := lessons.All()
	require.NoError(t, err)
	warmed := make(chan struct{})
	h := Handler(Options{Static: fsys, Lessons: ls, Warm: true, Warmed: warmed})
	<-warmed
	req := httptest.NewRequest("GET", "/static/widget.css", nil)
	req.Header.Set("Accept-Encoding", "br")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	require.Equal(t, "br", rec.Header().Get("Content-Encoding"))
	plain, err = io.ReadAll(brotli.NewReader(rec.Body))
	require.NoError(t, err)
	require.Equal(t, ".zab-widget{}\n", string(plain))
}
