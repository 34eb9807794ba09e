package ensemble

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zabplay/zabplay/core"
)

func testEvents(from, n int) []pendingItem {
	items := make([]pendingItem, n)
	for i := range items {
		items[i] = pendingItem{ev: core.Event{Kind: core.EvRole, Node: 1, At: int64(from + i), Text: fmt.Sprintf("e%d", from+i)}}
	}
	return items
}

// decodeEvents reads an events message as a browser would.
func decodeEvents(t *testing.T, b []byte) (uint64, []string) {
	t.Helper()
	var m struct {
		Type   string       `json:"type"`
		Seq    uint64       `json:"seq"`
		Events []core.Event `json:"events"`
	}
	require.NoError(t, json.Unmarshal(b, &m), "%s", b)
	require.Equal(t, "events", m.Type)
	var texts []string
	for _, e := range m.Events {
		texts = append(texts, e.Text)
	}
	return m.Seq, texts
}

// Frames are encoded once and shared; a viewer whose snapshot is past a
// frame's start gets the rest of it; several frames become one message of
// at most batchMax events, in order, without a hole.
func TestViewerFrames(t *testing.T) {
	fs := encodeFrames(10, testEvents(10, 5))
	require.Len(t, fs, 1)
	seq, texts := decodeEvents(t, fs[0].b)
	assert.Equal(t, uint64(10), seq)
	assert.Equal(t, []string{"e10", "e11", "e12", "e13", "e14"}, texts)

	v := newViewer(100)
	v.reset(10)
	v.push(fs)
	msg, _, _, _ := v.take()
	assert.Same(t, &fs[0].b[0], &msg[0], "a whole frame goes out as encoded")

	v = newViewer(100)
	v.reset(12)
	v.push(fs)
	v.push(encodeFrames(15, testEvents(15, 2)))
	v.push(fs) // already had: skipped
	msg, _, _, _ = v.take()
	seq, texts = decodeEvents(t, msg)
	assert.Equal(t, uint64(12), seq)
	assert.Equal(t, []string{"e12", "e13", "e14", "e15", "e16"}, texts)
	assert.Zero(t, v.queueLen())

	big := encodeFrames(0, testEvents(0, batchMax+5))
	require.Len(t, big, 2)
	assert.Equal(t, batchMax, big[0].n())
	v = newViewer(2 * batchMax)
	v.reset(0)
	v.push(big)
	msg, _, _, _ = v.take()
	seq, texts = decodeEvents(t, msg)
	assert.Equal(t, uint64(0), seq)
	assert.Len(t, texts, batchMax)
	msg, _, _, _ = v.take()
	seq, texts = decodeEvents(t, msg)
	assert.Equal(t, uint64(batchMax), seq)
	assert.Len(t, texts, 5)
}

// A viewer whose queue would outgrow its bound, or that had not passed the
// place where the merger lost events, gets a gap (the queued events count
// as dropped too) until its next snapshot.
func TestViewerGap(t *testing.T) {
	v := newViewer(4)
	v.reset(0)
	v.push(encodeFrames(0, testEvents(0, 3)))
	v.push(encodeFrames(3, testEvents(3, 2)))
	_, dropped, _, _ := v.take()
	assert.Equal(t, 5, dropped)
	assert.Zero(t, v.queueLen())
	v.push(encodeFrames(5, testEvents(5, 1)))
	_, dropped, _, _ = v.take()
	assert.Equal(t, 6, dropped, "a viewer in a gap stays in it")
	v.reset(6)
	v.push(encodeFrames(6, testEvents(6, 1)))
	msg, dropped, _, _ := v.take()
	assert.Zero(t, dropped)
	seq, _ := decodeEvents(t, msg)
	assert.Equal(t, uint64(6), seq)

	items := append(testEvents(7, 2), pendingItem{lost: 3})
	items = append(items, testEvents(9, 1)...)
	fs := encodeFrames(7, items)
	require.Len(t, fs, 3)
	assert.Equal(t, frame{seq: 9, lost: 3}, *fs[1])
	late := newViewer(100)
	late.reset(10) // its snapshot came after the loss
	late.push(fs)
	v.push(fs)
	_, dropped, _, _ = v.take()
	assert.Equal(t, 2+3+1, dropped)
	_, dropped, _, _ = late.take()
	assert.Zero(t, dropped)
}

// Events a server's hub dropped before the merger read them (they never get
// a seq) reach every viewer as a gap, not as a silent hole.
func TestMergerLossIsAGap(t *testing.T) {
	s := newStream(time.Now())
	defer s.close("done")
	v := newViewer(100)
	s.mu.Lock()
	v.reset(s.seq)
	s.vmu.Lock()
	s.viewers[v] = struct{}{}
	s.vmu.Unlock()
	s.mu.Unlock()
	c := make(chan []byte, 10)
	s.addSource(1, 0, c, nil, nil)
	ev, err := json.Marshal(core.Event{Kind: core.EvRole, Node: 1, Text: "before"})
	require.NoError(t, err)
	c <- ev
	c <- []byte(`{"kind":"gap","dropped":7}`)
	c <- ev
	close(c)
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, dropped, _, _ := v.take()
		if dropped > 0 {
			assert.GreaterOrEqual(t, dropped, 7)
			break
		}
		require.True(t, time.Now().Before(deadline), "no gap")
		time.Sleep(10 * time.Millisecond)
	}
	s.mu.Lock()
	assert.Equal(t, 7, s.gaps)
	s.mu.Unlock()
}
