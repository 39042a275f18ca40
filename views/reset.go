package views

import (
	"net/http"
	"net/url"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/internal/i18n"
)

// forgotView serves the reset path (Recoverable): GET the form, POST an
// email to mail reset instructions. The answer is the same whether or not
// the address has an account, and mails per address are rate-limited. It
// is for visitors who are not logged in.
func (v *Views) forgotView() http.Handler {
	return v.anonymous(v.view(func(w http.ResponseWriter, r *http.Request) {
		if gatehouse.WantsJSON(r) {
			v.ok(w, r, nil)
			return
		}
		v.render(w, r, http.StatusOK, "forgot", i18n.UIForgot, page{Action: v.cfg.Prefix + v.cfg.ResetPath})
	}, func(w http.ResponseWriter, r *http.Request, f form) {
		v.mailRequest(w, r, f["email"], f, mailAsk{view: "forgot", form: "forgot_password", title: i18n.UIForgot, path: v.cfg.ResetPath,
			generic: i18n.GenericRecovery, detailed: i18n.PasswordResetRequest, kind: mailReset})
	}))
}

// resetView serves the link in reset mails: GET checks the token (without
// using it) and shows the form; POST password and password_confirm set the
// new password, which uses the token up, ends every other session, mails a
// notice, and logs the user in. The page sends Referrer-Policy: no-referrer
// so the token never leaks to another site.
func (v *Views) resetView() http.Handler {
	return v.view(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Referrer-Policy", "no-referrer")
		if _, u, err := v.auth.PeekToken(r.Context(), TokenReset, r.PathValue("token")); err != nil {
			v.badLink(w, r, err, u, v.resetLinks())
			return
		}
		if gatehouse.WantsJSON(r) {
			v.ok(w, r, nil)
			return
		}
		if v.spa(r) { // no identity: whoever intercepts the link learns no more (as Flask-Security)
			spaRedirect(w, r, v.cfg.SPA.ResetView, url.Values{"token": {r.PathValue("token")}})
			return
		}
		v.render(w, r, http.StatusOK, "reset", i18n.UIReset, page{Action: v.cfg.Prefix + v.cfg.ResetPath + "/" + r.PathValue("token")})
	}, func(w http.ResponseWriter, r *http.Request, f form) {
		w.Header().Set("Referrer-Policy", "no-referrer")
		ctx := r.Context()
		raw := r.PathValue("token")
		// Check the token first: a bad link should say so, not complain
		// about the password.
		_, owner, err := v.auth.PeekToken(ctx, TokenReset, raw)
		if err != nil {
			v.badLink(w, r, err, owner, v.resetLinks())
			return
		}
		fe := &formErrors{}
		v.formHook(r, "reset_password", f, fe)
		v.checkNewPassword(r, fe, f["password"], f["password_confirm"], "password", "password_confirm", !gatehouse.WantsJSON(r), owner.Email, owner.Username)
		if fe.any() {
			v.fail(w, r, fe, "reset", i18n.UIReset, page{Action: v.cfg.Prefix + v.cfg.ResetPath + "/" + raw})
			return
		}
		_, u, err := v.auth.RedeemToken(ctx, TokenReset, raw)
		if err != nil {
			v.badLink(w, r, err, u, v.resetLinks())
			return
		}
		var notice *mailPayload
		if !v.cfg.Mail.DisableResetNotice {
			notice = &mailPayload{Kind: mailResetNotice, Lang: v.lang(r)}
		}
		if err := v.setPassword(ctx, u, f["password"], notice); err != nil {
			v.auth.WriteError(w, r, err)
			return
		}
		if h := v.cfg.Hooks.PasswordReset; h != nil {
			h(ctx, u)
		}
		if v.loginAllowed(u) {
			// A reset link never bypasses the second factor (ASVS 6.4.3).
			if handled, err := v.signIn(w, r, u, gatehouse.LoginOptions{}, viaLink); err != nil || handled {
				if err != nil {
					v.auth.WriteError(w, r, err)
				}
				return
			}
		}
		v.done(w, r, nil, v.cfg.PostResetURL, i18n.PasswordReset)
	})
}
