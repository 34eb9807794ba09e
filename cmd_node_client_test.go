package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type nopZk struct{}

func (nopZk) Printf(string, ...any) {}

// TestNodeClientPort runs three `zabplay node` commands with --client on
// port 0: each prints its client address, answers srvr there, and a
// go-zookeeper session writes through them.
func TestNodeClientPort(t *testing.T) {
	addrs := freePorts(t, 3)
	var peers []string
	for i, a := range addrs {
		peers = append(peers, fmt.Sprintf("%d=%s", i+1, a))
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var clients []string
	var dones []chan error
	for i := range addrs {
		lines := make(chan string, 1)
		done := make(chan error, 1)
		args := []string{"node", "--id", fmt.Sprint(i + 1), "--peers", strings.Join(peers, ","), "--data", t.TempDir(),
			"--tick", "100ms", "--client", ":0"}
		go func() { done <- run(ctx, args, os.Getenv, &lineWriter{line: lines}, io.Discard) }()
		select {
		case line := <-lines:
			m := regexp.MustCompile(`client (127\.0\.0\.1:\d+) \(zkCli\.sh -server 127\.0\.0\.1:\d+\), admin http://`).FindStringSubmatch(line)
			require.NotNil(t, m, "node printed %q", line)
			clients = append(clients, m[1])
		case err := <-done:
			t.Fatalf("node %d: %v", i+1, err)
		}
		dones = append(dones, done)
	}
	conn, _, err := zk.Connect(clients, 4*time.Second, zk.WithLogger(nopZk{}))
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		_, err = conn.Create("/via-client-port", []byte("x"), 0, zk.WorldACL(zk.PermAll))
		return err == nil
	}, 20*time.Second, 20*time.Millisecond, "last error: %v", err)
	conn.Close()
	modes := map[string]int{}
	for _, c := range clients {
		nc, err := net.Dial("tcp", c)
		require.NoError(t, err)
		nc.Write([]byte("srvr"))
		nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		b, _ := io.ReadAll(nc)
		nc.Close()
		m := regexp.MustCompile(`(?m)^Mode: (\w+)$`).FindSubmatch(b)
		require.NotNil(t, m, "srvr answered %q", b)
		modes[string(m[1])]++
	}
	assert.Equal(t, map[string]int{"leader": 1, "follower": 2}, modes)
	cancel()
	for _, d := range dones {
		select {
		case err := <-d:
			assert.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Fatal("a node did not stop")
		}
	}
}
