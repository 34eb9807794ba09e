package node

import (
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"slices"
	"strings"

	"github.com/zabplay/zabplay/server/httpjson"
)

// AdminOptions configures Handler.
type AdminOptions struct {
	// Origins are the websocket origins allowed on /events besides the
	// admin's own host (path.Match patterns on host[:port], as
	// coder/websocket does); nil allows localhost, 127.0.0.1 and [::1] on
	// any port.
	Origins []string
	// Addr is the address the admin listens on. It decides which IP
	// addresses the Host header may name: a specific IP allows itself and
	// the loopback addresses, an unspecified one (0.0.0.0, [::]) or none
	// any IP.
	Addr string
	// Hosts are more names the Host header may carry (e.g. the machine's
	// name on a classroom network), without port. localhost and
	// *.localhost are always allowed.
	Hosts []string
}

// guard checks the Host header of every request (DNS rebinding: a page of
// evil.example whose name is made to resolve to this machine sends Host:
// evil.example) and the Content-Type of POST and DELETE (cross-site
// requests: a form or a simple fetch cannot send application/json).
func (n *Node) guard(o AdminOptions, h http.Handler) http.Handler {
	var listenIP net.IP
	if host, _, err := net.SplitHostPort(o.Addr); err == nil {
		listenIP = net.ParseIP(host)
	}
	names := make([]string, len(o.Hosts))
	for i, h := range o.Hosts {
		names[i] = strings.TrimSuffix(strings.ToLower(h), ".")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !hostAllowed(r.Host, listenIP, names) {
			n.log.Warn("admin: request refused: Host not allowed", slog.String("host", r.Host), slog.String("remote", r.RemoteAddr),
				slog.String("method", r.Method), slog.String("path", r.URL.Path))
			httpjson.Error(w, http.StatusForbidden, fmt.Errorf("Host %q is not an address of this admin (refused as a guard against DNS rebinding): "+
				"use an IP address or localhost, or allow the name with `zabplay node --admin-hosts NAME`", r.Host))
			return
		}
		if r.Method == http.MethodPost || r.Method == http.MethodDelete {
			mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
			if err != nil || mt != "application/json" {
				httpjson.Error(w, http.StatusUnsupportedMediaType, fmt.Errorf("%s %s needs Content-Type: application/json, got %q", r.Method, r.URL.Path, r.Header.Get("Content-Type")))
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// hostAllowed reports whether a Host header names this admin: localhost or
// a name under .localhost, one of names, or an IP address (that of the
// listener or a loopback one, or any if the listener's is unspecified).
// An empty Host (HTTP/1.0) cannot come from a browser and is allowed.
func hostAllowed(hostport string, listenIP net.IP, names []string) bool {
	if hostport == "" {
		return true
	}
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") || slices.Contains(names, host) {
		return true
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return false
	}
	return listenIP == nil || listenIP.IsUnspecified() || ip.IsLoopback() || ip.Equal(listenIP)
}
