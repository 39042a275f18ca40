package views

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"slices"
	"strings"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/internal/i18n"
	"github.com/gatehouse-auth/gatehouse/mfa"
	"golang.org/x/text/unicode/norm"
)

// Unified sign-in (Flask-Security's UNIFIED_SIGNIN): an identity and a
// passcode, which is a code mailed on request, a code from an
// authenticator app, or the password, as UnifiedSignin.Methods allow.
// The methods are factors of their own kinds (mfa.KindSigninEmail,
// KindSigninAuthenticator), sealed as the second factors' are, in the
// same store. A mailed code is a random one kept (sealed) as a factor of
// kind mfa.KindSigninCode: good once, for CodeWithin, until the next is
// mailed. An app's code is a TOTP code of the step before, this one or
// the next, and the factor's counter, which only grows, spends it and
// every earlier one. Every code check goes through the engine's
// brute-force throttle (CheckFactor), for unknown identities as for known
// ones, every spelling of an identity as one.

// The unified sign-in methods.
const (
	usPassword      = "password"
	usEmail         = mfa.KindEmail
	usAuthenticator = mfa.KindAuthenticator
	// usCode keys the mailed codes among a user's factors (usFactors).
	usCode = mfa.KindSigninCode
)

// mailSigninCode carries a unified sign-in code.
const mailSigninCode = "us_instructions"

// viaApp is a first factor given by an authenticator app's code.
const viaApp = "app"

// usKind is the factor kind of a method that has a secret.
func usKind(method string) string {
	switch method {
	case usEmail:
		return mfa.KindSigninEmail
	case usAuthenticator:
		return mfa.KindSigninAuthenticator
	}
	return ""
}

// usAllows reports whether method is among UnifiedSignin.Methods.
func (v *Views) usAllows(method string) bool {
	return slices.Contains(v.cfg.UnifiedSignin.Methods, method)
}

// usSetupMethods are the allowed methods that are set up (all but the
// password), in Methods' order.
func (v *Views) usSetupMethods() []string {
	var m []string
	for _, x := range v.cfg.UnifiedSignin.Methods {
		if x != usPassword {
			m = append(m, x)
		}
	}
	return m
}

// usCodeMethods are the allowed methods that send a code: "email".
func (v *Views) usCodeMethods() []string {
	if v.usAllows(usEmail) {
		return []string{usEmail}
	}
	return []string{}
}

// usFactors are u's unified sign-in factors by method, newest first.
func (v *Views) usFactors(ctx context.Context, u *gatehouse.User) (map[string][]*mfa.Factor, error) {
	out := map[string][]*mfa.Factor{}
	if v.cfg.TwoFactor.Factors == nil {
		return out, nil
	}
	all, err := v.cfg.TwoFactor.Factors.Factors(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	for i := len(all) - 1; i >= 0; i-- {
		switch f := all[i]; f.Kind {
		case mfa.KindSigninEmail:
			out[usEmail] = append(out[usEmail], f)
		case mfa.KindSigninAuthenticator:
			out[usAuthenticator] = append(out[usAuthenticator], f)
		case mfa.KindSigninCode:
			out[usCode] = append(out[usCode], f)
		}
	}
	return out, nil
}

// usActive are the methods u may sign in with now, in Methods' order:
// those set up, the password if u has one, mail codes for everyone with
// EmailWithoutSetup.
func (v *Views) usActive(u *gatehouse.User, fs map[string][]*mfa.Factor) []string {
	active := []string{}
	for _, m := range v.cfg.UnifiedSignin.Methods {
		switch {
		case m == usPassword && u.PasswordHash != "",
			len(fs[m]) > 0,
			m == usEmail && v.cfg.UnifiedSignin.EmailWithoutSetup:
			active = append(active, m)
		}
	}
	return active
}

// looksLikeCode reports whether a passcode has the shape of a code: six
// digits (spaces aside). Only such passcodes are checked as codes, so a
// password is not counted as a wrong code.
func looksLikeCode(s string) bool {
	s = strings.ReplaceAll(strings.TrimSpace(s), " ", "")
	return len(s) == 6 && strings.Trim(s, "0123456789") == ""
}

// usMatch finds the time step, after counter, of code for secret among
// the steps from back steps ago to ahead steps from now; every step is
// compared, in constant time.
func (v *Views) usMatch(secret, code string, counter, back, ahead int64) (int64, bool) {
	now := v.cfg.Now().Unix() / 30
	var found int64
	for step := now + ahead; step >= now-back; step-- {
		if mfa.CheckTOTPStep(secret, code, step) && step > counter && found == 0 {
			found = step
		}
	}
	return found, found > 0
}

// usMatchApp matches an authenticator app's code: the step before, this
// one or the next (a clock a little off), as the second factor's.
func (v *Views) usMatchApp(secret, code string, counter int64) (int64, bool) {
	return v.usMatch(secret, code, counter, 1, 1)
}

// usMailed checks code against u's mailed sign-in codes: the newest one
// that is unspent and younger than CodeWithin, compared in constant time,
// and spends it. ok is false for anything else; err is a store's.
func (v *Views) usMailed(ctx context.Context, u *gatehouse.User, codes []*mfa.Factor, code string) (ok bool, err error) {
	if len(codes) == 0 {
		return false, nil
	}
	f := codes[0] // the newest: only it counts
	mailed, err := v.seal.open("factor secret", f.Data)
	if err != nil {
		return false, err
	}
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	now := v.cfg.Now()
	if f.Counter != 0 || now.Sub(f.CreatedAt) > v.cfg.UnifiedSignin.CodeWithin || subtle.ConstantTimeCompare(mailed, []byte(code)) != 1 {
		return false, nil
	}
	switch err := v.cfg.TwoFactor.Factors.UseFactor(ctx, u.ID, f.ID, 1, now); {
	case errors.Is(err, gatehouse.ErrConflict), errors.Is(err, gatehouse.ErrNotFound):
		return false, nil // spent a moment ago
	case err != nil:
		return false, err
	}
	v.cfg.TwoFactor.Factors.DeleteFactors(ctx, u.ID, f.ID)
	return true, nil
}

// usCheckCode checks code against u's unified sign-in factors fs, through
// the brute-force throttle, and spends it; it returns the method whose
// code it was, or an error wrapping ErrInvalidCredentials. u may stand in
// for an unknown identity (fs empty): the check then costs and counts as
// a known one's.
func (v *Views) usCheckCode(ctx context.Context, u *gatehouse.User, fs map[string][]*mfa.Factor, code string) (string, error) {
	var method string
	err := v.auth.CheckFactor(ctx, u, func(ctx context.Context) error {
		tried := false
		for _, m := range v.usSetupMethods() {
			if m == usEmail {
				tried = tried || len(fs[usCode]) > 0
				switch ok, err := v.usMailed(ctx, u, fs[usCode], code); {
				case err != nil:
					return err
				case ok:
					method = usEmail
					return nil
				}
				continue
			}
			for _, f := range fs[m] {
				tried = true
				secret, err := v.seal.open("factor secret", f.Data)
				if err != nil {
					return err
				}
				step, ok := v.usMatchApp(string(secret), code, f.Counter)
				if !ok {
					continue
				}
				err = v.cfg.TwoFactor.Factors.UseFactor(ctx, u.ID, f.ID, step, v.cfg.Now())
				if errors.Is(err, gatehouse.ErrConflict) {
					continue // spent by a request a moment ago
				}
				if err != nil {
					return err
				}
				method = m
				return nil
			}
		}
		if !tried {
			v.usMatchApp(v.usDummy, code, 0) // as long as a known user's check
		}
		return gatehouse.ErrInvalidCredentials
	})
	return method, err
}

// usStandIn is the user an unknown identity's code check is counted for:
// the throttle keeps its failures apart from every real account's, by
// the identity, as it does an unknown identity's wrong passwords.
func usStandIn(identity string) *gatehouse.User {
	sum := sha256.Sum256([]byte("us unknown\x00" + canonicalIdentity(identity)))
	return &gatehouse.User{ID: "us-unknown:" + base64.RawURLEncoding.EncodeToString(sum[:18]), Email: identity}
}

// usFindUser looks identity up as the login does (the engine's
// IdentityAttributes); nil if there is no such user.
func (v *Views) usFindUser(ctx context.Context, identity string) (*gatehouse.User, error) {
	attrs := v.auth.Config().IdentityAttributes
	if len(attrs) == 0 {
		attrs = []string{"email"}
	}
	attr := "username"
	if strings.Contains(identity, "@") {
		attr = "email"
	}
	if strings.TrimSpace(identity) == "" || !slices.Contains(attrs, attr) {
		return nil, nil
	}
	u, err := v.auth.FindUser(ctx, identity)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil, nil
	}
	return u, err
}

// usAuthenticate checks a passcode: as a code first when it has the
// shape of one (or the password is not allowed), then as the password
// when allowed. u is the user whose passcode it is meant to be, nil for
// an unknown identity; password checks the password (the login's
// VerifyPassword, or CheckPassword for a logged-in user). It returns the
// user and the method, ErrInvalidCredentials (wrapped), ErrInactive once
// the passcode was right, or the throttle's or a store's error. A known
// and an unknown identity take the same checks.
func (v *Views) usAuthenticate(ctx context.Context, u *gatehouse.User, identity, passcode string,
	password func() (*gatehouse.User, error)) (*gatehouse.User, string, error) {
	if len(v.usSetupMethods()) > 0 && (looksLikeCode(passcode) || !v.usAllows(usPassword)) {
		who, fs := u, map[string][]*mfa.Factor{}
		if u == nil {
			who = usStandIn(identity)
		} else {
			var err error
			if fs, err = v.usFactors(ctx, u); err != nil {
				return nil, "", err
			}
		}
		method, err := v.usCheckCode(ctx, who, fs, passcode)
		switch {
		case err == nil && !u.Active:
			return u, method, gatehouse.ErrInactive
		case err == nil:
			return u, method, nil
		case !errors.Is(err, gatehouse.ErrInvalidCredentials):
			return nil, "", err
		}
	}
	if !v.usAllows(usPassword) {
		return nil, "", gatehouse.ErrInvalidCredentials
	}
	pu, err := password()
	return pu, usPassword, err
}

// usSigninView serves /us-signin (and LoginPath with ReplacesLogin).
// GET: the form, or {available_methods, code_methods,
// identity_attributes} as JSON. POST: identity, passcode, remember.
func (v *Views) usSigninView() http.Handler {
	return v.view(v.usSigninGet, v.usSigninPost)
}

func (v *Views) usSigninGet(w http.ResponseWriter, r *http.Request) {
	if gatehouse.WantsJSON(r) {
		v.ok(w, r, map[string]any{"available_methods": v.cfg.UnifiedSignin.Methods, "code_methods": v.usCodeMethods(),
			"identity_attributes": v.auth.Config().IdentityAttributes})
		return
	}
	if _, err := v.auth.Check(r, gatehouse.Policy{Fresh: true}); err == nil {
		http.Redirect(w, r, v.nextURL(w, r), http.StatusSeeOther)
		return
	}
	v.render(w, r, http.StatusOK, "us_signin", i18n.UILogin, v.usSigninPage(r, nil))
}

func (v *Views) usSigninPage(r *http.Request, f form) page {
	c := v.cfg.UnifiedSignin
	p := page{Action: v.withNext(r, v.cfg.Prefix+c.SigninPath), Remember: v.cfg.DefaultRemember,
		Extra: map[string]any{"password": v.usAllows(usPassword), "send_code": ""}}
	if len(v.usCodeMethods()) > 0 {
		p.Extra["send_code"] = v.withNext(r, v.cfg.Prefix+c.SigninSendCodePath)
	}
	if f != nil {
		p.Form = map[string]string{"identity": f.identity()}
		p.Remember = f.bool("remember", v.cfg.DefaultRemember)
	}
	return p
}

func (v *Views) usSigninPost(w http.ResponseWriter, r *http.Request, f form) {
	ctx := r.Context()
	identity, passcode := f.identity(), f["passcode"]
	fail := func(fe *formErrors) { v.fail(w, r, fe, "us_signin", i18n.UILogin, v.usSigninPage(r, f)) }
	fe := &formErrors{}
	v.formHook(r, "us_signin", f, fe)
	if identity == "" {
		fe.add("identity", v.text(r, i18n.USSpecifyIdentity))
	}
	if passcode == "" {
		fe.add("passcode", v.text(r, i18n.InvalidPasswordCode))
	}
	if fe.any() {
		fail(fe)
		return
	}
	known, err := v.usFindUser(ctx, identity)
	if err != nil {
		v.auth.WriteError(w, r, err)
		return
	}
	u, method, err := v.usAuthenticate(ctx, known, identity, passcode, func() (*gatehouse.User, error) {
		return v.auth.VerifyPassword(ctx, identity, passcode)
	})
	switch {
	case err == nil && !v.loginAllowed(u):
		// The passcode was right: saying so tells nothing to a stranger.
		fe.add("identity", v.text(r, i18n.ConfirmationRequired))
	case err == nil:
	case errors.Is(err, gatehouse.ErrInvalidCredentials), errors.Is(err, gatehouse.ErrInactive):
		switch {
		case !v.cfg.DetailedErrors:
			fe.add("passcode", v.text(r, i18n.InvalidPasswordCode))
		case known == nil:
			fe.add("identity", v.text(r, i18n.USSpecifyIdentity))
		case errors.Is(err, gatehouse.ErrInactive):
			fe.add("identity", v.text(r, i18n.DisabledAccount))
		default:
			fe.add("passcode", v.text(r, i18n.InvalidPasswordCode))
		}
	default:
		v.checkFailed(w, r, err, "us_signin", i18n.UILogin, v.usSigninPage(r, f))
		return
	}
	if fe.any() {
		fail(fe)
		return
	}
	v.log.InfoContext(ctx, "views: unified sign-in", "event", "us_signin", "user_id", u.ID, "method", method)
	o := gatehouse.LoginOptions{Remember: f.bool("remember", v.cfg.DefaultRemember)}
	if slices.Contains(v.cfg.UnifiedSignin.MFARequired, method) {
		via := map[string]string{usPassword: viaPassword, usEmail: viaLink, usAuthenticator: viaApp}[method]
		handled, err := v.signIn(w, r, u, o, via)
		if err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		if handled {
			return
		}
	} else {
		v.clearPending(w)
		if err := v.auth.Login(w, r, u, o); err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
	}
	if gatehouse.WantsJSON(r) {
		v.ok(w, r, v.tfNotRequired(map[string]any{"user": v.loginPayload(r, u)}))
		return
	}
	http.Redirect(w, r, v.nextURL(w, r), http.StatusSeeOther)
}

// usSendCodeView serves POST /us-signin/send-code: identity and
// chosen_method "email". It answers the same, in content and in cost, for
// every identity, known or not, set up or not: the request only queues
// the mail (within the mail limits), and the outbox worker looks the
// identity up and mails a code if its user may sign in by mail.
func (v *Views) usSendCodeView() http.Handler {
	return v.anonymous(v.view(v.usSigninGet, func(w http.ResponseWriter, r *http.Request, f form) {
		identity := f.identity()
		fe := &formErrors{}
		v.formHook(r, "us_signin", f, fe)
		if identity == "" {
			fe.add("identity", v.text(r, i18n.USSpecifyIdentity))
		}
		if f["chosen_method"] != usEmail || !v.usAllows(usEmail) {
			fe.add("chosen_method", v.text(r, i18n.USMethodNotAvailable))
		}
		if fe.any() {
			v.fail(w, r, fe, "us_signin", i18n.UILogin, v.usSigninPage(r, f))
			return
		}
		v.usQueueCode(w, r, canonicalIdentity(identity), mailPayload{Kind: mailSigninCode, Email: identity, Lang: v.lang(r)},
			"us_signin", i18n.UILogin, v.usSigninPage(r, f), i18n.GenericUSSignin)
	}))
}

// usQueueCode queues a code mail p to the address key, within the mail
// limits (per client, and one per address for a while, however often it
// is asked for), and answers: {} as JSON, or page view with told.
func (v *Views) usQueueCode(w http.ResponseWriter, r *http.Request, key string, p mailPayload, view string, title i18n.Key, pg page, told i18n.Key) {
	send := false
	err := v.allowMail(r, key)
	if err == nil {
		send, err = v.sendMail(r, key, mailSigninCode)
	}
	if err == nil && send {
		err = v.enqueueMail(r.Context(), p)
	}
	if err != nil {
		v.auth.WriteError(w, r, err)
		return
	}
	if gatehouse.WantsJSON(r) {
		v.ok(w, r, nil)
		return
	}
	pg.Flashes = []gatehouse.Flash{{Category: v.texts.Category(told, "info"), Message: v.text(r, told)}}
	v.render(w, r, http.StatusOK, view, title, pg)
}

// usMailCode is the code to mail u for unified sign-in, from the outbox
// worker, inside its transaction: a new random code, stored sealed (the
// user's earlier ones go), or "" if u may not sign in by mail (not set
// up, and EmailWithoutSetup off).
func (v *Views) usMailCode(ctx context.Context, u *gatehouse.User) (string, error) {
	if !v.cfg.UnifiedSignin.Enabled || !v.usAllows(usEmail) || v.cfg.TwoFactor.Factors == nil {
		return "", nil
	}
	fs, err := v.usFactors(ctx, u)
	if err != nil {
		return "", err
	}
	if len(fs[usEmail]) == 0 && !v.cfg.UnifiedSignin.EmailWithoutSetup {
		return "", nil
	}
	// A code of its own, good once and only until the next one is mailed:
	// no code works that was not mailed.
	store := v.cfg.TwoFactor.Factors
	if ids := factorIDs(fs[usCode]); len(ids) > 0 {
		if err := store.DeleteFactors(ctx, u.ID, ids...); err != nil {
			return "", err
		}
	}
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", err
	}
	code := fmt.Sprintf("%06d", n.Int64())
	f := &mfa.Factor{UserID: u.ID, Kind: mfa.KindSigninCode, Data: v.sealSecret(code), CreatedAt: v.cfg.Now()}
	return code, store.AddFactor(ctx, f)
}

// canonicalIdentity is identity as the engine looks it up: an address in
// its normal form, else NFKC and lower case; every spelling of one
// account has one key, for the mail limits and the throttle.
func canonicalIdentity(identity string) string {
	identity = strings.TrimSpace(identity)
	if strings.Contains(identity, "@") {
		if email, err := gatehouse.ValidateEmail(identity); err == nil {
			return strings.ToLower(email)
		}
	}
	return strings.ToLower(norm.NFKC.String(identity))
}
