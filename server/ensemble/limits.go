package ensemble

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/zabplay/zabplay/server/httpjson"
)

// bucket is a token bucket: rate tokens a second, at most burst saved up.
type bucket struct {
	tokens float64
	last   time.Time
}

// take takes one token if there is one; otherwise it says how long until
// there is.
func (b *bucket) take(now time.Time, rate float64, burst int) (bool, time.Duration) {
	if b.last.IsZero() {
		b.tokens, b.last = float64(burst), now
	}
	if dt := now.Sub(b.last).Seconds(); dt > 0 {
		b.tokens = math.Min(float64(burst), b.tokens+dt*rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / rate * float64(time.Second))
}

// full reports whether the bucket has refilled (it can be forgotten).
func (b *bucket) full(now time.Time, rate float64, burst int) bool {
	return b.tokens+now.Sub(b.last).Seconds()*rate >= float64(burst)
}

// ErrRate is an action refused by a rate limit; RetryAfter says when to try
// again.
type ErrRate struct {
	Msg        string
	RetryAfter time.Duration
}

func (e *ErrRate) Error() string { return e.Msg }

// clientBucketsMax is how many client buckets the manager keeps before it
// forgets the full ones (a full bucket is the same as none).
const clientBucketsMax = 4096

// limiter is the per-client token buckets of the actions.
type limiter struct {
	mu      sync.Mutex
	clients map[string]*bucket
}

// allow takes a token from client's bucket and then from the ensemble's (if
// e is not nil)
// (both must have one; the client's is given back if the ensemble's is
// empty). A rate below zero is no limit. It returns an *ErrRate.
func (m *Manager) allow(e *Ensemble, client string) error {
	o := &m.opts
	now := o.Now()
	l := &m.limits
	if o.ClientRate > 0 {
		l.mu.Lock()
		if l.clients == nil {
			l.clients = map[string]*bucket{}
		}
		b := l.clients[client]
		if b == nil {
			if len(l.clients) >= clientBucketsMax {
				for k, x := range l.clients {
					if x.full(now, o.ClientRate, burstOf(o.ClientRate)) {
						delete(l.clients, k)
					}
				}
			}
			b = &bucket{}
			l.clients[client] = b
		}
		ok, wait := b.take(now, o.ClientRate, burstOf(o.ClientRate))
		l.mu.Unlock()
		if !ok {
			return &ErrRate{RetryAfter: wait, Msg: fmt.Sprintf(
				"too many actions from your address: at most %s a second (bursts of %d); try again in %s",
				rateText(o.ClientRate), burstOf(o.ClientRate), waitText(wait))}
		}
	}
	if o.EnsembleRate > 0 && e != nil {
		e.mu.Lock()
		ok, wait := e.bucket.take(now, o.EnsembleRate, burstOf(o.EnsembleRate))
		e.mu.Unlock()
		if !ok {
			if o.ClientRate > 0 {
				l.mu.Lock()
				if b := l.clients[client]; b != nil {
					b.tokens = math.Min(b.tokens+1, float64(burstOf(o.ClientRate)))
				}
				l.mu.Unlock()
			}
			return &ErrRate{RetryAfter: wait, Msg: fmt.Sprintf(
				"too many actions on this ensemble: at most %s a second (bursts of %d); try again in %s",
				rateText(o.EnsembleRate), burstOf(o.EnsembleRate), waitText(wait))}
		}
	}
	return nil
}

// pruneBuckets forgets the client buckets that have refilled.
func (m *Manager) pruneBuckets() {
	o := &m.opts
	now := o.Now()
	l := &m.limits
	l.mu.Lock()
	defer l.mu.Unlock()
	for k, b := range l.clients {
		if b.full(now, o.ClientRate, burstOf(o.ClientRate)) {
			delete(l.clients, k)
		}
	}
}

// burstOf is the burst of a rate: two seconds' worth, at least 5.
func burstOf(rate float64) int { return max(5, int(math.Ceil(2*rate))) }

func rateText(r float64) string {
	if r == math.Trunc(r) {
		return fmt.Sprintf("%.0f", r)
	}
	return fmt.Sprintf("%.2g", r)
}

func waitText(d time.Duration) string {
	return fmt.Sprintf("%.1f s", math.Max(d.Seconds(), 0.1))
}

// retryAfterSeconds is the Retry-After header of a wait: whole seconds,
// at least 1.
func retryAfterSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// ParseTrustedProxies reads --trusted-proxy: comma-separated CIDRs or single
// addresses.
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: want a CIDR (10.0.0.0/8, fd00::/8) or an address", clip(f, 40))
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// ErrViewers is a websocket refused by a viewer cap.
var ErrViewers = errors.New("too many viewers")

// addViewer counts a websocket of client on e, or refuses it over a cap.
func (m *Manager) addViewer(e *Ensemble, client string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case e.viewers >= m.opts.MaxViewers:
		return fmt.Errorf("%w: this ensemble has %d viewers, the most it may have", ErrViewers, e.viewers)
	case m.viewers[client] >= m.opts.MaxViewersPerClient:
		return fmt.Errorf("%w: your address has %d live views open, the most per client: close one first", ErrViewers, m.viewers[client])
	}
	e.viewers++
	e.lastActive = m.opts.Now()
	m.viewers[client]++
	return nil
}

// removeViewer undoes addViewer.
func (m *Manager) removeViewer(e *Ensemble, client string) {
	m.mu.Lock()
	if m.viewers[client]--; m.viewers[client] <= 0 {
		delete(m.viewers, client)
	}
	m.mu.Unlock()
	e.mu.Lock()
	e.viewers--
	e.lastActive = m.opts.Now()
	e.mu.Unlock()
}

// clientOf is who a request counts against (httpjson.ClientOf).
func (m *Manager) clientOf(r *http.Request) string {
	return httpjson.ClientOf(r, m.opts.TrustedProxies)
}

// crossSite refuses a POST or DELETE another site's page could have sent
// (httpjson.CrossSite).
func (m *Manager) crossSite(r *http.Request) (int, error) {
	return httpjson.CrossSite(r, m.opts.AllowedOrigins, "change live ensembles")
}

// clip is httpjson.Clip.
func clip(s string, n int) string { return httpjson.Clip(s, n) }
