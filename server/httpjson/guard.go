package httpjson

import (
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"strings"
)

// CrossSite refuses a request that changes state (POST, DELETE) which
// another site's page could have sent: its body must be JSON (a form post
// cannot be), and its Origin, when it has one, must be this host or match
// one of allowed (path.Match patterns, case-insensitive). what says what
// such a page may not do, for the error. It returns the status to answer
// and the error, or 0 and nil.
func CrossSite(r *http.Request, allowed []string, what string) (int, error) {
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		return http.StatusUnsupportedMediaType, fmt.Errorf("Content-Type %q: want application/json", Clip(ct, 40))
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return 0, nil // not from a browser page (browsers send Origin on POST and DELETE)
	}
	if u, err := url.Parse(origin); err == nil && u.Host != "" {
		if strings.EqualFold(u.Host, r.Host) {
			return 0, nil
		}
		for _, p := range allowed {
			if ok, _ := path.Match(strings.ToLower(p), strings.ToLower(u.Host)); ok {
				return 0, nil
			}
		}
	}
	return http.StatusForbidden, fmt.Errorf("a page of %q may not %s here (same origin or --allowed-origins only)", Clip(origin, 80), what)
}

// ClientOf is who a request counts against for per-client caps: its remote
// address, or, when that is a trusted proxy, the rightmost X-Forwarded-For
// hop that is not one (a hop may carry a port); an IPv6 client is its /64.
func ClientOf(r *http.Request, trusted []netip.Prefix) string {
	isTrusted := func(a netip.Addr) bool {
		for _, p := range trusted {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	addr = addr.Unmap()
	if isTrusted(addr) {
		var all []string
		for _, h := range r.Header.Values("X-Forwarded-For") {
			all = append(all, strings.Split(h, ",")...)
		}
		for i := len(all) - 1; i >= 0; i-- {
			hop := strings.TrimSpace(all[i])
			a, err := netip.ParseAddr(hop)
			if err != nil {
				if ap, err2 := netip.ParseAddrPort(hop); err2 == nil {
					a, err = ap.Addr(), nil
				}
			}
			if err != nil {
				break // garbage: the hop to its right is the last we know
			}
			addr = a.Unmap()
			if !isTrusted(addr) {
				break
			}
		}
	}
	return ClientKey(addr)
}

// ClientKey is an IPv4 address, or an IPv6 address's /64.
func ClientKey(a netip.Addr) string {
	if a.Is4() {
		return a.String()
	}
	p, _ := a.WithZone("").Prefix(64)
	return p.String()
}

// Clip shortens s to at most n bytes of valid UTF-8, marking the cut.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// API wraps a JSON API's mux: a path it does not know is a JSON 404, a known
// path with another method a JSON 405 with Allow (HEAD with GET, as the mux
// serves it), and a POST or DELETE must pass crossSite first.
func API(mux *http.ServeMux, crossSite func(*http.Request) (int, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pat := mux.Handler(r); pat == "" {
			var allow []string
			for _, meth := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
				r2 := r.Clone(r.Context())
				r2.Method = meth
				if _, p := mux.Handler(r2); p != "" {
					allow = append(allow, meth)
					if meth == http.MethodGet {
						allow = append(allow, http.MethodHead)
					}
				}
			}
			if len(allow) == 0 {
				Error(w, http.StatusNotFound, fmt.Errorf("no API at %s", Clip(r.URL.Path, 80)))
				return
			}
			w.Header().Set("Allow", strings.Join(allow, ", "))
			Error(w, http.StatusMethodNotAllowed, fmt.Errorf("%s is not allowed here: want %s", Clip(r.Method, 20), strings.Join(allow, " or ")))
			return
		}
		if r.Method == http.MethodPost || r.Method == http.MethodDelete {
			if code, err := crossSite(r); err != nil {
				Error(w, code, err)
				return
			}
		}
		mux.ServeHTTP(w, r)
	})
}
