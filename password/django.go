package password

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Django's hashes are "algorithm$...". Django hashes the password's UTF-8
// bytes exactly as typed, with no Unicode normalisation, and a salt of 22
// letters and digits as its UTF-8 bytes.

const (
	djangoSaltLen = 22
	// Django's PBKDF2 iterations: 260,000 in 3.2, 320,000 in 4.0, 390,000
	// in 4.1, 600,000 in 4.2, 720,000 in 5.0, 870,000 in 5.1, 1,000,000 in
	// 5.2 and 1,200,000 in 6.0.
	djangoPBKDF2Default = 1_200_000
	// Django's Argon2PasswordHasher since 3.2: 100 MiB, 2 passes, 8 lanes,
	// 16-byte hash (argon2-cffi's default length).
	djangoArgonMemory = 102_400
	djangoArgonTime   = 2
	djangoArgonLanes  = 8
	djangoArgonKeyLen = 16
)

// DjangoPBKDF2 reads (and can make) the hashes of Django's default
// PBKDF2PasswordHasher and of its PBKDF2SHA1PasswordHasher:
//
//	pbkdf2_sha256$1200000$<salt>$<base64>
//	pbkdf2_sha1$260000$<salt>$<base64>
//
// The password is hashed exactly as typed (see [Upgrade.Normalize]).
//
// The iteration count is capped at MaxIterations, by default Django 6.0's
// 1,200,000 (Django 3.2 used 260,000). Measured on a 2-core test machine,
// such a verify costs about 8.3× the default Argon2id verify with sha256
// and 8.9× with sha1.
type DjangoPBKDF2 struct {
	// Digest is the digest of new hashes: "sha256" or "sha1". Compare
	// accepts both whatever it is. Default: "sha256".
	Digest string
	// Iterations is the count of new hashes. Default: 1,200,000 (Django
	// 6.0).
	Iterations int
	// MaxIterations caps the count of a stored hash. Default: 1,200,000, or
	// Iterations if more.
	MaxIterations int
}

func (DjangoPBKDF2) verbatim() {}

func (d DjangoPBKDF2) digest() hmacDigest {
	if d.Digest == "sha1" {
		h, _ := hmacDigestNamed("sha1")
		return h
	}
	h, _ := hmacDigestNamed("sha256")
	return h
}

func (d DjangoPBKDF2) iterations() int {
	if d.Iterations > 0 {
		return d.Iterations
	}
	return djangoPBKDF2Default
}

func (d DjangoPBKDF2) maxIterations() int {
	if d.MaxIterations > 0 {
		return d.MaxIterations
	}
	return max(djangoPBKDF2Default, d.iterations())
}

// Name returns passlib's name for the scheme of new hashes:
// "django_pbkdf2_sha256" or "django_pbkdf2_sha1".
func (d DjangoPBKDF2) Name() string { return "django_pbkdf2_" + d.digest().name }

// Identify reports whether hash starts with "pbkdf2_sha256$" or
// "pbkdf2_sha1$".
func (DjangoPBKDF2) Identify(hash string) bool {
	return strings.HasPrefix(hash, "pbkdf2_sha256$") || strings.HasPrefix(hash, "pbkdf2_sha1$")
}

// Hash hashes password, exactly as typed, with fresh salt.
func (d DjangoPBKDF2) Hash(password string) (string, error) { return hashString(d, password) }

// Compare verifies password, exactly as typed, against hash.
func (d DjangoPBKDF2) Compare(hash, password string) error { return compareString(d, hash, password) }

// HashBytes hashes password as given, with a 22-character salt like
// Django's.
func (d DjangoPBKDF2) HashBytes(password []byte) (string, error) {
	h, n := d.digest(), d.iterations()
	salt := alnumSalt(djangoSaltLen)
	key, err := pbkdf2.Key(h.newH, string(password), []byte(salt), n, h.size)
	if err != nil {
		return "", err
	}
	return "pbkdf2_" + h.name + "$" + strconv.Itoa(n) + "$" + salt + "$" + base64.StdEncoding.EncodeToString(key), nil
}

// CompareBytes verifies password as given against hash. A count over
// MaxIterations is refused with ErrTooCostly before any hashing.
func (d DjangoPBKDF2) CompareBytes(hash string, password []byte) error {
	h, err := parseDjangoPBKDF2(hash)
	if err != nil {
		return err
	}
	if h.iter > d.maxIterations() {
		return ErrTooCostly
	}
	key, err := pbkdf2.Key(h.d.newH, string(password), []byte(h.salt), h.iter, h.d.size)
	if err != nil {
		return ErrMalformed
	}
	if subtle.ConstantTimeCompare([]byte(base64.StdEncoding.EncodeToString(key)), []byte(h.sum)) != 1 {
		return ErrMismatch
	}
	return nil
}

// NeedsRehash reports whether hash is not a DjangoPBKDF2 hash, or uses
// another digest or fewer iterations than d's.
func (d DjangoPBKDF2) NeedsRehash(hash string) bool {
	h, err := parseDjangoPBKDF2(hash)
	return err != nil || h.d.name != d.digest().name || h.iter < d.iterations()
}

type djangoPBKDF2Hash struct {
	d         hmacDigest
	iter      int
	salt, sum string
}

// parseDjangoPBKDF2 reads "pbkdf2_<digest>$<iterations>$<salt>$<base64>"
// as Django's decode does (split on the first three '$').
func parseDjangoPBKDF2(hash string) (djangoPBKDF2Hash, error) {
	var h djangoPBKDF2Hash
	if len(hash) > maxFrameworkHash {
		return h, ErrMalformed
	}
	parts := strings.SplitN(hash, "$", 4)
	if len(parts) != 4 || parts[2] == "" {
		return h, ErrMalformed
	}
	var ok bool
	switch parts[0] {
	case "pbkdf2_sha256":
		h.d, _ = hmacDigestNamed("sha256")
	case "pbkdf2_sha1":
		h.d, _ = hmacDigestNamed("sha1")
	default:
		return h, ErrMalformed
	}
	if h.iter, ok = parseCount(parts[1]); !ok {
		return h, ErrMalformed
	}
	h.salt, h.sum = parts[2], parts[3]
	// The checksum is standard base64 of the whole digest, with padding.
	if len(h.sum) != base64.StdEncoding.EncodedLen(h.d.size) {
		return h, ErrMalformed
	}
	if sum, err := base64.StdEncoding.Strict().DecodeString(h.sum); err != nil || len(sum) != h.d.size {
		return h, ErrMalformed
	}
	return h, nil
}

// DjangoArgon2 reads (and can make) the hashes of Django's
// Argon2PasswordHasher: "argon2" followed by argon2-cffi's PHC string,
//
//	argon2$argon2id$v=19$m=102400,t=2,p=8$<salt>$<hash>
//
// argon2id and argon2i, version 19 (argon2-cffi 16 and later). The password
// is hashed exactly as typed (see [Upgrade.Normalize]).
//
// Caps work as [Argon2id]'s, with Django's parameters as the defaults: 100
// MiB, and memory × passes within 100 MiB × 2. Measured on a 2-core test
// machine, such a verify costs about 3.8× the default Argon2id verify with
// Django's 8 lanes, and 7.3× with 1 lane.
type DjangoArgon2 struct {
	// Memory is the memory (KiB) of new hashes. Default: Django's 102,400
	// (100 MiB).
	Memory uint32
	// Time is the passes of new hashes. Default: Django's 2.
	Time uint32
	// Threads is the lanes of new hashes. Default: Django's 8.
	Threads uint8
	// MaxMemory caps the memory (KiB) of a stored hash. Default: 102,400,
	// or Memory if more.
	MaxMemory uint32
	// MaxTime caps the passes of a stored hash. Default: as many as keep
	// memory × passes within 102,400 KiB × 2, or Memory × Time if more.
	MaxTime uint32
}

func (DjangoArgon2) verbatim() {}

func (d DjangoArgon2) params() (m, t uint32, p uint8) {
	m, t, p = d.Memory, d.Time, d.Threads
	if m == 0 {
		m = djangoArgonMemory
	}
	if t == 0 {
		t = djangoArgonTime
	}
	if p == 0 {
		p = djangoArgonLanes
	}
	return m, t, p
}

// Name returns "django_argon2", passlib's name.
func (DjangoArgon2) Name() string { return "django_argon2" }

// Identify reports whether hash starts with "argon2$argon2id$" or
// "argon2$argon2i$".
func (DjangoArgon2) Identify(hash string) bool {
	return strings.HasPrefix(hash, "argon2$argon2id$") || strings.HasPrefix(hash, "argon2$argon2i$")
}

// Hash hashes password, exactly as typed, with fresh salt.
func (d DjangoArgon2) Hash(password string) (string, error) { return hashString(d, password) }

// Compare verifies password, exactly as typed, against hash.
func (d DjangoArgon2) Compare(hash, password string) error { return compareString(d, hash, password) }

// HashBytes hashes password as given, with a 22-character salt and a
// 16-byte hash like Django's.
func (d DjangoArgon2) HashBytes(password []byte) (string, error) {
	m, t, p := d.params()
	salt := []byte(alnumSalt(djangoSaltLen))
	key := argon2.IDKey(password, salt, t, m, p, djangoArgonKeyLen)
	return fmt.Sprintf("argon2$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, m, t, p,
		phc64.EncodeToString(salt), phc64.EncodeToString(key)), nil
}

// CompareBytes verifies password as given against hash. A hash over the
// caps is refused with ErrTooCostly before any hashing.
func (d DjangoArgon2) CompareBytes(hash string, password []byte) error {
	h, err := parseDjangoArgon2(hash)
	if err != nil {
		return err
	}
	m, t, _ := d.params()
	if !argonAllowed(h.m, h.t, m, t, d.MaxMemory, d.MaxTime, djangoArgonMemory, djangoArgonMemory*djangoArgonTime) {
		return ErrTooCostly
	}
	return h.compare(password)
}

// NeedsRehash reports whether hash is not a DjangoArgon2 argon2id hash, or
// has other parameters than d's (as Django's must_update).
func (d DjangoArgon2) NeedsRehash(hash string) bool {
	h, err := parseDjangoArgon2(hash)
	m, t, p := d.params()
	return err != nil || !h.id || h.m != m || h.t != t || h.p != p
}

func parseDjangoArgon2(hash string) (argon2Hash, error) {
	rest, ok := strings.CutPrefix(hash, "argon2$")
	if !ok {
		return argon2Hash{}, ErrMalformed
	}
	return parseArgon2("$" + rest)
}

// DjangoBcrypt reads (and can make) the hashes of Django's
// BCryptSHA256PasswordHasher and BCryptPasswordHasher:
//
//	bcrypt_sha256$$2b$12$<salt and hash>   bcrypt of the hex SHA-256 of the password
//	bcrypt$$2b$12$<salt and hash>          bcrypt of the password itself
//
// The password is hashed exactly as typed (see [Upgrade.Normalize]). For
// "bcrypt$" hashes only its first 72 bytes count, as in Django (whose bcrypt
// library ignored the rest): two passwords sharing their first 72 bytes
// match each other's hash. Migrate such hashes (NeedsRehash is true for
// them under Upgrade) rather than keep them.
//
// The cost is capped at MaxCost, by default Django's 12. Measured on a
// 2-core test machine, such a verify costs about 9× the default Argon2id
// verify.
type DjangoBcrypt struct {
	// Cost is the cost of new hashes. Default: 12 (Django's).
	Cost int
	// MaxCost caps the cost of a stored hash. Default: 12, or Cost if more.
	MaxCost int
	// WithoutSHA256 makes HashBytes write Django's "bcrypt$" hashes
	// (BCryptPasswordHasher) instead of "bcrypt_sha256$". Compare reads
	// both whatever it is.
	WithoutSHA256 bool
}

func (DjangoBcrypt) verbatim() {}

func (d DjangoBcrypt) bcrypt() Bcrypt {
	return Bcrypt{Cost: d.Cost, MaxCost: d.MaxCost, TruncateLong: true}
}

// Name returns passlib's name for the scheme of new hashes:
// "django_bcrypt_sha256" or "django_bcrypt".
func (d DjangoBcrypt) Name() string {
	if d.WithoutSHA256 {
		return "django_bcrypt"
	}
	return "django_bcrypt_sha256"
}

// Identify reports whether hash starts with "bcrypt_sha256$$2" or
// "bcrypt$$2".
func (DjangoBcrypt) Identify(hash string) bool {
	return strings.HasPrefix(hash, "bcrypt_sha256$$2") || strings.HasPrefix(hash, "bcrypt$$2")
}

// MaxPasswordBytes returns 72 when HashBytes writes "bcrypt$" hashes, which
// refuse longer passwords, and 0 (no limit) for "bcrypt_sha256$".
func (d DjangoBcrypt) MaxPasswordBytes() int {
	if d.WithoutSHA256 {
		return bcryptMaxBytes
	}
	return 0
}

// Hash hashes password, exactly as typed, with fresh salt.
func (d DjangoBcrypt) Hash(password string) (string, error) { return hashString(d, password) }

// Compare verifies password, exactly as typed, against hash.
func (d DjangoBcrypt) Compare(hash, password string) error { return compareString(d, hash, password) }

// HashBytes hashes password as given. Without the SHA-256 step it refuses
// passwords over 72 bytes with ErrTooLong rather than truncate them.
func (d DjangoBcrypt) HashBytes(password []byte) (string, error) {
	prefix := "bcrypt_sha256$"
	if d.WithoutSHA256 {
		prefix = "bcrypt$"
	} else {
		password = djangoSHA256Hex(password)
	}
	h, err := d.bcrypt().HashBytes(password)
	if err != nil {
		return "", err
	}
	return prefix + h, nil
}

// CompareBytes verifies password as given against hash. A cost over
// MaxCost is refused with ErrTooCostly before any hashing.
func (d DjangoBcrypt) CompareBytes(hash string, password []byte) error {
	if inner, ok := strings.CutPrefix(hash, "bcrypt_sha256$"); ok {
		return d.bcrypt().CompareBytes(inner, djangoSHA256Hex(password))
	}
	if inner, ok := strings.CutPrefix(hash, "bcrypt$"); ok {
		return d.bcrypt().CompareBytes(inner, password)
	}
	return ErrMalformed
}

// NeedsRehash reports whether hash is not a DjangoBcrypt hash of the kind
// d makes, or has a lower cost than d's.
func (d DjangoBcrypt) NeedsRehash(hash string) bool {
	prefix := "bcrypt_sha256$"
	if d.WithoutSHA256 {
		prefix = "bcrypt$"
	}
	inner, ok := strings.CutPrefix(hash, prefix)
	return !ok || d.bcrypt().NeedsRehash(inner)
}

// djangoSHA256Hex is what BCryptSHA256PasswordHasher gives bcrypt: the
// lower-case hex SHA-256 of the password, 64 bytes.
func djangoSHA256Hex(password []byte) []byte {
	sum := sha256.Sum256(password)
	out := make([]byte, hex.EncodedLen(len(sum)))
	hex.Encode(out, sum[:])
	return out
}
