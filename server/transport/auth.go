package transport

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/zabplay/zabplay/core"
)

// The handshake (Version 2). D dials A; each side picks a fresh nonce:
//
//	D → A  Hello{flags, from D, to A, nonce Nd}
//	A → D  Hello{flags, from A, to D, nonce Na}
//	D → A  Auth{HMAC(secret, "dialer", D, A, Nd, Na)}
//	A → D  Auth{HMAC(secret, "acceptor", D, A, Nd, Na)}
//
// Each MAC binds both ids and both nonces, so a recorded handshake replayed
// on a new connection fails (the other side's nonce is new), a MAC cannot be
// reflected back (the role is in it) and neither side learns anything that
// helps it pass without the secret. The dialer proves itself first; the
// acceptor installs the connection only after checking it, and the dialer
// only after checking the acceptor's answer: both sides prove knowledge.
// Without a secret (both sides' flags 0) the same exchange runs with an
// empty key: it then authenticates nothing, and `zabplay node` says so.

// helloFlagSecret is set in a Hello's flags when the sender has a secret.
const helloFlagSecret = 1

// hello is a Hello frame's body.
type hello struct {
	secret   bool
	from, to core.NodeID
	nonce    [NonceLen]byte
}

func (h hello) body() []byte {
	var flags byte
	if h.secret {
		flags |= helloFlagSecret
	}
	b := append(make([]byte, 0, maxHello), flags)
	b = binary.AppendUvarint(b, uint64(h.from))
	b = binary.AppendUvarint(b, uint64(h.to))
	return append(b, h.nonce[:]...)
}

func newHello(secret bool, from, to core.NodeID) hello {
	h := hello{secret: secret, from: from, to: to}
	rand.Read(h.nonce[:]) // never fails (crypto/rand)
	return h
}

// parseHello reads a Hello body.
func parseHello(b []byte) (hello, error) {
	bad := func(what string) (hello, error) {
		return hello{}, fmt.Errorf("%w: hello: %s", ErrFrame, what)
	}
	if len(b) < 1 || b[0]&^helloFlagSecret != 0 {
		return bad("unknown flags")
	}
	h := hello{secret: b[0]&helloFlagSecret != 0}
	b = b[1:]
	for _, id := range []*core.NodeID{&h.from, &h.to} {
		v, n := binary.Uvarint(b)
		if n <= 0 || v == 0 || v > core.MaxNodes {
			return bad(fmt.Sprintf("server id out of range 1..%d", core.MaxNodes))
		}
		*id = core.NodeID(v)
		b = b[n:]
	}
	if len(b) != NonceLen {
		return bad(fmt.Sprintf("nonce of %d bytes, want %d", len(b), NonceLen))
	}
	copy(h.nonce[:], b)
	return h, nil
}

// MAC roles.
const (
	roleDialer   = "dialer"
	roleAcceptor = "acceptor"
)

// authMAC is the Auth body a side in role sends in the handshake of dialer d
// and acceptor a.
func authMAC(secret []byte, role string, d, a hello) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("zabplay quorum handshake v2\x00" + role + "\x00"))
	var ids [2]byte // both ids ≤ MaxNodes: one byte each
	ids[0], ids[1] = byte(d.from), byte(a.from)
	m.Write(ids[:])
	m.Write(d.nonce[:])
	m.Write(a.nonce[:])
	return m.Sum(nil)
}

// checkAuth reports whether an Auth body is the MAC role's side must send.
func checkAuth(body, secret []byte, role string, d, a hello) bool {
	return hmac.Equal(body, authMAC(secret, role, d, a))
}

// Secrets.
const (
	// MinSecret is the shortest secret accepted (bytes).
	MinSecret = 16
	// maxSecretFile bounds what LoadSecret reads.
	maxSecretFile = 4096
)

// NewSecret returns a random 32-byte secret (serve's ensembles get one each).
func NewSecret() []byte {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return b
}

// LoadSecret reads a shared secret from a file: its bytes, without a final
// line break, at least MinSecret of them. It also reports whether the file
// can be read by its group or others (the caller warns: chmod 600).
func LoadSecret(path string) (secret []byte, exposed bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, fmt.Errorf("secret file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, false, fmt.Errorf("secret file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, false, fmt.Errorf("secret file %s: not a regular file", path)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return nil, false, fmt.Errorf("secret file %s: %w", path, err)
	}
	if len(b) > maxSecretFile {
		return nil, false, fmt.Errorf("secret file %s: over %d bytes", path, maxSecretFile)
	}
	b = bytes.TrimSuffix(b, []byte("\n"))
	b = bytes.TrimSuffix(b, []byte("\r"))
	if len(b) < MinSecret {
		return nil, false, fmt.Errorf("secret file %s: %d bytes, want at least %d (e.g. head -c 32 /dev/urandom | base64 > %s)", path, len(b), MinSecret, path)
	}
	return b, fi.Mode().Perm()&0o077 != 0, nil
}

// WriteSecretFile writes secret to a new file readable by its owner only
// (mode 0600); it fails if the file exists.
func WriteSecretFile(path string, secret []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("secret file: %w", err)
	}
	_, err = f.Write(secret)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("secret file: %w", err)
	}
	return nil
}

// errAuth is a handshake whose Auth did not check out.
var errAuth = errors.New("authentication failed: wrong secret or a replayed handshake")
