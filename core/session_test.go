package core

import (
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Passwd is ZooKeeper's generatePasswd: the bytes java.util.Random gives
// for this id (computed with Java 17: new Random(id ^ 0xB3415C00L).nextBytes).
func TestPasswdMatchesZooKeeper(t *testing.T) {
	assert.Equal(t, "11131215ca951454d70e903523c481f1", hex.EncodeToString(Passwd(0x0100000123450000)))
	assert.True(t, checkPasswd(0x0100000123450000, Passwd(0x0100000123450000)))
	assert.False(t, checkPasswd(0x0100000123450001, Passwd(0x0100000123450000)))
	assert.False(t, checkPasswd(0, Passwd(0)))
	assert.False(t, checkPasswd(5, []byte("short")))
}

func TestNewSessionIDLayout(t *testing.T) {
	id := NewSessionID(3, 0x12345)
	assert.Equal(t, int64(0x0300000123450000), id)
	assert.Equal(t, NodeID(3), SessionOwner(id))
}

// The leader's tracker expires a session at roundToNextInterval(touch +
// timeout), and a touch moves it on; a closing session cannot be touched.
func TestSessionTrackerBuckets(t *testing.T) {
	st := newSessionTracker(100, 0)
	st.add(1, 400, 30) // expires at round(430) = 500
	st.add(2, 400, 0)  // round(400) = 500
	assert.Empty(t, st.expire(499))
	assert.True(t, st.touch(2, 400, 250)) // round(650) = 700
	assert.Equal(t, []int64{1}, st.expire(500))
	assert.False(t, st.touch(1, 400, 510), "closing")
	assert.False(t, st.open(1))
	assert.Empty(t, st.expire(699))
	assert.Equal(t, []int64{2}, st.expire(700))
	st.remove(1)
	assert.False(t, st.touch(1, 400, 800), "unknown")
}
