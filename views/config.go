package views

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/admin"
	"github.com/gatehouse-auth/gatehouse/mfa"
	"github.com/gatehouse-auth/gatehouse/password"
)

// Config configures the views, with Flask-Security's names where it has
// one. The zero value serves login, logout and verify only; every feature
// is off until switched on. New copies the Config.
type Config struct {
	// Features (SECURITY_REGISTERABLE and friends).

	// Registerable turns on the register view.
	Registerable bool
	// Confirmable requires new users to confirm their email address by a
	// mailed link before they can log in.
	Confirmable bool
	// LoginWithoutConfirmation lets unconfirmed users log in anyway.
	LoginWithoutConfirmation bool
	// Recoverable turns on forgot-password and reset.
	Recoverable bool
	// Changeable turns on the change-password view.
	Changeable bool
	// Passwordless lets users log in with a mailed link.
	Passwordless bool
	// ChangeEmail lets logged-in users change their address
	// (CHANGE_EMAIL): after a fresh login they give the new address, a
	// link mailed to it confirms the change, and the old address is told.
	ChangeEmail bool
	// Username turns on usernames (USERNAME_ENABLE) and configures them,
	// their change (CHANGE_USERNAME) and recovery (USERNAME_RECOVERY).
	Username UsernameConfig
	// Sessions lets logged-in users see where they are signed in (device,
	// address, when) and end one session or all others. It needs a
	// SessionStore that lists sessions (admin.SessionLister: memstore,
	// sqlitestore, pgstore, redisstore).
	Sessions bool
	// DeleteAccount lets users delete their own account after a fresh
	// login; a notice is mailed to the address. It needs a user store that
	// deletes users (admin.UserStore).
	DeleteAccount bool

	// URLs.

	// Prefix is put before every view path (SECURITY_URL_PREFIX); it must
	// start with "/" and not end with one. Default: none.
	Prefix string
	// Paths of the views, under Prefix. Defaults: "/login", "/logout",
	// "/register", "/confirm", "/reset", "/change", "/verify", "/session".
	LoginPath, LogoutPath, RegisterPath, ConfirmPath, ResetPath, ChangePath, VerifyPath string
	// SessionPath serves the current session as JSON, for single-page
	// apps: the user (or null), roles, how and when they logged in,
	// freshness, and the CSRF token.
	SessionPath string
	// Paths of the account views. Defaults: "/change-email",
	// "/change-email-confirm" (CHANGE_EMAIL_URL, CHANGE_EMAIL_CONFIRM_URL),
	// "/sessions", "/delete-account".
	ChangeEmailPath, ChangeEmailConfirmPath, SessionsPath, DeleteAccountPath string
	// PostChangeEmailURL is where browsers go after confirming a new
	// address (POST_CHANGE_EMAIL_VIEW), ChangeEmailErrorURL after a bad
	// or expired link (CHANGE_EMAIL_ERROR_VIEW), and PostDeleteURL after
	// deleting their account. Defaults: "/", the change-email page, "/".
	PostChangeEmailURL, ChangeEmailErrorURL, PostDeleteURL string
	// Where browsers go after each action. Defaults: "/" after logout, and
	// the engine's PostLoginURL ("/") after the others.
	PostLogoutURL, PostRegisterURL, PostConfirmURL, PostResetURL, PostChangeURL string
	// ConfirmErrorURL and ResetErrorURL are where browsers go, with the
	// message as a flash, after a confirmation or reset link that is bad
	// or expired (Flask-Security's CONFIRM_ERROR_VIEW and
	// RESET_ERROR_VIEW). Defaults: the pages that send a new link.
	ConfirmErrorURL, ResetErrorURL string
	// SPA sends browsers that open mailed links to a single-page app's
	// pages (REDIRECT_BEHAVIOR = "spa"). Default: off: the views' pages.
	SPA SPAConfig
	// BaseURL is the site's external address ("https://example.com"), from
	// which links in mails are built: never from the request's Host header.
	// Required with Confirmable, Recoverable or Passwordless.
	BaseURL string

	// Behaviour.

	// ChangeEmailWithin is how long the link confirming a new address
	// works (CHANGE_EMAIL_WITHIN). Default: 2 hours.
	ChangeEmailWithin time.Duration
	// ConfirmWithin, ResetWithin and LoginWithin are how long mailed links
	// work. Defaults: 5 days, 5 days, 1 day (SECURITY_CONFIRM_EMAIL_WITHIN
	// and friends). An account left unconfirmed past ConfirmWithin gives
	// way to a new registration of its address.
	ConfirmWithin, ResetWithin, LoginWithin time.Duration
	// DefaultRemember ticks "remember me" when the form does not say
	// (SECURITY_DEFAULT_REMEMBER_ME).
	DefaultRemember bool
	// DetailedErrors restores Flask-Security's detailed messages ("Specified
	// user does not exist", "Invalid password", "Account is disabled", and
	// "already associated" at registration), which tell anyone whether an
	// address has an account. Default: false: one answer for all, in
	// content and in timing.
	DetailedErrors bool
	// AutoLoginAfterConfirm logs a user in when they confirm their address
	// (AUTO_LOGIN_AFTER_CONFIRM): safe here, as the confirmation page has
	// them prove the password or choose a new one. Default: false.
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
	RegisterPerIP gatehouse.Limit
	// PasswordPolicy checks new passwords at register, change and reset.
	// Default: password.Policy{}: at least 8 characters, not among the
	// 100,000 most common passwords (in any Unicode or case spelling), not
	// based on the account's email address or username, AppName or the
	// site's name, and no longer than the engine's hasher takes (72 bytes
	// for bcrypt). A password.Policy without MaxBytes gets the hasher's.
	PasswordPolicy PasswordPolicy
	// AppName is the application's name: new passwords may not be based on
	// it (OWASP ASVS 5.0 6.2.11), nor on the site's name in BaseURL.
	AppName string
	// UserPayload is the user as JSON answers show it (Flask-Security's
	// get_security_payload). Default: id and email.
	UserPayload func(u *gatehouse.User) map[string]any
	// RegisterFields names form fields registration keeps in User.Fields
	// (Flask-Security's custom model columns: "first_name", say), which
	// the stores keep. Names: lower-case letters, digits, underscores.
	RegisterFields []string
	// OnRegister receives the registration form's other fields (the
	// extended register form), before the user is stored: it may set fields
	// on u or return FieldErrors to refuse.
	OnRegister func(r *http.Request, u *gatehouse.User, form map[string]string) error

	// Pages and texts.

	// Templates overrides the built-in pages by file name (login.html,
	// register.html, ..., layout.html, partials.html): every one is parsed
	// and rendered once in New, so a broken override is an error there.
	// To show the pages inside the app's own layout, give just a
	// layout.html that defines "layout" and calls {{template "content" .}}
	// where the form goes: docs/templates.md lists the data each page
	// gets.
	Templates fs.FS
	// TemplateFuncs are the app's own functions for page and mail
	// templates (an overridden layout.html that calls the app's helpers),
	// next to the built-in t, dict, currentUser, isAuthenticated, isFresh
	// and hasRole, which they cannot replace.
	TemplateFuncs map[string]any
	// Context adds values to a page's template data (Flask-Security's
	// context processors): view is the template name.
	Context func(r *http.Request, view string, data map[string]any)
	// Texts overrides texts, or adds languages: files named LANG.json
	// ("de.json", "sv.json"), each a JSON object from message keys
	// (Flask-Security's, such as "LOGIN_EMAIL_SENT", and the UI_ keys of
	// the built-in locales) to texts with the same %(name)s placeholders,
	// or to [text, category] pairs, as Flask-Security's SECURITY_MSG_*
	// are: the category ("error", "info", "success", ...) is then the
	// flash's. A file for a language gatehouse does not ship adds it. This
	// is the one way to change a text.
	Texts fs.FS
	// Language picks the request's language among those of the texts.
	// Default: the best match for the Accept-Language header.
	Language func(r *http.Request) string

	// TwoFactor configures second factors: codes from an authenticator app
	// or by mail, recovery codes (Flask-Security's TWO_FACTOR and
	// MULTI_FACTOR_RECOVERY_CODES).
	TwoFactor TwoFactorConfig
	// WebAuthn configures passkeys and security keys (WEBAUTHN).
	WebAuthn WebAuthnConfig
	// UnifiedSignin configures sign-in with an identity and a passcode:
	// a code by mail, a code from an authenticator app, or the password
	// (Flask-Security's UNIFIED_SIGNIN).
	UnifiedSignin UnifiedSigninConfig
	// OAuth configures sign-in with external OAuth 2.0 providers, such as
	// GitHub and Google (OAUTH_ENABLE).
	OAuth OAuthConfig

	// Mail configures the mails the views send.
	Mail MailConfig
	// Hooks are called when things happen (Flask-Security's signals).
	Hooks Hooks
	// Logger receives events. Default: slog.Default().
	Logger *slog.Logger
	// Now is the clock, as the engine's. Default: time.Now.
	Now func() time.Time
}

// TwoFactorConfig configures second factors. With Enabled, a user who has
// set one up is asked for it after the password (and after a reset link,
// a passwordless link or a confirmation that logs in): until then the
// browser holds a pending login that only the second-factor views accept.
type TwoFactorConfig struct {
	// Enabled turns on the two-factor views: /tf-setup, /tf-validate,
	// /tf-rescue, /tf-select, /mf-recovery-codes and /mf-recovery.
	Enabled bool
	// Methods offered: "authenticator" (an app's time-based codes) and
	// "email" (codes by mail). Default: both.
	Methods []string
	// Required makes every user set up a second factor at their next
	// login; RequiredRoles does for users with any of those roles.
	Required      bool
	RequiredRoles []string
	// Issuer names the site in authenticator apps. Default: AppName, or
	// the host of BaseURL.
	Issuer string
	// RememberDeviceFor, if set, lets a user who ticks "remember me" skip
	// the second factor on that browser for so long (a signed cookie,
	// void once the password changes). Default: 0: always asked
	// (Flask-Security's TWO_FACTOR_ALWAYS_VALIDATE).
	RememberDeviceFor time.Duration
	// RecoveryCodes is how many recovery codes a user is given (shown
	// once, stored hashed, each good once). Default: 10.
	RecoveryCodes int
	// RescueAddress, if set, is where the "help" rescue option mails a
	// user's request for help (Flask-Security's TWO_FACTOR_RESCUE_MAIL).
	RescueAddress string
	// Paths, under Prefix. Defaults: "/tf-setup", "/tf-validate",
	// "/tf-rescue", "/tf-select", "/mf-recovery-codes", "/mf-recovery".
	SetupPath, ValidatePath, RescuePath, SelectPath, RecoveryCodesPath, RecoveryPath string
	// Factors keeps the factors. Default: the engine's user store, if it
	// is an mfa.Store (memstore and the SQL stores are).
	Factors mfa.Store
}

// WebAuthnConfig configures passkeys (WebAuthn, on
// github.com/go-webauthn/webauthn).
type WebAuthnConfig struct {
	// Enabled turns on /wan-register, /wan-signin, /wan-delete and
	// /wan-verify.
	Enabled bool
	// RPID is the relying party's ID: the site's domain. Default: the
	// host of BaseURL.
	RPID string
	// RPName is shown by authenticators. Default: the two-factor Issuer.
	RPName string
	// Origins are where the ceremonies may run. Default: BaseURL's
	// origin.
	Origins []string
	// NoFirstFactor stops passkeys being used to sign in without a
	// password (Flask-Security's WAN_ALLOW_AS_FIRST_FACTOR, true there and
	// here by default). A passkey that verified its user (a PIN, a
	// fingerprint) signs in with no further factor, as it is two by
	// itself (WAN_ALLOW_AS_MULTI_FACTOR).
	NoFirstFactor bool
	// Paths, under Prefix. Defaults: "/wan-register", "/wan-signin",
	// "/wan-delete", "/wan-verify".
	RegisterPath, SigninPath, DeletePath, VerifyPath string
}

// UnifiedSigninConfig configures unified sign-in (Flask-Security's
// UNIFIED_SIGNIN and US_* settings): /us-signin takes an identity and a
// passcode, which is a code mailed on request (/us-signin/send-code), a
// code from an authenticator app, or the password, as Methods allow.
// Users set up "email" and "authenticator" at /us-setup (a fresh login
// needed), and re-authenticate with any of them at /us-verify. The
// secrets are the second factors' kind of record (mfa.KindSigninEmail,
// mfa.KindSigninAuthenticator) in TwoFactor.Factors, sealed, each code
// good once; they are not second factors. SMS is not built.
type UnifiedSigninConfig struct {
	// Enabled turns on /us-signin, /us-signin/send-code, /us-verify,
	// /us-verify/send-code, /us-setup and /us-setup/<state>. Browsers
	// whose login must be fresh are then sent to /us-verify, not
	// /verify (which still works).
	Enabled bool
	// Methods are the passcodes /us-signin and /us-verify take
	// (US_ENABLED_METHODS): "password", "email" (a code mailed on
	// request) and "authenticator" (an app's code). Default: all three.
	// Taking "password" out of them does not close /login.
	Methods []string
	// MFARequired are the methods after which a user who has a second
	// factor (TwoFactor) must still give it (US_MFA_REQUIRED); a sign-in
	// with any other goes straight in. Default: "password" and "email":
	// an authenticator app set up for sign-in counts as a factor of its
	// own, as in Flask-Security. Set an empty, non-nil list for none, or
	// all three to always ask.
	MFARequired []string
	// CodeWithin is how long a mailed code works once mailed
	// (US_TOKEN_VALIDITY), once, and only until the next is mailed.
	// Default: 2 minutes.
	CodeWithin time.Duration
	// SetupWithin is how long a started setup waits for its code
	// (US_SETUP_WITHIN). Default: 30 minutes.
	SetupWithin time.Duration
	// EmailWithoutSetup lets every user ask for a code by mail without
	// setting up "email" first: the address they signed up with is the
	// method. Default: false: "email" must be set up at /us-setup (as in
	// Flask-Security, which sets it up itself only for users who
	// registered without a password).
	EmailWithoutSetup bool
	// ReplacesLogin serves the unified sign-in view at LoginPath too, in
	// place of the password login (US_SIGNIN_REPLACES_LOGIN); a
	// passwordless request is then not taken there.
	ReplacesLogin bool
	// PostSetupURL is where browsers go after a method is set up
	// (US_POST_SETUP_VIEW). Default: the setup page.
	PostSetupURL string
	// Paths, under Prefix (US_SIGNIN_URL and friends). Defaults:
	// "/us-signin", "/us-signin/send-code", "/us-verify",
	// "/us-verify/send-code", "/us-setup".
	SigninPath, SigninSendCodePath, VerifyPath, VerifySendCodePath, SetupPath string
}

// MailConfig configures the mails the views send. Mail goes through the
// engine's durable outbox (gatehouse.Outbox); Run's workers send it.
type MailConfig struct {
	// Mailer sends them. No default: a mailer that logs would write reset
	// links to logs. Required with Confirmable, Recoverable or
	// Passwordless, and with Registerable or Changeable unless their
	// mails are turned off. Use MailerFunc to hand mail to a queue of the
	// application's own.
	Mailer Mailer
	// Templates overrides the built-in mail templates by file name
	// (reset_instructions.html and .txt, ...).
	Templates fs.FS
	// Context adds values to a mail's template data; kind is the template.
	Context func(kind string, u *gatehouse.User, data map[string]any)
	// DisableWelcome, DisableResetNotice and DisableChangeNotice stop those
	// mails (Flask-Security's SEND_REGISTER_EMAIL and friends, true there).
	DisableWelcome, DisableResetNotice, DisableChangeNotice bool
	// ResetByApp, if set, sends password reset instructions in place of
	// the Mailer (Flask-Security's SEND_PASSWORD_RESET_EMAIL = False,
	// with the link its reset_password_instructions_sent signal gives):
	// it gets the user and the link, from the outbox's workers, and an
	// error is retried as a failed send is.
	ResetByApp func(ctx context.Context, u *gatehouse.User, link string) error
	// NoText and NoHTML leave that part out of every mail
	// (Flask-Security's EMAIL_PLAINTEXT and EMAIL_HTML set to False); not
	// both. With NoText every template needs its .html.
	NoText, NoHTML bool
	// PerAddressClient caps the requests one client may make for mail to
	// one address (confirmation, reset, login link, sign-up), PerClient
	// those for mail to any address; past them, requests are refused
	// (429). PerAddress caps the mails of one kind sent to one address
	// whoever asks; past it, a request is answered as usual but merged
	// with the mail just sent, which carries a working link: so a stranger
	// can neither bomb a mailbox nor keep its owner from getting a link.
	// Defaults: 5 an hour, 30 an hour, and one every 2 minutes.
	PerAddressClient, PerAddress, PerClient gatehouse.Limit
	// Workers is how many mails Run sends at once. Default: 2.
	Workers int
	// RetryDelay is the wait before the first retry of a failed send; it
	// doubles with each attempt up to MaxRetryDelay. Defaults: 1 second,
	// 10 minutes.
	RetryDelay, MaxRetryDelay time.Duration
	// GiveUpAfter is how long a mail is retried before it is given up. A
	// permanent refusal (an SMTP 5xx) is never retried. Default: 24 hours.
	GiveUpAfter time.Duration
	// SendTimeout bounds one attempt to send. Default: 30 seconds.
	SendTimeout time.Duration
	// Lease is how long a worker holds a job it is sending: if the process
	// dies, another worker (in this process after a restart, or another
	// instance) takes the job once the lease lapses. It must exceed
	// SendTimeout. Default: 2 minutes.
	Lease time.Duration
}

// Hooks are optional functions called when things happen in the views
// (Flask-Security's signals); the engine's Config.Hooks has the rest
// (logged in and out, password changed, email confirmed). They run on the
// request's goroutine (mail ones on a mail worker's): keep them quick, and
// do not write to the response.
type Hooks struct {
	// Registered: a user registered.
	Registered func(ctx context.Context, u *gatehouse.User)
	// PasswordReset: a user reset their password with a mailed link.
	PasswordReset func(ctx context.Context, u *gatehouse.User)
	// ConfirmInstructionsSent, ResetInstructionsSent,
	// LoginInstructionsSent: a mail with such a link went out.
	ConfirmInstructionsSent, ResetInstructionsSent, LoginInstructionsSent func(ctx context.Context, u *gatehouse.User)
	// FactorsChanged: a user's second factors changed, as the notice mailed
	// to them says; change is its message key: TWO_FACTOR_CHANGE_METHOD_SUCCESSFUL
	// (set up), TWO_FACTOR_DISABLED, WAN_REGISTERED, WAN_DELETED,
	// RECOVERY_CODES_REGENERATED or RECOVERY_CODE_USED (Flask-Security's
	// tf_profile_changed, tf_disabled, wan_registered, wan_deleted).
	FactorsChanged func(ctx context.Context, u *gatehouse.User, change string)
	// ChangeEmailSent: the link confirming newEmail went out
	// (change_email_instructions_sent).
	ChangeEmailSent func(ctx context.Context, u *gatehouse.User, newEmail string)
	// EmailChanged: u confirmed a new address; oldEmail was theirs
	// (change_email_confirmed).
	EmailChanged func(ctx context.Context, u *gatehouse.User, oldEmail string)
	// UsernameChanged: u changed their username from oldUsername
	// (username_changed).
	UsernameChanged func(ctx context.Context, u *gatehouse.User, oldUsername string)
	// UsernameRecoverySent: u's username was mailed to them
	// (username_recovery_email_sent).
	UsernameRecoverySent func(ctx context.Context, u *gatehouse.User)
	// AccountDeleted: u deleted their own account (u is what it was).
	AccountDeleted func(ctx context.Context, u *gatehouse.User)
	// TwoFactorCodeSent: a second-factor code went out to u by mail (at
	// login, a rescue, or setting up "email"); method is "email"
	// (Flask-Security's tf_security_token_sent). Called by the mail
	// worker once the mail is sent. The code is not passed: it is a
	// secret, and hooks tend to log.
	TwoFactorCodeSent func(ctx context.Context, u *gatehouse.User, method string)
	// TwoFactorCodeConfirmed: a second-factor code ("authenticator" or
	// "email") completed u's login at /tf-validate (tf_code_confirmed).
	TwoFactorCodeConfirmed func(ctx context.Context, u *gatehouse.User, method string)
	// SigninCodeSent: a unified sign-in code went out to u by mail;
	// method is "email" (us_security_token_sent). Called by the mail
	// worker once the mail is sent; the code is not passed.
	SigninCodeSent func(ctx context.Context, u *gatehouse.User, method string)
	// SigninChanged: u set up (deleted false) or removed (deleted true)
	// unified sign-in methods, "email" or "authenticator"
	// (us_profile_changed).
	SigninChanged func(ctx context.Context, u *gatehouse.User, methods []string, deleted bool)
	// Form checks a submitted form further (a captcha, terms accepted)
	// before the view acts on it, on the request's goroutine. form is
	// Flask-Security's name for it: "login", "register",
	// "send_confirmation", "forgot_password", "reset_password",
	// "change_password", "passwordless_login", "change_email",
	// "change_username", "username_recovery", "delete_account", or, for
	// unified sign-in, "us_signin" (and its send-code), "us_verify" and
	// "us_setup"; values are its fields as sent. Errors it returns (by
	// field; "" for the form as a whole) are
	// answered as the view's own: the form again, or field_errors in
	// JSON, and nothing else happens.
	Form func(r *http.Request, form string, values map[string]string) FieldErrors
}

// Also returns hooks that call h's and then more's for every event both
// have, and either's for the rest (several receivers per event); Form's
// errors are merged.
func (h Hooks) Also(more Hooks) Hooks {
	out := Hooks{
		Registered:              both(h.Registered, more.Registered),
		PasswordReset:           both(h.PasswordReset, more.PasswordReset),
		ConfirmInstructionsSent: both(h.ConfirmInstructionsSent, more.ConfirmInstructionsSent),
		ResetInstructionsSent:   both(h.ResetInstructionsSent, more.ResetInstructionsSent),
		LoginInstructionsSent:   both(h.LoginInstructionsSent, more.LoginInstructionsSent),
		UsernameRecoverySent:    both(h.UsernameRecoverySent, more.UsernameRecoverySent),
		AccountDeleted:          both(h.AccountDeleted, more.AccountDeleted),
		FactorsChanged:          bothWith(h.FactorsChanged, more.FactorsChanged),
		ChangeEmailSent:         bothWith(h.ChangeEmailSent, more.ChangeEmailSent),
		EmailChanged:            bothWith(h.EmailChanged, more.EmailChanged),
		UsernameChanged:         bothWith(h.UsernameChanged, more.UsernameChanged),
		Form:                    h.Form,
		TwoFactorCodeSent:       bothWith(h.TwoFactorCodeSent, more.TwoFactorCodeSent),
		TwoFactorCodeConfirmed:  bothWith(h.TwoFactorCodeConfirmed, more.TwoFactorCodeConfirmed),
		SigninCodeSent:          bothWith(h.SigninCodeSent, more.SigninCodeSent),
		SigninChanged:           h.SigninChanged,
	}
	if a, b := h.SigninChanged, more.SigninChanged; a == nil {
		out.SigninChanged = b
	} else if b != nil {
		out.SigninChanged = func(ctx context.Context, u *gatehouse.User, methods []string, deleted bool) {
			a(ctx, u, methods, deleted)
			b(ctx, u, methods, deleted)
		}
	}
	if a, b := h.Form, more.Form; a == nil {
		out.Form = b
	} else if b != nil {
		out.Form = func(r *http.Request, form string, values map[string]string) FieldErrors {
			errs := FieldErrors{}
			for _, fe := range []FieldErrors{a(r, form, values), b(r, form, values)} {
				for field, msgs := range fe {
					errs[field] = append(errs[field], msgs...)
				}
			}
			return errs
		}
	}
	return out
}

// both calls a then b, either of which may be nil.
func both(a, b func(context.Context, *gatehouse.User)) func(context.Context, *gatehouse.User) {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return func(ctx context.Context, u *gatehouse.User) { a(ctx, u); b(ctx, u) }
}

// bothWith is both for hooks that also get a string (a change, a method).
func bothWith(a, b func(context.Context, *gatehouse.User, string)) func(context.Context, *gatehouse.User, string) {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return func(ctx context.Context, u *gatehouse.User, s string) { a(ctx, u, s); b(ctx, u, s) }
}

// PasswordPolicy checks a new password at register, change and reset;
// password.Policy is one.
type PasswordPolicy interface {
	// ValidateFor returns nil if password may be set for an account whose
	// details are words (its email address, username, the application's
	// name: a password may not be based on them), else an error saying why
	// (password.ErrTooShort, ErrCommon, ErrContext, ErrBreached, ...).
	ValidateFor(ctx context.Context, password string, words ...string) error
}

const (
	defaultMailWorkers = 2
	defaultMailLease   = 2 * time.Minute
	defaultSendTimeout = 30 * time.Second
	defaultMaxRetry    = 10 * time.Minute
	defaultGiveUp      = 24 * time.Hour
)

// withDefaults fills in defaults and checks that features have what they
// need, reporting every problem at once.
func (c Config) withDefaults(engine gatehouse.Config, st gatehouse.Stores) (Config, error) {
	hasher := engine.Hasher
	var errs []error
	if c.Prefix != "" && (!strings.HasPrefix(c.Prefix, "/") || strings.HasSuffix(c.Prefix, "/")) {
		errs = append(errs, fmt.Errorf("the Prefix %q must start with \"/\" and not end with one", c.Prefix))
	}
	for _, p := range []*struct {
		f   *string
		def string
	}{
		{&c.LoginPath, "/login"}, {&c.LogoutPath, "/logout"}, {&c.RegisterPath, "/register"},
		{&c.ConfirmPath, "/confirm"}, {&c.ResetPath, "/reset"}, {&c.ChangePath, "/change"}, {&c.VerifyPath, "/verify"},
		{&c.SessionPath, "/session"}, {&c.ChangeEmailPath, "/change-email"}, {&c.ChangeEmailConfirmPath, "/change-email-confirm"},
		{&c.SessionsPath, "/sessions"}, {&c.DeleteAccountPath, "/delete-account"},
		{&c.Username.ChangePath, "/change-username"}, {&c.Username.RecoverPath, "/recover-username"},
		{&c.PostChangeEmailURL, "/"}, {&c.PostDeleteURL, "/"}, {&c.Username.PostChangeURL, "/"},
		{&c.PostLogoutURL, "/"}, {&c.PostRegisterURL, "/"}, {&c.PostConfirmURL, "/"},
		{&c.PostResetURL, "/"}, {&c.PostChangeURL, "/"},
	} {
		if *p.f == "" {
			*p.f = p.def
		}
	}
	for _, d := range []struct {
		f   *time.Duration
		def time.Duration
	}{
		{&c.ChangeEmailWithin, 2 * time.Hour}, {&c.ConfirmWithin, 5 * 24 * time.Hour}, {&c.ResetWithin, 5 * 24 * time.Hour}, {&c.LoginWithin, 24 * time.Hour},
		{&c.Mail.RetryDelay, time.Second}, {&c.Mail.MaxRetryDelay, defaultMaxRetry}, {&c.Mail.GiveUpAfter, defaultGiveUp},
		{&c.Mail.SendTimeout, defaultSendTimeout}, {&c.Mail.Lease, defaultMailLease},
	} {
		if *d.f <= 0 {
			*d.f = d.def
		}
	}
	if c.RegisterPerIP.Count <= 0 {
		c.RegisterPerIP = gatehouse.Limit{Count: 10, Per: time.Hour}
	}
	for _, l := range []struct {
		f   *gatehouse.Limit
		def gatehouse.Limit
	}{
		{&c.Mail.PerAddressClient, gatehouse.Limit{Count: 5, Per: time.Hour}},
		{&c.Mail.PerAddress, gatehouse.Limit{Count: 1, Per: 2 * time.Minute}},
		{&c.Mail.PerClient, gatehouse.Limit{Count: 30, Per: time.Hour}},
	} {
		if l.f.Count <= 0 {
			*l.f = l.def
		}
	}
	if c.Mail.Workers <= 0 {
		c.Mail.Workers = defaultMailWorkers
	}
	if c.Mail.Lease <= c.Mail.SendTimeout {
		errs = append(errs, errors.New("Mail.Lease must exceed Mail.SendTimeout, or a slow send could be taken over and sent twice"))
	}
	for _, name := range c.RegisterFields {
		if name == "" || len(name) > 64 || strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" ||
			slices.Contains([]string{"email", "password", "password_confirm", "csrf_token", "username"}, name) {
			errs = append(errs, fmt.Errorf("RegisterFields: %q is not a name for a field of the app's own (lower-case letters, digits, underscores; not a built-in field)", name))
		}
	}
	if c.Mail.NoText && c.Mail.NoHTML {
		errs = append(errs, errors.New("Mail.NoText and Mail.NoHTML together leave mails empty: set one at most"))
	}
	// The policy refuses what the hasher cannot take (bcrypt's 72 bytes),
	// so such a password is a field error, not a failure to hash.
	switch p := c.PasswordPolicy.(type) {
	case nil:
		c.PasswordPolicy = password.Policy{MaxBytes: password.MaxPasswordBytes(hasher)}
	case password.Policy:
		if p.MaxBytes == 0 {
			p.MaxBytes = password.MaxPasswordBytes(hasher)
			c.PasswordPolicy = p
		}
	}
	errs = append(errs, c.Username.check(engine)...)
	if c.Sessions {
		if _, ok := engine.Sessions.(admin.SessionLister); !ok {
			errs = append(errs, errors.New("views.Config.Sessions needs a session store that lists a user's sessions (gatehouse.Config.Sessions that is an admin.SessionLister: memstore, sqlitestore, pgstore, redisstore)"))
		}
	}
	if c.DeleteAccount {
		if _, ok := engine.Users.(admin.UserStore); !ok {
			errs = append(errs, errors.New("views.Config.DeleteAccount needs a user store that deletes users (an admin.UserStore)"))
		}
	}
	linkMails := c.Confirmable || c.Recoverable || c.Passwordless || c.ChangeEmail || c.Username.Recovery
	if linkMails || c.Registerable && !c.Mail.DisableWelcome || c.Changeable && !c.Mail.DisableChangeNotice {
		if c.Mail.Mailer == nil {
			errs = append(errs, errors.New("missing Mail.Mailer: Confirmable, Recoverable, Passwordless, ChangeEmail and Username.Recovery send mail, and so do Registerable and Changeable unless Mail.DisableWelcome and Mail.DisableChangeNotice are set"))
		}
		if st.Outbox == nil {
			errs = append(errs, errors.New("missing an outbox: mail waits in the engine's durable outbox (gatehouse.Config.Outbox) until it is sent; use a store that is an Outbox"))
		}
	}
	if linkMails {
		if st.Tokens == nil {
			errs = append(errs, errors.New("missing the engine's Tokens store: Confirmable, Recoverable, Passwordless and ChangeEmail mail one-time links"))
		}
		u, err := url.Parse(c.BaseURL)
		if c.BaseURL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, errors.New("missing BaseURL (such as https://example.com): links in mails are built from it, never from the request's Host"))
		}
	}
	errs = append(errs, c.twoFactorDefaults(engine)...)
	errs = append(errs, c.SPA.check(c)...)
	if c.ChangeEmailErrorURL == "" {
		c.ChangeEmailErrorURL = c.Prefix + c.ChangeEmailPath
	}
	errs = append(errs, c.unifiedDefaults(st)...)
	errs = append(errs, c.oauthDefaults()...)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("views: invalid config: %w", errors.Join(errs...))
	}
	return c, nil
}

// twoFactorDefaults fills in TwoFactor and WebAuthn and checks them.
func (c *Config) twoFactorDefaults(engine gatehouse.Config) []error {
	var errs []error
	t, w := &c.TwoFactor, &c.WebAuthn
	if t.Methods == nil {
		t.Methods = []string{mfa.KindAuthenticator, mfa.KindEmail}
	}
	for _, m := range t.Methods {
		if m != mfa.KindAuthenticator && m != mfa.KindEmail {
			errs = append(errs, fmt.Errorf("TwoFactor.Methods: unknown method %q (want authenticator or email)", m))
		}
	}
	base, _ := url.Parse(c.BaseURL)
	host := ""
	if base != nil {
		host = base.Hostname()
	}
	if t.Issuer == "" {
		t.Issuer = c.AppName
	}
	if t.Issuer == "" {
		t.Issuer = host
	}
	if t.RecoveryCodes <= 0 {
		t.RecoveryCodes = 10
	}
	for _, p := range []struct {
		f   *string
		def string
	}{
		{&t.SetupPath, "/tf-setup"}, {&t.ValidatePath, "/tf-validate"}, {&t.RescuePath, "/tf-rescue"}, {&t.SelectPath, "/tf-select"},
		{&t.RecoveryCodesPath, "/mf-recovery-codes"}, {&t.RecoveryPath, "/mf-recovery"},
		{&w.RegisterPath, "/wan-register"}, {&w.SigninPath, "/wan-signin"}, {&w.DeletePath, "/wan-delete"}, {&w.VerifyPath, "/wan-verify"},
	} {
		if *p.f == "" {
			*p.f = p.def
		}
	}
	us := c.UnifiedSignin
	if !t.Enabled && !w.Enabled && !(us.Enabled && (us.Methods == nil || slices.ContainsFunc(us.Methods, func(m string) bool { return m != usPassword }))) {
		return errs
	}
	if t.Factors == nil {
		t.Factors, _ = engine.Users.(mfa.Store)
	}
	if t.Factors == nil {
		errs = append(errs, errors.New("missing TwoFactor.Factors: second factors and unified sign-in codes need a store (an mfa.Store; memstore and the SQL stores are one)"))
	}
	if !t.Enabled && !w.Enabled {
		return errs
	}
	if base == nil || host == "" {
		errs = append(errs, errors.New("missing BaseURL: two-factor mails and passkeys need the site's address"))
	}
	if w.Enabled {
		if w.RPID == "" {
			w.RPID = host
		}
		if w.RPName == "" {
			w.RPName = t.Issuer
		}
		if w.Origins == nil && base != nil {
			w.Origins = []string{base.Scheme + "://" + base.Host}
		}
		if net.ParseIP(w.RPID) != nil {
			errs = append(errs, fmt.Errorf("WebAuthn.RPID %q: passkeys need a domain, not an IP address (serve the site as localhost, say)", w.RPID))
		} else if w.RPID != "" && host != "" && w.RPID != host && !strings.HasSuffix(host, "."+w.RPID) {
			errs = append(errs, fmt.Errorf("WebAuthn.RPID %q must be the host of BaseURL (%s) or a domain it is under", w.RPID, host))
		}
	}
	return errs
}

// unifiedDefaults fills in UnifiedSignin and checks it.
func (c *Config) unifiedDefaults(st gatehouse.Stores) []error {
	u := &c.UnifiedSignin
	for _, p := range []struct {
		f   *string
		def string
	}{
		{&u.SigninPath, "/us-signin"}, {&u.SigninSendCodePath, "/us-signin/send-code"}, {&u.VerifyPath, "/us-verify"},
		{&u.VerifySendCodePath, "/us-verify/send-code"}, {&u.SetupPath, "/us-setup"},
	} {
		if *p.f == "" {
			*p.f = p.def
		}
	}
	if u.PostSetupURL == "" {
		u.PostSetupURL = c.Prefix + u.SetupPath
	}
	if u.CodeWithin <= 0 {
		u.CodeWithin = 2 * time.Minute
	}
	if u.SetupWithin <= 0 {
		u.SetupWithin = 30 * time.Minute
	}
	if u.Methods == nil {
		u.Methods = []string{usPassword, usEmail, usAuthenticator}
	}
	if u.MFARequired == nil {
		u.MFARequired = []string{usPassword, usEmail}
	}
	if !u.Enabled {
		return nil
	}
	var errs []error
	if len(u.Methods) == 0 {
		errs = append(errs, errors.New("UnifiedSignin.Methods is empty: allow password, email or authenticator"))
	}
	for _, list := range []struct {
		name    string
		methods []string
	}{{"Methods", u.Methods}, {"MFARequired", u.MFARequired}} {
		for _, m := range list.methods {
			switch m {
			case usPassword, usEmail, usAuthenticator:
			case "sms":
				errs = append(errs, fmt.Errorf("UnifiedSignin.%s: gatehouse does not send SMS; use email or authenticator", list.name))
			default:
				errs = append(errs, fmt.Errorf("UnifiedSignin.%s: unknown method %q (want password, email or authenticator)", list.name, m))
			}
		}
	}
	if u.CodeWithin < 30*time.Second || u.CodeWithin > 10*time.Minute {
		errs = append(errs, fmt.Errorf("UnifiedSignin.CodeWithin %v: between 30 seconds and 10 minutes (a mailed code should not outlive its reader's attention)", u.CodeWithin))
	}
	if slices.Contains(u.Methods, usEmail) {
		if c.Mail.Mailer == nil {
			errs = append(errs, errors.New("missing Mail.Mailer: UnifiedSignin mails codes (method email)"))
		}
		if st.Outbox == nil {
			errs = append(errs, errors.New("missing an outbox: UnifiedSignin's code mails wait in the engine's durable outbox (gatehouse.Config.Outbox)"))
		}
	}
	if slices.Contains(u.Methods, usAuthenticator) && c.TwoFactor.Issuer == "" {
		errs = append(errs, errors.New("UnifiedSignin: authenticator apps need a name for the site: set TwoFactor.Issuer, AppName or BaseURL"))
	}
	return errs
}

// siteWord is the name a site goes by, from its base URL: the label before
// the top-level domain ("example" for https://app.example.com), or "".
func siteWord(baseURL string) string {
	u, err := url.Parse(baseURL)
	if err != nil {
		return ""
	}
	labels := strings.Split(strings.TrimSuffix(u.Hostname(), "."), ".")
	if len(labels) < 2 {
		return ""
	}
	return labels[len(labels)-2]
}
