// Package mfa holds what second factors are made of, apart from any view:
// the records a store keeps (Factor, Store), time-based one-time passwords
// (RFC 6238, on github.com/pquerna/otp) with replay protection, and
// recovery codes. Package views builds two-factor login, recovery codes
// and passkeys on it; memstore, sqlitestore and pgstore keep its records.
package mfa

import (
	"context"
	"time"
)

// The kinds of Factor.
const (
	// KindAuthenticator is a TOTP authenticator app; Data holds its
	// secret, sealed by the caller.
	KindAuthenticator = "authenticator"
	// KindEmail is one-time codes by mail; Data holds the secret they
	// are made from, sealed by the caller.
	KindEmail = "email"
	// KindWebAuthn is a passkey or security key; Data holds its public
	// credential.
	KindWebAuthn = "webauthn"
	// KindRecovery is one recovery code; Data holds its hash.
	KindRecovery = "recovery"
	// KindSigninAuthenticator and KindSigninEmail are ways to sign in
	// without the password (Flask-Security's unified sign-in), not second
	// factors: an authenticator app's codes, and codes by mail. Data
	// holds the secret, sealed by the caller; their secrets are apart
	// from the second factors', so neither's codes work as the other.
	KindSigninAuthenticator = "us_authenticator"
	KindSigninEmail         = "us_email"
	// KindSigninCode is one mailed sign-in code: Data holds it, sealed by
	// the caller; it works once, for a short while from CreatedAt, and
	// only the newest of a user's does. A code that was never mailed
	// works for no one.
	KindSigninCode = "us_code"
)

// Factor is one second factor of a user's: an authenticator app, mail
// codes, a passkey, or one recovery code.
type Factor struct {
	// ID is assigned by Store.AddFactor.
	ID     string
	UserID string
	Kind   string
	// Name tells a user's passkeys apart ("laptop"); unique per user and
	// kind when not empty.
	Name string
	// Data is opaque to stores: a sealed secret, a credential, a hash.
	Data []byte
	// Counter only grows (Store.UseFactor): the last TOTP time step
	// accepted, a passkey's signature count, 1 once a recovery code is
	// spent. It is what refuses a replayed code.
	Counter   int64
	CreatedAt time.Time
	// UsedAt is the last successful use; zero if never.
	UsedAt time.Time
}

// Store keeps users' factors.
type Store interface {
	// Factors returns the user's factors, oldest first; none is not an
	// error.
	Factors(ctx context.Context, userID string) ([]*Factor, error)
	// AddFactor stores f and assigns f.ID. gatehouse.ErrDuplicate
	// (wrapped) if f.Name is not empty and the user has a factor of that
	// kind and name.
	AddFactor(ctx context.Context, f *Factor) error
	// DeleteFactors removes the user's factors with the given IDs, or all
	// of them if none is given; nil if there are none.
	DeleteFactors(ctx context.Context, userID string, ids ...string) error
	// UseFactor records a use of the factor: atomically, and only if
	// counter is greater than its Counter, it sets Counter to counter and
	// UsedAt to at. gatehouse.ErrConflict (wrapped) if the Counter was
	// not less (a code used twice, concurrently or not), ErrNotFound if
	// the factor is gone. Counter 0 records the use of a factor that
	// keeps no count (a passkey whose signature count is always 0): it
	// sets UsedAt only, and never conflicts.
	UseFactor(ctx context.Context, userID, id string, counter int64, at time.Time) error
}
