package gatehouse

import (
	"maps"
	"slices"
	"time"
)

// User is the identity record gatehouse owns. Applications keep their own
// profile data in their own tables keyed by ID, and may serve users from an
// existing table by implementing [UserStore] over it.
type User struct {
	// ID identifies the user. Stores may use integers or UUIDs internally.
	ID string
	// Email is normalised by gatehouse before any store sees it; stores keep
	// it unique, compared case-insensitively.
	Email string
	// Username is optional; when set it is unique.
	Username string
	// PasswordHash is a hash string from a [PasswordHasher]; empty means the
	// user has no password (passwordless login only).
	PasswordHash string
	// Active users may log in. A deactivated user's sessions stop working on
	// their next request.
	Active bool
	// ConfirmedAt is when the email address was confirmed; zero if never.
	ConfirmedAt time.Time
	// Roles are role names; see [User.HasRole].
	Roles []string
	// SecurityStamp is a random value bound into sessions, remember cookies
	// and auth tokens (Flask-Security's fs_uniquifier). Rotating it, on a
	// password change or "log out everywhere", revokes them all.
	SecurityStamp string

	// Login tracking (Flask-Security's trackable).
	LastLoginAt    time.Time
	CurrentLoginAt time.Time
	LastLoginIP    string
	CurrentLoginIP string
	LoginCount     int

	// RevokedSessions lists sessions ended by Logout that have not expired
	// yet, so a replayed stateless session cookie is refused without a second
	// store read. Gatehouse maintains it; stores persist it as they would any
	// other field.
	RevokedSessions []SessionRevocation

	// Fields are the application's own fields of a user (Flask-Security's
	// custom model columns: a first name, a company), kept by the stores
	// and filled at registration from the form fields
	// views.Config.RegisterFields names. Names are lower-case letters,
	// digits and underscores; values are text.
	Fields map[string]string

	CreatedAt time.Time
	UpdatedAt time.Time
}

// SessionRevocation records one logged-out session until it would have
// expired anyway.
type SessionRevocation struct {
	// ID is a hash of the session ID, never the ID itself.
	ID string
	// Until is when the session would have expired; after it the entry can go.
	Until time.Time
}

// HasRole reports whether u has the named role. A nil user has none.
func (u *User) HasRole(role string) bool {
	return u != nil && slices.Contains(u.Roles, role)
}

// IsConfirmed reports whether the user's email address is confirmed.
func (u *User) IsConfirmed() bool { return u != nil && !u.ConfirmedAt.IsZero() }

// Method records how a request was authenticated.
type Method uint8

// The ways a request can be authenticated.
const (
	// MethodSession: a session cookie set at login.
	MethodSession Method = iota + 1
	// MethodRemember: a session restored from the remember-me cookie.
	MethodRemember
	// MethodToken: an API auth token in a header or query parameter.
	MethodToken
	// MethodBasic: HTTP Basic credentials.
	MethodBasic
	// MethodRequest: Config.RequestLoader found the user in the request.
	MethodRequest
)

var methodNames = [...]string{"", "session", "remember", "token", "basic", "request"}

// String returns the method's lower-case name ("session", "token", ...).
func (m Method) String() string {
	if int(m) < len(methodNames) {
		return methodNames[m]
	}
	return "unknown"
}

// Principal is the authenticated identity attached to a request.
type Principal struct {
	User   *User
	Method Method
	// AuthTime is the last time credentials were verified; with Fresh it
	// decides freshness (Policy.Fresh).
	AuthTime time.Time
	// Fresh is true when this session was started or confirmed with
	// credentials, false when it was restored from a remember cookie or
	// downgraded by session protection (Flask-Login's fresh flag).
	Fresh bool
	// SessionID is the ID under which the SessionStore keeps this
	// request's session (Session.ID, as admin.UserSessions lists it), for
	// a "your sessions" page to mark "this browser"; "" for sessions
	// sealed in the cookie (no SessionStore), other methods, and a session
	// started by this request.
	SessionID string
}

// Clone returns a deep copy of u: stores hand out clones so callers may
// change what they get.
func (u *User) Clone() *User {
	c := *u
	c.Roles = slices.Clone(u.Roles)
	c.RevokedSessions = slices.Clone(u.RevokedSessions)
	c.Fields = maps.Clone(u.Fields)
	return &c
}
