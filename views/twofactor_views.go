package views

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"slices"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/internal/i18n"
	"github.com/gatehouse-auth/gatehouse/mfa"
)

// tfValidateView serves /tf-validate: the code that completes a pending
// login (from the app, or mailed), or the first code of a method being
// set up during login, which then stores it.
func (v *Views) tfValidateView() http.Handler {
	return v.view(func(w http.ResponseWriter, r *http.Request) {
		p, _, ok, err := v.pendingLogin(r)
		if err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		if !ok || p.State != tfReady && p.State != tfValidating {
			v.tfDenied(w, r)
			return
		}
		if gatehouse.WantsJSON(r) {
			v.ok(w, r, map[string]any{"user": map[string]any{}, "recovery_options": v.rescueOptions(r, p)})
			return
		}
		v.render(w, r, http.StatusOK, "tf_validate", i18n.UITwoFactorTitle, v.tfValidatePage(r, p))
	}, v.tfValidatePost)
}

func (v *Views) tfValidatePage(r *http.Request, p *pending) page {
	return page{Action: v.cfg.Prefix + v.cfg.TwoFactor.ValidatePath, Extra: map[string]any{
		"method": p.Method, "mailed": p.Mailed > 0, "rescue": v.cfg.Prefix + v.cfg.TwoFactor.RescuePath,
		"recovery": v.cfg.Prefix + v.cfg.TwoFactor.RecoveryPath,
	}}
}

func (v *Views) tfValidatePost(w http.ResponseWriter, r *http.Request, f form) {
	ctx := r.Context()
	p, u, ok, err := v.pendingLogin(r)
	if err != nil {
		v.auth.WriteError(w, r, err)
		return
	}
	if !ok || p.State != tfReady && p.State != tfValidating {
		v.tfDenied(w, r)
		return
	}
	fe := &formErrors{}
	code := f["code"]
	var fs factorSet
	var step int64
	switch {
	case code == "":
		fe.add("code", v.text(r, i18n.TwoFactorInvalidToken))
	case p.State == tfValidating:
		if has, err := v.hasFactor(ctx, u); err != nil || has {
			v.setupVoid(w, r, err)
			return
		}
		step, err = v.checkNewCode(ctx, u, p.Secret, code, p.Mailed)
	default:
		if fs, err = v.factorsOf(ctx, u); err == nil && fs.primary == nil {
			v.tfDenied(w, r)
			return
		}
		if err == nil {
			err = v.checkCode(ctx, u, fs.primary, code, p.Mailed)
		}
	}
	switch {
	case errors.Is(err, gatehouse.ErrInvalidCredentials):
		fe.add("code", v.text(r, i18n.TwoFactorInvalidToken))
	case err != nil:
		v.checkFailed(w, r, err, "tf_validate", i18n.UITwoFactorTitle, v.tfValidatePage(r, p))
		return
	}
	if fe.any() {
		v.fail(w, r, fe, "tf_validate", i18n.UITwoFactorTitle, v.tfValidatePage(r, p))
		return
	}
	var codes []string
	if p.State == tfValidating {
		if codes, err = v.enrol(r, u, p.Method, p.Secret, step); err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
	}
	if h := v.cfg.Hooks.TwoFactorCodeConfirmed; h != nil {
		h(ctx, u, p.Method)
	}
	v.finishLogin(w, r, u, p, true, codes)
}

// enrol stores method (with its TOTP secret, the code of step spent) as
// u's second factor in place of any other, gives u recovery codes if they have none, and
// mails a notice. It returns the new recovery codes, if any.
func (v *Views) enrol(r *http.Request, u *gatehouse.User, method, secret string, step int64) ([]string, error) {
	ctx := r.Context()
	store := v.cfg.TwoFactor.Factors
	var codes []string
	err := v.auth.InTx(ctx, func(ctx context.Context) error {
		fs, err := v.factorsOf(ctx, u)
		if err != nil {
			return err
		}
		if ids := factorIDs(fs.primaries); len(ids) > 0 {
			if err := store.DeleteFactors(ctx, u.ID, ids...); err != nil {
				return err
			}
		}
		f := &mfa.Factor{UserID: u.ID, Kind: method, Data: v.sealSecret(secret), Counter: step, CreatedAt: v.cfg.Now()}
		if err := store.AddFactor(ctx, f); err != nil {
			return err
		}
		if len(fs.recovery) == 0 {
			var err error
			codes, err = v.newRecoveryCodes(ctx, u)
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	v.log.InfoContext(ctx, "views: second factor set up", "event", "tf_enrolled", "user_id", u.ID, "method", method)
	v.notify(r, u, i18n.TwoFactorChangeMethodSuccessful)
	return codes, nil
}

// setupState is an authenticated user's method change between its two
// steps (Flask-Security's tf_state_token).
type setupState struct {
	UserID string `json:"u"`
	Method string `json:"m"`
	Secret string `json:"k"`
	Mailed int64  `json:"e,omitempty"` // the time step of the code mailed
}

const setupWithin = 30 * time.Minute

// tfSetupView serves /tf-setup: choose a method and show its secret (a
// QR code for an app; a mailed code for mail), or disable two-factor. A
// pending login that must set one up may use it; so may a logged-in user
// whose login is fresh (changing or disabling a factor needs that).
func (v *Views) tfSetupView() http.Handler {
	return v.view(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := v.setupCaller(w, r)
		if !ok {
			return
		}
		fs, err := v.factorsOf(r.Context(), u)
		if err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		if gatehouse.WantsJSON(r) {
			resp := map[string]any{"tf_required": v.required(u), "tf_primary_method": nil, "tf_method": nil, "tf_phone_number": nil,
				"tf_available_methods": v.availableMethods(u, fs)}
			if fs.primary != nil {
				resp["tf_primary_method"], resp["tf_method"] = fs.primary.Kind, fs.primary.Kind
			}
			v.ok(w, r, resp)
			return
		}
		v.render(w, r, http.StatusOK, "tf_setup", i18n.UITwoFactorSetupTitle, v.tfSetupPage(u, p, fs, nil))
	}, v.tfSetupPost)
}

func (v *Views) availableMethods(u *gatehouse.User, fs factorSet) []string {
	m := slices.Clone(v.cfg.TwoFactor.Methods)
	if !v.required(u) && fs.primary != nil {
		m = append([]string{"disable"}, m...)
	}
	return m
}

func (v *Views) tfSetupPage(u *gatehouse.User, p *pending, fs factorSet, extra map[string]any) page {
	if extra == nil {
		extra = map[string]any{}
	}
	extra["methods"] = v.availableMethods(u, fs)
	if fs.primary != nil {
		extra["current"] = fs.primary.Kind
	}
	return page{Action: v.cfg.Prefix + v.cfg.TwoFactor.SetupPath, Extra: extra}
}

// setupCaller is who may use /tf-setup: a pending login that must set up
// a factor (p), or a logged-in user with a fresh login. It answers the
// others and reports false.
func (v *Views) setupCaller(w http.ResponseWriter, r *http.Request) (*gatehouse.User, *pending, bool) {
	if u, ok := gatehouse.CurrentUser(r.Context()); ok {
		if _, err := v.auth.Check(r, gatehouse.Policy{Fresh: true}); err != nil {
			v.auth.Deny(w, r, err)
			return nil, nil, false
		}
		return u, nil, true
	}
	p, u, ok, err := v.pendingLogin(r)
	if err != nil {
		v.auth.WriteError(w, r, err)
		return nil, nil, false
	}
	if !ok || p.State != tfSetup && p.State != tfValidating {
		v.tfDenied(w, r)
		return nil, nil, false
	}
	if has, err := v.hasFactor(r.Context(), u); err != nil || has {
		v.setupVoid(w, r, err)
		return nil, nil, false
	}
	return u, p, true
}

// hasFactor reports whether u has set up a second factor: a pending login
// begun before that, which was to set one up, is void (its holder gave
// the password only, and must not replace the factor).
func (v *Views) hasFactor(ctx context.Context, u *gatehouse.User) (bool, error) {
	fs, err := v.factorsOf(ctx, u)
	return len(fs.methods()) > 0, err
}

// setupVoid answers a pending setup made void by a factor set up since,
// or the store's error.
func (v *Views) setupVoid(w http.ResponseWriter, r *http.Request, err error) {
	if err != nil {
		v.auth.WriteError(w, r, err)
		return
	}
	v.tfDenied(w, r)
}

func (v *Views) tfSetupPost(w http.ResponseWriter, r *http.Request, f form) {
	ctx := r.Context()
	u, p, ok := v.setupCaller(w, r)
	if !ok {
		return
	}
	fs, err := v.factorsOf(ctx, u)
	if err != nil {
		v.auth.WriteError(w, r, err)
		return
	}
	method := f["setup"]
	if method == "mail" {
		method = mfa.KindEmail // Flask-Security's old name
	}
	if !slices.Contains(v.availableMethods(u, fs), method) {
		fe := &formErrors{}
		fe.add("setup", v.text(r, i18n.TwoFactorMethodNotAvailable))
		v.fail(w, r, fe, "tf_setup", i18n.UITwoFactorSetupTitle, v.tfSetupPage(u, p, fs, nil))
		return
	}
	if method == "disable" {
		v.disableTwoFactor(w, r, u, fs)
		return
	}
	secret, uri, err := mfa.NewTOTP(v.cfg.TwoFactor.Issuer, u.Email)
	if err != nil {
		v.auth.WriteError(w, r, err)
		return
	}
	var mailed int64
	if method == mfa.KindEmail {
		if mailed, err = v.mailSecretCode(r, u, secret, 0); err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
	}
	resp := map[string]any{"tf_state": tfValidating, "tf_primary_method": method, "tf_method": method, "tf_state_token": nil}
	extra := map[string]any{"method": method}
	if method == mfa.KindAuthenticator {
		resp["tf_authr_key"], resp["tf_authr_b32key"] = groupKey(secret), secret
		resp["tf_authr_username"], resp["tf_authr_issuer"], resp["tf_authr_uri"] = u.Email, v.cfg.TwoFactor.Issuer, uri
		qr, err := mfa.QRCode(uri)
		if err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		extra["qr"], extra["key"] = template.URL(qr), groupKey(secret) // a PNG data URL of our making
	}
	if p != nil {
		// Setting up during login: the first code goes to /tf-validate.
		p.State, p.Method, p.Secret, p.Mailed = tfValidating, method, secret, mailed
		v.setPending(w, p)
		extra["action"] = v.cfg.Prefix + v.cfg.TwoFactor.ValidatePath
	} else {
		token := v.seal.sealText("tf setup", setupState{UserID: u.ID, Method: method, Secret: secret, Mailed: mailed}, v.cfg.Now().Add(setupWithin))
		resp["tf_state_token"] = token
		extra["action"] = v.cfg.Prefix + v.cfg.TwoFactor.SetupPath + "/" + token
	}
	if gatehouse.WantsJSON(r) {
		v.ok(w, r, resp)
		return
	}
	v.render(w, r, http.StatusOK, "tf_setup", i18n.UITwoFactorSetupTitle, v.tfSetupPage(u, p, fs, extra))
}

// groupKey writes a base32 secret in groups of four, for typing.
func groupKey(secret string) string {
	var out []byte
	for i := 0; i < len(secret); i += 4 {
		if i > 0 {
			out = append(out, '-')
		}
		out = append(out, secret[i:min(i+4, len(secret))]...)
	}
	return string(out)
}

func factorIDs(fs []*mfa.Factor) []string {
	ids := make([]string, 0, len(fs))
	for _, f := range fs {
		ids = append(ids, f.ID)
	}
	return ids
}

// disableTwoFactor removes u's second-factor method (and, if no passkey
// is left as a second factor, the recovery codes), for a fresh login.
func (v *Views) disableTwoFactor(w http.ResponseWriter, r *http.Request, u *gatehouse.User, fs factorSet) {
	ids := factorIDs(fs.primaries)
	if len(fs.secondary) == 0 {
		ids = append(ids, factorIDs(fs.recovery)...)
	}
	if len(ids) > 0 {
		if err := v.cfg.TwoFactor.Factors.DeleteFactors(r.Context(), u.ID, ids...); err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
	}
	v.log.InfoContext(r.Context(), "views: two-factor disabled", "event", "tf_disabled", "user_id", u.ID)
	v.notify(r, u, i18n.TwoFactorDisabled)
	v.done(w, r, map[string]any{"user": v.userPayload(u)}, v.cfg.Prefix+v.cfg.TwoFactor.SetupPath, i18n.TwoFactorDisabled)
}

// tfSetupTokenView serves /tf-setup/{token}: the code that confirms a
// logged-in user's new method.
func (v *Views) tfSetupTokenView() http.Handler {
	return v.auth.RequireLogin(v.view(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, v.cfg.Prefix+v.cfg.TwoFactor.SetupPath, http.StatusSeeOther)
	}, func(w http.ResponseWriter, r *http.Request, f form) {
		u, _ := gatehouse.CurrentUser(r.Context())
		var st setupState
		switch err := v.seal.openText("tf setup", r.PathValue("token"), &st, v.cfg.Now()); {
		case errors.Is(err, errExpired):
			v.formError(w, r, "", v.text(r, i18n.TwoFactorSetupExpired, "within", v.humanDuration(v.lang(r), setupWithin)))
			return
		case err != nil || st.UserID != u.ID:
			v.formError(w, r, "", v.text(r, i18n.APIError))
			return
		}
		step, err := v.checkNewCode(r.Context(), u, st.Secret, f["code"], st.Mailed)
		switch {
		case errors.Is(err, gatehouse.ErrInvalidCredentials):
			v.formError(w, r, "code", v.text(r, i18n.TwoFactorInvalidToken))
			return
		case err != nil:
			v.auth.WriteError(w, r, err)
			return
		}
		codes, err := v.enrol(r, u, st.Method, st.Secret, step)
		if err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		if gatehouse.WantsJSON(r) {
			resp := map[string]any{"tf_method": st.Method, "tf_primary_method": st.Method, "tf_phone": nil}
			if codes != nil {
				resp["recovery_codes"] = codes
			}
			v.ok(w, r, resp)
			return
		}
		if codes != nil {
			v.render(w, r, http.StatusOK, "mf_recovery_codes", i18n.UIRecoveryCodesTitle, v.recoveryCodesPage(codes, 0))
			return
		}
		v.done(w, r, nil, v.cfg.Prefix+v.cfg.TwoFactor.SetupPath, i18n.TwoFactorChangeMethodSuccessful)
	}))
}

// formError answers one error of a field ("" for the form), as JSON or
// a flash.
func (v *Views) formError(w http.ResponseWriter, r *http.Request, field, msg string) {
	if gatehouse.WantsJSON(r) {
		WriteJSON(w, http.StatusBadRequest, ErrorResponse{Errors: []string{msg}, FieldErrors: map[string][]string{field: {msg}}})
		return
	}
	v.auth.Flash(w, r, "error", msg)
	http.Redirect(w, r, v.cfg.Prefix+v.cfg.TwoFactor.SetupPath, http.StatusSeeOther)
}

// selecting returns the pending login that is choosing a method, its
// user and the user's factors; otherwise it answers and reports false.
func (v *Views) selecting(w http.ResponseWriter, r *http.Request) (*pending, *gatehouse.User, factorSet, bool) {
	p, u, ok, err := v.pendingLogin(r)
	if err != nil {
		v.auth.WriteError(w, r, err)
		return nil, nil, factorSet{}, false
	}
	if !ok || p.State != tfSelect {
		v.tfDenied(w, r)
		return nil, nil, factorSet{}, false
	}
	fs, err := v.factorsOf(r.Context(), u)
	if err != nil {
		v.auth.WriteError(w, r, err)
		return nil, nil, factorSet{}, false
	}
	return p, u, fs, true
}

// tfSelectView serves /tf-select: a pending login whose user has several
// methods chooses one.
func (v *Views) tfSelectView() http.Handler {
	return v.view(func(w http.ResponseWriter, r *http.Request) {
		_, _, fs, ok := v.selecting(w, r)
		if !ok {
			return
		}
		if gatehouse.WantsJSON(r) {
			v.ok(w, r, map[string]any{"tf_select": true, "tf_setup_methods": fs.methods()})
			return
		}
		v.render(w, r, http.StatusOK, "tf_select", i18n.UITwoFactorTitle,
			v.tfSelectPage(fs))
	}, func(w http.ResponseWriter, r *http.Request, f form) {
		p, u, fs, ok := v.selecting(w, r)
		if !ok {
			return
		}
		which := f["which"]
		if !slices.Contains(fs.methods(), which) {
			fe := &formErrors{}
			fe.add("which", v.text(r, i18n.TwoFactorMethodNotAvailable))
			v.fail(w, r, fe, "tf_select", i18n.UITwoFactorTitle,
				v.tfSelectPage(fs))
			return
		}
		p.State, p.Method = tfReady, which
		resp := map[string]any{"tf_required": true, "tf_state": tfReady, "tf_method": which}
		target := v.cfg.TwoFactor.ValidatePath
		if which == methodWebAuthn {
			resp["tf_signin_url"] = v.cfg.Prefix + v.cfg.WebAuthn.SigninPath
			target = v.cfg.WebAuthn.SigninPath
		} else {
			resp["tf_primary_method"] = which
			if which == mfa.KindEmail {
				var err error
				if p.Mailed, err = v.mailCode(r, u, fs.primary); err != nil {
					v.auth.WriteError(w, r, err)
					return
				}
			}
		}
		v.setPending(w, p)
		if gatehouse.WantsJSON(r) {
			v.ok(w, r, resp)
			return
		}
		http.Redirect(w, r, v.cfg.Prefix+target, http.StatusSeeOther)
	})
}

func (v *Views) tfSelectPage(fs factorSet) page {
	return page{Action: v.cfg.Prefix + v.cfg.TwoFactor.SelectPath, Extra: map[string]any{
		"methods": fs.methods(), "recovery": v.cfg.Prefix + v.cfg.TwoFactor.RecoveryPath}}
}

// rescueOptions are the ways out for a user without their second factor
// (Flask-Security's recovery_options).
func (v *Views) rescueOptions(r *http.Request, p *pending) map[string]any {
	opts := map[string]any{}
	rescue := v.cfg.Prefix + v.cfg.TwoFactor.RescuePath
	if v.cfg.TwoFactor.RescueAddress != "" {
		opts["help"] = rescue
	}
	// A code by mail rescues a login begun with the password (or a
	// passkey), never one begun with a mailed link or an OAuth provider:
	// the mailbox alone (or the provider's account, often the mailbox's)
	// would then be both factors.
	if p.Method != methodWebAuthn && p.Via != viaLink && p.Via != viaOAuth {
		opts["email"] = rescue
	}
	opts["recovery_code"] = v.cfg.Prefix + v.cfg.TwoFactor.RecoveryPath
	return opts
}

// tfRescueView serves /tf-rescue, for a pending login without its
// second factor: "email" mails a code (then /tf-validate), "help" mails
// the site's RescueAddress, "recovery_code" goes to /mf-recovery.
func (v *Views) tfRescueView() http.Handler {
	return v.view(func(w http.ResponseWriter, r *http.Request) {
		p, _, ok, err := v.pendingLogin(r)
		if err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		if !ok || p.State != tfReady {
			v.tfDenied(w, r)
			return
		}
		if gatehouse.WantsJSON(r) {
			v.ok(w, r, map[string]any{"recovery_options": v.rescueOptions(r, p)})
			return
		}
		v.render(w, r, http.StatusOK, "tf_rescue", i18n.UITwoFactorRescueTitle,
			page{Action: v.cfg.Prefix + v.cfg.TwoFactor.RescuePath, Extra: map[string]any{"options": v.rescueOptions(r, p)}})
	}, func(w http.ResponseWriter, r *http.Request, f form) {
		p, u, ok, err := v.pendingLogin(r)
		if err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		if !ok || p.State != tfReady {
			v.tfDenied(w, r)
			return
		}
		opts := v.rescueOptions(r, p)
		choice := f["help_setup"]
		if _, offered := opts[choice]; !offered {
			fe := &formErrors{}
			fe.add("help_setup", v.text(r, i18n.TwoFactorMethodNotAvailable))
			v.fail(w, r, fe, "tf_rescue", i18n.UITwoFactorRescueTitle,
				page{Action: v.cfg.Prefix + v.cfg.TwoFactor.RescuePath, Extra: map[string]any{"options": opts}})
			return
		}
		switch choice {
		case "recovery_code":
			http.Redirect(w, r, v.cfg.Prefix+v.cfg.TwoFactor.RecoveryPath, http.StatusFound) // Flask-Security: a redirect, JSON or not
			return
		case "email":
			fs, err := v.factorsOf(r.Context(), u)
			if err == nil && fs.primary != nil {
				p.Mailed, err = v.mailCode(r, u, fs.primary)
			}
			if err != nil {
				v.auth.WriteError(w, r, err)
				return
			}
			v.setPending(w, p)
		case "help":
			if err = v.allowMail(r, u.Email); err == nil {
				err = v.enqueueMail(r.Context(), mailPayload{Kind: mailTwoFactorRescue, UserID: u.ID, Lang: i18n.Reference})
			}
			if err != nil {
				v.auth.WriteError(w, r, err)
				return
			}
		}
		if gatehouse.WantsJSON(r) {
			v.ok(w, r, map[string]any{"recovery_options": opts})
			return
		}
		v.flash(w, r, "info", i18n.TwoFactorRescueSent)
		http.Redirect(w, r, v.cfg.Prefix+v.cfg.TwoFactor.ValidatePath, http.StatusSeeOther)
	})
}
