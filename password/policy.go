package password

import (
	"context"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
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
// and reset (NIST SP 800-63B section 5.1.1.2, OWASP ASVS 5.0 6.2). Verifying
// an existing password never applies it. The zero value is NIST's baseline:
// at least 8 characters, at most 4096 bytes (as given and after Unicode
// normalisation), any Unicode, and not one of the 100,000 most common
// passwords.
//
// The blocklist and context words are compared on the password's NFKC form
// with Unicode case folding, so "ｐａｓｓｗｏｒｄ１２３" (full-width) and
// "PassWord123" are both "password123".
type Policy struct {
	// MinLength in characters (runes). Default: 8.
	MinLength int
	// MaxLength in characters; it may not be set below 64. Default: no limit
	// beyond MaxBytes.
	MaxLength int
	// MaxBytes caps the length in bytes, measured like the package's
	// MaxBytes on the longest of the password's forms (as given, NFKC, NFKD),
	// so that any hasher accepts what the policy accepts. Set it from the
	// hasher, MaxPasswordBytes(hasher), so that with Bcrypt a password over
	// 72 bytes is refused here with ErrTooLong rather than by Hash. Default
	// (0, or MaxBytes and more): the package's MaxBytes, 4096.
	MaxBytes int
	// AllowCommon turns off the bundled common-password blocklist.
	AllowCommon bool
	// Context lists words no password may be based on, whatever the
	// account: the application's or the organisation's name, say. They are
	// applied by Validate and ValidateFor alike; ValidateFor adds the
	// account's own words. See [Policy.ValidateFor] for the rule.
	Context []string
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
// ErrTooShort, ErrTooLong, ErrInvalidUTF8, ErrCommon, ErrContext (for the
// words in Policy.Context) or ErrBreached. It is ValidateFor with no
// account words.
func (p Policy) Validate(ctx context.Context, password string) error {
	return p.ValidateFor(ctx, password)
}

// ValidateFor is Validate for a given account: words are the account's
// details that its password must not be based on, typically its email
// address and user name (ASVS 5.0 6.2.11). An email address also stands for
// its local part ("alice" for alice@example.com, and "alice" for
// alice+shop@example.com too). Policy.Context is applied as well.
//
// The password and each word are compared after NFKC normalisation and
// Unicode case folding, and the password is refused with ErrContext if it
//
//   - equals a word;
//   - equals a word once digits, punctuation, symbols and spaces are
//     trimmed from both its ends ("Alice2024!", "!!alice");
//   - contains a word of at least 4 characters that makes up at least half
//     of the password's characters ("alicealice", "xaliceyz"), but not
//     "alice in wonderland".
//
// Empty words are ignored.
func (p Policy) ValidateFor(ctx context.Context, password string, words ...string) error {
	if len(password) > MaxBytes {
		return ErrTooLong
	}
	if !utf8.ValidString(password) {
		return ErrInvalidUTF8
	}
	// Hashers normalise first, and normalisation can expand a string about
	// 11×: measure the longest form a hasher may be given.
	nb := normLen(password)
	if nb > MaxBytes {
		return ErrTooLong
	}
	if p.MaxBytes > 0 && nb > p.MaxBytes {
		return fmt.Errorf("%w: at most %d bytes", ErrTooLong, p.MaxBytes)
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
	folded := fold(password)
	if !p.AllowCommon && isCommonFolded(folded, password) {
		return ErrCommon
	}
	if basedOn(folded, p.Context) || basedOn(folded, words) {
		return ErrContext
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

// fold returns the form passwords and words are compared in: NFKC, then
// Unicode full case folding, then NFKC again (folding can denormalise).
func fold(s string) string {
	return norm.NFKC.String(cases.Fold().String(norm.NFKC.String(s)))
}

// decoration is what people pad a word with to make it a password: digits,
// punctuation, symbols and spaces.
func decoration(r rune) bool {
	return unicode.IsDigit(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.IsSpace(r)
}

// basedOn applies ValidateFor's rule to an already folded password.
func basedOn(folded string, words []string) bool {
	if len(words) == 0 {
		return false
	}
	core := strings.TrimFunc(folded, decoration)
	n := utf8.RuneCountInString(folded)
	match := func(w string) bool {
		if w == "" {
			return false
		}
		if folded == w || core == w {
			return true
		}
		wn := utf8.RuneCountInString(w)
		return wn >= 4 && 2*wn >= n && strings.Contains(folded, w)
	}
	for _, w := range words {
		w = strings.TrimSpace(fold(w))
		if match(w) {
			return true
		}
		// An email address also stands for its local part, and for the
		// part before a "+tag".
		if at := strings.LastIndexByte(w, '@'); at > 0 {
			local := w[:at]
			if match(local) {
				return true
			}
			if plus := strings.IndexByte(local, '+'); plus > 0 && match(local[:plus]) {
				return true
			}
		}
	}
	return false
}
