package token

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"strings"
)

const (
	selectorBytes = 16 // 128 bits: the lookup key
	verifierBytes = 32 // 256 bits: the secret half
)

// OneTime is a freshly made one-time token. Send Token to the user (in a
// link); store Selector and VerifierHash. Token is never stored.
type OneTime struct {
	Token        string
	Selector     string
	VerifierHash []byte
}

// NewOneTime returns a random selector.verifier token: a 128-bit selector to
// look it up by and a 256-bit verifier whose SHA-256 is stored.
func NewOneTime() OneTime {
	var raw [selectorBytes + verifierBytes]byte
	rand.Read(raw[:]) // crypto/rand.Read never fails (Go 1.24+)
	sel := b64.EncodeToString(raw[:selectorBytes])
	ver := b64.EncodeToString(raw[selectorBytes:])
	sum := sha256.Sum256([]byte(ver))
	return OneTime{Token: sel + "." + ver, Selector: sel, VerifierHash: sum[:]}
}

// ParseOneTime splits a token made by [NewOneTime] into its selector and
// verifier. It checks the shape only; check the verifier against the stored
// hash with [CheckVerifier].
func ParseOneTime(tok string) (selector, verifier string, err error) {
	const selLen, verLen = 22, 43 // base64url lengths of 16 and 32 bytes
	if len(tok) != selLen+1+verLen || tok[selLen] != '.' {
		return "", "", ErrMalformed
	}
	selector, verifier = tok[:selLen], tok[selLen+1:]
	if !isB64URL(selector) || !isB64URL(verifier) {
		return "", "", ErrMalformed
	}
	// Reject non-canonical encodings (stray low bits in the last character),
	// so one token has exactly one spelling.
	if _, err := b64.DecodeString(selector); err != nil {
		return "", "", ErrMalformed
	}
	if _, err := b64.DecodeString(verifier); err != nil {
		return "", "", ErrMalformed
	}
	return selector, verifier, nil
}

// CheckVerifier reports, in constant time, whether verifier hashes to hash.
func CheckVerifier(verifier string, hash []byte) bool {
	sum := sha256.Sum256([]byte(verifier))
	return subtle.ConstantTimeCompare(sum[:], hash) == 1
}

func isB64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// MakeSecureToken returns the hex HMAC-SHA512 of parts joined by NUL bytes
// under key, exactly as Flask-Login's make_secure_token does, so values made
// by a Flask application can be checked here.
func MakeSecureToken(key []byte, parts ...string) string {
	m := hmac.New(sha512.New, key)
	m.Write([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(m.Sum(nil))
}

// MakeSecureTokenSHA1 is MakeSecureToken with HMAC-SHA1, as Flask-Login
// before 0.3 made its tokens (and as the Flask-Login documentation of that
// time shows), for checking values such an application stored.
func MakeSecureTokenSHA1(key []byte, parts ...string) string {
	m := hmac.New(sha1.New, key)
	m.Write([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(m.Sum(nil))
}
