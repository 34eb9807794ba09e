package ensemble

import (
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestClientPorts: each server of a live ensemble has a client port on
// loopback, listed in the State; a go-zookeeper session writes through one,
// and after a crash and restart the server listens on the same port again.
func TestClientPorts(t *testing.T) {
	t.Run("in process", func(t *testing.T) { clientPorts(t, testOptions(t)) })
	t.Run("process mode", func(t *testing.T) {
		if runtime.GOOS != "linux" {
			t.Skip("process mode needs Linux")
		}
		o := testOptions(t)
		o.Mode, o.NodeBinary = Process, buildZabplay(t)
		clientPorts(t, o)
	})
}

func clientPorts(t *testing.T, o Options) {
	a := newAPI(t, o)
	id := a.create(`{"voters":3,"linkDelayMs":0}`)
	st := a.waitState(id, 20*time.Second, "synced", synced)
	require.Len(t, st.Clients, 3)
	var addrs []string
	for i, c := range st.Clients {
		assert.EqualValues(t, i+1, c.ID)
		assert.True(t, strings.HasPrefix(c.Addr, "127.0.0.1:"), c.Addr)
		assert.Equal(t, "zkCli.sh -server "+c.Addr, c.ZkCli)
		addrs = append(addrs, c.Addr)
	}
	conn, _, err := zk.Connect(addrs, 5*time.Second, zk.WithLogger(nopZkLogger{}))
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.Create("/from-zkclient", []byte("hi"), 0, zk.WorldACL(zk.PermAll))
	require.NoError(t, err)
	a.waitState(id, 10*time.Second, "the znode in every tree", func(st State) (bool, string) {
		for _, s := range st.Servers {
			found := false
			for _, z := range s.Tree {
				found = found || (z.Path == "/from-zkclient" && z.Data == "hi")
			}
			if !found {
				return false, s.ID.String() + " has not got it"
			}
		}
		return true, ""
	})

	a.mustAct(id, "crash s1")
	nc, err := net.Dial("tcp", addrs[0])
	if err == nil {
		nc.Close()
		t.Fatalf("s1's client port still answers after its crash")
	}
	a.mustAct(id, "restart s1")
	st = a.state(id)
	assert.Equal(t, addrs[0], st.Clients[0].Addr, "the same port after a restart")
	require.Eventually(t, func() bool {
		nc, err := net.Dial("tcp", addrs[0])
		if err != nil {
			return false
		}
		defer nc.Close()
		nc.Write([]byte("ruok"))
		b := make([]byte, 4)
		nc.SetReadDeadline(time.Now().Add(time.Second))
		_, err = nc.Read(b)
		return err == nil && string(b) == "imok"
	}, 10*time.Second, 20*time.Millisecond)
}

type nopZkLogger struct{}

func (nopZkLogger) Printf(string, ...any) {}
