package token

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Errors returned by [Signer.Verify] and [ParseOneTime].
var (
	// ErrMalformed: the token is not of the expected shape or too long.
	ErrMalformed = errors.New("token: malformed")
	// ErrBadSignature: the token was not signed by any current key for this
	// purpose (forged, tampered or meant for another purpose).
	ErrBadSignature = errors.New("token: bad signature")
	// ErrExpired: the signature is good but the token is older than the
	// allowed age, or claims to come from the future.
	ErrExpired = errors.New("token: expired")
)

// MaxLength bounds every token this package decodes, checked before any work.
const MaxLength = 4096

// MinKeyLength is the shortest secret key [NewSigner] accepts.
const MinKeyLength = 32

// clockSkew is how far in the future a token's timestamp may be, to allow for
// servers whose clocks differ slightly.
const clockSkew = time.Minute

// b64 decodes strictly: the last character's spare bits must be zero, so
// every token has exactly one spelling.
var b64 = base64.RawURLEncoding.Strict()

// Signer signs and verifies tokens for one purpose. Create it with
// [NewSigner]; it is safe for concurrent use.
//
// A token is base64url(payload) "." base64url(timestamp) "." base64url(mac),
// where mac is HMAC-SHA256 over the first two parts under a key derived from
// the secret key and the purpose, so the purpose acts as itsdangerous' salt.
// The payload is signed, not encrypted: do not put secrets in it.
type Signer struct {
	purpose string
	keys    [][]byte // derived per purpose; keys[0] signs
}

// NewSigner returns a Signer for purpose. keys[0] signs; every key verifies,
// so a new key can be put first while tokens signed by the old one still
// load. Each key must be at least [MinKeyLength] bytes of secret randomness.
func NewSigner(purpose string, keys ...[]byte) (*Signer, error) {
	if purpose == "" {
		return nil, errors.New("token: empty purpose")
	}
	if len(keys) == 0 {
		return nil, errors.New("token: no keys")
	}
	s := &Signer{purpose: purpose, keys: make([][]byte, len(keys))}
	for i, k := range keys {
		if len(k) < MinKeyLength {
			return nil, fmt.Errorf("token: key %d is %d bytes, want at least %d", i, len(k), MinKeyLength)
		}
		mac := hmac.New(sha256.New, k)
		mac.Write([]byte("gatehouse/token/v1\x00"))
		mac.Write([]byte(purpose))
		s.keys[i] = mac.Sum(nil)
	}
	return s, nil
}

// Purpose returns the purpose the signer was made for.
func (s *Signer) Purpose() string { return s.purpose }

// Sign returns a token carrying payload and the time now.
func (s *Signer) Sign(payload []byte, now time.Time) string {
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], uint64(now.Unix()))
	n := b64.EncodedLen(len(payload))
	buf := make([]byte, 0, n+1+11+1+43)
	buf = b64.AppendEncode(buf, payload)
	buf = append(buf, '.')
	buf = b64.AppendEncode(buf, ts[:])
	sum := s.mac(s.keys[0], buf)
	buf = append(buf, '.')
	buf = b64.AppendEncode(buf, sum)
	return string(buf)
}

// Verify checks tok and returns its payload and the time it was signed. A
// maxAge of zero or less means the token does not expire.
func (s *Signer) Verify(tok string, maxAge time.Duration, now time.Time) (payload []byte, issued time.Time, err error) {
	if len(tok) > MaxLength {
		return nil, time.Time{}, ErrMalformed
	}
	dot2 := strings.LastIndexByte(tok, '.')
	if dot2 < 0 {
		return nil, time.Time{}, ErrMalformed
	}
	signed, sigPart := tok[:dot2], tok[dot2+1:]
	dot1 := strings.LastIndexByte(signed, '.')
	if dot1 < 0 {
		return nil, time.Time{}, ErrMalformed
	}
	var sig [sha256.Size]byte
	if b64.DecodedLen(len(sigPart)) != len(sig) {
		return nil, time.Time{}, ErrMalformed
	}
	if n, err := b64.Decode(sig[:], []byte(sigPart)); err != nil || n != len(sig) {
		return nil, time.Time{}, ErrMalformed
	}
	ok := false
	for _, k := range s.keys {
		if hmac.Equal(s.mac(k, []byte(signed)), sig[:]) {
			ok = true
			break
		}
	}
	if !ok {
		return nil, time.Time{}, ErrBadSignature
	}
	var ts [8]byte
	tsPart := signed[dot1+1:]
	if b64.DecodedLen(len(tsPart)) != len(ts) {
		return nil, time.Time{}, ErrMalformed
	}
	if n, err := b64.Decode(ts[:], []byte(tsPart)); err != nil || n != len(ts) {
		return nil, time.Time{}, ErrMalformed
	}
	secs := int64(binary.BigEndian.Uint64(ts[:]))
	issued = time.Unix(secs, 0)
	if issued.After(now.Add(clockSkew)) {
		return nil, time.Time{}, ErrExpired
	}
	if maxAge > 0 && now.Sub(issued) > maxAge {
		return nil, time.Time{}, ErrExpired
	}
	payload, err = b64.DecodeString(signed[:dot1])
	if err != nil {
		return nil, time.Time{}, ErrMalformed
	}
	return payload, issued, nil
}

func (s *Signer) mac(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}
