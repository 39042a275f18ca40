package gatehouse

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"net/http"
	"net/netip"
	"strings"
	"time"
)

// Config configures a [Manager]. The zero value of every field is the
// secure, documented default; only Users and SecretKeys are required. New
// copies the Config, so changing it afterwards has no effect.
type Config struct {
	// Users loads users. Required.
	Users UserStore
	// Sessions keeps sessions on the server. Default: none: the session
	// lives in an encrypted cookie (see "Sessions" in the package docs).
	Sessions SessionStore
	// Tokens keeps one-time tokens (confirm, reset, passwordless links).
	// Required by the features that issue them.
	Tokens TokenStore
	// Roles is the role catalog (names, descriptions, permissions). Default:
	// none: users carry role names, and permission checks find nothing.
	Roles RoleStore
	// Hasher hashes passwords. Default: password.Argon2id{}.
	Hasher PasswordHasher
	// Hashing bounds how many password hashes run and wait at once.
	Hashing HashingConfig
	// StoreTimeout is the deadline of every store call: a database that is
	// down or frozen costs a request at most this long, then a 503.
	// Default: 5 seconds.
	StoreTimeout time.Duration

	// SecretKeys seal session cookies and sign remember cookies and tokens.
	// The first key seals and signs; every key opens and verifies, so a new
	// key can be put first while old cookies still work. Each must be at
	// least 32 bytes from crypto/rand. Required.
	SecretKeys [][]byte

	// RequestLoader finds a user from the request itself (an API key in a
	// header, say) when there is no session, like Flask-Login's
	// request_loader. Return (nil, nil) when the request carries nothing.
	// Default: none.
	RequestLoader func(r *http.Request) (*User, error)

	// LoginURL is where browsers that must log in are redirected, with a
	// "next" parameter. Default: none: they get a 401.
	LoginURL string
	// RefreshURL is where browsers that must log in again (RequireFresh) are
	// redirected. Default: the verify view once the views are mounted
	// (Mount, Routes), else LoginURL.
	RefreshURL string
	// PostLoginURL is where RequireAnonymous sends logged-in browsers, and
	// the fallback when "next" is missing or unsafe. Default: "/".
	PostLoginURL string
	// NextInSession keeps "next" in the session instead of the login URL's
	// query string (Flask-Login's USE_SESSION_FOR_NEXT). Default: false.
	NextInSession bool
	// AllowedRedirectHosts lists hosts ("example.com", "app.example.com:8443")
	// that absolute "next" URLs may point to. Default: none: only paths on
	// this site are followed.
	AllowedRedirectHosts []string

	Cookie   CookieConfig
	Session  SessionConfig
	Remember RememberConfig
	Flash    FlashConfig

	// Flask-Security's features, by its names. All off by default: the zero
	// Config has login and logout only.

	// Registerable turns on the register view (SECURITY_REGISTERABLE).
	Registerable bool
	// Confirmable requires new users to confirm their email address by a
	// mailed link before they can log in (SECURITY_CONFIRMABLE).
	Confirmable bool
	// LoginWithoutConfirmation lets unconfirmed users log in anyway
	// (SECURITY_LOGIN_WITHOUT_CONFIRMATION).
	LoginWithoutConfirmation bool
	// Recoverable turns on forgot-password and reset (SECURITY_RECOVERABLE).
	Recoverable bool
	// Changeable turns on the change-password view (SECURITY_CHANGEABLE).
	Changeable bool
	// Trackable records login times, IPs and counts (SECURITY_TRACKABLE).
	Trackable bool
	// Passwordless lets users log in with a mailed link
	// (SECURITY_PASSWORDLESS).
	Passwordless bool
	// TokenAuth accepts API auth tokens in the Authentication-Token header
	// or as "Authorization: Bearer" (and in a query parameter only if
	// Views.TokenQuery names one), and login hands them out with
	// ?include_auth_token. They expire after Views.TokenMaxAge.
	TokenAuth bool
	// BasicAuth accepts HTTP Basic credentials (email and password) on every
	// request. Each such request pays a password hash.
	BasicAuth bool

	// Views configures the login, register, reset, ... views that Routes
	// serves, their URLs, pages and messages.
	Views ViewsConfig
	// Mail configures the mails the views send.
	Mail MailConfig
	// CSRF configures cross-site request forgery protection.
	CSRF CSRFConfig
	// Limiter counts attempts for rate limits (mails per address). Default:
	// an in-process limiter, right for one server process only.
	Limiter Limiter

	// Protection is Flask-Login's session protection. Default:
	// ProtectionBasic.
	Protection Protection

	// LoginDisabled turns every guard off, like Flask-Login's
	// LOGIN_DISABLED, for unit tests of the handlers behind them. New logs a
	// warning when it is set. Never set it in production.
	LoginDisabled bool

	// OnUnauthorized answers requests that must log in, replacing the
	// default (JSON 401, redirect to LoginURL, or a plain 401).
	OnUnauthorized func(w http.ResponseWriter, r *http.Request, err error)
	// OnNeedsRefresh answers requests that must log in again, replacing the
	// default (JSON 401, redirect to RefreshURL, or a plain 401).
	OnNeedsRefresh func(w http.ResponseWriter, r *http.Request, err error)
	// OnForbidden answers requests that lack a role or permission,
	// replacing the default (JSON or plain 403).
	OnForbidden func(w http.ResponseWriter, r *http.Request, err error)

	// Hooks are called when things happen (Flask-Login's and
	// Flask-Security's signals).
	Hooks Hooks

	// Localize translates a message before it is shown, flashed or mailed
	// (mails are rendered off the request, in its language): lang is the
	// language Language picked, key the message's Flask-Security key (such
	// as "UNAUTHENTICATED"), text the text in that language from
	// gatehouse's catalogs and Messages. Default: that text.
	Localize func(lang, key, text string) string
	// Language picks the request's language ("en", "de", "fr", "es", "ja";
	// anything else falls back to English). Default: the best match for
	// the Accept-Language header.
	Language func(r *http.Request) string
	// Messages overrides message texts by key, in every language (Flask-
	// Security's SECURITY_MSG_*), with %(email)s-style placeholders.
	Messages map[string]string

	// ClientIP returns the client's address, for session protection, login
	// tracking and rate limits. Default: the host of r.RemoteAddr, or, when
	// TrustedProxies is set, the right-most X-Forwarded-For address that is
	// not a trusted proxy. Headers are never trusted otherwise.
	ClientIP func(r *http.Request) netip.Addr
	// TrustedProxies are the networks of reverse proxies whose
	// X-Forwarded-For header may be believed. Default: none.
	TrustedProxies []netip.Prefix

	// Logger receives security events. Default: slog.Default().
	Logger *slog.Logger
	// Now is the clock. Default: time.Now.
	Now func() time.Time
}

// CookieConfig configures the session cookie.
type CookieConfig struct {
	// Name of the session cookie. Default: "__Host-gatehouse", or
	// "__Secure-gatehouse" when Domain is set, or "gatehouse" when Insecure
	// (browsers refuse the prefixes without Secure).
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
	// SameSite of the cookie. Default: Cookie.SameSite.
	SameSite http.SameSite
	// DisableHttpOnly lets JavaScript read the cookie. Default: false.
	DisableHttpOnly bool
	// RefreshEachRequest renews the cookie's duration on every request it
	// restores or accompanies (Flask-Login's REMEMBER_COOKIE_REFRESH_EACH_REQUEST).
	RefreshEachRequest bool
}

// FlashConfig configures the messages flashed when a guard redirects.
type FlashConfig struct {
	// Disable stops flashing. Default: false.
	Disable bool
	// LoginMessage is flashed on the redirect to LoginURL. Default: "Please
	// log in to access this page." (Flask-Login's).
	LoginMessage string
	// LoginCategory of LoginMessage. Default: "message".
	LoginCategory string
	// RefreshMessage is flashed on the redirect to RefreshURL. Default:
	// "Please reauthenticate to access this page."
	RefreshMessage string
	// RefreshCategory of RefreshMessage. Default: "message".
	RefreshCategory string
}

// Protection is Flask-Login's session protection mode.
type Protection uint8

const (
	// ProtectionBasic marks a session non-fresh when the client's IP address
	// or User-Agent changes, so RequireFresh asks for the password again.
	ProtectionBasic Protection = iota
	// ProtectionStrong ends the session (and the remember cookie) when they
	// change.
	ProtectionStrong
	// ProtectionOff does neither.
	ProtectionOff
)

// Hooks are optional functions called when things happen, with the
// request's context (Flask-Login's and Flask-Security's signals). They run
// on the request's goroutine (mail ones on the mail worker's): keep them
// quick, and do not write to the response.
type Hooks struct {
	// Registered: a user registered.
	Registered func(ctx context.Context, u *User)
	// Confirmed: a user confirmed their email address.
	Confirmed func(ctx context.Context, u *User)
	// ConfirmInstructionsSent: a confirmation mail went out.
	ConfirmInstructionsSent func(ctx context.Context, u *User)
	// LoginInstructionsSent: a passwordless login mail went out.
	LoginInstructionsSent func(ctx context.Context, u *User)
	// ResetInstructionsSent: a password reset mail went out.
	ResetInstructionsSent func(ctx context.Context, u *User)
	// PasswordReset: a user reset their password with a mailed link.
	PasswordReset func(ctx context.Context, u *User)
	// PasswordChanged: a user changed their password.
	PasswordChanged func(ctx context.Context, u *User)

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
}

// ViewsConfig configures the views [Manager.Routes] serves.
type ViewsConfig struct {
	// Prefix is put before every view path (SECURITY_URL_PREFIX). Default:
	// none.
	Prefix string
	// Paths of the views, under Prefix. Defaults: "/login", "/logout",
	// "/register", "/confirm", "/reset", "/change", "/verify".
	LoginPath, LogoutPath, RegisterPath, ConfirmPath, ResetPath, ChangePath, VerifyPath string
	// Where browsers go after each action. Defaults: PostLoginURL for all
	// but PostLogout ("/").
	PostLogoutURL, PostRegisterURL, PostConfirmURL, PostResetURL, PostChangeURL string
	// BaseURL is the site's external address ("https://example.com"), from
	// which links in mails are built: never from the request's Host header.
	// Required with Confirmable, Recoverable or Passwordless.
	BaseURL string
	// Token lifetimes. Defaults: confirm 5 days, reset 5 days, login 1 day
	// (SECURITY_CONFIRM_EMAIL_WITHIN and friends).
	ConfirmWithin, ResetWithin, LoginWithin time.Duration
	// TokenHeader names the header API auth tokens come in; an
	// "Authorization: Bearer" header is accepted too. Default:
	// "Authentication-Token".
	TokenHeader string
	// TokenQuery names a query parameter that may carry an auth token
	// ("auth_token" is Flask-Security's). Default: none: tokens in URLs
	// end up in logs, histories and Referer headers.
	TokenQuery string
	// TokenMaxAge ends auth tokens this long after they were issued; they
	// also die when the user's SecurityStamp changes. Negative means no age
	// limit (Flask-Security's TOKEN_MAX_AGE = None). Default: 24 hours.
	TokenMaxAge time.Duration
	// IdentityAttributes are what users log in with: "email" and/or
	// "username" (SECURITY_USER_IDENTITY_ATTRIBUTES). Default: email.
	IdentityAttributes []string
	// AutoLoginAfterConfirm logs a user in when they confirm their address
	// (Flask-Security's AUTO_LOGIN_AFTER_CONFIRM): safe here, as the
	// confirmation page has them prove the password or choose a new one.
	// Default: false: they log in themselves.
	AutoLoginAfterConfirm bool
	// ConfirmOnGet confirms an address when the link is opened (GET), as
	// Flask-Security does, for front ends that rely on it. It still never
	// logs in, but the password chosen at sign-up stays whoever chose it,
	// and a mail scanner that fetches links confirms addresses. Default:
	// false: the link's page has a button, and the confirmer settles the
	// password.
	ConfirmOnGet bool
	// RegisterPerIP caps registrations from one client address (an IPv6
	// /64 counts as one). Default: 10 per hour.
	RegisterPerIP Limit
	// DefaultRemember ticks "remember me" when the form does not say
	// (SECURITY_DEFAULT_REMEMBER_ME).
	DefaultRemember bool
	// BasicRealm is the realm of WWW-Authenticate. Default: "Login Required".
	BasicRealm string
	// DetailedErrors restores Flask-Security's detailed messages ("Specified
	// user does not exist", "Invalid password", "Account is disabled"),
	// which tell anyone whether an address has an account. Default: false:
	// one answer for all, in content and in timing.
	DetailedErrors bool
	// PasswordPolicy checks new passwords at register, change and reset.
	// Default: password.Policy{}: at least 8 characters, not among the
	// 100,000 most common passwords (in any Unicode or case spelling), not
	// based on the account's email address or username, AppName or the
	// site's name, and no longer than the hasher takes (72 bytes for
	// bcrypt).
	PasswordPolicy PasswordPolicy
	// AppName is the application's name: new passwords may not be based on
	// it (OWASP ASVS 5.0 6.2.11), nor on the site's name in BaseURL
	// ("example" for https://app.example.com). Default: none.
	AppName string
	// Templates overrides the built-in pages by file name (login.html,
	// register.html, forgot.html, reset.html, change.html, confirm.html,
	// passwordless.html, layout.html).
	Templates fs.FS
	// Context adds values to a page's template data (Flask-Security's
	// context processors): view is the template name.
	Context func(r *http.Request, view string, data map[string]any)
	// UserPayload is the user as JSON answers show it (Flask-Security's
	// get_security_payload). Default: id and email.
	UserPayload func(u *User) map[string]any
	// OnRegister receives the registration form's other fields (the
	// extended register form), before the user is stored: it may set fields
	// on u or return FieldErrors to refuse. Store app data keyed by u.ID in
	// Hooks.Registered.
	OnRegister func(r *http.Request, u *User, form map[string]string) error
}

// MailConfig configures the mails the views send. Mail goes through a
// durable outbox that Manager.Run's workers send from (see [Outbox]).
type MailConfig struct {
	// Mailer sends them. No default: a mailer that logs would write reset
	// links to logs. Required with Confirmable, Recoverable or
	// Passwordless, and with Registerable or Changeable unless their
	// mails are turned off. Use [MailerFunc] to hand mail to a queue of
	// the application's own.
	Mailer Mailer
	// Outbox keeps mail until it is sent. Default: Config.Users, if it is
	// an Outbox (the SQL stores and memstore are).
	Outbox Outbox
	// Templates overrides the built-in mail templates by file name
	// (reset_instructions.html and .txt, ...).
	Templates fs.FS
	// Context adds values to a mail's template data; kind is the template.
	Context func(kind string, u *User, data map[string]any)
	// DisableWelcome, DisableResetNotice and DisableChangeNotice stop those
	// mails (Flask-Security's SEND_REGISTER_EMAIL and friends, true there).
	DisableWelcome, DisableResetNotice, DisableChangeNotice bool
	// PerAddress caps the confirmation, reset and login mails one address
	// gets. Default: 5 per hour.
	PerAddress Limit
	// Workers is how many mails Manager.Run sends at once. Default: 2.
	Workers int
	// RetryDelay is the wait before the first retry of a failed send; it
	// doubles with each attempt up to MaxRetryDelay. Defaults: 1 second,
	// 10 minutes.
	RetryDelay, MaxRetryDelay time.Duration
	// GiveUpAfter is how long a mail is retried before it is given up.
	// A permanent refusal (an SMTP 5xx) is never retried. Default: 24
	// hours.
	GiveUpAfter time.Duration
	// SendTimeout bounds one attempt to send. Default: 30 seconds.
	SendTimeout time.Duration
	// Lease is how long a worker holds a job it is sending: if the process
	// dies, another worker (in this process after a restart, or another
	// instance) takes the job once the lease lapses. It must exceed
	// SendTimeout. Default: 2 minutes.
	Lease time.Duration
}

// CSRFConfig configures CSRF protection. Every state-changing view needs a
// token from the session (header X-CSRF-Token or X-CSRFToken, or field
// csrf_token) on top of Fetch Metadata checks.
type CSRFConfig struct {
	// FetchMetadataOnly relies on http.CrossOriginProtection alone, for
	// single-page apps on modern browsers that do not send tokens.
	FetchMetadataOnly bool
	// ExemptMethods lists authentication methods whose requests need no
	// token (MethodToken, MethodBasic: they carry no ambient cookie).
	// Default: none.
	ExemptMethods []Method
	// TrustedOrigins are other origins ("https://app.example.com") allowed
	// to make cross-origin requests.
	TrustedOrigins []string
}

// makeKeyHint says how to make a proper secret key.
const makeKeyHint = "make one with: head -c 32 /dev/urandom | base64 (or openssl rand -base64 32), and keep it secret"

// minKeyBits is the least entropy a secret key must show by keyBits: 32
// random bytes show about 150, a 44-character base64 string about 220.
const minKeyBits = 128

// keyBits estimates the entropy of k, in bits, from its byte frequencies
// (Shannon's estimate times the length). It is a guard against keys such
// as 32 times the same byte or a short phrase repeated, not a proof of
// randomness: a key must come from crypto/rand.
func keyBits(k []byte) float64 {
	var counts [256]int
	for _, b := range k {
		counts[b]++
	}
	var h float64
	n := float64(len(k))
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h * n
}

const (
	minKeyLen       = 32
	defaultLifetime = 14 * 24 * time.Hour
	defaultIdle     = 24 * time.Hour
	defaultFresh    = 10 * time.Minute
	defaultRemember = 365 * 24 * time.Hour
	maxRemember     = 400 * 24 * time.Hour
)

// withDefaults fills in defaults and validates; it works on a copy.
func (c Config) withDefaults() (Config, error) {
	var errs []error
	if c.Users == nil {
		errs = append(errs, errors.New("missing Users: a UserStore is required"))
	}
	if len(c.SecretKeys) == 0 {
		errs = append(errs, errors.New("missing SecretKeys: at least one key of 32 random bytes is required"))
	}
	for i, k := range c.SecretKeys {
		switch {
		case len(k) < minKeyLen:
			errs = append(errs, fmt.Errorf("key SecretKeys[%d] is %d bytes, want at least %d random bytes; %s", i, len(k), minKeyLen, makeKeyHint))
		case keyBits(k) < minKeyBits:
			errs = append(errs, fmt.Errorf("key SecretKeys[%d] looks far from random (a repeated or guessable value); %s", i, makeKeyHint))
		}
	}
	c.SecretKeys = append([][]byte(nil), c.SecretKeys...)
	c.AllowedRedirectHosts = append([]string(nil), c.AllowedRedirectHosts...)
	c.TrustedProxies = append([]netip.Prefix(nil), c.TrustedProxies...)

	if c.Cookie.Path == "" {
		c.Cookie.Path = "/"
	}
	if c.Cookie.SameSite == 0 {
		c.Cookie.SameSite = http.SameSiteLaxMode
	}
	if c.Cookie.Name == "" {
		switch {
		case c.Cookie.Insecure:
			c.Cookie.Name = "gatehouse"
		case c.Cookie.Domain != "" || c.Cookie.Path != "/":
			c.Cookie.Name = "__Secure-gatehouse"
		default:
			c.Cookie.Name = "__Host-gatehouse"
		}
	}
	if strings.HasPrefix(c.Cookie.Name, "__Host-") && (c.Cookie.Insecure || c.Cookie.Domain != "" || c.Cookie.Path != "/") {
		errs = append(errs, errors.New("cookie name with the __Host- prefix needs Secure, no Domain and Path \"/\""))
	}
	if strings.HasPrefix(c.Cookie.Name, "__Secure-") && c.Cookie.Insecure {
		errs = append(errs, errors.New("cookie name with the __Secure- prefix needs Secure"))
	}
	if c.Cookie.SameSite == http.SameSiteNoneMode && c.Cookie.Insecure {
		errs = append(errs, errors.New("cookie SameSite None needs Secure"))
	}

	if c.Session.Lifetime <= 0 {
		c.Session.Lifetime = defaultLifetime
	}
	if c.Session.IdleTimeout == 0 {
		c.Session.IdleTimeout = defaultIdle
	}
	if c.Session.FreshFor <= 0 {
		c.Session.FreshFor = defaultFresh
	}

	if c.Remember.Path == "" {
		c.Remember.Path = "/"
	}
	if c.Remember.Name == "" {
		switch {
		case c.Cookie.Insecure:
			c.Remember.Name = "remember_token"
		case c.Remember.Domain != "" || c.Remember.Path != "/":
			c.Remember.Name = "__Secure-remember_token"
		default:
			c.Remember.Name = "__Host-remember_token"
		}
	}
	if strings.HasPrefix(c.Remember.Name, "__Host-") && (c.Cookie.Insecure || c.Remember.Domain != "" || c.Remember.Path != "/") {
		errs = append(errs, errors.New("remember cookie name with the __Host- prefix needs Secure, no Domain and Path \"/\""))
	}
	if strings.HasPrefix(c.Remember.Name, "__Secure-") && c.Cookie.Insecure {
		errs = append(errs, errors.New("remember cookie name with the __Secure- prefix needs Secure"))
	}
	if c.Remember.Name == c.Cookie.Name {
		errs = append(errs, errors.New("cookie names Remember.Name and Cookie.Name must differ"))
	}
	if c.Remember.MaxDuration <= 0 {
		c.Remember.MaxDuration = maxRemember
	}
	if c.Remember.Duration <= 0 {
		c.Remember.Duration = min(defaultRemember, c.Remember.MaxDuration)
	}
	if c.Remember.Duration > c.Remember.MaxDuration {
		errs = append(errs, errors.New("Remember.Duration is over Remember.MaxDuration"))
	}
	if c.Remember.SameSite == 0 {
		c.Remember.SameSite = c.Cookie.SameSite
	}

	if c.Flash.LoginMessage == "" {
		c.Flash.LoginMessage = defaultLoginMessage
	}
	if c.Flash.LoginCategory == "" {
		c.Flash.LoginCategory = "message"
	}
	if c.Flash.RefreshMessage == "" {
		c.Flash.RefreshMessage = defaultRefreshMessage
	}
	if c.Flash.RefreshCategory == "" {
		c.Flash.RefreshCategory = "message"
	}

	if c.PostLoginURL == "" {
		c.PostLoginURL = "/"
	}
	if c.StoreTimeout <= 0 {
		c.StoreTimeout = defaultStoreTimeout
	}
	if c.Protection > ProtectionOff {
		errs = append(errs, fmt.Errorf("unknown Protection %d", c.Protection))
	}
	errs = append(errs, c.viewDefaults()...)
	for _, u := range []struct{ name, url string }{{"LoginURL", c.LoginURL}, {"RefreshURL", c.RefreshURL}, {"PostLoginURL", c.PostLoginURL}} {
		if u.url != "" && !isSafeRedirect(u.url, c.AllowedRedirectHosts) {
			errs = append(errs, fmt.Errorf("redirect %s %q is not a path on this site or an allowed host", u.name, u.url))
		}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("gatehouse: invalid config: %w", errors.Join(errs...))
	}
	return c, nil
}
