package httpjson

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// CrossSite and ClientOf are the one guard of every state-changing API
// (server/ensemble, server/classroom): a form post or another site's page
// is refused; behind a trusted proxy the client is the rightmost untrusted
// X-Forwarded-For hop, with or without a port.
func TestGuard(t *testing.T) {
	post := func(ct, origin string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "http://zab.example/api/rooms", strings.NewReader("{}"))
		r.Header.Set("Content-Type", ct)
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		return r
	}
	code, err := CrossSite(post("application/x-www-form-urlencoded", ""), nil, "open rooms")
	assert.Equal(t, http.StatusUnsupportedMediaType, code)
	assert.Error(t, err)
	code, err = CrossSite(post("application/json", "https://evil.example"), nil, "open rooms")
	assert.Equal(t, http.StatusForbidden, code)
	assert.ErrorContains(t, err, "may not open rooms")
	for _, ok := range []*http.Request{post("application/json", ""), post("application/json; charset=utf-8", "https://zab.example")} {
		code, err = CrossSite(ok, nil, "open rooms")
		assert.Zero(t, code)
		assert.NoError(t, err)
	}
	code, _ = CrossSite(post("application/json", "https://class.school.example"), []string{"*.school.example"}, "open rooms")
	assert.Zero(t, code)

	proxy := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "10.1.2.3:4000"
	r.Header.Set("X-Forwarded-For", "203.0.113.9, 198.51.100.7:5555, 10.9.9.9")
	assert.Equal(t, "198.51.100.7", ClientOf(r, proxy))
	assert.Equal(t, "10.1.2.3", ClientOf(r, nil), "an untrusted remote is the client")
	r.RemoteAddr = "[2001:db8::1]:4000"
	assert.Equal(t, "2001:db8::/64", ClientOf(r, proxy))
}
