package views

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"html/template"
	"net/http"
	"slices"
	"strings"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/internal/i18n"
	"github.com/gatehouse-auth/gatehouse/mfa"
)

// usVerifyView serves /us-verify (Flask-Security's us_verify): a
// logged-in user gives a passcode again (a code by mail, from their app,
// or the password, as set up and allowed) and the session becomes
// fresh. GET: the form, or {available_methods, code_methods (those of the
// user's that send one), has_webauthn_verify_credential} as JSON.
func (v *Views) usVerifyView() http.Handler {
	return v.auth.RequireLogin(v.view(v.usVerifyGet, v.usVerifyPost))
}

// usVerifyCodeMethods are the methods u has that send a code.
func (v *Views) usVerifyCodeMethods(ctx context.Context, u *gatehouse.User) ([]string, error) {
	fs, err := v.usFactors(ctx, u)
	if err != nil {
		return nil, err
	}
	out := []string{}
	if slices.Contains(v.usActive(u, fs), usEmail) {
		out = append(out, usEmail)
	}
	return out, nil
}

func (v *Views) usVerifyGet(w http.ResponseWriter, r *http.Request) {
	u, _ := gatehouse.CurrentUser(r.Context())
	codes, err := v.usVerifyCodeMethods(r.Context(), u)
	if err != nil {
		v.auth.WriteError(w, r, err)
		return
	}
	if gatehouse.WantsJSON(r) {
		v.ok(w, r, map[string]any{"available_methods": v.cfg.UnifiedSignin.Methods, "code_methods": codes,
			"has_webauthn_verify_credential": v.cfg.WebAuthn.Enabled})
		return
	}
	v.render(w, r, http.StatusOK, "us_verify", i18n.UIVerify, v.usVerifyPage(r, codes))
}

func (v *Views) usVerifyPage(r *http.Request, codes []string) page {
	c := v.cfg.UnifiedSignin
	p := page{Action: v.withNext(r, v.cfg.Prefix+c.VerifyPath), Extra: map[string]any{"send_code": "", "password": v.usAllows(usPassword)}}
	if len(codes) > 0 {
		p.Extra["send_code"] = v.withNext(r, v.cfg.Prefix+c.VerifySendCodePath)
	}
	if v.cfg.WebAuthn.Enabled {
		p.Extra["passkey"] = v.withNext(r, v.cfg.Prefix+v.cfg.WebAuthn.VerifyPath)
	}
	return p
}

func (v *Views) usVerifyPost(w http.ResponseWriter, r *http.Request, f form) {
	ctx := r.Context()
	u, _ := gatehouse.CurrentUser(ctx)
	codes, err := v.usVerifyCodeMethods(ctx, u)
	if err != nil {
		v.auth.WriteError(w, r, err)
		return
	}
	fe := &formErrors{}
	v.formHook(r, "us_verify", f, fe)
	passcode := f["passcode"]
	if passcode == "" {
		fe.add("passcode", v.text(r, i18n.InvalidPasswordCode))
	}
	if !fe.any() {
		_, method, err := v.usAuthenticate(ctx, u, u.Email, passcode, func() (*gatehouse.User, error) {
			return u, v.auth.CheckPassword(ctx, u, passcode)
		})
		switch {
		case err == nil:
			v.log.InfoContext(ctx, "views: re-authenticated", "event", "us_verify", "user_id", u.ID, "method", method)
		case errors.Is(err, gatehouse.ErrInvalidCredentials), errors.Is(err, gatehouse.ErrInactive):
			fe.add("passcode", v.text(r, i18n.InvalidPasswordCode))
		default:
			v.checkFailed(w, r, err, "us_verify", i18n.UIVerify, v.usVerifyPage(r, codes))
			return
		}
	}
	if fe.any() {
		v.fail(w, r, fe, "us_verify", i18n.UIVerify, v.usVerifyPage(r, codes))
		return
	}
	if err := v.auth.ConfirmLogin(w, r); err != nil {
		v.auth.WriteError(w, r, err)
		return
	}
	if gatehouse.WantsJSON(r) {
		v.ok(w, r, map[string]any{"user": v.loginPayload(r, u)})
		return
	}
	v.flash(w, r, "success", i18n.ReauthenticationSuccessful)
	http.Redirect(w, r, v.nextURL(w, r), http.StatusSeeOther)
}

// usVerifySendCodeView serves POST /us-verify/send-code: chosen_method
// "email" mails the logged-in user a code, within the mail limits.
func (v *Views) usVerifySendCodeView() http.Handler {
	return v.auth.RequireLogin(v.view(v.usVerifyGet, func(w http.ResponseWriter, r *http.Request, f form) {
		ctx := r.Context()
		u, _ := gatehouse.CurrentUser(ctx)
		codes, err := v.usVerifyCodeMethods(ctx, u)
		if err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		fe := &formErrors{}
		v.formHook(r, "us_verify", f, fe)
		if !slices.Contains(codes, f["chosen_method"]) {
			fe.add("chosen_method", v.text(r, i18n.USMethodNotAvailable))
		}
		if fe.any() {
			v.fail(w, r, fe, "us_verify", i18n.UIVerify, v.usVerifyPage(r, codes))
			return
		}
		v.usQueueCode(w, r, canonicalIdentity(u.Email), mailPayload{Kind: mailSigninCode, UserID: u.ID, Lang: v.lang(r)},
			"us_verify", i18n.UIVerify, v.usVerifyPage(r, codes), i18n.CodeHasBeenSent)
	}))
}

// usSetupState is a method being set up, between /us-setup and
// /us-setup/<state> (Flask-Security's state token), sealed.
type usSetupState struct {
	UserID string `json:"u"`
	Method string `json:"m"`
	Secret string `json:"k"`
}

// usSetupView serves /us-setup, for a logged-in user whose login is
// fresh (else the engine's refresh: /us-verify). GET: the page, or
// {available_methods, active_methods, setup_methods,
// identity_attributes, phone} as JSON. POST: chosen_method ("email" or
// "authenticator": a code is mailed, or the app's secret shown, and the
// answer carries the state for /us-setup/<state>), and/or delete_method
// (methods to remove: a JSON string, comma-separated, or the form's
// checkboxes).
func (v *Views) usSetupView() http.Handler {
	return v.auth.RequireFresh(v.view(func(w http.ResponseWriter, r *http.Request) {
		u, _ := gatehouse.CurrentUser(r.Context())
		fs, err := v.usFactors(r.Context(), u)
		if err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		if gatehouse.WantsJSON(r) {
			v.ok(w, r, v.usSetupInfo(u, fs))
			return
		}
		v.render(w, r, http.StatusOK, "us_setup", i18n.UIUSSetupTitle, v.usSetupPage(r, u, fs, nil))
	}, v.usSetupPost))
}

func (v *Views) usSetupInfo(u *gatehouse.User, fs map[string][]*mfa.Factor) map[string]any {
	return map[string]any{"available_methods": v.cfg.UnifiedSignin.Methods, "active_methods": v.usActive(u, fs),
		"setup_methods": v.usSetupMethods(), "identity_attributes": v.auth.Config().IdentityAttributes, "phone": nil}
}

// usSetupPage is the setup page: the methods active, those that can be
// set up and removed; with extra, a setup under way.
func (v *Views) usSetupPage(r *http.Request, u *gatehouse.User, fs map[string][]*mfa.Factor, extra map[string]any) page {
	if extra == nil {
		extra = map[string]any{}
	}
	active := v.usActive(u, fs)
	var names []string
	for _, m := range active {
		names = append(names, v.usMethodName(r, m))
	}
	if len(names) == 0 {
		names = []string{v.text(r, i18n.UIUSNone)}
	}
	extra["active_text"] = v.text(r, i18n.USCurrentMethods, "method_list", strings.Join(names, ", "))
	var choices, deletable []string
	for _, m := range v.usSetupMethods() {
		if len(fs[m]) > 0 {
			deletable = append(deletable, m)
		} else {
			choices = append(choices, m)
		}
	}
	extra["choices"], extra["deletable"] = choices, deletable
	return page{Action: v.cfg.Prefix + v.cfg.UnifiedSignin.SetupPath, Extra: extra}
}

// usMethodName is a method as the pages name it.
func (v *Views) usMethodName(r *http.Request, m string) string {
	switch m {
	case usEmail:
		return v.text(r, i18n.UITwoFactorEmail)
	case usAuthenticator:
		return v.text(r, i18n.UITwoFactorAuthenticator)
	}
	return v.text(r, i18n.UIPassword)
}

// usDeleteMethods are the methods a setup request asks to remove.
func usDeleteMethods(r *http.Request, f form) []string {
	raw := []string{f["delete_method"]}
	if r.PostForm != nil && len(r.PostForm["delete_method"]) > 1 {
		raw = r.PostForm["delete_method"]
	}
	var out []string
	for _, s := range raw {
		for m := range strings.SplitSeq(s, ",") {
			if m = strings.TrimSpace(m); m != "" && !slices.Contains(out, m) {
				out = append(out, m)
			}
		}
	}
	return out
}

func (v *Views) usSetupPost(w http.ResponseWriter, r *http.Request, f form) {
	ctx := r.Context()
	u, _ := gatehouse.CurrentUser(ctx)
	fs, err := v.usFactors(ctx, u)
	if err != nil {
		v.auth.WriteError(w, r, err)
		return
	}
	add, del := f["chosen_method"], usDeleteMethods(r, f)
	fe := &formErrors{}
	v.formHook(r, "us_setup", f, fe)
	switch {
	case add == "" && len(del) == 0:
		fe.add("", v.text(r, i18n.APIError))
	case add != "" && !slices.Contains(v.usSetupMethods(), add):
		fe.add("chosen_method", v.text(r, i18n.USMethodNotAvailable))
	}
	for _, m := range del {
		if !slices.Contains(v.usSetupMethods(), m) || len(fs[m]) == 0 {
			fe.add("delete_method", v.text(r, i18n.USMethodNotAvailable))
		}
	}
	if fe.any() {
		v.fail(w, r, fe, "us_setup", i18n.UIUSSetupTitle, v.usSetupPage(r, u, fs, nil))
		return
	}
	if len(del) > 0 {
		var ids []string
		for _, m := range del {
			ids = append(ids, factorIDs(fs[m])...)
		}
		if err := v.cfg.TwoFactor.Factors.DeleteFactors(ctx, u.ID, ids...); err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		v.log.InfoContext(ctx, "views: sign-in methods removed", "event", "us_deleted", "user_id", u.ID, "methods", del)
		v.usChanged(r, u, del, true)
		if fs, err = v.usFactors(ctx, u); err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
	}
	if add == "" {
		if gatehouse.WantsJSON(r) {
			v.ok(w, r, nil)
			return
		}
		p := v.usSetupPage(r, u, fs, nil)
		p.Flashes = []gatehouse.Flash{{Category: "info", Message: v.text(r, i18n.USMethodRemoved)}}
		v.render(w, r, http.StatusOK, "us_setup", i18n.UIUSSetupTitle, p)
		return
	}
	secret, uri, err := mfa.NewTOTP(v.cfg.TwoFactor.Issuer, u.Email)
	if err != nil {
		v.auth.WriteError(w, r, err)
		return
	}
	if add == usEmail {
		code, err := mfa.TOTPCode(secret, v.cfg.Now())
		if err == nil {
			err = v.allowMail(r, u.Email)
		}
		if err == nil {
			err = v.enqueueMail(ctx, mailPayload{Kind: mailSigninCode, UserID: u.ID, Lang: v.lang(r), Code: code})
		}
		if err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
	}
	state := v.seal.sealText("us setup", usSetupState{UserID: u.ID, Method: add, Secret: secret}, v.cfg.Now().Add(v.cfg.UnifiedSignin.SetupWithin))
	resp := map[string]any{"chosen_method": add, "phone": nil, "state": state}
	extra := map[string]any{"method": add, "state_action": v.cfg.Prefix + v.cfg.UnifiedSignin.SetupPath + "/" + state}
	if add == usAuthenticator {
		resp["authr_key"], resp["authr_b32key"] = groupKey(secret), secret
		resp["authr_username"], resp["authr_issuer"], resp["authr_uri"] = u.Email, v.cfg.TwoFactor.Issuer, uri
		qr, err := mfa.QRCode(uri)
		if err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		extra["qr"], extra["key"] = template.URL(qr), groupKey(secret) // a PNG data URL of our making
	}
	if gatehouse.WantsJSON(r) {
		v.ok(w, r, resp)
		return
	}
	v.render(w, r, http.StatusOK, "us_setup", i18n.UIUSSetupTitle, v.usSetupPage(r, u, fs, extra))
}

// usChanged tells u (a notice mail) and Hooks.SigninChanged that u's
// sign-in methods changed.
func (v *Views) usChanged(r *http.Request, u *gatehouse.User, methods []string, deleted bool) {
	notice := i18n.USSetupSuccessful
	if deleted {
		notice = i18n.USMethodRemoved
	}
	if err := v.enqueueMail(r.Context(), mailPayload{Kind: mailTwoFactorNotice, UserID: u.ID, Lang: v.lang(r), Notice: string(notice)}); err != nil {
		v.log.ErrorContext(r.Context(), "views: queueing a notice", "event", "store_error", "err", err)
	}
	if h := v.cfg.Hooks.SigninChanged; h != nil {
		h(r.Context(), u, methods, deleted)
	}
}

// usSetupValidateView serves /us-setup/<state>: POST passcode, the first
// code of the method being set up, which stores it (in place of any of
// that method's before). The login need not be fresh any more (as in
// Flask-Security): the state was made by a fresh one, for this user.
func (v *Views) usSetupValidateView() http.Handler {
	setup := v.cfg.Prefix + v.cfg.UnifiedSignin.SetupPath
	return v.auth.RequireLogin(v.view(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, setup, http.StatusSeeOther)
	}, func(w http.ResponseWriter, r *http.Request, f form) {
		ctx := r.Context()
		u, _ := gatehouse.CurrentUser(ctx)
		refuse := func(field, msg string) {
			if gatehouse.WantsJSON(r) {
				WriteJSON(w, http.StatusBadRequest, ErrorResponse{Errors: []string{msg}, FieldErrors: map[string][]string{field: {msg}}})
				return
			}
			v.auth.Flash(w, r, "error", msg)
			http.Redirect(w, r, setup, http.StatusSeeOther)
		}
		var st usSetupState
		switch err := v.seal.openText("us setup", r.PathValue("state"), &st, v.cfg.Now()); {
		case errors.Is(err, errExpired):
			refuse("", v.text(r, i18n.USSetupExpired, "within", v.humanDuration(v.lang(r), v.cfg.UnifiedSignin.SetupWithin)))
			return
		case err != nil || st.UserID != u.ID || usKind(st.Method) == "" || !v.usAllows(st.Method):
			refuse("", v.text(r, i18n.APIError))
			return
		}
		var step int64
		err := v.auth.CheckFactor(ctx, u, func(context.Context) error {
			var ok bool
			// The setup's code: an app's (its clock a little off), or the
			// one mailed for it (the step it was mailed in, or the next).
			ahead := int64(1)
			if st.Method == usEmail {
				ahead = 2
			}
			if step, ok = v.usMatch(st.Secret, f["passcode"], 0, 1, ahead); !ok {
				return gatehouse.ErrInvalidCredentials
			}
			return nil
		})
		switch {
		case errors.Is(err, gatehouse.ErrInvalidCredentials):
			refuse("passcode", v.text(r, i18n.InvalidPasswordCode))
			return
		case err != nil:
			v.auth.WriteError(w, r, err)
			return
		}
		// A state sets a method up once: replayed later (after the method
		// was removed, say), it does nothing.
		sum := sha256.Sum256([]byte("views us setup state\x00" + r.PathValue("state")))
		switch err := v.auth.Allow(r, "us setup state", hex.EncodeToString(sum[:]), gatehouse.Limit{Count: 1, Per: v.cfg.UnifiedSignin.SetupWithin}); {
		case errors.Is(err, gatehouse.ErrRateLimited):
			refuse("", v.text(r, i18n.APIError))
			return
		case err != nil:
			v.auth.WriteError(w, r, err)
			return
		}
		store := v.cfg.TwoFactor.Factors
		err = v.auth.InTx(ctx, func(ctx context.Context) error {
			fs, err := v.usFactors(ctx, u)
			if err != nil {
				return err
			}
			if ids := factorIDs(fs[st.Method]); len(ids) > 0 {
				if err := store.DeleteFactors(ctx, u.ID, ids...); err != nil {
					return err
				}
			}
			return store.AddFactor(ctx, &mfa.Factor{UserID: u.ID, Kind: usKind(st.Method), Data: v.sealSecret(st.Secret), Counter: step, CreatedAt: v.cfg.Now()})
		})
		if err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		v.log.InfoContext(ctx, "views: sign-in method set up", "event", "us_setup", "user_id", u.ID, "method", st.Method)
		v.usChanged(r, u, []string{st.Method}, false)
		if gatehouse.WantsJSON(r) {
			v.ok(w, r, map[string]any{"chosen_method": st.Method, "phone": nil})
			return
		}
		v.flash(w, r, "success", i18n.USSetupSuccessful)
		http.Redirect(w, r, v.cfg.UnifiedSignin.PostSetupURL, http.StatusSeeOther)
	}))
}
