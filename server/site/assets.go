package site

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/andybalholm/brotli"
)

// assetCacheControl is the Cache-Control of every static file. Asset URLs
// carry no version (playground.js imports ./sim.js, sim.js fetches zab.wasm by
// fixed names), so a long max-age would pin stale code after a deploy; five
// minutes plus an ETag (a hash of the bytes) keeps revalidation cheap.
const assetCacheControl = "public, max-age=300"

// contentTypes are the file types served from /static/; anything else (the
// package's .go file, README.md, a bare .br) is not found.
var contentTypes = map[string]string{
	".js":    "text/javascript; charset=utf-8",
	".mjs":   "text/javascript; charset=utf-8",
	".css":   "text/css; charset=utf-8",
	".wasm":  "application/wasm",
	".json":  "application/json",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".ico":   "image/x-icon",
	".woff2": "font/woff2",
	".txt":   "text/plain; charset=utf-8",
}

// encodings are the precompressed variants looked for beside a file, best
// first: NAME.br, then NAME.gz.
var encodings = []struct{ name, suffix string }{{"br", ".br"}, {"gzip", ".gz"}}

// assets serves a read-only fs.FS. The files never change while it runs, so
// each file's ETag is computed once.
type assets struct {
	fsys     fs.FS
	notFound http.HandlerFunc
	etags    sync.Map // file name -> quoted ETag
	packed   sync.Map // "br:name" or "gzip:name" -> *packed, text files compressed once
}

// packed is one text file compressed with one coding, made once: requests
// that come while it is being made wait for it.
type packed struct {
	once sync.Once
	b    []byte
	err  error
}

// compressible are the types compressed on the fly (once, then cached) when
// no precompressed file sits beside them: the JS and CSS are edited by hand
// and served as they are, so a build step could go stale.
var compressible = map[string]bool{".js": true, ".mjs": true, ".css": true, ".json": true, ".svg": true, ".txt": true}

func (a *assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("path")
	ctype, ok := contentTypes[path.Ext(name)]
	if !ok || !fs.ValidPath(name) || !a.isFile(name) {
		a.notFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Vary", "Accept-Encoding")
	serve, encoding := name, ""
	for _, e := range encodings {
		if accepts(r.Header.Get("Accept-Encoding"), e.name) && a.isFile(name+e.suffix) {
			serve, encoding = name+e.suffix, e.name
			break
		}
	}
	if encoding == "" && compressible[path.Ext(name)] {
		for _, e := range encodings {
			if !accepts(r.Header.Get("Accept-Encoding"), e.name) {
				continue
			}
			if b, err := a.pack(name, e.name); err == nil {
				h.Set("Content-Type", ctype)
				h.Set("Cache-Control", assetCacheControl)
				h.Set("Content-Encoding", e.name)
				_, etag, _ := a.open(name)
				h.Set("ETag", strings.TrimSuffix(etag, `"`)+"-"+e.name+`"`)
				h.Set("Content-Length", strconv.Itoa(len(b)))
				http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(b))
				return
			}
		}
	}
	content, etag, err := a.open(serve)
	if err != nil {
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	if c, ok := content.(io.Closer); ok {
		defer c.Close()
	}
	h.Set("Content-Type", ctype)
	h.Set("Cache-Control", assetCacheControl)
	h.Set("ETag", etag)
	if encoding != "" {
		h.Set("Content-Encoding", encoding)
		// ServeContent leaves Content-Length out when Content-Encoding is
		// set; a download progress bar wants it.
		if size, err := content.Seek(0, io.SeekEnd); err == nil && r.Header.Get("Range") == "" {
			h.Set("Content-Length", strconv.FormatInt(size, 10))
		}
		if _, err := content.Seek(0, io.SeekStart); err != nil {
			http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
			return
		}
	}
	http.ServeContent(w, r, name, time.Time{}, content)
}

// open returns a file's content as a ReadSeeker (embed.FS and fstest.MapFS
// files are seekable; anything else is read into memory) and its ETag.
func (a *assets) open(name string) (io.ReadSeeker, string, error) {
	f, err := a.fsys.Open(name)
	if err != nil {
		return nil, "", err
	}
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		b, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			return nil, "", err
		}
		rs = bytes.NewReader(b)
	}
	if tag, ok := a.etags.Load(name); ok {
		return rs, tag.(string), nil
	}
	sum := sha256.New()
	if _, err := io.Copy(sum, rs); err != nil {
		f.Close()
		return nil, "", err
	}
	if _, err := rs.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, "", err
	}
	tag := strconv.Quote(hex.EncodeToString(sum.Sum(nil)[:12]))
	a.etags.Store(name, tag)
	return rs, tag, nil
}

// pack returns a text file compressed with coding ("br" or "gzip"), made on
// first use (or by warm) and kept.
func (a *assets) pack(name, coding string) ([]byte, error) {
	key := coding + ":" + name
	v, _ := a.packed.LoadOrStore(key, &packed{})
	p := v.(*packed)
	p.once.Do(func() { p.b, p.err = compress(a.fsys, name, coding) })
	if p.err != nil {
		a.packed.CompareAndDelete(key, p) // a later request tries again
	}
	return p.b, p.err
}

func compress(fsys fs.FS, name, coding string) ([]byte, error) {
	src, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	var zw io.WriteCloser
	if coding == "br" {
		zw = brotli.NewWriterLevel(&buf, brotli.BestCompression)
	} else if zw, err = gzip.NewWriterLevel(&buf, gzip.BestCompression); err != nil {
		return nil, err
	}
	if _, err := zw.Write(src); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// warm compresses with brotli (what browsers ask for) every text file that
// has no precompressed variant beside it, one after the other, then closes
// done (when not nil).
func (a *assets) warm(log *slog.Logger, done chan<- struct{}) {
	if done != nil {
		defer close(done)
	}
	start := time.Now()
	n := 0
	err := fs.WalkDir(a.fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !compressible[path.Ext(name)] {
			return err
		}
		if _, ok := contentTypes[path.Ext(name)]; !ok {
			return nil
		}
		for _, e := range encodings {
			if a.isFile(name + e.suffix) {
				return nil
			}
		}
		if _, err := a.pack(name, "br"); err != nil {
			return err
		}
		n++
		return nil
	})
	if log != nil {
		if err != nil {
			log.Warn("compressing the static assets", "err", err)
		} else {
			log.Debug("static assets compressed", "files", n, "took", time.Since(start).Round(time.Millisecond))
		}
	}
}

func (a *assets) isFile(name string) bool {
	st, err := fs.Stat(a.fsys, name)
	return err == nil && st.Mode().IsRegular()
}

// accepts reports whether an Accept-Encoding header allows coding: named (or
// matched by "*") with a q-value above 0.
func accepts(header, coding string) bool {
	star := false
	for _, part := range strings.Split(header, ",") {
		token, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		token = strings.ToLower(strings.TrimSpace(token))
		if token != coding && token != "*" {
			continue
		}
		ok := qAboveZero(params)
		if token == coding {
			return ok
		}
		star = ok
	}
	return star
}

func qAboveZero(params string) bool {
	for _, p := range strings.Split(params, ";") {
		k, v, found := strings.Cut(strings.TrimSpace(p), "=")
		if found && strings.EqualFold(strings.TrimSpace(k), "q") {
			q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return err == nil && q > 0
		}
	}
	return true
}
