package password

import (
	"crypto/hmac"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Errors. Compare returns ErrMismatch for a wrong password, ErrMalformed
// or ErrUnknownScheme for a hash it cannot read, ErrTooCostly for a hash
// over the caps and ErrTooLong for a password over a length cap; all of them
// mean "no". Policy returns ErrTooShort, ErrTooLong, ErrInvalidUTF8,
// ErrCommon, ErrContext or ErrBreached.
var (
	ErrMismatch          = errors.New("password: hash does not match password")
	ErrMalformed         = errors.New("password: malformed hash")
	ErrUnknownScheme     = errors.New("password: unknown hash scheme")
	ErrTooCostly         = errors.New("password: hash parameters over the allowed maximum")
	ErrTooLong           = errors.New("password: password too long")
	ErrTooShort          = errors.New("password: password too short")
	ErrInvalidUTF8       = errors.New("password: password is not valid UTF-8")
	ErrCommon            = errors.New("password: password is too common")
	ErrBreached          = errors.New("password: password appears in a data breach")
	ErrContext           = errors.New("password: password is based on the account's details")
	ErrPlaintextDisabled = errors.New("password: plaintext scheme is for tests and is not enabled")
)

// MaxBytes is the hard cap on a password's length in bytes. It is checked
// on the password as given, before any normalisation or hashing, so a
// megabyte-long password costs nothing, and again after normalisation,
// which can expand a string: NFKD and NFKC turn the 3-byte U+FDFA into 33
// bytes.
const MaxBytes = 4096

// Scheme is one hash algorithm in its standard string format. The methods
// take the password bytes exactly as they will be hashed: [Upgrade] and the
// Hash/Compare methods of each scheme type prepare the string first
// (length cap, UTF-8 check, Unicode normalisation).
type Scheme interface {
	// Name is passlib's name for the scheme ("argon2", "bcrypt", ...).
	Name() string
	// Identify reports whether hash is in this scheme's format.
	Identify(hash string) bool
	// HashBytes hashes password with fresh random salt.
	HashBytes(password []byte) (string, error)
	// CompareBytes returns nil if password matches hash, an error otherwise.
	CompareBytes(hash string, password []byte) error
	// NeedsRehash reports whether hash uses weaker parameters than the
	// scheme's current ones (or is not of this scheme at all).
	NeedsRehash(hash string) bool
}

// Normalization selects the Unicode form passwords are put in before
// hashing, so the same password typed on different keyboards matches.
type Normalization uint8

const (
	// NFKD is the default: it is what Flask-Security hashes, so migrated
	// hashes verify.
	NFKD Normalization = iota
	// NFKC is the form NIST 800-63B suggests.
	NFKC
	// NoNormalization hashes the bytes as given, as bare passlib does.
	NoNormalization
)

// prepare checks and normalises a password for hashing. The length cap is
// checked before normalising (cheaply) and after (normalisation can expand
// a string about 11×).
func prepare(pw string, n Normalization) ([]byte, error) {
	if len(pw) > MaxBytes {
		return nil, ErrTooLong
	}
	if !utf8.ValidString(pw) {
		return nil, ErrInvalidUTF8
	}
	switch n {
	case NFKC:
		pw = norm.NFKC.String(pw)
	case NoNormalization:
	default:
		pw = norm.NFKD.String(pw)
	}
	if len(pw) > MaxBytes {
		return nil, ErrTooLong
	}
	return []byte(pw), nil
}

// FlaskSecurity reproduces Flask-Security's hash_password and
// verify_password: when Salt (SECURITY_PASSWORD_SALT) is set, the normalised
// password is replaced by base64(HMAC-SHA512(Salt, password)) before it is
// hashed, except for the schemes named in SingleHash
// (SECURITY_PASSWORD_SINGLE_HASH).
type FlaskSecurity struct {
	// Salt is SECURITY_PASSWORD_SALT. Empty turns the HMAC step off.
	Salt string
	// SingleHash names the schemes (by [Scheme.Name]) hashed without the
	// HMAC step. Flask-Security's default lists only django_* schemes and
	// plaintext, so leave it empty unless the Flask app changed it.
	SingleHash []string
	// SingleHashAll is SECURITY_PASSWORD_SINGLE_HASH = True.
	SingleHashAll bool
}

// applies reports whether the HMAC step applies to hashes of s. It never
// does to other frameworks' schemes (Werkzeug, Django, Devise):
// Flask-Security did not make those hashes.
func (f *FlaskSecurity) applies(s Scheme) bool {
	if _, ok := s.(verbatim); ok {
		return false
	}
	return f != nil && f.Salt != "" && !f.SingleHashAll && !slices.Contains(f.SingleHash, s.Name()) && s.Name() != "plaintext"
}

// verbatim is implemented by the schemes of other frameworks (Werkzeug,
// Django, Devise). They hash the password's UTF-8 bytes exactly as typed,
// so Upgrade neither normalises the password for them nor applies
// FlaskSecurity's HMAC step: a password verifies exactly when the framework
// would have verified it.
type verbatim interface{ verbatim() }

// normalization returns the form passwords are put in for s: n, or none for
// a verbatim scheme.
func normalization(s Scheme, n Normalization) Normalization {
	if _, ok := s.(verbatim); ok {
		return NoNormalization
	}
	return n
}

func (f *FlaskSecurity) transform(s Scheme, pw []byte) []byte {
	if !f.applies(s) {
		return pw
	}
	return f.hmac(pw)
}

// HMAC is Flask-Security's get_hmac: base64(HMAC-SHA512(Salt, password)),
// what it hashes in place of the password when SECURITY_PASSWORD_SALT is
// set, for applications that check such values themselves. The password
// is used as given (Flask-Security's forms normalise it first).
func (f *FlaskSecurity) HMAC(password string) string { return string(f.hmac([]byte(password))) }

func (f *FlaskSecurity) hmac(pw []byte) []byte {
	m := hmac.New(sha512.New, []byte(f.Salt))
	m.Write(pw)
	out := make([]byte, base64.StdEncoding.EncodedLen(sha512.Size))
	base64.StdEncoding.Encode(out, m.Sum(nil))
	return out
}

// Upgrade holds a current scheme plus accepted legacy schemes: it hashes
// with Current and verifies any of them, and NeedsRehash reports hashes that
// are not Current at current parameters, so a login can store a new hash
// (Flask-Security's verify_and_update_password). It satisfies
// gatehouse.PasswordHasher.
type Upgrade struct {
	// Current hashes new passwords. nil means Argon2id{}.
	Current Scheme
	// Legacy schemes are accepted by Compare only.
	Legacy []Scheme
	// Normalize is the Unicode form applied first. Default: NFKD. It does
	// not apply to the schemes of other frameworks (Werkzeug, Django,
	// Devise), which hash the password exactly as typed, as the frameworks
	// do.
	Normalize Normalization
	// FlaskSecurity, when set, reproduces Flask-Security's salted double
	// hashing for hashes made by a Flask application.
	FlaskSecurity *FlaskSecurity
}

func (u Upgrade) current() Scheme {
	if u.Current == nil {
		return Argon2id{}
	}
	return u.Current
}

// Hash hashes password with the current scheme.
func (u Upgrade) Hash(password string) (string, error) {
	s := u.current()
	pw, err := prepare(password, normalization(s, u.Normalize))
	if err != nil {
		return "", err
	}
	pw = u.FlaskSecurity.transform(s, pw)
	if _, ok := s.(Bcrypt); ok && u.FlaskSecurity.applies(s) {
		// The HMAC'd form is 88 base64 bytes; bcrypt reads 72 of them, as
		// Flask-Security's does. That keeps 432 bits of the HMAC: no two
		// passwords collide the way long raw passwords do.
		pw = pw[:bcryptMaxBytes]
	}
	return s.HashBytes(pw)
}

// Compare verifies password against a hash of any accepted scheme. It fails
// closed: a malformed or unknown hash is an error. A hash that NeedsRehash
// (made elsewhere, or by older settings) is also tried with the password
// exactly as typed when normalisation changed it, because bare passlib and
// Flask-Security's hash_password hash it unnormalised; so for a non-ASCII
// password a legacy passlib-format hash may be computed twice. The schemes
// of other frameworks (Werkzeug, Django, Devise) are given the password
// exactly as typed, once, as the frameworks do.
func (u Upgrade) Compare(hash, password string) error {
	s := u.identify(hash)
	if s == nil {
		return ErrUnknownScheme
	}
	pw, err := prepare(password, normalization(s, u.Normalize))
	if err != nil {
		return err
	}
	err = u.compareScheme(s, hash, pw)
	if errors.Is(err, ErrMismatch) && string(pw) != password && u.NeedsRehash(hash) {
		// A hash made elsewhere may be of the password exactly as typed:
		// bare passlib never normalises, and Flask-Security's hash_password
		// does not either (only its forms do). The caller rehashes on
		// success, storing the normalised form.
		err = u.compareScheme(s, hash, []byte(password))
	}
	return err
}

func (u Upgrade) compareScheme(s Scheme, hash string, pw []byte) error {
	if !u.FlaskSecurity.applies(s) {
		return s.CompareBytes(hash, pw)
	}
	pw = u.FlaskSecurity.transform(s, pw)
	if b, ok := s.(Bcrypt); ok {
		b.TruncateLong = true // the 88-byte HMAC form, see Hash
		return b.CompareBytes(hash, pw)
	}
	return s.CompareBytes(hash, pw)
}

// MaxPasswordBytes returns the longest password, in bytes, that Hash
// accepts, or 0 if that is MaxBytes: the current scheme's limit (72 for
// Bcrypt), except that with FlaskSecurity's HMAC step every password is
// hashed as 88 bytes (bcrypt reads 72 of them), so there is none.
func (u Upgrade) MaxPasswordBytes() int {
	c := u.current()
	if u.FlaskSecurity.applies(c) {
		return 0
	}
	return MaxPasswordBytes(c)
}

// NeedsRehash reports whether hash is not of the current scheme, or is of
// it with weaker parameters. Unknown hashes need a rehash too.
func (u Upgrade) NeedsRehash(hash string) bool {
	c := u.current()
	return !c.Identify(hash) || c.NeedsRehash(hash)
}

// Identify returns the accepted scheme that hash is in, or nil.
func (u Upgrade) identify(hash string) Scheme {
	if c := u.current(); c.Identify(hash) {
		return c
	}
	for _, s := range u.Legacy {
		if s.Identify(hash) {
			return s
		}
	}
	return nil
}

// hashString and compareString are the Hash and Compare of a single scheme
// with default preparation (NFKD but for verbatim schemes, length cap).
func hashString(s Scheme, password string) (string, error) {
	pw, err := prepare(password, normalization(s, NFKD))
	if err != nil {
		return "", err
	}
	return s.HashBytes(pw)
}

func compareString(s Scheme, hash, password string) error {
	if !s.Identify(hash) {
		return fmt.Errorf("%w: not %s", ErrUnknownScheme, s.Name())
	}
	pw, err := prepare(password, normalization(s, NFKD))
	if err != nil {
		return err
	}
	return s.CompareBytes(hash, pw)
}
