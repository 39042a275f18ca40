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
	// Where browsers go after each action. Defaults: "/" after logout, and
	// the engine's PostLoginURL ("/") after the others.
	PostLogoutURL, PostRegisterURL, PostConfirmURL, PostResetURL, PostChangeURL string
	// ConfirmErrorURL and ResetErrorURL are where browsers go, with the
	// message as a flash, after a confirmation or reset link that is bad
	// or expired (Flask-Security's CONFIRM_ERROR_VIEW and
	// RESET_ERROR_VIEW). Defaults: the pages that send a new link.
	ConfirmErrorURL, ResetErrorURL string
	// BaseURL is the site's external address ("https://example.com"), from
	// which links in mails are built: never from the request's Host header.
	// Required with Confirmable, Recoverable or Passwordless.
	BaseURL string

	// Behaviour.

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
	// register.html, ..., layout.html): every one is parsed and rendered
	// once in New, so a broken override is an error there.
	Templates fs.FS
	// Context adds values to a page's template data (Flask-Security's
	// context processors): view is the template name.
	Context func(r *http.Request, view string, data map[string]any)
	// Texts overrides texts, or adds languages: files named LANG.json
	// ("de.json", "nl.json"), each a JSON object from message keys
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
	// Form checks a submitted form further (a captcha, terms accepted)
	// before the view acts on it, on the request's goroutine. form is
	// Flask-Security's name for it: "login", "register",
	// "send_confirmation", "forgot_password", "reset_password",
	// "change_password" or "passwordless_login"; values are its fields as
	// sent. Errors it returns (by field; "" for the form as a whole) are
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
		Form:                    h.Form,
		FactorsChanged:          h.FactorsChanged,
	}
	if a, b := h.FactorsChanged, more.FactorsChanged; a == nil {
		out.FactorsChanged = b
	} else if b != nil {
		out.FactorsChanged = func(ctx context.Context, u *gatehouse.User, change string) { a(ctx, u, change); b(ctx, u, change) }
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
		{&c.SessionPath, "/session"},
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
		{&c.ConfirmWithin, 5 * 24 * time.Hour}, {&c.ResetWithin, 5 * 24 * time.Hour}, {&c.LoginWithin, 24 * time.Hour},
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
	linkMails := c.Confirmable || c.Recoverable || c.Passwordless
	if linkMails || c.Registerable && !c.Mail.DisableWelcome || c.Changeable && !c.Mail.DisableChangeNotice {
		if c.Mail.Mailer == nil {
			errs = append(errs, errors.New("missing Mail.Mailer: Confirmable, Recoverable and Passwordless send mail, and so do Registerable and Changeable unless Mail.DisableWelcome and Mail.DisableChangeNotice are set"))
		}
		if st.Outbox == nil {
			errs = append(errs, errors.New("missing an outbox: mail waits in the engine's durable outbox (gatehouse.Config.Outbox) until it is sent; use a store that is an Outbox"))
		}
	}
	if linkMails {
		if st.Tokens == nil {
			errs = append(errs, errors.New("missing the engine's Tokens store: Confirmable, Recoverable and Passwordless mail one-time links"))
		}
		u, err := url.Parse(c.BaseURL)
		if c.BaseURL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, errors.New("missing BaseURL (such as https://example.com): links in mails are built from it, never from the request's Host"))
		}
	}
	errs = append(errs, c.twoFactorDefaults(engine)...)
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
	if !t.Enabled && !w.Enabled {
		return errs
	}
	if t.Factors == nil {
		t.Factors, _ = engine.Users.(mfa.Store)
	}
	if t.Factors == nil {
		errs = append(errs, errors.New("missing TwoFactor.Factors: second factors need a store (an mfa.Store; memstore and the SQL stores are one)"))
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
