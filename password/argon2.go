package password

import (
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2id hashes with Argon2id (RFC 9106) in the PHC string format that
// passlib, libargon2 and most libraries use:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
//
// It is the default and the recommended scheme: memory-hard, so guessing on
// GPUs costs memory as well as time. The zero value uses OWASP's parameters
// (19 MiB, 2 passes, 1 lane). Compare also reads argon2i hashes.
type Argon2id struct {
	// Memory in KiB. Default: 19456 (19 MiB, OWASP).
	Memory uint32
	// Time is the number of passes. Default: 2.
	Time uint32
	// Threads is the parallelism, fixed rather than runtime.NumCPU so hashes
	// do not depend on the machine (golang/go#42605). Default: 1.
	Threads uint8
	// MaxMemory caps the memory (KiB) a stored hash may ask for, so a
	// hostile or corrupted hash cannot make one verify take gigabytes.
	// Default: 64 MiB, the default of argon2-cffi (and so of most Python
	// code), Node's argon2 and PHP, or Memory if that is more.
	MaxMemory uint32
	// MaxTime caps the passes a stored hash may ask for. Default: as many
	// as keep memory × passes within 64 MiB × 3 passes (argon2-cffi's
	// default), or within Memory × Time if that is more. PHP's default is
	// 64 MiB × 4 passes: set MaxTime to 4 to accept it.
	//
	// Measured on a 2-core test machine, a verify at the default caps (64
	// MiB, 3 passes, 1 lane) costs about 6× the default Argon2id verify.
	MaxTime uint32
}

const (
	argonSaltLen = 16
	argonKeyLen  = 32
)

func (a Argon2id) params() (m, t uint32, p uint8) {
	m, t, p = a.Memory, a.Time, a.Threads
	if m == 0 {
		m = 19 * 1024
	}
	if t == 0 {
		t = 2
	}
	if p == 0 {
		p = 1
	}
	return m, t, p
}

// Default caps on a stored argon2 hash: argon2-cffi's RFC 9106 low-memory
// profile.
const (
	argonCapMemory = 64 * 1024
	argonCapWork   = 64 * 1024 * 3 // KiB × passes
)

// allowed reports whether a hash with memory m and t passes is within a's
// caps.
func (a Argon2id) allowed(m, t uint32) bool {
	ownM, ownT, _ := a.params()
	return argonAllowed(m, t, ownM, ownT, a.MaxMemory, a.MaxTime, argonCapMemory, argonCapWork)
}

// argonAllowed applies the caps of Argon2id and DjangoArgon2: memory at most
// maxM (by default capM, or the scheme's own m if more), and passes at most
// maxT or, by default, memory × passes at most capWork (or the scheme's own
// m × t if more).
func argonAllowed(m, t, ownM, ownT, maxM, maxT uint32, capM uint32, capWork uint64) bool {
	if maxM == 0 {
		maxM = max(capM, ownM)
	}
	if m > maxM {
		return false
	}
	if maxT != 0 {
		return t <= maxT
	}
	return uint64(m)*uint64(t) <= max(capWork, uint64(ownM)*uint64(ownT))
}

// Name returns "argon2", passlib's name.
func (Argon2id) Name() string { return "argon2" }

// Identify reports whether hash is an argon2id or argon2i PHC string.
func (Argon2id) Identify(hash string) bool {
	return strings.HasPrefix(hash, "$argon2id$") || strings.HasPrefix(hash, "$argon2i$")
}

// Hash hashes password (normalised to NFKD) with fresh salt.
func (a Argon2id) Hash(password string) (string, error) { return hashString(a, password) }

// Compare verifies password (normalised to NFKD) against hash.
func (a Argon2id) Compare(hash, password string) error { return compareString(a, hash, password) }

// HashBytes hashes password as given.
func (a Argon2id) HashBytes(password []byte) (string, error) {
	m, t, p := a.params()
	salt := make([]byte, argonSaltLen)
	rand.Read(salt)
	key := argon2.IDKey(password, salt, t, m, p, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, m, t, p,
		phc64.EncodeToString(salt), phc64.EncodeToString(key)), nil
}

// CompareBytes verifies password as given against hash.
func (a Argon2id) CompareBytes(hash string, password []byte) error {
	h, err := parseArgon2(hash)
	if err != nil {
		return err
	}
	if !a.allowed(h.m, h.t) {
		return ErrTooCostly
	}
	return h.compare(password)
}

// compare derives the key of password with h's parameters and compares it
// in constant time.
func (h argon2Hash) compare(password []byte) error {
	var key []byte
	if h.id {
		key = argon2.IDKey(password, h.salt, h.t, h.m, h.p, uint32(len(h.key)))
	} else {
		key = argon2.Key(password, h.salt, h.t, h.m, h.p, uint32(len(h.key)))
	}
	if subtle.ConstantTimeCompare(key, h.key) != 1 {
		return ErrMismatch
	}
	return nil
}

// NeedsRehash reports whether hash is not argon2id or uses less memory,
// fewer passes or a shorter key than the current parameters.
func (a Argon2id) NeedsRehash(hash string) bool {
	h, err := parseArgon2(hash)
	if err != nil || !h.id {
		return true
	}
	m, t, p := a.params()
	return h.m < m || h.t < t || h.p != p || len(h.key) < argonKeyLen
}

type argon2Hash struct {
	id        bool
	m, t      uint32
	p         uint8
	salt, key []byte
}

// parseArgon2 reads a PHC argon2 string. Only version 19 is supported (it is
// the only one x/crypto implements); secret and associated-data parameters
// (passlib's keyid and data) are refused.
func parseArgon2(hash string) (argon2Hash, error) {
	var h argon2Hash
	if len(hash) > 512 {
		return h, ErrMalformed
	}
	parts := strings.Split(hash, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, key
	if len(parts) != 6 || parts[0] != "" {
		return h, ErrMalformed
	}
	switch parts[1] {
	case "argon2id":
		h.id = true
	case "argon2i":
	default:
		return h, ErrMalformed
	}
	if parts[2] != "v=19" {
		return h, ErrMalformed
	}
	params := strings.Split(parts[3], ",")
	if len(params) != 3 {
		return h, ErrMalformed
	}
	var err error
	if h.m, err = argonParam(params[0], "m="); err != nil {
		return h, err
	}
	if h.t, err = argonParam(params[1], "t="); err != nil {
		return h, err
	}
	p, err := argonParam(params[2], "p=")
	if err != nil || p > 255 {
		return h, ErrMalformed
	}
	h.p = uint8(p)
	// RFC 9106: at least 8*p KiB of memory, at least one pass and one lane.
	if h.t < 1 || h.p < 1 || h.m < 8*uint32(h.p) {
		return h, ErrMalformed
	}
	var ok bool
	if h.salt, ok = decode64(phc64, parts[4], 64); !ok || len(h.salt) < 8 {
		return h, ErrMalformed
	}
	if h.key, ok = decode64(phc64, parts[5], 128); !ok || len(h.key) < 4 {
		return h, ErrMalformed
	}
	return h, nil
}

func argonParam(s, prefix string) (uint32, error) {
	v, ok := strings.CutPrefix(s, prefix)
	if !ok || v == "" || (len(v) > 1 && v[0] == '0') {
		return 0, ErrMalformed
	}
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil {
		return 0, ErrMalformed
	}
	return uint32(n), nil
}
