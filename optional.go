package gatehouse

import (
	"context"
	"time"
)

// Optional store abilities. A store that has one gets the feature that
// needs it; New detects them once. Each interface documents what needs it.

// UsernameLookup finds users by username, for logins that accept one as
// well as an email address (Config.IdentityAttributes).
type UsernameLookup interface {
	// UserByUsername matches case-insensitively. ErrNotFound (wrapped) if
	// absent.
	UserByUsername(ctx context.Context, username string) (*User, error)
}

// Sweeper removes what has expired: one-time tokens and server-side
// sessions. Manager.Sweep calls it; expired ones are refused either way.
type Sweeper interface {
	// DeleteExpired removes tokens and sessions that expired before the
	// given time and reports how many went.
	DeleteExpired(ctx context.Context, before time.Time) (int, error)
}

// Transactor is implemented by a store that keeps several of a Manager's
// stores in one database (the SQL stores keep users, tokens and the
// outbox). InTx runs fn in one transaction: every store call fn makes
// with the context it is given is part of it, and is undone if fn fails.
// The Manager uses it, when Users, Tokens and Outbox are one store, so
// that a user and the mail confirming it, or a token and the mail that
// carries it, are written together or not at all. Nested calls join the
// outer transaction.
type Transactor interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}
