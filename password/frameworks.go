package password

import (
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"hash"
)

// Helpers shared by the schemes of other frameworks (werkzeug.go,
// django.go, devise.go).

// maxFrameworkHash bounds the length of a hash string these schemes parse.
const maxFrameworkHash = 1024

// alnum is the alphabet of Werkzeug's gen_salt and Django's
// get_random_string.
const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// alnumSalt returns n random characters of alnum, without modulo bias.
func alnumSalt(n int) string {
	out := make([]byte, 0, n)
	var buf [64]byte
	for len(out) < n {
		rand.Read(buf[:])
		for _, b := range buf {
			if b < 248 && len(out) < n { // 248 = 4 × 62
				out = append(out, alnum[b%62])
			}
		}
	}
	return string(out)
}

// parseCount parses a positive decimal count of at most 10 digits, in its
// canonical form: digits only, no sign, no leading zero.
func parseCount(s string) (int, bool) {
	if s == "" || len(s) > 10 || s[0] == '0' {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// hmacDigest is a digest PBKDF2-HMAC may use in Werkzeug and Django hashes.
type hmacDigest struct {
	name string
	newH func() hash.Hash
	size int
}

// hmacDigestNamed returns the digest hashlib calls name, among those the
// frameworks use.
func hmacDigestNamed(name string) (hmacDigest, bool) {
	switch name {
	case "sha256":
		return hmacDigest{"sha256", sha256.New, sha256.Size}, true
	case "sha512":
		return hmacDigest{"sha512", sha512.New, sha512.Size}, true
	case "sha1":
		return hmacDigest{"sha1", sha1.New, sha1.Size}, true
	}
	return hmacDigest{}, false
}

// isLowerHex reports whether s is n lower-case hex digits, as Python's
// bytes.hex() writes them.
func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
