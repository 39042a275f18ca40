package password

import (
	"crypto/pbkdf2"
	"crypto/subtle"
	"encoding/hex"
	"strconv"
	"strings"

	"golang.org/x/crypto/scrypt"
)

// Werkzeug's generate_password_hash writes "method$salt$hex": the salt is a
// string of 16 letters and digits, hashed as its UTF-8 bytes, and the
// password is hashed as its UTF-8 bytes exactly as typed, with no Unicode
// normalisation. Flask applications that do not use Flask-Security use it
// directly.

const (
	werkzeugMaxSalt = 256
	// Werkzeug's defaults: scrypt:32768:8:1 since 2.3; pbkdf2's iterations
	// are 1,000,000 since 3.1 (600,000 in 2.3 and 3.0, 260,000 in 2.0 to
	// 2.2, 150,000 in 0.15 and 1.0).
	werkzeugScryptN       = 32768
	werkzeugScryptR       = 8
	werkzeugScryptP       = 1
	werkzeugScryptKeyLen  = 64
	werkzeugPBKDF2Default = 1_000_000
)

// splitWerkzeug splits "method$salt$hex" as check_password_hash does.
func splitWerkzeug(hash string) (method, salt, sum string, err error) {
	if len(hash) > maxFrameworkHash {
		return "", "", "", ErrMalformed
	}
	method, rest, ok1 := strings.Cut(hash, "$")
	salt, sum, ok2 := strings.Cut(rest, "$")
	if !ok1 || !ok2 || salt == "" || len(salt) > werkzeugMaxSalt {
		return "", "", "", ErrMalformed
	}
	return method, salt, sum, nil
}

// WerkzeugScrypt reads (and can make) the scrypt hashes of Werkzeug's
// generate_password_hash, its default method since Werkzeug 2.3:
//
//	scrypt:32768:8:1$<salt>$<128 hex digits>
//
// The password is hashed exactly as typed (see [Upgrade.Normalize]).
//
// scrypt's time grows with N × r × p and its memory with N × r (128 bytes
// each), so a stored hash may ask for at most MaxWork. Werkzeug's default,
// the cap, takes 32 MiB and, measured on a 2-core test machine, about 3×
// the default Argon2id verify.
type WerkzeugScrypt struct {
	// N is the CPU/memory cost of new hashes, a power of two. Default:
	// Werkzeug's 32768.
	N int
	// R is the block size of new hashes. Default: Werkzeug's 8.
	R int
	// P is the parallelism of new hashes. Default: Werkzeug's 1.
	P int
	// MaxWork caps N × r × p of a stored hash. Default: 32768 × 8 × 1 =
	// 262,144 (Werkzeug's default), or N × R × P if that is more.
	MaxWork int
}

func (WerkzeugScrypt) verbatim() {}

func (w WerkzeugScrypt) params() (n, r, p int) {
	n, r, p = w.N, w.R, w.P
	if n <= 0 {
		n = werkzeugScryptN
	}
	if r <= 0 {
		r = werkzeugScryptR
	}
	if p <= 0 {
		p = werkzeugScryptP
	}
	return n, r, p
}

func (w WerkzeugScrypt) maxWork() int {
	if w.MaxWork > 0 {
		return w.MaxWork
	}
	n, r, p := w.params()
	return max(werkzeugScryptN*werkzeugScryptR*werkzeugScryptP, n*r*p)
}

// Name returns "werkzeug_scrypt".
func (WerkzeugScrypt) Name() string { return "werkzeug_scrypt" }

// Identify reports whether hash starts with "scrypt:" or "scrypt$".
func (WerkzeugScrypt) Identify(hash string) bool {
	return strings.HasPrefix(hash, "scrypt:") || strings.HasPrefix(hash, "scrypt$")
}

// Hash hashes password, exactly as typed, with fresh salt.
func (w WerkzeugScrypt) Hash(password string) (string, error) { return hashString(w, password) }

// Compare verifies password, exactly as typed, against hash.
func (w WerkzeugScrypt) Compare(hash, password string) error {
	return compareString(w, hash, password)
}

// HashBytes hashes password as given, with a 16-character salt like
// Werkzeug's.
func (w WerkzeugScrypt) HashBytes(password []byte) (string, error) {
	n, r, p := w.params()
	salt := alnumSalt(16)
	key, err := scrypt.Key(password, []byte(salt), n, r, p, werkzeugScryptKeyLen)
	if err != nil {
		return "", err
	}
	return "scrypt:" + strconv.Itoa(n) + ":" + strconv.Itoa(r) + ":" + strconv.Itoa(p) + "$" + salt + "$" + hex.EncodeToString(key), nil
}

// CompareBytes verifies password as given against hash. A hash over
// MaxWork is refused with ErrTooCostly before any hashing.
func (w WerkzeugScrypt) CompareBytes(hash string, password []byte) error {
	h, err := parseWerkzeugScrypt(hash)
	if err != nil {
		return err
	}
	if !workWithin(w.maxWork(), h.n, h.r, h.p) {
		return ErrTooCostly
	}
	key, err := scrypt.Key(password, []byte(h.salt), h.n, h.r, h.p, werkzeugScryptKeyLen)
	if err != nil {
		return ErrMalformed
	}
	if subtle.ConstantTimeCompare([]byte(hex.EncodeToString(key)), []byte(h.sum)) != 1 {
		return ErrMismatch
	}
	return nil
}

// NeedsRehash reports whether hash is not a WerkzeugScrypt hash or has
// lower parameters than w's.
func (w WerkzeugScrypt) NeedsRehash(hash string) bool {
	h, err := parseWerkzeugScrypt(hash)
	n, r, p := w.params()
	return err != nil || h.n < n || h.r < r || h.p < p
}

// workWithin reports whether n × r × p <= limit, without overflow.
func workWithin(limit, n, r, p int) bool {
	return n <= limit && r <= limit/n && p <= limit/(n*r)
}

type werkzeugScryptHash struct {
	n, r, p   int
	salt, sum string
}

func parseWerkzeugScrypt(hash string) (werkzeugScryptHash, error) {
	var h werkzeugScryptHash
	method, salt, sum, err := splitWerkzeug(hash)
	if err != nil {
		return h, err
	}
	h.salt, h.sum = salt, sum
	switch {
	case method == "scrypt":
		h.n, h.r, h.p = werkzeugScryptN, werkzeugScryptR, werkzeugScryptP
	case strings.HasPrefix(method, "scrypt:"):
		args := strings.Split(method[len("scrypt:"):], ":")
		if len(args) != 3 {
			return h, ErrMalformed
		}
		var ok1, ok2, ok3 bool
		h.n, ok1 = parseCount(args[0])
		h.r, ok2 = parseCount(args[1])
		h.p, ok3 = parseCount(args[2])
		if !ok1 || !ok2 || !ok3 {
			return h, ErrMalformed
		}
	default:
		return h, ErrMalformed
	}
	// scrypt needs N a power of two over 1, and r × p < 2^30.
	if h.n < 2 || h.n&(h.n-1) != 0 || int64(h.r)*int64(h.p) >= 1<<30 {
		return h, ErrMalformed
	}
	if !isLowerHex(sum, 2*werkzeugScryptKeyLen) {
		return h, ErrMalformed
	}
	return h, nil
}

// WerkzeugPBKDF2 reads (and can make) the PBKDF2 hashes of Werkzeug's
// generate_password_hash, its default method before Werkzeug 2.3:
//
//	pbkdf2:sha256:1000000$<salt>$<hex>
//	pbkdf2:sha512:600000$<salt>$<hex>
//	pbkdf2:sha256$<salt>$<hex>      (no iteration count: see DefaultIterations)
//	pbkdf2$<salt>$<hex>             (sha256, no count; Werkzeug 2.3 and later)
//
// with sha256, sha512 or sha1. The password is hashed exactly as typed (see
// [Upgrade.Normalize]).
//
// The iteration count is capped at MaxIterations, by default Werkzeug 3.1's
// default of 1,000,000 for every digest. Measured on a 2-core test machine,
// such a verify costs about 6.4× the default Argon2id verify with sha256,
// 6.8× with sha1 and 18× with sha512 (Werkzeug's default digest is sha256).
type WerkzeugPBKDF2 struct {
	// Digest is the digest of new hashes: "sha256", "sha512" or "sha1".
	// Compare accepts all three whatever it is. Default: "sha256".
	Digest string
	// Iterations is the count of new hashes. Default: 1,000,000 (Werkzeug
	// 3.1).
	Iterations int
	// DefaultIterations is the count of a hash that names none, which
	// Werkzeug verifies with its own default: 1,000,000 since 3.1, 600,000
	// in 2.3 and 3.0, 260,000 in 2.0 to 2.2. Werkzeug itself has written
	// the count into every hash since 0.9, so such hashes were made by hand:
	// set this to the default of the Werkzeug release the application used
	// to verify them. Default: 1,000,000.
	DefaultIterations int
	// MaxIterations caps the count of a stored hash. Default: 1,000,000, or
	// Iterations or DefaultIterations if more.
	MaxIterations int
}

func (WerkzeugPBKDF2) verbatim() {}

func (w WerkzeugPBKDF2) digest() hmacDigest {
	if d, ok := hmacDigestNamed(w.Digest); ok {
		return d
	}
	d, _ := hmacDigestNamed("sha256")
	return d
}

func (w WerkzeugPBKDF2) iterations() int {
	if w.Iterations > 0 {
		return w.Iterations
	}
	return werkzeugPBKDF2Default
}

func (w WerkzeugPBKDF2) defaultIterations() int {
	if w.DefaultIterations > 0 {
		return w.DefaultIterations
	}
	return werkzeugPBKDF2Default
}

func (w WerkzeugPBKDF2) maxIterations() int {
	if w.MaxIterations > 0 {
		return w.MaxIterations
	}
	return max(werkzeugPBKDF2Default, w.iterations(), w.defaultIterations())
}

// Name returns "werkzeug_pbkdf2".
func (WerkzeugPBKDF2) Name() string { return "werkzeug_pbkdf2" }

// Identify reports whether hash starts with "pbkdf2:" or "pbkdf2$".
func (WerkzeugPBKDF2) Identify(hash string) bool {
	return strings.HasPrefix(hash, "pbkdf2:") || strings.HasPrefix(hash, "pbkdf2$")
}

// Hash hashes password, exactly as typed, with fresh salt.
func (w WerkzeugPBKDF2) Hash(password string) (string, error) { return hashString(w, password) }

// Compare verifies password, exactly as typed, against hash.
func (w WerkzeugPBKDF2) Compare(hash, password string) error {
	return compareString(w, hash, password)
}

// HashBytes hashes password as given, with a 16-character salt like
// Werkzeug's, writing the iteration count as Werkzeug does.
func (w WerkzeugPBKDF2) HashBytes(password []byte) (string, error) {
	d, n := w.digest(), w.iterations()
	salt := alnumSalt(16)
	key, err := pbkdf2.Key(d.newH, string(password), []byte(salt), n, d.size)
	if err != nil {
		return "", err
	}
	return "pbkdf2:" + d.name + ":" + strconv.Itoa(n) + "$" + salt + "$" + hex.EncodeToString(key), nil
}

// CompareBytes verifies password as given against hash. A count over
// MaxIterations is refused with ErrTooCostly before any hashing.
func (w WerkzeugPBKDF2) CompareBytes(hash string, password []byte) error {
	h, err := parseWerkzeugPBKDF2(hash)
	if err != nil {
		return err
	}
	if h.iter == 0 {
		h.iter = w.defaultIterations()
	}
	if h.iter > w.maxIterations() {
		return ErrTooCostly
	}
	key, err := pbkdf2.Key(h.d.newH, string(password), []byte(h.salt), h.iter, h.d.size)
	if err != nil {
		return ErrMalformed
	}
	if subtle.ConstantTimeCompare([]byte(hex.EncodeToString(key)), []byte(h.sum)) != 1 {
		return ErrMismatch
	}
	return nil
}

// NeedsRehash reports whether hash is not a WerkzeugPBKDF2 hash, or uses
// another digest or fewer iterations than w's.
func (w WerkzeugPBKDF2) NeedsRehash(hash string) bool {
	h, err := parseWerkzeugPBKDF2(hash)
	if err != nil {
		return true
	}
	if h.iter == 0 {
		h.iter = w.defaultIterations()
	}
	return h.d.name != w.digest().name || h.iter < w.iterations()
}

type werkzeugPBKDF2Hash struct {
	d         hmacDigest
	iter      int // 0: not given
	salt, sum string
}

func parseWerkzeugPBKDF2(hash string) (werkzeugPBKDF2Hash, error) {
	var h werkzeugPBKDF2Hash
	method, salt, sum, err := splitWerkzeug(hash)
	if err != nil {
		return h, err
	}
	h.salt, h.sum = salt, sum
	name := "sha256"
	if method != "pbkdf2" {
		rest, ok := strings.CutPrefix(method, "pbkdf2:")
		if !ok {
			return h, ErrMalformed
		}
		var count string
		name, count, ok = strings.Cut(rest, ":")
		if ok {
			if h.iter, ok = parseCount(count); !ok {
				return h, ErrMalformed
			}
		}
	}
	var ok bool
	if h.d, ok = hmacDigestNamed(name); !ok {
		return h, ErrMalformed
	}
	if !isLowerHex(sum, 2*h.d.size) {
		return h, ErrMalformed
	}
	return h, nil
}
