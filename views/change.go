package views

import (
	"errors"
	"net/http"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/internal/i18n"
)

// changeView serves the change path (Changeable) to logged-in users: GET
// the form ({csrf_token, active_password} as JSON), POST password (the
// current one), new_password and new_password_confirm. The new password
// must differ from the old; every other session, remember cookie and token
// of the user ends; this session goes on; a notice is mailed.
func (v *Views) changeView() http.Handler {
	return v.auth.RequireLogin(v.view(func(w http.ResponseWriter, r *http.Request) {
		u, _ := gatehouse.CurrentUser(r.Context())
		if gatehouse.WantsJSON(r) {
			v.ok(w, r, map[string]any{"active_password": u.PasswordHash != ""})
			return
		}
		v.render(w, r, http.StatusOK, "change", i18n.UIChange, page{Action: v.cfg.Prefix + v.cfg.ChangePath})
	}, v.changePost))
}

func (v *Views) changePost(w http.ResponseWriter, r *http.Request, f form) {
	ctx := r.Context()
	u, _ := gatehouse.CurrentUser(ctx)
	fe := &formErrors{}
	v.formHook(r, "change_password", f, fe)
	current, next := f["password"], f["new_password"]
	switch {
	case u.PasswordHash == "":
		// Setting a first password needs proof: the reset link mailed to
		// the address, not just a session (which may be a stolen one).
		fe.add("password", v.text(r, i18n.PasswordNotSetUseReset))
	case current == "":
		fe.add("password", v.text(r, i18n.PasswordNotProvided))
	default:
		switch err := v.auth.CheckPassword(ctx, u, current); {
		case errors.Is(err, gatehouse.ErrInvalidCredentials):
			// Flask-Security's PASSWORD_MISMATCH: the current password,
			// typed to change it, is not the account's.
			fe.add("password", v.text(r, i18n.PasswordMismatch))
		case err != nil:
			v.checkFailed(w, r, err, "change", i18n.UIChange, page{Action: v.cfg.Prefix + v.cfg.ChangePath})
			return
		}
	}
	v.checkNewPassword(r, fe, next, f["new_password_confirm"], "new_password", "new_password_confirm", !gatehouse.WantsJSON(r), u.Email, u.Username)
	if !fe.any() && next == current {
		fe.add("new_password", v.text(r, i18n.PasswordIsTheSame))
	}
	p := page{Action: v.cfg.Prefix + v.cfg.ChangePath}
	if fe.any() {
		v.fail(w, r, fe, "change", i18n.UIChange, p)
		return
	}
	var notice *mailPayload
	if !v.cfg.Mail.DisableChangeNotice {
		notice = &mailPayload{Kind: mailChangeNotice, Lang: v.lang(r)}
	}
	if err := v.setPassword(ctx, u, next, notice); err != nil {
		v.auth.WriteError(w, r, err)
		return
	}
	// The stamp changed, which ends every session; keep this one (a
	// session's: a request with a token or HTTP Basic has none to keep, and
	// must not be given one).
	if p, _ := gatehouse.FromContext(ctx); p.Method == gatehouse.MethodSession || p.Method == gatehouse.MethodRemember {
		if err := v.auth.Login(w, r, u, gatehouse.LoginOptions{}); err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
	}
	v.done(w, r, map[string]any{"user": v.userPayload(u)}, v.cfg.PostChangeURL, i18n.PasswordChange)
}
