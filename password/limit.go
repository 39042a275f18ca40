package password

import "runtime"

// Hasher is the method set every hasher here has; gatehouse.PasswordHasher
// is the same interface, declared where it is consumed.
type Hasher interface {
	Hash(password string) (string, error)
	Compare(hash, password string) error
	NeedsRehash(hash string) bool
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

// NeedsRehash parses only; it is not limited.
func (l *Limited) NeedsRehash(hash string) bool { return l.h.NeedsRehash(hash) }
