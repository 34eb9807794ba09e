package ensemble

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// smallSendBuffers makes every accepted connection's kernel send buffer
// small, so a viewer that does not read stalls the server's writes quickly.
type smallSendBuffers struct{ net.Listener }

func (l smallSendBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(4096)
	}
	return c, err
}

func newAPISmallBuffers(t *testing.T, o Options) *api {
	m, err := New(o)
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(m.Handler())
	srv.Listener = smallSendBuffers{srv.Listener}
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		require.NoError(t, m.Close())
	})
	return &api{t: t, m: m, srv: srv}
}

// smallReadDialer dials with a small receive buffer.
func smallReadDialer() *websocket.DialOptions {
	d := &net.Dialer{Control: func(network, address string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		if err != nil {
			return err
		}
		return serr
	}}
	return &websocket.DialOptions{HTTPClient: &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}}
}

// A viewer that stops reading gets a gap marker and a fresh snapshot; a
// viewer that reads sees every event; the ensemble does not wait for either.
func TestSlowViewerGetsGap(t *testing.T) {
	// The product's ViewerBuffer (4096 events): a viewer that reads may
	// stall half a second (a loaded CI machine: with 1024 the reading viewer
	// once got a gap) and still see every event; 300 quick writes make some
	// 7,500 events, which the viewer that does not read cannot hold.
	o := testOptions(t)
	o.ViewerBuffer = 4096
	a := newAPISmallBuffers(t, o)
	id := a.create(`{"voters":3}`)
	a.waitState(id, 15*time.Second, "a leader", synced)
	normal := a.watch(id, nil, true)
	slow := a.watch(id, smallReadDialer(), false)
	start := time.Now()
	tick := time.NewTicker(5 * time.Millisecond) // about 250 events per 50 ms batch
	defer tick.Stop()
	const writes = 300
	for i := range writes {
		<-tick.C
		a.mustAct(id, fmt.Sprintf("create /n%d %d", i, i))
	}
	took := time.Since(start)
	final := a.state(id).Seq
	require.True(t, normal.waitSeq(final, 10*time.Second), "the normal viewer got everything")
	slow.startReading()
	require.True(t, slow.waitSeq(final, 10*time.Second), "the slow viewer caught up")
	_, holes, gaps, events := normal.stats()
	assert.Zero(t, holes)
	assert.Zero(t, gaps)
	_, sholes, sgaps, sevents := slow.stats()
	assert.Zero(t, sholes)
	assert.Positive(t, sgaps, "the slow viewer got a gap marker")
	types := slow.types()
	for i, ty := range types {
		if ty == "gap" {
			require.Greater(t, len(types), i+1)
			assert.Equal(t, "snapshot", types[i+1], "a fresh snapshot follows a gap")
		}
	}
	t.Logf("%d writes in %v; normal viewer %d events; slow viewer %d events, %d gaps; stream %d", writes, took, events, sevents, sgaps, final)
}

// 100 viewers on one ensemble under 200 writes/s, asked open loop from up
// to 16 requests in flight (pushWrites): each viewer either saw every event
// or was told it missed some. The rate reached is logged, not asserted.
func TestLoadManyViewers(t *testing.T) {
	a := newAPI(t, testOptions(t))
	lc := newLoadClient(a)
	defer lc.tr.CloseIdleConnections()
	id := a.create(`{"voters":3}`)
	a.waitState(id, 15*time.Second, "a leader", synced)
	ws := make([]*watcher, 100)
	for i := range ws {
		ws[i] = a.watch(id, nil, false)
		ws[i].light = true
		ws[i].startReading()
	}
	const rate, workers, dur = 200, 16, 5 * time.Second
	run := pushWrites(lc, id, rate, dur, workers)
	final := a.state(id).Seq
	complete, gapped := 0, 0
	for i, w := range ws {
		require.True(t, w.waitSeq(final, 20*time.Second), "viewer %d caught up", i)
		_, holes, gaps, _ := w.stats()
		assert.Zero(t, holes, "viewer %d missed events without a gap marker", i)
		if gaps > 0 {
			gapped++
		} else {
			complete++
		}
	}
	assert.Zero(t, run.failed, "first error: %s", run.firstErr)
	assert.Positive(t, run.done)
	t.Logf("%d writes in %v (%.0f/s of %d/s asked, %d skipped with all %d workers busy), %d events; %d viewers saw every event, %d got gap markers",
		run.done, run.elapsed.Round(time.Millisecond), run.perSecond(), rate, run.skipped, workers, final, complete, gapped)
}
