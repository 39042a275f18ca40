package password

import (
	"context"
	"fmt"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// BreachChecker reports whether a password is known from data breaches.
// [HIBP] is one implementation.
type BreachChecker interface {
	// Breached returns true if password appears in known breaches. An error
	// means the answer is unknown (for example, the service is down).
	Breached(ctx context.Context, password string) (bool, error)
}

// Policy holds the rules a new password must meet at registration, change
// and reset (NIST SP 800-63B section 5.1.1.2). Verifying an existing password
// never applies it. The zero value is NIST's baseline: at least 8
// characters, at most 4096 bytes (as given and after Unicode normalisation),
// any Unicode, and not one of the 100,000 most common passwords.
type Policy struct {
	// MinLength in characters (runes). Default: 8.
	MinLength int
	// MaxLength in characters; it may not be set below 64. Default: no limit
	// beyond MaxBytes.
	MaxLength int
	// AllowCommon turns off the bundled common-password blocklist.
	AllowCommon bool
	// Breached, if set, is asked about every new password. Default: none.
	Breached BreachChecker
	// FailOpen accepts the password when Breached returns an error, instead
	// of refusing it. Default: false (refuse).
	FailOpen bool
}

// normLen returns the length in bytes of the longest of password's forms
// a hasher may hash: as given, NFKC and NFKD.
func normLen(password string) int {
	return max(len(password), len(norm.NFKC.String(password)), len(norm.NFKD.String(password)))
}

// Validate returns nil if password may be set, or an error wrapping
// ErrTooShort, ErrTooLong, ErrInvalidUTF8, ErrCommon or ErrBreached.
func (p Policy) Validate(ctx context.Context, password string) error {
	if len(password) > MaxBytes {
		return ErrTooLong
	}
	if !utf8.ValidString(password) {
		return ErrInvalidUTF8
	}
	// Hashers normalise first, and normalisation can expand a string about
	// 11×: measure the longest form a hasher may be given.
	if normLen(password) > MaxBytes {
		return ErrTooLong
	}
	minLen := p.MinLength
	if minLen <= 0 {
		minLen = 8
	}
	n := utf8.RuneCountInString(password)
	if n < minLen {
		return fmt.Errorf("%w: at least %d characters", ErrTooShort, minLen)
	}
	if p.MaxLength > 0 && n > max(p.MaxLength, 64) {
		return fmt.Errorf("%w: at most %d characters", ErrTooLong, max(p.MaxLength, 64))
	}
	if !p.AllowCommon && IsCommon(password) {
		return ErrCommon
	}
	if p.Breached != nil {
		bad, err := p.Breached.Breached(ctx, password)
		if err != nil && !p.FailOpen {
			return fmt.Errorf("password: breach check failed: %w", err)
		}
		if bad {
			return ErrBreached
		}
	}
	return nil
}
