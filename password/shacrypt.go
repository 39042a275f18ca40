package password

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"hash"
	"strconv"
	"strings"
)

// SHACrypt hashes with SHA-crypt (Ulrich Drepper's specification, the
// $5$ and $6$ formats of glibc's crypt(3) and passlib's sha256_crypt and
// sha512_crypt):
//
//	$6$rounds=656000$<salt>$<hash>
//
// Use it to verify hashes from Unix systems or passlib; prefer Argon2id for
// new hashes.
//
// # Cost of a verify
//
// SHA-crypt's work grows with rounds × password length: every round hashes
// the password once or twice, and the setup hashes it len(password) times.
// So a stored hash's rounds are capped (MaxRounds) and so is the length of
// the password hashed with them: CompareBytes (and HashBytes) refuse with
// ErrTooLong, before any hashing, a password for which
//
//	rounds × (digest size + salt length + 2 × len) + len²
//
// (the bytes hashed, roughly) exceeds that of MaxRounds rounds on an 88-byte
// password with a 16-byte salt. 88 bytes is what Flask-Security hashes when
// SECURITY_PASSWORD_SALT is set (base64 of an HMAC-SHA512), and more than
// NIST's 64 characters. At the default caps that allows passwords of up to
// 88 bytes against hashes at passlib's default rounds, up to about 7,700
// bytes (so up to MaxBytes) at glibc's default of 5,000, and anything in
// between accordingly: [SHACrypt.MaxPasswordBytes] gives the limit at
// Rounds.
//
// Measured on a 2-core test machine (go test -bench VerifyAtCap), one verify
// at the cap costs about 12× the default Argon2id verify for $6$ and 4.8× for
// $5$ (5× for $6$ with an 8-byte password): passlib's default rounds, which
// a migration must accept, cost that much. See the package documentation.
type SHACrypt struct {
	// Bits is 512 ($6$) or 256 ($5$). Default: 512.
	Bits int
	// Rounds is the iteration count, 1,000 to 999,999,999. Default:
	// passlib's 656,000 for sha512_crypt, 535,000 for sha256_crypt.
	Rounds int
	// MaxRounds caps the rounds a stored hash may ask for, and with them the
	// password length (see above). Default: passlib's default rounds
	// (656,000 for $6$, 535,000 for $5$), or Rounds if that is more.
	MaxRounds int
}

type shaCryptVariant struct {
	ident   string
	name    string
	newH    func() hash.Hash
	size    int // digest size
	rounds  int
	sumLen  int // length of the encoded hash
	permute [][3]int
}

var (
	sha256Crypt = shaCryptVariant{"$5$", "sha256_crypt", sha256.New, sha256.Size, 535_000, 43, [][3]int{
		{0, 10, 20}, {21, 1, 11}, {12, 22, 2}, {3, 13, 23}, {24, 4, 14},
		{15, 25, 5}, {6, 16, 26}, {27, 7, 17}, {18, 28, 8}, {9, 19, 29},
		{-1, 31, 30},
	}}
	sha512Crypt = shaCryptVariant{"$6$", "sha512_crypt", sha512.New, sha512.Size, 656_000, 86, [][3]int{
		{0, 21, 42}, {22, 43, 1}, {44, 2, 23}, {3, 24, 45}, {25, 46, 4},
		{47, 5, 26}, {6, 27, 48}, {28, 49, 7}, {50, 8, 29}, {9, 30, 51},
		{31, 52, 10}, {53, 11, 32}, {12, 33, 54}, {34, 55, 13}, {56, 14, 35},
		{15, 36, 57}, {37, 58, 16}, {59, 17, 38}, {18, 39, 60}, {40, 61, 19},
		{62, 20, 41}, {-1, -1, 63},
	}}
)

const (
	shaCryptMinRounds  = 1000
	shaCryptMaxRounds  = 999_999_999
	shaCryptDefRounds  = 5000 // when a hash has no rounds= field
	shaCryptMaxSaltLen = 16
	// shaCryptRefLen is the password length whose work at MaxRounds is
	// the budget of one verify: the 88-byte form Flask-Security hashes.
	shaCryptRefLen = 88
	cryptAlphabet  = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)

func (s SHACrypt) variant() *shaCryptVariant {
	if s.Bits == 256 {
		return &sha256Crypt
	}
	return &sha512Crypt
}

func (s SHACrypt) rounds() int {
	if s.Rounds == 0 {
		return s.variant().rounds
	}
	return min(max(s.Rounds, shaCryptMinRounds), shaCryptMaxRounds)
}

func (s SHACrypt) maxRounds() int {
	if s.MaxRounds > 0 {
		return s.MaxRounds
	}
	return max(s.variant().rounds, s.rounds())
}

// shaCryptWork estimates the bytes SHA-crypt hashes for a password of n
// bytes: each round hashes at most the previous digest, the salt and the
// password twice; the setup hashes the password n times.
func shaCryptWork(v *shaCryptVariant, rounds, n, saltLen int) int64 {
	return int64(rounds)*int64(v.size+saltLen+2*n) + int64(n)*int64(n)
}

// tooLong reports whether hashing a password of n bytes with rounds goes
// over the budget.
func (s SHACrypt) tooLong(rounds, n, saltLen int) bool {
	v := s.variant()
	return n > MaxBytes || shaCryptWork(v, rounds, n, saltLen) > shaCryptWork(v, s.maxRounds(), shaCryptRefLen, shaCryptMaxSaltLen)
}

// MaxPasswordBytes returns the longest password, in bytes, that s hashes and
// verifies at its own Rounds, or 0 if that is MaxBytes or more. With the
// defaults it is 88.
func (s SHACrypt) MaxPasswordBytes() int {
	r := s.rounds()
	lo, hi := 0, MaxBytes // largest n in [lo, hi] with !tooLong
	if !s.tooLong(r, hi, shaCryptMaxSaltLen) {
		return 0
	}
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if s.tooLong(r, mid, shaCryptMaxSaltLen) {
			hi = mid - 1
		} else {
			lo = mid
		}
	}
	return lo
}

// Name returns "sha512_crypt" or "sha256_crypt", passlib's names.
func (s SHACrypt) Name() string { return s.variant().name }

// Identify reports whether hash is of s's variant.
func (s SHACrypt) Identify(hash string) bool { return strings.HasPrefix(hash, s.variant().ident) }

// Hash hashes password (normalised to NFKD) with fresh salt.
func (s SHACrypt) Hash(password string) (string, error) { return hashString(s, password) }

// Compare verifies password (normalised to NFKD) against hash.
func (s SHACrypt) Compare(hash, password string) error { return compareString(s, hash, password) }

// HashBytes hashes password as given with a 16-character salt. A password
// longer than MaxPasswordBytes is refused with ErrTooLong.
func (s SHACrypt) HashBytes(password []byte) (string, error) {
	if s.tooLong(s.rounds(), len(password), shaCryptMaxSaltLen) {
		return "", ErrTooLong
	}
	var raw [shaCryptMaxSaltLen]byte
	rand.Read(raw[:])
	salt := make([]byte, shaCryptMaxSaltLen)
	for i, b := range raw {
		salt[i] = cryptAlphabet[b&0x3f]
	}
	v := s.variant()
	sum := shaCrypt(v, password, salt, s.rounds())
	return v.ident + "rounds=" + strconv.Itoa(s.rounds()) + "$" + string(salt) + "$" + string(sum), nil
}

// CompareBytes verifies password as given against hash. It refuses, before
// any hashing, a hash with more than MaxRounds rounds (ErrTooCostly) and a
// password too long for the hash's rounds (ErrTooLong; see [SHACrypt]).
func (s SHACrypt) CompareBytes(hash string, password []byte) error {
	v := s.variant()
	rounds, salt, sum, err := parseSHACrypt(hash, v)
	if err != nil {
		return err
	}
	if rounds > s.maxRounds() {
		return ErrTooCostly
	}
	if s.tooLong(rounds, len(password), len(salt)) {
		return ErrTooLong
	}
	if subtle.ConstantTimeCompare(shaCrypt(v, password, []byte(salt), rounds), []byte(sum)) != 1 {
		return ErrMismatch
	}
	return nil
}

// NeedsRehash reports whether hash has fewer rounds than s's.
func (s SHACrypt) NeedsRehash(hash string) bool {
	rounds, _, _, err := parseSHACrypt(hash, s.variant())
	return err != nil || rounds < s.rounds()
}

func parseSHACrypt(hash string, v *shaCryptVariant) (rounds int, salt, sum string, err error) {
	rest, ok := strings.CutPrefix(hash, v.ident)
	if !ok || len(rest) > 256 {
		return 0, "", "", ErrMalformed
	}
	rounds = shaCryptDefRounds
	if r, ok := strings.CutPrefix(rest, "rounds="); ok {
		n, after, found := strings.Cut(r, "$")
		if !found || n == "" || n[0] == '0' {
			return 0, "", "", ErrMalformed
		}
		rounds, err = strconv.Atoi(n)
		if err != nil || rounds < shaCryptMinRounds || rounds > shaCryptMaxRounds {
			return 0, "", "", ErrMalformed
		}
		rest = after
	}
	salt, sum, ok = strings.Cut(rest, "$")
	if !ok || len(salt) > shaCryptMaxSaltLen || len(sum) != v.sumLen || strings.ContainsAny(salt, "$\n:") {
		return 0, "", "", ErrMalformed
	}
	for i := 0; i < len(sum); i++ {
		if strings.IndexByte(cryptAlphabet, sum[i]) < 0 {
			return 0, "", "", ErrMalformed
		}
	}
	return rounds, salt, sum, nil
}

// shaCrypt is steps 1 to 22 of Drepper's specification.
func shaCrypt(v *shaCryptVariant, pw, salt []byte, rounds int) []byte {
	h := v.newH()
	size := h.Size()

	// Digest B: password, salt, password.
	h.Write(pw)
	h.Write(salt)
	h.Write(pw)
	b := h.Sum(nil)

	// Digest A.
	h.Reset()
	h.Write(pw)
	h.Write(salt)
	for n := len(pw); n > 0; n -= size {
		h.Write(b[:min(n, size)])
	}
	for n := len(pw); n > 0; n >>= 1 {
		if n&1 != 0 {
			h.Write(b)
		} else {
			h.Write(pw)
		}
	}
	a := h.Sum(nil)

	// P sequence: digest of the password len(pw) times, cut to len(pw).
	h.Reset()
	for range pw {
		h.Write(pw)
	}
	p := repeatTo(h.Sum(nil), len(pw))

	// S sequence: digest of the salt 16+A[0] times, cut to len(salt).
	h.Reset()
	for range 16 + int(a[0]) {
		h.Write(salt)
	}
	s := repeatTo(h.Sum(nil), len(salt))

	c := a
	for i := range rounds {
		h.Reset()
		if i&1 != 0 {
			h.Write(p)
		} else {
			h.Write(c)
		}
		if i%3 != 0 {
			h.Write(s)
		}
		if i%7 != 0 {
			h.Write(p)
		}
		if i&1 != 0 {
			h.Write(c)
		} else {
			h.Write(p)
		}
		c = h.Sum(c[:0])
	}

	out := make([]byte, 0, v.sumLen)
	for _, g := range v.permute {
		var w uint32
		n := 4
		for _, idx := range g {
			w <<= 8
			if idx < 0 {
				n--
				continue
			}
			w |= uint32(c[idx])
		}
		for range n {
			out = append(out, cryptAlphabet[w&0x3f])
			w >>= 6
		}
	}
	return out
}

func repeatTo(d []byte, n int) []byte {
	out := make([]byte, n)
	for i := 0; i < n; i += len(d) {
		copy(out[i:], d)
	}
	return out
}
