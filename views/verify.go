package views

import (
	"errors"
	"net/http"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/internal/i18n"
)

// verifyView serves the verify path (Flask-Security 5's /verify): a
// logged-in user whose login is not fresh (restored from a remember
// cookie, or older than the engine's Session.FreshFor) enters the password
// again, and the session becomes fresh. RequireFresh sends browsers here,
// with the page they wanted as "next"; JSON clients get a 401 with
// "reauth_required": true and POST the password here. GET: the form, or
// {csrf_token} as JSON. POST: password, or code: a code of the user's
// second factor (a passkey re-authenticates through /wan-verify).
func (v *Views) verifyView() http.Handler {
	return v.auth.RequireLogin(v.view(v.verifyGet, v.verifyPost))
}

func (v *Views) verifyGet(w http.ResponseWriter, r *http.Request) {
	if gatehouse.WantsJSON(r) {
		v.ok(w, r, nil)
		return
	}
	v.render(w, r, http.StatusOK, "verify", i18n.UIVerify, v.verifyPage(r))
}

func (v *Views) verifyPage(r *http.Request) page {
	p := page{Action: v.withNext(r, v.cfg.Prefix+v.cfg.VerifyPath)}
	if v.cfg.WebAuthn.Enabled {
		p.Extra = map[string]any{"passkey": v.withNext(r, v.cfg.Prefix+v.cfg.WebAuthn.VerifyPath)}
	}
	return p
}

func (v *Views) verifyPost(w http.ResponseWriter, r *http.Request, f form) {
	ctx := r.Context()
	u, _ := gatehouse.CurrentUser(ctx)
	fe := &formErrors{}
	var fs factorSet
	if f["code"] != "" {
		var err error
		if fs, err = v.factorsOf(ctx, u); err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
	}
	switch {
	case f["code"] != "" && fs.primary != nil:
		// A second factor re-authenticates too (a code from the app, or
		// mailed).
		switch err := v.checkCode(ctx, u, fs.primary, f["code"], 0); {
		case errors.Is(err, gatehouse.ErrInvalidCredentials):
			fe.add("code", v.text(r, i18n.TwoFactorInvalidToken))
		case err != nil:
			v.checkFailed(w, r, err, "verify", i18n.UIVerify, v.verifyPage(r))
			return
		}
	case u.PasswordHash == "":
		fe.add("password", v.text(r, i18n.PasswordNotSetUseReset))
	case f["password"] == "":
		fe.add("password", v.text(r, i18n.PasswordNotProvided))
	default:
		switch err := v.auth.CheckPassword(ctx, u, f["password"]); {
		case errors.Is(err, gatehouse.ErrInvalidCredentials):
			v.log.InfoContext(ctx, "views: re-authentication failed", "event", "verify_failed", "user_id", u.ID)
			fe.add("password", v.text(r, i18n.InvalidPassword))
		case err != nil:
			v.checkFailed(w, r, err, "verify", i18n.UIVerify, v.verifyPage(r))
			return
		}
	}
	if fe.any() {
		v.fail(w, r, fe, "verify", i18n.UIVerify, v.verifyPage(r))
		return
	}
	if err := v.auth.ConfirmLogin(w, r); err != nil {
		v.auth.WriteError(w, r, err)
		return
	}
	v.done(w, r, map[string]any{"user": v.userPayload(u)}, v.nextURL(w, r), i18n.ReauthenticationSuccessful)
}
