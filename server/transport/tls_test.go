package transport

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zabplay/zabplay/core"
)

// testCA is a classroom CA made for a test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
	der  []byte
}

func newTestCA(t *testing.T, name string) *testCA {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool, der: der}
}

// issue makes a certificate for the given IP addresses, good for both ends
// of a connection.
func (ca *testCA) issue(t *testing.T, ips ...string) (tls.Certificate, []byte, *ecdsa.PrivateKey) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "zab server " + ips[0]},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	for _, ip := range ips {
		tmpl.IPAddresses = append(tmpl.IPAddresses, net.ParseIP(ip))
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	require.NoError(t, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, der, key
}

// config is a Config.TLS with a certificate of ca for ips, trusting trust.
func (ca *testCA) config(t *testing.T, trust *testCA, ips ...string) *tls.Config {
	cert, _, _ := ca.issue(t, ips...)
	return &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: trust.pool}
}

func TestMutualTLS(t *testing.T) {
	ca := newTestCA(t, "classroom CA")
	for name, secret := range map[string][]byte{"with the secret": testSecret, "TLS alone": nil} {
		t.Run(name, func(t *testing.T) {
			m := newMeshWith(t, 3, func(id core.NodeID, cfg *Config) {
				cfg.TLS = ca.config(t, ca, "127.0.0.1")
				cfg.Secret = secret
			})
			m.waitConnected(1, 3)
			m.waitConnected(2, 3)
			firstRecv(t, m.tr[3], m.tr[1], ping(3, 1, 1))
			firstRecv(t, m.tr[1], m.tr[3], ping(1, 3, 1))
			firstRecv(t, m.tr[3], m.tr[2], ping(3, 2, 1))
		})
	}
}

func TestMutualTLSRefusesStrangers(t *testing.T) {
	ca, other := newTestCA(t, "classroom CA"), newTestCA(t, "another CA")
	m := newMeshWith(t, 2, func(id core.NodeID, cfg *Config) { cfg.TLS = ca.config(t, ca, "127.0.0.1") })
	m.waitConnected(1, 2)
	gen := m.gen(1, 2)
	dialTLS := func(cfg *tls.Config) (net.Conn, error) {
		cfg.ServerName = "127.0.0.1"
		cfg.MinVersion = tls.VersionTLS13
		return tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", m.addrs[1], cfg)
	}
	refused := func() uint64 { _, _, n := m.tr[1].gateCounts(); return n }

	// Plain TCP.
	_, _, err := rawDial(m.addrs[1], 2, 1, testSecret)
	assert.Error(t, err, "a plain TCP Hello to a TLS port")
	// A certificate of another CA, and none at all.
	for name, cfg := range map[string]*tls.Config{
		"another CA's certificate": other.config(t, ca, "127.0.0.1"),
		"no certificate":           {RootCAs: ca.pool},
	} {
		nc, err := dialTLS(cfg)
		if err == nil { // TLS 1.3: the server's verdict on the client comes with the first read
			_, _, err = rawDialOn(nc, 2, 1, testSecret)
		}
		assert.Error(t, err, name)
	}
	// The classroom CA's certificate, but for another address than s2's.
	nc, err := dialTLS(ca.config(t, ca, "127.0.0.2"))
	require.NoError(t, err)
	_, _, err = rawDialOn(nc, 2, 1, testSecret)
	assert.ErrorContains(t, err, "the dialer cannot be server s2 at "+m.addrs[2])
	assert.ErrorContains(t, err, "is not for 127.0.0.1")

	require.Eventually(t, func() bool { return refused() >= 4 }, 5*time.Second, 5*time.Millisecond)
	assert.Equal(t, gen, m.gen(1, 2), "the real connection was not replaced")
	firstRecv(t, m.tr[2], m.tr[1], ping(2, 1, 1))

	// A server whose certificate is of another CA is refused by its dialer.
	m2 := newMeshWith(t, 2, func(id core.NodeID, cfg *Config) {
		cfg.TLS = ca.config(t, ca, "127.0.0.1")
		if id == 1 {
			cfg.TLS = other.config(t, ca, "127.0.0.1")
		}
	})
	require.Eventually(t, func() bool { _, _, n := m2.tr[1].gateCounts(); return n >= 2 }, 10*time.Second, 5*time.Millisecond)
	assert.Zero(t, m2.gen(1, 2))
	assert.Zero(t, m2.gen(2, 1))
}

func TestLoadTLS(t *testing.T) {
	ca := newTestCA(t, "classroom CA")
	dir := t.TempDir()
	_, der, key := ca.issue(t, "127.0.0.1")
	kb, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	write := func(name, typ string, b []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600))
		return p
	}
	cert, keyFile, caFile := write("s1.crt", "CERTIFICATE", der), write("s1.key", "EC PRIVATE KEY", kb), write("ca.crt", "CERTIFICATE", ca.der)
	cfg, err := LoadTLS(cert, keyFile, caFile)
	require.NoError(t, err)
	assert.Len(t, cfg.Certificates, 1)
	_, err = LoadTLS(cert, keyFile, keyFile)
	assert.ErrorContains(t, err, "no PEM certificate")
	_, err = LoadTLS(cert, caFile, caFile)
	assert.ErrorContains(t, err, "TLS certificate")
	_, err = New(Config{ID: 1, Peers: map[core.NodeID]string{1: "127.0.0.1:0"}, TLS: &tls.Config{}})
	assert.ErrorContains(t, err, "TLS needs this server's certificate")
}
