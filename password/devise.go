package password

import "strings"

// Devise reads (and can make) the password hashes of Ruby's Devise, whose
// default encryptor is bcrypt (bcrypt-ruby) of the password followed by
// the pepper (config.pepper, often unset):
//
//	$2a$12$<salt and hash>
//
// The password is hashed exactly as typed (see [Upgrade.Normalize]). As in
// Devise, only the first 72 bytes of password + pepper count: a long pepper
// (Devise's generator suggests 128 hex digits) is partly or wholly ignored,
// and two passwords sharing their first 72 bytes match each other's hash.
// Migrate such hashes rather than keep them; HashBytes refuses passwords
// over 72 bytes.
//
// Devise's hashes are plain bcrypt hashes: without a pepper,
// Bcrypt{TruncateLong: true} reads them too, but normalises the password
// first (then retries it as typed). Put Devise ahead of Bcrypt in
// Upgrade.Legacy, since the first scheme that identifies a hash verifies
// it.
//
// The cost is capped at MaxCost, by default Devise's 12 stretches. Measured
// on a 2-core test machine, such a verify costs about 9× the default
// Argon2id verify.
type Devise struct {
	// Pepper is Devise's config.pepper. Default: none.
	Pepper string
	// Cost is the cost (Devise's stretches) of new hashes. Default: 12.
	Cost int
	// MaxCost caps the cost of a stored hash. Default: 12, or Cost if more.
	MaxCost int
}

func (Devise) verbatim() {}

func (d Devise) bcrypt() Bcrypt {
	return Bcrypt{Cost: d.Cost, MaxCost: d.MaxCost, TruncateLong: true}
}

// peppered returns what bcrypt reads: the first 72 bytes of password +
// pepper.
func (d Devise) peppered(password []byte) []byte {
	pw := make([]byte, 0, len(password)+len(d.Pepper))
	pw = append(append(pw, password...), d.Pepper...)
	return pw[:min(len(pw), bcryptMaxBytes)]
}

// Name returns "devise_bcrypt".
func (Devise) Name() string { return "devise_bcrypt" }

// Identify reports whether hash is a bcrypt hash ($2a$, $2b$, $2y$, $2$).
func (Devise) Identify(hash string) bool { return Bcrypt{}.Identify(hash) }

// MaxPasswordBytes returns 72: HashBytes refuses longer passwords.
func (Devise) MaxPasswordBytes() int { return bcryptMaxBytes }

// Hash hashes password, exactly as typed, with fresh salt.
func (d Devise) Hash(password string) (string, error) { return hashString(d, password) }

// Compare verifies password, exactly as typed, against hash.
func (d Devise) Compare(hash, password string) error { return compareString(d, hash, password) }

// HashBytes hashes password + pepper as Devise does. It refuses a password
// over 72 bytes with ErrTooLong; the pepper is cut to what fits, as bcrypt
// would.
func (d Devise) HashBytes(password []byte) (string, error) {
	if len(password) > bcryptMaxBytes {
		return "", ErrTooLong
	}
	return d.bcrypt().HashBytes(d.peppered(password))
}

// CompareBytes verifies password + pepper, as Devise does, against hash. A
// cost over MaxCost is refused with ErrTooCostly before any hashing.
func (d Devise) CompareBytes(hash string, password []byte) error {
	if !strings.HasPrefix(hash, "$2") {
		return ErrMalformed
	}
	return d.bcrypt().CompareBytes(hash, d.peppered(password))
}

// NeedsRehash reports whether hash is not a bcrypt hash or has a lower cost
// than d's.
func (d Devise) NeedsRehash(hash string) bool { return d.bcrypt().NeedsRehash(hash) }
