package views

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/internal/i18n"
	"github.com/gatehouse-auth/gatehouse/mfa"
)

// Two-factor login. After the password (or a reset link, a passwordless
// link, a confirmation that logs in), signIn decides whether the user
// must give a second factor. If so, the session stays anonymous: the
// login waits in a sealed cookie of its own (pending), which only the
// second-factor views read, until a code, a recovery code or a passkey
// completes it (finishLogin). The states and JSON answers are
// Flask-Security 5's (docs/json-api.md).

// The states of a pending login.
const (
	tfReady      = "ready"              // a method is set up: give its code
	tfSetup      = "setup_from_login"   // required, none set up: set one up
	tfValidating = "validating_profile" // setting one up: give its first code
	tfSelect     = "select"             // several methods: choose one
)

// methodWebAuthn names a second-factor passkey among the methods.
const methodWebAuthn = mfa.KindWebAuthn

// pendingFor is how long a pending login lasts.
const pendingFor = 15 * time.Minute

// skewApp is the window of a code, in 30-second steps either way: ±30 s.
const skewApp = 1

// mailWithin is how long the very code mailed works, the window having
// moved on (Flask-Security's TWO_FACTOR_MAIL_VALIDITY): that one code
// only, so a mail does not widen the window for guesses.
const mailWithin = 5 * time.Minute

// How a pending login's first factor was given.
const (
	viaPassword = "password"
	viaLink     = "link" // a reset, passwordless or confirmation link: the mailbox
	viaPasskey  = "passkey"
	viaOAuth    = "oauth" // an OAuth provider (whose account is often the mailbox's)
)

// pending is a login waiting for its second factor.
type pending struct {
	UserID   string `json:"u"`
	Stamp    string `json:"s"` // what the user's SecurityStamp was: a password change voids it
	Remember bool   `json:"r,omitempty"`
	State    string `json:"t"`
	Method   string `json:"m,omitempty"` // the method in use, or being set up
	Secret   string `json:"k,omitempty"` // a TOTP secret being set up
	Mailed   int64  `json:"e,omitempty"` // the time step of the code mailed, if one was
	Via      string `json:"v"`           // how the first factor was given
}

func stampOf(u *gatehouse.User) string {
	sum := sha256.Sum256([]byte("views stamp\x00" + u.SecurityStamp))
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

// tfCookie is the pending login's cookie: the session cookie's
// attributes, "_tf" after its name.
func (v *Views) tfCookie(value string, maxAge int) *http.Cookie {
	c := v.linkCookie(value, maxAge)
	c.Name = v.auth.Config().Cookie.Name + "_tf"
	return c
}

// setPending writes p as the pending login.
func (v *Views) setPending(w http.ResponseWriter, p *pending) {
	http.SetCookie(w, v.tfCookie(v.seal.sealText("pending login", p, v.cfg.Now().Add(pendingFor)), int(pendingFor/time.Second)))
}

// clearPending ends the pending login.
func (v *Views) clearPending(w http.ResponseWriter) { http.SetCookie(w, v.tfCookie("", -1)) }

// pendingLogin reads r's pending login and its user; ok is false if
// there is none, it expired, or its user changed password or may no
// longer log in.
func (v *Views) pendingLogin(r *http.Request) (*pending, *gatehouse.User, bool, error) {
	c, err := r.Cookie(v.auth.Config().Cookie.Name + "_tf")
	if err != nil {
		return nil, nil, false, nil
	}
	var p pending
	if v.seal.openText("pending login", c.Value, &p, v.cfg.Now()) != nil {
		return nil, nil, false, nil
	}
	u, err := v.st.Users.UserByID(r.Context(), p.UserID)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil, nil, false, nil
	}
	if err != nil {
		return nil, nil, false, err
	}
	if subtle.ConstantTimeCompare([]byte(stampOf(u)), []byte(p.Stamp)) != 1 || !v.loginAllowed(u) {
		return nil, nil, false, nil
	}
	return &p, u, true, nil
}

// factorSet is a user's factors, sorted.
type factorSet struct {
	primary   *mfa.Factor   // the authenticator app or mail codes, if set up
	primaries []*mfa.Factor // every one (two enrolments at once may leave two; the newest counts)
	keys      []*mfa.Factor // passkeys
	secondary []*mfa.Factor // passkeys registered as a second factor
	recovery  []*mfa.Factor // unspent recovery codes
}

func (v *Views) factorsOf(ctx context.Context, u *gatehouse.User) (factorSet, error) {
	var fs factorSet
	if v.cfg.TwoFactor.Factors == nil {
		return fs, nil
	}
	all, err := v.cfg.TwoFactor.Factors.Factors(ctx, u.ID)
	if err != nil {
		return fs, err
	}
	for _, f := range all {
		switch f.Kind {
		case mfa.KindAuthenticator, mfa.KindEmail:
			fs.primary = f
			fs.primaries = append(fs.primaries, f)
		case mfa.KindWebAuthn:
			fs.keys = append(fs.keys, f)
			if v.cfg.WebAuthn.Enabled && passkeyOf(f).Usage == usageSecondary {
				fs.secondary = append(fs.secondary, f)
			}
		case mfa.KindRecovery:
			if f.Counter == 0 {
				fs.recovery = append(fs.recovery, f)
			}
		}
	}
	if !v.cfg.TwoFactor.Enabled {
		fs.primary = nil
	}
	return fs, nil
}

// print is a digest of the factors that log in: a remembered device is
// remembered for these, and forgotten when they change.
func (fs factorSet) print() string {
	h := sha256.New()
	if fs.primary != nil {
		h.Write([]byte(fs.primary.ID + "\x00"))
	}
	for _, k := range fs.secondary {
		h.Write([]byte(k.ID + "\x00"))
	}
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:12])
}

// methods are the second factors a user has set up, in Flask-Security's
// order.
func (fs factorSet) methods() []string {
	var m []string
	if fs.primary != nil {
		m = append(m, fs.primary.Kind)
	}
	if len(fs.secondary) > 0 {
		m = append(m, methodWebAuthn)
	}
	return m
}

// required reports whether u must have a second factor.
func (v *Views) required(u *gatehouse.User) bool {
	t := v.cfg.TwoFactor
	return t.Enabled && (t.Required || slices.ContainsFunc(t.RequiredRoles, u.HasRole))
}

// signIn logs u in after a first factor, unless a second is needed: then
// it starts a pending login and answers with what comes next (and
// handled is true). Otherwise the caller answers, as it would have; for
// JSON it may add "tf_required": false (see tfNotRequired).
func (v *Views) signIn(w http.ResponseWriter, r *http.Request, u *gatehouse.User, o gatehouse.LoginOptions, via string) (handled bool, err error) {
	if !v.cfg.TwoFactor.Enabled && !v.cfg.WebAuthn.Enabled {
		return false, v.auth.Login(w, r, u, o)
	}
	fs, err := v.factorsOf(r.Context(), u)
	if err != nil {
		return false, err
	}
	methods := fs.methods()
	needed := len(methods) > 0 && !v.deviceRemembered(r, u, fs) || len(methods) == 0 && v.required(u)
	if !needed {
		v.clearPending(w)
		return false, v.auth.Login(w, r, u, o)
	}
	p := &pending{UserID: u.ID, Stamp: stampOf(u), Remember: o.Remember, Via: via}
	resp := map[string]any{"tf_required": true}
	target := v.cfg.TwoFactor.ValidatePath
	switch {
	case len(methods) == 0:
		p.State = tfSetup
		resp["tf_state"] = tfSetup
		target = v.cfg.TwoFactor.SetupPath
	case len(methods) > 1:
		p.State = tfSelect
		resp["tf_select"], resp["tf_setup_methods"] = true, methods
		target = v.cfg.TwoFactor.SelectPath
	default:
		p.State, p.Method = tfReady, methods[0]
		resp["tf_state"], resp["tf_method"] = tfReady, p.Method
		if p.Method == methodWebAuthn {
			resp["tf_signin_url"] = v.cfg.Prefix + v.cfg.WebAuthn.SigninPath
			target = v.cfg.WebAuthn.SigninPath
		} else {
			resp["tf_primary_method"] = p.Method
		}
		if p.Method == mfa.KindEmail {
			if p.Mailed, err = v.mailCode(r, u, fs.primary); err != nil {
				return false, err
			}
		}
	}
	v.setPending(w, p)
	v.log.InfoContext(r.Context(), "views: second factor asked for", "event", "tf_required", "user_id", u.ID, "state", p.State)
	if gatehouse.WantsJSON(r) {
		v.ok(w, r, resp)
		return true, nil
	}
	http.Redirect(w, r, v.cfg.Prefix+target, http.StatusSeeOther)
	return true, nil
}

// tfNotRequired is what a JSON login answer adds when two-factor is on
// and none was asked for (Flask-Security's "tf_required": false).
func (v *Views) tfNotRequired(resp map[string]any) map[string]any {
	if v.cfg.TwoFactor.Enabled {
		resp["tf_required"] = false
	}
	return resp
}

// finishLogin completes a pending login with a second factor given, and
// answers: the user (JSON) or a redirect. rememberDevice sets the cookie
// that skips the second factor on this browser, when so configured and
// the user ticked "remember me". New recovery codes (a factor set up
// during the login) are shown, once.
func (v *Views) finishLogin(w http.ResponseWriter, r *http.Request, u *gatehouse.User, p *pending, rememberDevice bool, codes []string) {
	v.clearPending(w)
	if err := v.auth.Login(w, r, u, gatehouse.LoginOptions{Remember: p.Remember}); err != nil {
		v.auth.WriteError(w, r, err)
		return
	}
	if rememberDevice && p.Remember && v.cfg.TwoFactor.RememberDeviceFor > 0 {
		if fs, err := v.factorsOf(r.Context(), u); err == nil {
			v.rememberDevice(w, u, fs)
		}
	}
	v.log.InfoContext(r.Context(), "views: second factor given", "event", "tf_validated", "user_id", u.ID)
	if gatehouse.WantsJSON(r) {
		resp := map[string]any{"user": v.loginPayload(r, u)}
		if codes != nil {
			resp["recovery_codes"] = codes
		}
		v.ok(w, r, resp)
		return
	}
	if codes != nil {
		pg := v.recoveryCodesPage(codes, len(codes))
		pg.Extra["next"] = v.nextURL(w, r)
		pg.Flashes = []gatehouse.Flash{{Category: "success", Message: v.text(r, i18n.TwoFactorLoginSuccessful)}}
		v.render(w, r, http.StatusOK, "mf_recovery_codes", i18n.UIRecoveryCodesTitle, pg)
		return
	}
	v.flash(w, r, "success", i18n.TwoFactorLoginSuccessful)
	http.Redirect(w, r, v.nextURL(w, r), http.StatusSeeOther)
}

// loginPayload is the user in a login's JSON answer, with an auth token
// if the client asked (?include_auth_token) and token auth is on.
func (v *Views) loginPayload(r *http.Request, u *gatehouse.User) map[string]any {
	user := v.userPayload(u)
	if _, ok := r.URL.Query()["include_auth_token"]; ok && v.auth.Config().TokenAuth {
		user["authentication_token"] = v.auth.AuthToken(u)
	}
	return user
}

// The remember-device cookie: <session cookie>_tfv, the user, until when,
// and a MAC over both, the user's SecurityStamp and the factors it was
// given with: a new password or a new factor forgets every device.
func (v *Views) deviceMAC(i int, u *gatehouse.User, fs factorSet, until string) string {
	return base64.RawURLEncoding.EncodeToString(v.seal.mac(i, "remember device", u.ID+"\x00"+u.SecurityStamp+"\x00"+fs.print()+"\x00"+until))
}

func (v *Views) rememberDevice(w http.ResponseWriter, u *gatehouse.User, fs factorSet) {
	d := v.cfg.TwoFactor.RememberDeviceFor
	until := strconv.FormatInt(v.cfg.Now().Add(d).Unix(), 10)
	c := v.tfCookie(u.ID+"."+until+"."+v.deviceMAC(0, u, fs, until), int(d/time.Second))
	c.Name = v.auth.Config().Cookie.Name + "_tfv"
	c.SameSite = http.SameSiteStrictMode
	http.SetCookie(w, c)
}

// deviceRemembered reports whether r's browser holds a valid
// remember-device cookie for u and their factors fs.
func (v *Views) deviceRemembered(r *http.Request, u *gatehouse.User, fs factorSet) bool {
	if v.cfg.TwoFactor.RememberDeviceFor <= 0 {
		return false
	}
	c, err := r.Cookie(v.auth.Config().Cookie.Name + "_tfv")
	if err != nil {
		return false
	}
	id, rest, _ := strings.Cut(c.Value, ".")
	until, mac, _ := strings.Cut(rest, ".")
	t, err := strconv.ParseInt(until, 10, 64)
	if id != u.ID || err != nil || v.cfg.Now().Unix() >= t {
		return false
	}
	for i := range v.seal.macs {
		if subtle.ConstantTimeCompare([]byte(mac), []byte(v.deviceMAC(i, u, fs, until))) == 1 {
			return true
		}
	}
	return false
}

// matchCode finds the time step of code for secret: a code of the
// window (±30 s), or the one mailed (time step mailed, if not 0), for
// mailWithin.
func (v *Views) matchCode(secret, code string, mailed int64) (int64, bool) {
	now := v.cfg.Now()
	if step, ok := mfa.CheckTOTP(secret, code, now, skewApp); ok {
		return step, true
	}
	if mailed > 0 && now.Unix()-mailed*30 < int64(mailWithin/time.Second) && mfa.CheckTOTPStep(secret, code, mailed) {
		return mailed, true
	}
	return 0, false
}

// checkCode checks a one-time code against u's factor f (mailed: the time
// step of the code mailed, if one was), through the brute-force throttle,
// and spends its time step so it works once.
func (v *Views) checkCode(ctx context.Context, u *gatehouse.User, f *mfa.Factor, code string, mailed int64) error {
	return v.auth.CheckFactor(ctx, u, func(ctx context.Context) error {
		secret, err := v.seal.open("factor secret", f.Data)
		if err != nil {
			return err
		}
		step, ok := v.matchCode(string(secret), code, mailed)
		if !ok {
			return gatehouse.ErrInvalidCredentials
		}
		err = v.cfg.TwoFactor.Factors.UseFactor(ctx, u.ID, f.ID, step, v.cfg.Now())
		if errors.Is(err, gatehouse.ErrConflict) {
			return gatehouse.ErrInvalidCredentials // that code, or a later one, was used already
		}
		return err
	})
}

// checkNewCode checks the first code of a secret being set up, through
// the throttle, and returns its time step: the factor is stored with it
// spent.
func (v *Views) checkNewCode(ctx context.Context, u *gatehouse.User, secret, code string, mailed int64) (int64, error) {
	var step int64
	err := v.auth.CheckFactor(ctx, u, func(context.Context) error {
		var ok bool
		if step, ok = v.matchCode(secret, code, mailed); !ok {
			return gatehouse.ErrInvalidCredentials
		}
		return nil
	})
	return step, err
}

// mailCode mails u a code of f that has not been used (mail codes, or a
// rescue), and returns its time step.
func (v *Views) mailCode(r *http.Request, u *gatehouse.User, f *mfa.Factor) (int64, error) {
	secret, err := v.seal.open("factor secret", f.Data)
	if err != nil {
		return 0, err
	}
	return v.mailSecretCode(r, u, string(secret), f.Counter)
}

// mailSecretCode mails u the code of secret for the first step after
// counter (0: the current one), within the mail limits of the client
// (MailConfig.PerAddressClient, PerClient): whoever has the password
// cannot flood the owner's mailbox with codes.
func (v *Views) mailSecretCode(r *http.Request, u *gatehouse.User, secret string, counter int64) (int64, error) {
	if err := v.allowMail(r, u.Email); err != nil {
		return 0, err
	}
	code, step, err := mfa.NextCode(secret, v.cfg.Now(), counter)
	if err != nil {
		return 0, err
	}
	return step, v.enqueueMail(r.Context(), mailPayload{Kind: mailTwoFactorCode, UserID: u.ID, Lang: v.lang(r), Code: code})
}

// notify mails u a notice that their sign-in settings changed.
func (v *Views) notify(r *http.Request, u *gatehouse.User, what i18n.Key) {
	if err := v.enqueueMail(r.Context(), mailPayload{Kind: mailTwoFactorNotice, UserID: u.ID, Lang: v.lang(r), Notice: string(what)}); err != nil {
		v.log.ErrorContext(r.Context(), "views: queueing a notice", "event", "store_error", "err", err)
	}
	if h := v.cfg.Hooks.FactorsChanged; h != nil {
		h(r.Context(), u, string(what))
	}
}

// newFactorSecret makes a TOTP secret and seals it for the store.
func (v *Views) sealSecret(secret string) []byte { return v.seal.seal("factor secret", []byte(secret)) }

// tfDenied answers a request to a second-factor view with no pending
// login in a state it serves (Flask-Security's tf_illegal_state).
func (v *Views) tfDenied(w http.ResponseWriter, r *http.Request) {
	v.clearPending(w)
	msg := v.text(r, i18n.TwoFactorPermissionDenied)
	if gatehouse.WantsJSON(r) {
		WriteJSON(w, http.StatusBadRequest, ErrorResponse{Errors: []string{msg}, FieldErrors: map[string][]string{"": {msg}}})
		return
	}
	v.auth.Flash(w, r, "error", msg)
	http.Redirect(w, r, v.cfg.Prefix+v.cfg.LoginPath, http.StatusSeeOther)
}
