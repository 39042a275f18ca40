package gatehouse

import (
	"context"
	"net/http"
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
	// CreateUser stores u and assigns u.ID if it is empty. It returns an
	// error wrapping ErrDuplicate if the email (or a non-empty username) is
	// taken.
	CreateUser(ctx context.Context, u *User) error
	// UpdateUser replaces the stored user, roles included. ErrNotFound
	// (wrapped) if absent; ErrDuplicate if the new email or username is taken.
	UpdateUser(ctx context.Context, u *User) error
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

// TokenKind names the purpose of a one-time token.
type TokenKind string

// The one-time token kinds gatehouse issues.
const (
	TokenConfirm TokenKind = "confirm"
	TokenReset   TokenKind = "reset"
	TokenLogin   TokenKind = "login"
)

// Token is a one-time token (confirmation, reset or passwordless login link)
// as a [TokenStore] keeps it. The raw token is selector.verifier; the store
// sees the selector and a hash of the verifier only.
type Token struct {
	Kind         TokenKind
	Selector     string
	VerifierHash []byte
	UserID       string
	// Stamp binds the token to the user's SecurityStamp (a hash of it) when
	// it was issued, so a password change by any route kills it.
	Stamp string
	// Email is the address the token was sent to.
	Email     string
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
	Token(ctx context.Context, kind TokenKind, selector string) (*Token, error)
	// TakeToken atomically returns and deletes the token of kind with
	// selector, so of many concurrent calls exactly one succeeds; the others
	// get ErrNotFound (wrapped). Expired tokens may be returned: the Manager
	// checks ExpiresAt with Config.Now.
	TakeToken(ctx context.Context, kind TokenKind, selector string) (*Token, error)
	// DeleteUserTokens removes the user's tokens of the given kinds (all
	// kinds if none are given). nil if there are none.
	DeleteUserTokens(ctx context.Context, userID string, kinds ...TokenKind) error
}

// TokenSweeper removes expired one-time tokens; Manager.Run calls it now and
// then. Optional: expired tokens are refused either way.
type TokenSweeper interface {
	// DeleteExpiredTokens removes tokens that expired before the given time
	// and reports how many went.
	DeleteExpiredTokens(ctx context.Context, before time.Time) (int, error)
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

// RoleAssigner changes one user's roles atomically, so concurrent changes
// do not lose each other (UpdateUser replaces the whole user). Optional;
// without it the Manager reads, changes and writes the user.
type RoleAssigner interface {
	// AddUserRole gives the user the role; nil if it already has it.
	// ErrNotFound (wrapped) if the user does not exist.
	AddUserRole(ctx context.Context, userID, role string) error
	// RemoveUserRole takes the role from the user; nil if it did not have
	// it. ErrNotFound (wrapped) if the user does not exist.
	RemoveUserRole(ctx context.Context, userID, role string) error
}

// LoginRecorder records a login atomically (Flask-Security's trackable):
// last login becomes the previous current login, current login becomes at
// and ip, and the count goes up by one. Optional; without it the Manager
// reads, changes and writes the user.
type LoginRecorder interface {
	// RecordLogin updates the tracking fields. ErrNotFound (wrapped) if the
	// user does not exist.
	RecordLogin(ctx context.Context, userID string, at time.Time, ip string) error
}

// UserFilter selects users for [UserLister].
type UserFilter struct {
	// Email, if set, matches addresses containing it (case-insensitive).
	Email string
	// Role, if set, matches users who have it.
	Role string
	// Limit caps the result; 0 means no limit. Offset skips that many.
	Limit, Offset int
}

// UserLister lists users, ordered by ID; the CLI's "users list" needs it.
type UserLister interface {
	ListUsers(ctx context.Context, f UserFilter) ([]*User, error)
}

// UserDeleter deletes users. Optional; the CLI and Manager.DeleteUser need it.
type UserDeleter interface {
	// DeleteUser removes the user with its roles, sessions and tokens; nil
	// if it does not exist.
	DeleteUser(ctx context.Context, id string) error
}

// UsernameLookup finds users by username, for logins that accept one as
// well as an email address. Optional.
type UsernameLookup interface {
	// UserByUsername matches case-insensitively. ErrNotFound (wrapped) if
	// absent.
	UserByUsername(ctx context.Context, username string) (*User, error)
}

// SessionLister lists a user's server-side sessions, for a "your sessions"
// page where single sessions can be revoked. Optional.
type SessionLister interface {
	// UserSessions returns the user's sessions, newest first (expired ones
	// may be included: the Manager filters them).
	UserSessions(ctx context.Context, userID string) ([]*Session, error)
}

// Message is one email gatehouse sends: a confirmation link, reset
// instructions, a notice.
type Message struct {
	To      string
	Subject string
	Text    string // plain-text body
	HTML    string // HTML body; may be empty
	// Kind names the template it was made from ("reset_instructions", ...),
	// for logs and tests.
	Kind string
}

// Mailer sends email. Package mail has an SMTP implementation and a
// development mailbox. Send may block; gatehouse calls it off the request
// path when Manager.Run is running.
type Mailer interface {
	// Send delivers m or returns an error; gatehouse retries failed sends
	// with backoff when Manager.Run is running.
	Send(ctx context.Context, m *Message) error
}

// Limit is a rate: at most Count events Per period.
type Limit struct {
	Count int
	Per   time.Duration
}

// Limiter counts events per key for rate limits. Keys are hashed by
// gatehouse before they reach it, so a Limiter never holds raw addresses.
// The default is in-process; a shared one (Redis, say) makes limits hold
// across several server processes.
type Limiter interface {
	// Allow records one event for key at now and reports whether it is
	// within l; if not, retryAfter says when the next one would be.
	Allow(ctx context.Context, key string, l Limit, now time.Time) (ok bool, retryAfter time.Duration, err error)
}

// SessionSweeper removes expired server-side sessions; Manager.Run calls it
// now and then. Optional: expired sessions are refused either way.
type SessionSweeper interface {
	// DeleteExpiredSessions removes sessions that expired before the given
	// time and reports how many went.
	DeleteExpiredSessions(ctx context.Context, before time.Time) (int, error)
}

// PasswordPolicy checks a new password at register, change and reset;
// password.Policy is one.
type PasswordPolicy interface {
	// Validate returns nil if password may be set, else an error saying
	// why (password.ErrTooShort, ErrCommon, ErrBreached, ...).
	Validate(ctx context.Context, password string) error
}

// Router is anything the views can be mounted on with Go 1.22 patterns
// ("GET /login"), such as *http.ServeMux.
type Router interface {
	Handle(pattern string, handler http.Handler)
}
