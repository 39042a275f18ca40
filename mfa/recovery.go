package mfa

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"
)

// NewRecoveryCodes makes n recovery codes, each 48 random bits written as
// twelve lowercase hex digits in three groups ("a1b2-c3d4-e5f6", the form
// Flask-Security uses). Show them once; store only HashRecoveryCode's.
func NewRecoveryCodes(n int) []string {
	codes := make([]string, n)
	for i := range codes {
		b := make([]byte, 6)
		rand.Read(b)
		h := hex.EncodeToString(b)
		codes[i] = h[0:4] + "-" + h[4:8] + "-" + h[8:12]
	}
	return codes
}

// HashRecoveryCode is what is stored of a recovery code. The codes carry
// 48 random bits, too many to guess through the throttle, so a fast hash
// suffices; spelling (case, dashes, spaces) does not matter.
func HashRecoveryCode(code string) []byte {
	c := strings.Map(func(r rune) rune {
		switch {
		case r >= '0' && r <= '9', r >= 'a' && r <= 'f':
			return r
		case r >= 'A' && r <= 'F':
			return r + 'a' - 'A'
		}
		return -1
	}, code)
	sum := sha256.Sum256([]byte("gatehouse recovery code\x00" + c))
	return sum[:]
}

// MatchRecoveryCode reports whether code is the one hash was made from.
func MatchRecoveryCode(hash []byte, code string) bool {
	return subtle.ConstantTimeCompare(hash, HashRecoveryCode(code)) == 1
}
