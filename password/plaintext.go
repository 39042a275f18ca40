package password

import (
	"crypto/subtle"
	"strings"
)

// Plaintext stores passwords as they are, like passlib's plaintext scheme.
// It exists for tests that need instant hashing; it refuses to work unless
// Enabled is set, so it cannot be switched on by accident.
type Plaintext struct {
	// Enabled must be set for the scheme to hash or compare anything.
	Enabled bool
}

// Name returns "plaintext".
func (Plaintext) Name() string { return "plaintext" }

// Identify reports whether hash could be a plaintext "hash": anything that
// does not start with '$', as passlib's plaintext scheme does. Only when
// enabled.
func (p Plaintext) Identify(hash string) bool { return p.Enabled && !strings.HasPrefix(hash, "$") }

// Hash returns password itself (normalised), or ErrPlaintextDisabled.
func (p Plaintext) Hash(password string) (string, error) { return hashString(p, password) }

// Compare compares in constant time, or returns ErrPlaintextDisabled.
func (p Plaintext) Compare(hash, password string) error {
	if !p.Enabled {
		return ErrPlaintextDisabled
	}
	return compareString(p, hash, password)
}

// HashBytes returns password itself, or ErrPlaintextDisabled.
func (p Plaintext) HashBytes(password []byte) (string, error) {
	if !p.Enabled {
		return "", ErrPlaintextDisabled
	}
	if len(password) > 0 && password[0] == '$' {
		return "", ErrMalformed // would be mistaken for another scheme
	}
	return string(password), nil
}

// CompareBytes compares in constant time, or returns ErrPlaintextDisabled.
func (p Plaintext) CompareBytes(hash string, password []byte) error {
	if !p.Enabled {
		return ErrPlaintextDisabled
	}
	if subtle.ConstantTimeCompare([]byte(hash), password) != 1 {
		return ErrMismatch
	}
	return nil
}

// NeedsRehash is always true: plaintext should never be kept.
func (Plaintext) NeedsRehash(string) bool { return true }
