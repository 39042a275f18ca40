package password

import "runtime"

// Hasher is the method set every hasher here has; gatehouse.PasswordHasher
// is the same interface, declared where it is consumed.
type Hasher interface {
	// Hash returns a hash of password with fresh salt.
	Hash(password string) (string, error)
	// Compare returns nil if password matches hash, an error otherwise
	// (ErrMismatch for a wrong password); it fails closed.
	Compare(hash, password string) error
	// NeedsRehash reports whether hash should be replaced by a new Hash.
	NeedsRehash(hash string) bool
}

// InputLimited is implemented by hashers and schemes that accept passwords
// only up to a length below MaxBytes: [Bcrypt] (72 bytes), [SHACrypt] at
// high rounds, and the wrappers [Upgrade] and [Limited], which report their
// hasher's limit. Use [MaxPasswordBytes] rather than asserting it.
type InputLimited interface {
	// MaxPasswordBytes returns the longest password, in bytes after the
	// hasher's normalisation, that Hash accepts; 0 means no limit beyond
	// MaxBytes.
	MaxPasswordBytes() int
}

// MaxPasswordBytes returns the longest password, in bytes, that hasher h
// accepts, or 0 if h has no limit beyond MaxBytes (or does not say: h does
// not implement [InputLimited]). It knows Bcrypt (72), SHACrypt, Upgrade
// (its current scheme's limit) and Limited (its hasher's).
//
// Put it into [Policy.MaxBytes] so that a password the hasher would refuse
// is refused by the policy first, as a field error the user can act on,
// rather than by Hash when the account is saved. The root gatehouse package
// will set its password policy's MaxBytes from its Hasher this way.
func MaxPasswordBytes(h any) int {
	l, ok := h.(InputLimited)
	if !ok {
		return 0
	}
	if n := l.MaxPasswordBytes(); n > 0 && n < MaxBytes {
		return n
	}
	return 0
}

// Limited bounds how many hashes run at once, so a flood of logins cannot
// exhaust memory with Argon2id (19 MiB each by default) or starve other
// requests of CPU: excess calls wait their turn. Make it with [Limit].
type Limited struct {
	h   Hasher
	sem chan struct{}
}

// Limit wraps h so that at most n hashes or compares run at once. n <= 0
// means runtime.GOMAXPROCS(0), one per CPU: more would not finish sooner.
func Limit(h Hasher, n int) *Limited {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	return &Limited{h: h, sem: make(chan struct{}, n)}
}

// Hash hashes under the limit.
func (l *Limited) Hash(password string) (string, error) {
	l.sem <- struct{}{}
	defer func() { <-l.sem }()
	return l.h.Hash(password)
}

// Compare compares under the limit. Passwords over MaxBytes are refused
// before waiting, so they cost nothing.
func (l *Limited) Compare(hash, password string) error {
	if len(password) > MaxBytes {
		return ErrTooLong
	}
	l.sem <- struct{}{}
	defer func() { <-l.sem }()
	return l.h.Compare(hash, password)
}

// MaxPasswordBytes returns the wrapped hasher's limit; see the function
// [MaxPasswordBytes].
func (l *Limited) MaxPasswordBytes() int { return MaxPasswordBytes(l.h) }

// NeedsRehash parses only; it is not limited.
func (l *Limited) NeedsRehash(hash string) bool { return l.h.NeedsRehash(hash) }
