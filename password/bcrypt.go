package password

import (
	"errors"
	"strconv"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

const (
	bcryptMaxBytes = 72
	bcryptMaxCost  = 12 // default cap: passlib's, Django's and Devise's default cost
)

// Bcrypt hashes with bcrypt in the modular crypt format ($2b$12$...). It is
// a sound choice where Argon2id is not wanted, with one known trap: bcrypt
// reads only the first 72 bytes of a password. Hash refuses longer passwords
// with ErrTooLong, and Compare refuses them unless TruncateLong is set, so no
// two passwords sharing a 72-byte prefix ever match each other's hash.
type Bcrypt struct {
	// Cost is the log2 work factor. Default: 12.
	Cost int
	// MaxCost caps the cost a stored hash may ask for, so a hostile hash
	// cannot make one verify take seconds: each step doubles the work.
	// Default: 12, the default of passlib, Django and Devise, or Cost if
	// that is more. Measured on a 2-core test machine, a cost-12 verify takes about
	// 9× the default Argon2id verify.
	MaxCost int
	// TruncateLong makes Compare verify passwords over 72 bytes by their
	// first 72 bytes, as passlib and most bcrypt libraries do. Set it only
	// to verify hashes made elsewhere of such long passwords: with it, two
	// passwords sharing a 72-byte prefix match each other's hash.
	TruncateLong bool
}

func (b Bcrypt) cost() int {
	if b.Cost == 0 {
		return 12
	}
	return b.Cost
}

func (b Bcrypt) maxCost() int {
	if b.MaxCost > 0 {
		return b.MaxCost
	}
	return max(bcryptMaxCost, b.cost())
}

// MaxPasswordBytes returns 72: Hash refuses longer passwords (after
// normalisation) with ErrTooLong.
func (Bcrypt) MaxPasswordBytes() int { return bcryptMaxBytes }

// Name returns "bcrypt", passlib's name.
func (Bcrypt) Name() string { return "bcrypt" }

// Identify reports whether hash is a $2$, $2a$, $2b$ or $2y$ bcrypt hash.
func (Bcrypt) Identify(hash string) bool {
	return strings.HasPrefix(hash, "$2a$") || strings.HasPrefix(hash, "$2b$") ||
		strings.HasPrefix(hash, "$2y$") || strings.HasPrefix(hash, "$2$")
}

// Hash hashes password (normalised to NFKD) with fresh salt.
func (b Bcrypt) Hash(password string) (string, error) { return hashString(b, password) }

// Compare verifies password (normalised to NFKD) against hash.
func (b Bcrypt) Compare(hash, password string) error { return compareString(b, hash, password) }

// HashBytes hashes password as given; over 72 bytes it returns ErrTooLong.
func (b Bcrypt) HashBytes(password []byte) (string, error) {
	if len(password) > bcryptMaxBytes {
		return "", ErrTooLong
	}
	h, err := bcrypt.GenerateFromPassword(password, b.cost())
	if err != nil {
		return "", err
	}
	return string(h), nil
}

// CompareBytes verifies password as given against hash.
func (b Bcrypt) CompareBytes(hash string, password []byte) error {
	if len(password) > bcryptMaxBytes {
		if !b.TruncateLong {
			return ErrMismatch
		}
		password = password[:bcryptMaxBytes]
	}
	cost, err := bcryptCost(hash)
	if err != nil {
		return err
	}
	if cost > b.maxCost() {
		return ErrTooCostly
	}
	err = bcrypt.CompareHashAndPassword([]byte(hash), password)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return ErrMismatch
	default:
		return ErrMalformed
	}
}

// NeedsRehash reports whether hash has a lower cost than b's.
func (b Bcrypt) NeedsRehash(hash string) bool {
	cost, err := bcryptCost(hash)
	return err != nil || cost < b.cost()
}

// bcryptCost parses the cost field and checks the shape, before x/crypto
// does any work: $2b$NN$ then 53 characters of salt and hash.
func bcryptCost(hash string) (int, error) {
	rest, ok := strings.CutPrefix(hash, "$2")
	if !ok {
		return 0, ErrMalformed
	}
	if len(rest) > 0 && rest[0] != '$' {
		// Minor version: x/crypto would take any byte here, but only these
		// are bcrypt (and what Identify accepts).
		if rest[0] != 'a' && rest[0] != 'b' && rest[0] != 'y' {
			return 0, ErrMalformed
		}
		rest = rest[1:]
	}
	if len(rest) != 1+2+1+53 || rest[0] != '$' || rest[3] != '$' {
		return 0, ErrMalformed
	}
	cost, err := strconv.Atoi(rest[1:3])
	if err != nil || cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
		return 0, ErrMalformed
	}
	return cost, nil
}
