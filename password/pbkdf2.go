package password

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"hash"
	"strconv"
	"strings"
)

// PBKDF2 hashes with PBKDF2-HMAC in passlib's format, so hashes made by
// passlib's pbkdf2_sha512, pbkdf2_sha256 and pbkdf2_sha1 verify:
//
//	$pbkdf2-sha512$<rounds>$<salt ab64>$<checksum ab64>
//
// It is not memory-hard: prefer Argon2id for new hashes, and keep PBKDF2
// for hashes made elsewhere or where FIPS 140 requires it. It uses the
// standard library's crypto/pbkdf2 (golang.org/x/crypto/pbkdf2 is now a
// frozen wrapper around it).
type PBKDF2 struct {
	// Digest is "sha512", "sha256" or "sha1". Default: "sha512".
	Digest string
	// Rounds is the iteration count. Default: OWASP's 210,000 for sha512,
	// 600,000 for sha256, 1,300,000 for sha1.
	Rounds int
	// MaxRounds caps the rounds a stored hash may ask for, so a hostile or
	// corrupted hash cannot make one verify take seconds. Default: the
	// default rounds of its digest (above), or Rounds if that is more. Measured on a
	// 2-core test machine, a verify at that cap costs about 4× the default
	// Argon2id verify for sha512, 3.5× for sha256 and 8.6× for sha1
	// (passlib's own defaults, 25,000 to 131,000 rounds, cost under 1×).
	MaxRounds int
}

type pbkdf2Digest struct {
	ident  string // "$pbkdf2-sha512$"
	name   string // passlib's scheme name
	newH   func() hash.Hash
	size   int
	rounds int
}

var pbkdf2Digests = [...]pbkdf2Digest{
	{"$pbkdf2-sha512$", "pbkdf2_sha512", sha512.New, sha512.Size, 210_000},
	{"$pbkdf2-sha256$", "pbkdf2_sha256", sha256.New, sha256.Size, 600_000},
	{"$pbkdf2$", "pbkdf2_sha1", sha1.New, sha1.Size, 1_300_000},
}

func (p PBKDF2) digest() pbkdf2Digest {
	switch p.Digest {
	case "sha256":
		return pbkdf2Digests[1]
	case "sha1":
		return pbkdf2Digests[2]
	default:
		return pbkdf2Digests[0]
	}
}

func (p PBKDF2) rounds() int {
	if p.Rounds == 0 {
		return p.digest().rounds
	}
	return p.Rounds
}

func (p PBKDF2) maxRounds() int {
	if p.MaxRounds > 0 {
		return p.MaxRounds
	}
	return max(p.digest().rounds, p.rounds())
}

// Name returns passlib's name: "pbkdf2_sha512", "pbkdf2_sha256" or
// "pbkdf2_sha1".
func (p PBKDF2) Name() string { return p.digest().name }

// Identify reports whether hash is of p's digest.
func (p PBKDF2) Identify(hash string) bool { return strings.HasPrefix(hash, p.digest().ident) }

// Hash hashes password (normalised to NFKD) with fresh salt.
func (p PBKDF2) Hash(password string) (string, error) { return hashString(p, password) }

// Compare verifies password (normalised to NFKD) against hash.
func (p PBKDF2) Compare(hash, password string) error { return compareString(p, hash, password) }

// HashBytes hashes password as given, with a 16-byte salt like passlib.
func (p PBKDF2) HashBytes(password []byte) (string, error) {
	d := p.digest()
	salt := make([]byte, 16)
	rand.Read(salt)
	key, err := pbkdf2.Key(d.newH, string(password), salt, p.rounds(), d.size)
	if err != nil {
		return "", err
	}
	return d.ident + strconv.Itoa(p.rounds()) + "$" + ab64.EncodeToString(salt) + "$" + ab64.EncodeToString(key), nil
}

// CompareBytes verifies password as given against hash.
func (p PBKDF2) CompareBytes(hash string, password []byte) error {
	d := p.digest()
	rounds, salt, sum, err := parsePBKDF2(hash, d)
	if err != nil {
		return err
	}
	if rounds > p.maxRounds() {
		return ErrTooCostly
	}
	key, err := pbkdf2.Key(d.newH, string(password), salt, rounds, len(sum))
	if err != nil {
		return ErrMalformed
	}
	if subtle.ConstantTimeCompare(key, sum) != 1 {
		return ErrMismatch
	}
	return nil
}

// NeedsRehash reports whether hash has fewer rounds than p's.
func (p PBKDF2) NeedsRehash(hash string) bool {
	rounds, _, _, err := parsePBKDF2(hash, p.digest())
	return err != nil || rounds < p.rounds()
}

func parsePBKDF2(hash string, d pbkdf2Digest) (rounds int, salt, sum []byte, err error) {
	rest, ok := strings.CutPrefix(hash, d.ident)
	if !ok || len(rest) > 512 {
		return 0, nil, nil, ErrMalformed
	}
	parts := strings.Split(rest, "$")
	if len(parts) != 3 || parts[0] == "" || parts[0][0] == '0' {
		return 0, nil, nil, ErrMalformed
	}
	rounds, err = strconv.Atoi(parts[0])
	if err != nil || rounds < 1 {
		return 0, nil, nil, ErrMalformed
	}
	// passlib accepts salts of 0 to 1024 bytes; an empty one is legal.
	if parts[1] != "" {
		if salt, ok = decode64(ab64, parts[1], 1024); !ok {
			return 0, nil, nil, ErrMalformed
		}
	}
	if sum, ok = decode64(ab64, parts[2], d.size); !ok || len(sum) != d.size {
		return 0, nil, nil, ErrMalformed
	}
	return rounds, salt, sum, nil
}
