package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNodeFlagErrors(t *testing.T) {
	peers := "1=127.0.0.1:2881,2=127.0.0.1:2882,3=127.0.0.1:2883"
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--id", "1"}, "--peers: required"},
		{[]string{"--id", "1", "--peers", "1=127.0.0.1:2881,1=127.0.0.1:2882"}, "listed twice"},
		{[]string{"--id", "1", "--peers", "1=127.0.0.1"}, "bad address"},
		{[]string{"--id", "1", "--peers", "1=:2881"}, "needs a host"},
		{[]string{"--id", "1", "--peers", "1=h:99999"}, "bad port"},
		{[]string{"--id", "1", "--peers", "x=h:1"}, `server id "x"`},
		{[]string{"--id", "1", "--peers", "14=h:1"}, "want 1..13"},
		{[]string{"--id", "1", "--peers", "1=h:1,2=h:1"}, "same address"},
		{[]string{"--id", "4", "--peers", peers, "--data", "d"}, "--id 4 is not in --peers (ids: 1,2,3)"},
		{[]string{"--peers", peers, "--data", "d"}, "--id 0"},
		{[]string{"--id", "1", "--peers", peers, "--data", "d", "--observers", "5"}, "5 is not in --peers"},
		{[]string{"--id", "1", "--peers", peers, "--data", "d", "--observers", "2,2"}, "listed twice"},
		{[]string{"--id", "1", "--peers", "1=h:1", "--data", "d", "--observers", "1"}, "at least one must vote"},
		{[]string{"--id", "1", "--peers", peers}, "--data DIR is required"},
		{[]string{"--id", "1", "--peers", peers, "--data", "d", "--admin", "nope"}, "--admin"},
		{[]string{"--id", "1", "--peers", peers, "--data", "d", "--tick", "0s"}, "--tick"},
		{[]string{"--id", "1", "--peers", peers, "--data", "d", "extra"}, "unexpected argument"},
		{[]string{"--id", "1", "--peers", peers, "--data", "d", "--admin-hosts", "laptop3.local:8081"}, "without port"},
		{[]string{"--id", "1", "--peers", peers, "--data", "d", "--max-handshakes", "0"}, "--max-handshakes 0"},
		{[]string{"--id", "1", "--peers", peers, "--data", "d", "--tls-ca", "ca.crt"}, "go together"},
		{[]string{"--id", "1", "--peers", peers, "--data", "d", "--handshake-timeout", "0s"}, "--handshake-timeout 0s"},
	} {
		_, err := parseNodeFlags(c.args, io.Discard)
		if assert.Error(t, err, "%v", c.args) {
			assert.Contains(t, err.Error(), c.want, "%v", c.args)
		}
	}
	f, err := parseNodeFlags([]string{"--id", "2", "--peers", peers, "--data", "d", "--admin", ":9000", "--observers", "3"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:9000", f.admin, "a host-less admin address binds to loopback")
	assert.Len(t, f.observers, 1)

	// A tick the core refuses is reported before anything starts.
	err = run(context.Background(), []string{"node", "--id", "1", "--peers", peers, "--data", t.TempDir(), "--tick", "30ms", "--clock", "20ms"}, os.Getenv, io.Discard, io.Discard)
	assert.ErrorContains(t, err, "multiple of 2*clock")

	// A secret file that is missing or too short stops the node before it starts.
	err = run(context.Background(), []string{"node", "--id", "1", "--peers", peers, "--data", t.TempDir(), "--secret-file", "/nonexistent/zab.secret"}, os.Getenv, io.Discard, io.Discard)
	assert.ErrorContains(t, err, "--secret-file")
	short := filepath.Join(t.TempDir(), "short")
	require.NoError(t, os.WriteFile(short, []byte("hunter2\n"), 0o600))
	err = run(context.Background(), []string{"node", "--id", "1", "--peers", peers, "--data", t.TempDir(), "--secret-file", short}, os.Getenv, io.Discard, io.Discard)
	assert.ErrorContains(t, err, "7 bytes, want at least 16")
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestNodeWithoutSecretWarns: without --secret-file the node says, before it
// listens, that its quorum port is open.
func TestNodeWithoutSecretWarns(t *testing.T) {
	addr := freePorts(t, 1)[0]
	ctx, cancel := context.WithCancel(context.Background())
	lines := make(chan string, 1)
	var stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"node", "--id", "1", "--peers", "1=" + addr, "--data", t.TempDir()}, os.Getenv, &lineWriter{line: lines}, &stderr)
	}()
	select {
	case <-lines:
	case err := <-done:
		t.Fatalf("node: %v", err)
	}
	assert.Contains(t, stderr.String(), "QUORUM PORT OPEN TO ANYONE")
	assert.Contains(t, stderr.String(), addr)
	cancel()
	require.NoError(t, <-done)
}

// freePorts returns n loopback addresses that were free a moment ago.
//
// They are drawn below Linux's ephemeral range (32768 and up), so nothing
// that binds port 0 meanwhile (another node's admin port, a client) can take
// one before its node binds it, and every listener stays open until all n are
// chosen, so no port is handed out twice (CI once saw "servers 1 and 2 have
// the same address" when each was closed at once).
func freePorts(t *testing.T, n int) []string {
	var out []string
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for tries := 0; len(out) < n; tries++ {
		require.Less(t, tries, 1000, "no free loopback port below 32768")
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", 20000+mrand.IntN(12000)))
		if err != nil {
			continue
		}
		lns = append(lns, ln)
		out = append(out, ln.Addr().String())
	}
	return out
}

// lineWriter hands the first line written to it to a channel.
type lineWriter struct {
	buf  bytes.Buffer
	line chan<- string
	sent bool
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf.Write(p)
	if i := bytes.IndexByte(w.buf.Bytes(), '\n'); i >= 0 && !w.sent {
		w.line <- w.buf.String()[:i]
		w.sent = true
	}
	return len(p), nil
}

// TestNodeEnsemble runs three `zabplay node` commands (with on-disk storage)
// and writes through the admin API of each.
func TestNodeEnsemble(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "zab.secret")
	require.NoError(t, os.WriteFile(secret, []byte("a classroom secret, shared by all\n"), 0o600))
	t.Run("secret", func(t *testing.T) { nodeEnsemble(t, "--secret-file", secret) })
	t.Run("secret and mutual TLS", func(t *testing.T) {
		ca, cert, key := testPKI(t, "127.0.0.1")
		nodeEnsemble(t, "--secret-file", secret, "--tls-ca", ca, "--tls-cert", cert, "--tls-key", key)
	})
}

// testPKI writes a CA and one certificate for ips (both ends of a
// connection), and returns the three PEM files.
func testPKI(t *testing.T, ips ...string) (caFile, certFile, keyFile string) {
	dir := t.TempDir()
	write := func(name, typ string, b []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600))
		return p
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "classroom CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "zab server"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	for _, ip := range ips {
		tmpl.IPAddresses = append(tmpl.IPAddresses, net.ParseIP(ip))
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caTmpl, &key.PublicKey, caKey)
	require.NoError(t, err)
	kb, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	return write("ca.crt", "CERTIFICATE", caDER), write("s.crt", "CERTIFICATE", der), write("s.key", "EC PRIVATE KEY", kb)
}

// nodeEnsemble runs three `zabplay node` commands with the extra flags and
// writes through each one's admin API.
func nodeEnsemble(t *testing.T, extra ...string) {
	addrs := freePorts(t, 3)
	var peers []string
	for i, a := range addrs {
		peers = append(peers, fmt.Sprintf("%d=%s", i+1, a))
	}
	ctx, cancel := context.WithCancel(context.Background())
	var admins []string
	var dones []chan error
	var stderrs []*syncBuffer
	for i := range addrs {
		lines := make(chan string, 1)
		w := &lineWriter{line: lines}
		done := make(chan error, 1)
		stderr := &syncBuffer{}
		stderrs = append(stderrs, stderr)
		args := append([]string{"node", "--id", fmt.Sprint(i + 1), "--peers", strings.Join(peers, ","), "--data", t.TempDir(), "--tick", "100ms"}, extra...)
		go func() { done <- run(ctx, args, os.Getenv, w, stderr) }()
		select {
		case line := <-lines:
			admin := regexp.MustCompile(`admin (http://\S+)`).FindStringSubmatch(line)
			require.NotNil(t, admin, "node printed %q", line)
			admins = append(admins, admin[1])
		case err := <-done:
			t.Fatalf("node %d: %v", i+1, err)
		}
		dones = append(dones, done)
	}
	post := func(admin, body string) map[string]any {
		resp, err := http.Post(admin+"/request", "application/json", strings.NewReader(body))
		require.NoError(t, err)
		defer resp.Body.Close()
		var out map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		return out
	}
	// Write through each server once the ensemble serves.
	for i, admin := range admins {
		deadline := time.Now().Add(10 * time.Second)
		for {
			rep := post(admin, fmt.Sprintf(`{"op":"create","path":"/n%d","data":"x"}`, i))
			if rep["err"] == "OK" {
				break
			}
			require.True(t, time.Now().Before(deadline), "create through s%d: %v", i+1, rep)
			time.Sleep(20 * time.Millisecond)
		}
	}
	for _, admin := range admins {
		deadline := time.Now().Add(5 * time.Second)
		for {
			rep := post(admin, `{"op":"sync"}`)
			if rep["err"] == "OK" {
				if got := post(admin, `{"op":"get","path":"/n2"}`); got["data"] == "x" {
					break
				}
			}
			require.True(t, time.Now().Before(deadline), "reading through %s", admin)
			time.Sleep(20 * time.Millisecond)
		}
	}
	cancel()
	for _, d := range dones {
		select {
		case err := <-d:
			assert.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Fatal("a node did not stop")
		}
	}
	for i, stderr := range stderrs {
		assert.NotContains(t, stderr.String(), "QUORUM PORT OPEN", "s%d has a secret", i+1)
		assert.NotContains(t, stderr.String(), "refusing connection", "s%d", i+1)
	}
}
