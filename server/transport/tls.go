package transport

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
)

// Mutual TLS (optional, Config.TLS): every quorum connection is TLS 1.3
// with certificates both ways, both signed by the ensemble's CA (one CA for
// a classroom). The dialer checks that the acceptor's certificate names the
// host of the acceptor's address in Peers, as any TLS client does; the
// acceptor checks that the dialer's certificate names the host of the
// address that Peers gives the server id its Hello claims, so a laptop's
// certificate can only speak for the server at that laptop's address. The
// Hello/Auth handshake then runs inside TLS, with or without a secret.

// tlsConfigs derives the acceptor's and the dialer's configs from Config.TLS.
func tlsConfigs(c *tls.Config) (server, client *tls.Config, err error) {
	if c == nil {
		return nil, nil, nil
	}
	if len(c.Certificates) == 0 || c.RootCAs == nil {
		return nil, nil, errors.New("transport: TLS needs this server's certificate (Certificates) and the ensemble's CA (RootCAs)")
	}
	server = c.Clone()
	server.MinVersion = tls.VersionTLS13
	server.ClientAuth = tls.RequireAndVerifyClientCert
	server.ClientCAs = c.RootCAs
	client = c.Clone()
	client.MinVersion = tls.VersionTLS13
	return server, client, nil
}

// tlsAccept runs the acceptor's TLS handshake on nc (its deadline set).
func (t *Transport) tlsAccept(nc net.Conn) (*tls.Conn, error) {
	tc := tls.Server(nc, t.tlsServer)
	if err := tc.Handshake(); err != nil {
		return nil, fmt.Errorf("TLS: %w", err)
	}
	return tc, nil
}

// tlsDial runs the dialer's TLS handshake on nc, to the server at addr.
func (t *Transport) tlsDial(nc net.Conn, addr string) (*tls.Conn, error) {
	cfg := t.tlsClient.Clone()
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	cfg.ServerName = host
	tc := tls.Client(nc, cfg)
	if err := tc.Handshake(); err != nil {
		return nil, fmt.Errorf("TLS with %s: %w", addr, err)
	}
	return tc, nil
}

// certSpeaksFor checks that the dialer's certificate on tc names the host
// of addr (the address Peers gives the id it claims).
func certSpeaksFor(tc *tls.Conn, addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	certs := tc.ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return errors.New("no client certificate")
	}
	if err := certs[0].VerifyHostname(host); err != nil {
		return fmt.Errorf("its certificate (%s) is not for %s", certs[0].Subject, host)
	}
	return nil
}

// LoadTLS reads this server's certificate and key and the ensemble's CA (PEM
// files) into a Config.TLS.
func LoadTLS(certFile, keyFile, caFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("TLS certificate: %w", err)
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("TLS CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("TLS CA %s: no PEM certificate in it", caFile)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool}, nil
}
