package gatehouse

import (
	"context"
	"slices"
	"time"
)

// This file holds every interface an integrator may implement. Each is small,
// takes a context first, and documents its contract for every edge case.
// Implementations must be safe for concurrent use.

// UserStore persists users. [Manager] calls UserByID once per authenticated
// request: it is Flask-Login's user loader, so keep it to one indexed read.
type UserStore interface {
	// UserByID returns the user with id, or an error wrapping ErrNotFound if
	// there is none. Gatehouse then drops the ID from the session and the
	// request goes on anonymous.
	UserByID(ctx context.Context, id string) (*User, error)
	// UserByEmail receives an already-normalised email and matches it
	// case-insensitively. ErrNotFound (wrapped) if absent.
	UserByEmail(ctx context.Context, email string) (*User, error)
	// CreateUser stores u with its Roles in one transaction and assigns u.ID
	// if it is empty: a crash never leaves a user without the roles it was
	// created with. It returns an error wrapping ErrDuplicate if the email
	// (or a non-empty username) is taken.
	CreateUser(ctx context.Context, u *User) error
	// UpdateUser applies c to the user with id atomically, writing only what
	// c sets, so concurrent changes of different concerns (a password
	// change and a deactivation, a role removal and a logout) never undo
	// each other. ErrNotFound (wrapped) if there is no such user;
	// ErrDuplicate if a new email or username is taken; ErrConflict if c's
	// condition (IfPasswordHash) no longer holds, and then nothing changes.
	UpdateUser(ctx context.Context, id string, c UserChange) error
}

// UserChange is one atomic change to a stored user (see
// [UserStore.UpdateUser]). Nil fields are left as they are.
type UserChange struct {
	Email         *string
	Username      *string
	PasswordHash  *string
	Active        *bool
	ConfirmedAt   *time.Time
	SecurityStamp *string // setting it also empties RevokedSessions
	// AddRoles and RemoveRoles give and take roles; adding a role the user
	// has, or removing one it lacks, is not an error.
	AddRoles, RemoveRoles []string
	// RevokeSession is appended to RevokedSessions (revocations that
	// expired before UpdatedAt may be dropped on the way).
	RevokeSession *SessionRevocation
	// LoginAt, if set, records a login from LoginIP (Flask-Security's
	// trackable): the current login becomes the last one (for a first
	// login, both are this one), this one becomes the current one, and
	// LoginCount goes up by one.
	LoginAt time.Time
	LoginIP string
	// Fields sets the named fields of User.Fields; an empty value removes
	// the field. Others stay.
	Fields map[string]string
	// IfPasswordHash makes the change conditional: it applies only if the
	// stored PasswordHash still equals *IfPasswordHash (else ErrConflict),
	// as a rehash on login must not undo a password change.
	IfPasswordHash *string
	// UpdatedAt is set on every change; stores never read the clock.
	UpdatedAt time.Time
}

// Apply makes c on u, as a store that keeps whole users (memstore, say)
// does under its lock: ErrConflict if c's condition fails, and then u is
// unchanged. It does not check uniqueness.
func (c UserChange) Apply(u *User) error {
	if c.IfPasswordHash != nil && u.PasswordHash != *c.IfPasswordHash {
		return ErrConflict
	}
	set(&u.Email, c.Email)
	set(&u.Username, c.Username)
	set(&u.PasswordHash, c.PasswordHash)
	set(&u.Active, c.Active)
	set(&u.ConfirmedAt, c.ConfirmedAt)
	if c.SecurityStamp != nil {
		u.SecurityStamp, u.RevokedSessions = *c.SecurityStamp, nil
	}
	for _, r := range c.AddRoles {
		if !slices.Contains(u.Roles, r) {
			u.Roles = append(u.Roles, r)
		}
	}
	u.Roles = slices.DeleteFunc(u.Roles, func(r string) bool { return slices.Contains(c.RemoveRoles, r) })
	if c.RevokeSession != nil {
		u.RevokedSessions = slices.DeleteFunc(u.RevokedSessions, func(rs SessionRevocation) bool { return rs.Until.Before(c.UpdatedAt) })
		u.RevokedSessions = append(u.RevokedSessions, *c.RevokeSession)
	}
	for name, value := range c.Fields {
		if value == "" {
			delete(u.Fields, name)
			continue
		}
		if u.Fields == nil {
			u.Fields = map[string]string{}
		}
		u.Fields[name] = value
	}
	if !c.LoginAt.IsZero() {
		u.LastLoginAt, u.LastLoginIP = u.CurrentLoginAt, u.CurrentLoginIP
		if u.LastLoginAt.IsZero() {
			u.LastLoginAt = c.LoginAt
		}
		if u.LastLoginIP == "" {
			u.LastLoginIP = c.LoginIP
		}
		u.CurrentLoginAt, u.CurrentLoginIP = c.LoginAt, c.LoginIP
		u.LoginCount++
	}
	u.UpdatedAt = c.UpdatedAt
	return nil
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// Session is a server-side session as a [SessionStore] keeps it.
type Session struct {
	// ID is a hash of the session token from the cookie, never the token.
	ID string
	// UserID is empty for anonymous sessions (flashes, CSRF).
	UserID string
	// Data is gatehouse's encoded session state, opaque to the store.
	Data []byte
	// CreatedAt, UpdatedAt and ExpiresAt are set by the Manager from
	// Config.Now; stores never read the clock.
	CreatedAt time.Time
	UpdatedAt time.Time
	ExpiresAt time.Time
	// IP and UserAgent describe the client that started the session, for a
	// "your sessions" page. IP honours Config.ClientIP.
	IP        string
	UserAgent string
}

// SessionStore keeps sessions on the server instead of in the cookie. With
// one configured the cookie holds only a random token, and single sessions
// can be listed and revoked. Stores may drop expired sessions at any time;
// the Manager checks ExpiresAt itself using Config.Now.
type SessionStore interface {
	// Session returns the session with id, or ErrNotFound (wrapped).
	Session(ctx context.Context, id string) (*Session, error)
	// SaveSession inserts or replaces s.
	SaveSession(ctx context.Context, s *Session) error
	// DeleteSession removes the session with id; nil if it is absent.
	DeleteSession(ctx context.Context, id string) error
	// DeleteUserSessions removes every session of the user; nil if none.
	DeleteUserSessions(ctx context.Context, userID string) error
}

// Token is a one-time token (confirmation, reset or passwordless login link)
// as a [TokenStore] keeps it. The raw token is selector.verifier; the store
// sees the selector and a hash of the verifier only.
type Token struct {
	Kind         string
	Selector     string
	VerifierHash []byte
	UserID       string
	// Stamp binds the token to the user's SecurityStamp (a hash of it) when
	// it was issued, so a password change by any route kills it.
	Stamp string
	// Email is the address the token was sent to.
	Email string
	// Binding, if set, is a hash of a nonce kept in a cookie of the browser
	// that asked for the link (passwordless login): opened elsewhere, the
	// link asks before it logs anyone in.
	Binding   string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// TokenStore persists one-time tokens.
type TokenStore interface {
	// CreateToken stores t. ErrDuplicate (wrapped) if its kind and selector
	// are taken.
	CreateToken(ctx context.Context, t *Token) error
	// Token returns the token of kind with selector without taking it, or
	// ErrNotFound (wrapped).
	Token(ctx context.Context, kind string, selector string) (*Token, error)
	// TakeToken atomically returns and deletes the token of kind with
	// selector, so of many concurrent calls exactly one succeeds; the others
	// get ErrNotFound (wrapped). Expired tokens may be returned: the Manager
	// checks ExpiresAt with Config.Now.
	TakeToken(ctx context.Context, kind string, selector string) (*Token, error)
	// DeleteUserTokens removes the user's tokens of the given kinds (all
	// kinds if none are given). nil if there are none.
	DeleteUserTokens(ctx context.Context, userID string, kinds ...string) error
}

// PasswordHasher hashes and verifies passwords. Package password provides the
// implementations; the interface lives here, where it is used.
type PasswordHasher interface {
	// Hash returns a self-describing hash string of password.
	Hash(password string) (string, error)
	// Compare returns nil when password matches hash and an error otherwise,
	// including for a malformed hash: it fails closed.
	Compare(hash, password string) error
	// NeedsRehash reports whether hash should be replaced by a new Hash of
	// the same password, because its scheme or parameters are outdated.
	NeedsRehash(hash string) bool
}

// Role is an entry of the role catalog: a name users carry in User.Roles,
// with a description and the permissions it grants (Flask-Security's
// RoleMixin with permissions).
type Role struct {
	// Name is unique and case-sensitive, as role checks are.
	Name        string
	Description string
	Permissions []string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// RoleStore keeps the role catalog. It is optional: users can carry role
// names without one, but permission checks and the CLI need it.
type RoleStore interface {
	// Role returns the named role, or ErrNotFound (wrapped).
	Role(ctx context.Context, name string) (*Role, error)
	// Roles returns every role, ordered by name.
	Roles(ctx context.Context) ([]*Role, error)
	// CreateRole stores r. ErrDuplicate (wrapped) if the name is taken.
	CreateRole(ctx context.Context, r *Role) error
	// UpdateRole replaces the description and permissions of the role
	// named r.Name. ErrNotFound (wrapped) if absent.
	UpdateRole(ctx context.Context, r *Role) error
}

// MailJob is one mail in the [Outbox]. Everything that names the recipient
// or carries a link is in Payload, which the Manager seals before a store
// sees it and opens after: a store never holds an address, a token or a
// link in the clear.
type MailJob struct {
	// ID is assigned by Enqueue.
	ID string
	// Kind names the mail ("reset_instructions", ...), for operators.
	Kind string
	// Payload is sealed and opaque to the store; the Manager replaces it
	// as the job moves on (a request becomes a rendered message), and
	// empties it once the job is finished.
	Payload []byte
	// Attempts counts sends tried so far.
	Attempts int
	// DueAt is when the job may next be claimed.
	DueAt     time.Time
	CreatedAt time.Time
	// SentAt is when the job finished: sent, or found to have nothing to
	// send. FailedAt is when it was given up. Finished jobs are never
	// claimed again.
	SentAt   time.Time
	FailedAt time.Time
	// Error is the last failure, for operators; never a secret.
	Error string
	// Claim identifies the worker's claim, set by ClaimMail; ClaimedUntil
	// is when the claim lapses and another worker may take the job.
	Claim        string
	ClaimedUntil time.Time
}

// Outbox keeps mail jobs durably until they are sent, so neither an SMTP
// outage nor a crash loses a mail, and several app instances can share
// one outbox. Stores never read the clock: every time comes from the
// Manager.
type Outbox interface {
	// Enqueue stores j, with no claim, and assigns j.ID.
	Enqueue(ctx context.Context, j *MailJob) error
	// ClaimMail atomically picks one job that is unfinished, due
	// (DueAt <= now) and not claimed (ClaimedUntil <= now), gives it a new
	// Claim held until now+lease, and returns it: of concurrent callers in
	// any number of processes, only one gets a given job. Jobs are picked
	// in DueAt order. ErrNotFound (wrapped) if none is ready.
	ClaimMail(ctx context.Context, now time.Time, lease time.Duration) (*MailJob, error)
	// UpdateMail writes j's Payload, Attempts, DueAt, SentAt, FailedAt,
	// Error and ClaimedUntil (zero releases the claim), provided j.Claim
	// still holds the job; ErrConflict (wrapped) if another worker has
	// claimed it since, and ErrNotFound if it is gone.
	UpdateMail(ctx context.Context, j *MailJob) error
	// DeleteFinishedMail removes jobs that were sent or given up before
	// the given time and reports how many went.
	DeleteFinishedMail(ctx context.Context, before time.Time) (int, error)
}

// Limit is a rate: at most Count events Per period. Count events may come
// at once; after that, one every Per/Count (the generic cell rate
// algorithm).
type Limit struct {
	Count int
	Per   time.Duration
}

// Limiter keeps the counts behind rate limits and brute-force throttles.
// Keys are keyed hashes made by gatehouse, so a Limiter never holds an
// address or an account name. The default is the user store if it is a
// Limiter (the SQL stores and memstore are: limits then hold across every
// instance of the application), else in-process memory.
type Limiter interface {
	// Allow records one event for key at now if l allows it, atomically,
	// and otherwise reports how long until it would (recording nothing):
	// of 500 concurrent calls on one key, exactly as many are allowed as l
	// lets through.
	Allow(ctx context.Context, key string, l Limit, now time.Time) (ok bool, retryAfter time.Duration, err error)
	// Undo gives back one event Allow recorded for key under l (the
	// throttle takes an attempt's place before checking it, and gives it
	// back when the attempt succeeds). nil if key is unknown.
	Undo(ctx context.Context, key string, l Limit) error
	// Wait reports how long after now the next event for key would be
	// allowed under l (0: at once), recording nothing.
	Wait(ctx context.Context, key string, l Limit, now time.Time) (time.Duration, error)
	// Forget drops key's events: its next one starts from nothing.
	Forget(ctx context.Context, key string) error
}
