package gatehouse

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"time"
)

// Config configures a [Manager]: the engine that decides who makes each
// request. The product built on it (login, register and reset pages, mails)
// is configured apart, in package views. The zero value of every field is
// the secure, documented default; only Users and SecretKeys are required.
// New copies the Config, so changing it afterwards has no effect.
type Config struct {
	// Stores. Users is required; the others are optional.

	// Users loads and changes users.
	Users UserStore
	// Sessions keeps sessions on the server. Default: none: the session
	// lives in an encrypted cookie (see "Sessions" in the package docs).
	Sessions SessionStore
	// Tokens keeps one-time tokens (confirm, reset, passwordless links).
	// Required by the views that mail links.
	Tokens TokenStore
	// Roles is the role catalog (names, descriptions, permissions). Default:
	// none: users carry role names, and permission checks find nothing.
	Roles RoleStore
	// Outbox keeps mail until it is sent. Default: Users, if it is an
	// Outbox (the SQL stores and memstore are).
	Outbox Outbox
	// Limiter keeps the counts of rate limits and throttles. Default:
	// Users, if it is a Limiter (the SQL stores and memstore are: limits
	// hold across every instance), else in-process memory (GCRA,
	// size-bounded), right for one server process only.
	Limiter Limiter
	// StoreTimeout is the deadline of every store call: a database that is
	// down or frozen costs a request at most this long, then a 503.
	// Default: 5 seconds.
	StoreTimeout time.Duration

	// SecretKeys seal session cookies and sign remember cookies and tokens.
	// The first key seals and signs; every key opens and verifies, so a new
	// key can be put first while old cookies still work. Each must be at
	// least 32 random bytes (NewSecretKey makes one). Required.
	SecretKeys [][]byte

	// Passwords.

	// Hasher hashes passwords. Default: password.Argon2id{}.
	Hasher PasswordHasher
	// MaxHashes is how many password hashes run at once: Argon2id takes a
	// CPU and 19 MiB each. Default: one per CPU (GOMAXPROCS).
	MaxHashes int
	// HashQueue is how many requests may wait for a hash; past it, a
	// request is answered 503 with Retry-After at once. Default: 32 per
	// MaxHashes.
	HashQueue int
	// HashWait is how long a request may wait for a hash before it is
	// answered 503. Default: 10 seconds. A request whose client has gone
	// is never hashed for. A freed slot goes first to the client (address)
	// with the fewest hashes running, and one client may hold at most a
	// quarter of the queue: a flood from one address does not hold up
	// other users.
	HashWait time.Duration
	// AnonymousRoles are roles visitors who are not logged in carry
	// (Flask-Login's custom anonymous_user, a "guest" role, say): a
	// Policy that asks only for roles or permissions lets them through
	// when these roles (and the catalog's permissions for them) meet it.
	// RequireLogin, methods, freshness and Allow still need a login.
	// Default: none.
	AnonymousRoles []string
	// IdentityAttributes are what users log in with: "email" and/or
	// "username" (Flask-Security's USER_IDENTITY_ATTRIBUTES). Default:
	// email.
	IdentityAttributes []string
	// Throttle limits failed checks of passwords and one-time links
	// against guessing: see ThrottleConfig for the defaults.
	Throttle ThrottleConfig

	// Where browsers go. LoginURL is where browsers that must log in are
	// redirected, with a "next" parameter; default: the login view when
	// the views are installed (views.New), else none: they get a 401.
	// RefreshURL is where those that must log in again (RequireFresh) go;
	// default: the verify view when the views are installed, else
	// LoginURL.
	// PostLoginURL is where logged-in browsers are sent away from pages
	// for anonymous visitors, and where "next" goes when it is missing or
	// unsafe; default: "/".
	LoginURL, RefreshURL, PostLoginURL string
	// NextInSession keeps "next" in the session instead of the login URL's
	// query string (Flask-Login's USE_SESSION_FOR_NEXT).
	NextInSession bool
	// AllowedRedirectHosts lists hosts ("example.com",
	// "app.example.com:8443") that absolute "next" URLs may point to.
	// Default: none: only paths on this site are followed.
	AllowedRedirectHosts []string

	// Cookies and sessions.
	Cookie     CookieConfig
	Session    SessionConfig
	Remember   RememberConfig
	Protection Protection // Flask-Login's session protection. Default: ProtectionBasic.
	// TrustedOrigins are other origins ("https://app.example.com") whose
	// cross-origin requests are not refused as CSRF.
	TrustedOrigins []string

	// Credentials other than the session, read by Authenticate on every
	// request (Flask-Security's "token" and "basic" mechanisms).

	// TokenAuth accepts API auth tokens in the TokenHeader header or as
	// "Authorization: Bearer" (and in the TokenQuery parameter only if it
	// names one). They expire after TokenMaxAge.
	TokenAuth bool
	// TokenHeader names the header auth tokens come in. Default:
	// "Authentication-Token".
	TokenHeader string
	// TokenQuery names a query parameter that may carry an auth token
	// ("auth_token" is Flask-Security's). Default: none: tokens in URLs end
	// up in logs, histories and Referer headers.
	TokenQuery string
	// TokenMaxAge ends auth tokens this long after they were issued; they
	// also die when the user's SecurityStamp changes. Negative means no age
	// limit (Flask-Security's TOKEN_MAX_AGE = None). Default: 24 hours.
	TokenMaxAge time.Duration
	// BasicAuth accepts HTTP Basic credentials on every request. Each such
	// request pays a password hash.
	BasicAuth bool
	// BasicRealm is the realm of WWW-Authenticate. Default: "Login Required".
	BasicRealm string
	// RequestLoader finds a user from the request itself (an API key in a
	// header, say) when there is no session, like Flask-Login's
	// request_loader. Return (nil, nil) when the request carries nothing.
	RequestLoader func(r *http.Request) (*User, error)

	// Trackable records login times, IPs and counts on every login
	// (Flask-Security's SECURITY_TRACKABLE).
	Trackable bool
	// LoginDisabled turns every guard off, like Flask-Login's
	// LOGIN_DISABLED, for unit tests of the handlers behind them. New logs
	// a warning when it is set. Never set it in production.
	LoginDisabled bool

	// ClientIP returns the client's address, for session protection, login
	// tracking and rate limits. Default: the host of r.RemoteAddr, or, when
	// TrustedProxies is set, the right-most X-Forwarded-For address that is
	// not a trusted proxy. Headers are never trusted otherwise.
	ClientIP func(r *http.Request) netip.Addr
	// TrustedProxies are the networks of reverse proxies whose
	// X-Forwarded-For header may be believed. Default: none.
	TrustedProxies []netip.Prefix

	// Answers: OnUnauthorized answers requests that must log in (default:
	// JSON 401, a redirect to LoginURL, or a plain 401); OnNeedsRefresh
	// requests that must log in again (default: JSON 401 with
	// reauth_required, a redirect to RefreshURL, or a plain 401);
	// OnForbidden requests that lack a role or permission (default: JSON
	// or plain 403).
	OnUnauthorized, OnNeedsRefresh, OnForbidden func(w http.ResponseWriter, r *http.Request, err error)

	// Hooks are called when things happen (Flask-Login's and
	// Flask-Security's signals).
	Hooks Hooks

	// Logger receives security events. Default: slog.Default().
	Logger *slog.Logger
	// Now is the clock. Default: time.Now.
	Now func() time.Time
}

// CookieConfig configures the session cookie.
type CookieConfig struct {
	// Name of the session cookie. Default: "__Host-gatehouse", or
	// "__Secure-gatehouse" when Domain or Path is set, or "gatehouse" when
	// Insecure (browsers refuse the prefixes without Secure).
	Name string
	// Domain lets subdomains share the cookie. Default: none (host-only).
	Domain string
	// Path of the cookie. Default: "/".
	Path string
	// Insecure drops the Secure attribute, for local development over plain
	// HTTP only. New logs a warning when it is set.
	Insecure bool
	// SameSite of both cookies. Default: http.SameSiteLaxMode.
	SameSite http.SameSite
	// CSRFName, if set, names a cookie that carries the session's CSRF
	// token to scripts (Flask-Security's CSRF_COOKIE_NAME; "XSRF-TOKEN"
	// is what Angular and axios read), to send back in an X-XSRF-Token
	// (or X-CSRF-Token) header. It is set whenever the session's token
	// changes (login, logout, the first CSRFToken), readable by scripts
	// (not HttpOnly), SameSite=Strict, Secure unless Insecure, with the
	// session cookie's Path and Domain. The check is unchanged: the header
	// must match the session's token. Default: none.
	CSRFName string
}

// SessionConfig configures session lifetimes (OWASP Session Management
// Cheat Sheet: both idle and absolute timeouts, enforced by the server).
type SessionConfig struct {
	// Lifetime is the absolute timeout from login. Default: 14 days.
	Lifetime time.Duration
	// IdleTimeout ends a session unused for this long. Negative disables it.
	// Default: 24 hours.
	IdleTimeout time.Duration
	// FreshFor is how long after a login with credentials RequireFresh is
	// satisfied. Default: 10 minutes.
	FreshFor time.Duration
	// Persistent gives the session cookie a Max-Age, so it outlives the
	// browser. Default: false: it ends with the browser, and the remember
	// cookie (if the user asked for one) brings the session back.
	Persistent bool
}

// RememberConfig configures the remember-me cookie.
type RememberConfig struct {
	// Name of the cookie. Default: "__Host-remember_token" (host-only,
	// Secure, Path=/), or "__Secure-remember_token" when Domain or Path is
	// set, or "remember_token" when Cookie.Insecure.
	Name string
	// Duration the cookie and the login it restores last. Default: 365 days.
	Duration time.Duration
	// MaxDuration caps LoginOptions.RememberFor. Default: 400 days (the
	// longest browsers keep a cookie).
	MaxDuration time.Duration
	// Domain of the cookie. Default: none (host-only).
	Domain string
	// Path of the cookie. Default: "/".
	Path string
	// DisableHttpOnly lets JavaScript read the cookie. Default: false.
	DisableHttpOnly bool
	// RefreshEachRequest renews the cookie's duration on every request it
	// restores or accompanies (Flask-Login's REMEMBER_COOKIE_REFRESH_EACH_REQUEST).
	RefreshEachRequest bool
}

// Protection is Flask-Login's session protection mode.
type Protection uint8

const (
	// ProtectionBasic marks a session non-fresh when the client's IP address
	// or User-Agent changes, so RequireFresh asks for the password again.
	ProtectionBasic Protection = iota
	// ProtectionStrong ends the session (and refuses the remember cookie)
	// when they change.
	ProtectionStrong
	// ProtectionOff does neither.
	ProtectionOff
)

// Hooks are optional functions called when things happen, with the
// request's context (Flask-Login's signals; the views have their own for
// registration and mail). They run on the request's goroutine: keep them
// quick, and do not write to the response.
type Hooks struct {
	// LoggedIn: a user logged in (Login).
	LoggedIn func(ctx context.Context, u *User)
	// LoggedOut: a user logged out (Logout).
	LoggedOut func(ctx context.Context, u *User)
	// RememberLoaded: a session was restored from the remember cookie.
	RememberLoaded func(ctx context.Context, u *User)
	// LoginConfirmed: a session was made fresh again (ConfirmLogin).
	LoginConfirmed func(ctx context.Context, u *User)
	// Unauthorized: a guard refused an anonymous request.
	Unauthorized func(ctx context.Context, r *http.Request)
	// NeedsRefresh: a guard refused a non-fresh session.
	NeedsRefresh func(ctx context.Context, r *http.Request)
	// SessionProtected: session protection downgraded or ended a session.
	SessionProtected func(ctx context.Context, u *User, mode Protection)
	// PasswordChanged: a user's password was set (SetPassword: change,
	// reset, the CLI).
	PasswordChanged func(ctx context.Context, u *User)
	// Confirmed: a user's email address was confirmed (EndSessions with
	// ConfirmedAt).
	Confirmed func(ctx context.Context, u *User)
	// LoginFailed: a password or a one-time link was wrong. identity is
	// what was tried (an address or username as typed, "" for a link),
	// reason one of "unknown_account", "wrong_password", "no_password",
	// "bad_link", "wrong_factor", client the client's address. Never the
	// password.
	LoginFailed func(ctx context.Context, identity, reason, client string)
	// LockedOut: an account reached ThrottleConfig.Lockout.
	LockedOut func(ctx context.Context, u *User)
	// Throttled: a secret check was refused for too many failures; kind
	// is "password", "link" or "factor" (a second factor).
	Throttled func(ctx context.Context, kind, client string, retryAfter time.Duration)
	// UserLoaded: a request's user was loaded, and how (p.Method: from the
	// session, the remember cookie, an auth token or Basic header, the
	// RequestLoader): Flask-Login's user_loaded_from_cookie, _request and
	// _header. It runs on every authenticated request: keep it cheap.
	UserLoaded func(ctx context.Context, p Principal)
	// IdentityLoaded adds permissions to a request's principal, beyond its
	// roles' (Flask-Principal's identity_loaded, where apps add needs): it
	// is asked when a guard checks permissions, and what it returns
	// counts as the principal's for that request.
	IdentityLoaded func(ctx context.Context, p Principal) []string
}

// Also returns hooks that call h's and then more's for every event both
// have, and either's for the rest: several receivers per event (an audit
// log and metrics, say). IdentityLoaded's permissions are the union.
func (h Hooks) Also(more Hooks) Hooks {
	out := Hooks{
		LoggedIn:        both(h.LoggedIn, more.LoggedIn),
		LoggedOut:       both(h.LoggedOut, more.LoggedOut),
		RememberLoaded:  both(h.RememberLoaded, more.RememberLoaded),
		LoginConfirmed:  both(h.LoginConfirmed, more.LoginConfirmed),
		Unauthorized:    both(h.Unauthorized, more.Unauthorized),
		NeedsRefresh:    both(h.NeedsRefresh, more.NeedsRefresh),
		PasswordChanged: both(h.PasswordChanged, more.PasswordChanged),
		Confirmed:       both(h.Confirmed, more.Confirmed),
		LockedOut:       both(h.LockedOut, more.LockedOut),
		UserLoaded:      both(h.UserLoaded, more.UserLoaded),
	}
	switch a, b := h.SessionProtected, more.SessionProtected; {
	case a == nil || b == nil:
		out.SessionProtected = cmpOr(a, b, a == nil)
	default:
		out.SessionProtected = func(ctx context.Context, u *User, mode Protection) { a(ctx, u, mode); b(ctx, u, mode) }
	}
	switch a, b := h.LoginFailed, more.LoginFailed; {
	case a == nil || b == nil:
		out.LoginFailed = cmpOr(a, b, a == nil)
	default:
		out.LoginFailed = func(ctx context.Context, identity, reason, client string) {
			a(ctx, identity, reason, client)
			b(ctx, identity, reason, client)
		}
	}
	switch a, b := h.Throttled, more.Throttled; {
	case a == nil || b == nil:
		out.Throttled = cmpOr(a, b, a == nil)
	default:
		out.Throttled = func(ctx context.Context, kind, client string, d time.Duration) {
			a(ctx, kind, client, d)
			b(ctx, kind, client, d)
		}
	}
	switch a, b := h.IdentityLoaded, more.IdentityLoaded; {
	case a == nil || b == nil:
		out.IdentityLoaded = cmpOr(a, b, a == nil)
	default:
		out.IdentityLoaded = func(ctx context.Context, p Principal) []string { return append(a(ctx, p), b(ctx, p)...) }
	}
	return out
}

// both calls a then b, either of which may be nil.
func both[T any](a, b func(context.Context, T)) func(context.Context, T) {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return func(ctx context.Context, v T) { a(ctx, v); b(ctx, v) }
}

// cmpOr is b if aNil, else a.
func cmpOr[F any](a, b F, aNil bool) F {
	if aNil {
		return b
	}
	return a
}
