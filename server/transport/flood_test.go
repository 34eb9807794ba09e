package transport

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zabplay/zabplay/core"
)

// vmRSS reads the process's resident set size in bytes (0 if unknown).
func vmRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// floodHeader is a frame header claiming a 64 MiB body.
func floodHeader(t FrameType) []byte {
	return binary.BigEndian.AppendUint32([]byte{Version, byte(t)}, MaxFrame)
}

// TestFloodKeepsMemoryBounded opens 200 connections to s1 that each send a
// 6-byte header claiming 64 MiB (half as a Hello, half as a Msg), 20 that
// send nothing, and one from an authenticated server (s4, played by the
// test) that claims 64 MiB and sends 1 MiB of it. s1 must allocate nothing
// like what they claim, close every stranger within its handshake deadline,
// and s1..s3 must keep exchanging messages throughout.
func TestFloodKeepsMemoryBounded(t *testing.T) {
	const (
		flood     = 200
		silent    = 20
		insiderMB = 1
		bound     = 32 << 20
	)
	m := newMeshWith(t, 4, func(id core.NodeID, cfg *Config) {
		cfg.HandshakeTimeout = time.Second
	})
	m.waitConnected(1, 2)
	m.waitConnected(1, 3)
	m.waitConnected(2, 3)
	m.waitConnected(1, 4)
	require.NoError(t, m.tr[4].Close()) // the test plays s4
	s1 := m.tr[1]
	for in := recv(t, s1); !in.Lost || in.Peer != 4; in = recv(t, s1) {
	}

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	rssBefore := vmRSS()

	// The insider: authenticated, then a 64 MiB Msg of which 1 MiB comes.
	insider, _, err := rawDial(m.addrs[1], 4, 1, testSecret)
	require.NoError(t, err)
	defer insider.Close()
	insider.Write(floodHeader(FrameMsg))
	insider.Write(make([]byte, insiderMB<<20))

	// The strangers.
	type result struct {
		timedOut bool
		err      error
	}
	results := make(chan result, flood+silent)
	var wg sync.WaitGroup
	for i := range flood + silent {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nc, err := net.Dial("tcp", m.addrs[1])
			if err != nil {
				results <- result{err: err}
				return
			}
			defer nc.Close()
			switch {
			case i < flood/2:
				nc.Write(floodHeader(FrameHello))
			case i < flood:
				nc.Write(floodHeader(FrameMsg))
			}
			nc.SetReadDeadline(time.Now().Add(20 * time.Second))
			_, err = io.Copy(io.Discard, nc)
			var ne net.Error
			results <- result{timedOut: errors.As(err, &ne) && ne.Timeout()}
		}()
	}
	floodDone := make(chan struct{})
	go func() { wg.Wait(); close(floodDone) }()

	// s1..s3 keep talking, and s1's admission counts stay within their caps.
	// expect receives want at tr, in any order between peers (Recv orders
	// each peer's messages, not different peers').
	expect := func(tr *Transport, want ...core.Message) {
		t.Helper()
		for len(want) > 0 {
			in := recv(t, tr)
			if in.Lost && in.Peer == 4 {
				continue
			}
			require.False(t, in.Lost, "%v lost its connection to %v: %s", tr.cfg.ID, in.Peer, in.Why)
			i := slices.Index(want, in.Msg)
			require.GreaterOrEqual(t, i, 0, "unexpected %s, want %v", core.Describe(in.Msg), want)
			want = slices.Delete(want, i, i+1)
		}
	}
	// A round every 10ms: the exchange's own allocations stay small next
	// to the bound.
	pace := time.NewTicker(10 * time.Millisecond)
	defer pace.Stop()
	rounds := 0
	for done := false; !done || rounds < 10; rounds++ {
		select {
		case <-floodDone:
			done = true
		case <-pace.C:
		}
		z := uint32(rounds + 1)
		m.tr[2].Send(ping(2, 1, z))
		m.tr[3].Send(ping(3, 1, z))
		m.tr[3].Send(ping(3, 2, z))
		s1.Send(ping(1, 2, z))
		expect(s1, ping(2, 1, z), ping(3, 1, z))
		expect(m.tr[2], ping(3, 2, z), ping(1, 2, z))
		hs, conns, _ := s1.gateCounts()
		require.LessOrEqual(t, hs, s1.cfg.MaxHandshakes)
		require.LessOrEqual(t, conns, s1.cfg.MaxConnsPerAddr)
	}

	runtime.ReadMemStats(&after)
	allocated := after.TotalAlloc - before.TotalAlloc
	runtime.GC()
	runtime.ReadMemStats(&after)
	heap := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	rss := vmRSS() - rssBefore
	rssBound := int64(bound)
	if raceDetector {
		rssBound *= 4
	}
	t.Logf("flood of %d+%d connections, %d exchange rounds: allocated %.1f MiB in all, heap %+.1f MiB, VmRSS %+.1f MiB (bounds %d MiB, RSS %d MiB)",
		flood, silent, rounds, float64(allocated)/(1<<20), float64(heap)/(1<<20), float64(rss)/(1<<20), bound>>20, rssBound>>20)
	assert.Less(t, allocated, uint64(bound), "bytes allocated while flooded")
	assert.Less(t, heap, int64(bound), "live heap growth")
	assert.Less(t, rss, rssBound, "RSS growth")

	timedOut := 0
	for range flood + silent {
		r := <-results
		require.NoError(t, r.err)
		if r.timedOut {
			timedOut++
		}
	}
	assert.Zero(t, timedOut, "s1 closed every stranger's connection itself")
	_, _, refused := s1.gateCounts()
	assert.GreaterOrEqual(t, refused, uint64(flood+silent), "every stranger was refused")

	// The insider's frame is still being read, not allocated: it is cut off
	// when it goes, and s1 says so.
	insider.Close()
	for {
		in := recv(t, s1)
		if in.Lost && in.Peer == 4 {
			break
		}
	}
	firstRecv(t, m.tr[2], s1, ping(2, 1, 1000))
}

// TestOversizedFrames: a frame over its type's bound closes the connection
// at its header, with a reason, before any of its body is read.
func TestOversizedFrames(t *testing.T) {
	m := newMesh(t, 2)
	m.waitConnected(1, 2)

	// A stranger's Hello claiming 64 MiB, and an Auth longer than a MAC.
	for typ, want := range map[FrameType]string{
		FrameHello: "hello frame of 67108864 bytes (max 39)",
		FrameAuth:  "auth frame of 67108864 bytes (max 32)",
		FrameMsg:   "expected hello, got a msg frame",
	} {
		nc, err := net.Dial("tcp", m.addrs[1])
		require.NoError(t, err)
		nc.Write(floodHeader(typ))
		nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		f, err := ReadFrame(nc)
		require.NoError(t, err, "%s", typ)
		assert.Equal(t, FrameReject, f.Type)
		assert.Contains(t, string(f.Body), want)
		nc.Close()
	}

	// A server with the secret (here the test, as s2) sends a Msg over
	// MaxFrame: s1 closes the connection and its core is told it broke.
	require.NoError(t, m.tr[2].Close()) // the real s2 goes, so it cannot redial
	require.True(t, recv(t, m.tr[1]).Lost)
	nc, br, err := rawDial(m.addrs[1], 2, 1, testSecret)
	require.NoError(t, err)
	defer nc.Close()
	nc.Write(binary.BigEndian.AppendUint32([]byte{Version, byte(FrameMsg)}, MaxFrame+1))
	in := recv(t, m.tr[1])
	assert.True(t, in.Lost)
	assert.Contains(t, in.Why, "msg frame of 67108865 bytes (max 67108864)")
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = io.Copy(io.Discard, br)
	var ne net.Error
	assert.False(t, errors.As(err, &ne) && ne.Timeout(), "s1 closed the connection: %v", err)
}
