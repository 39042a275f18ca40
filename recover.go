package gatehouse

import (
	"net/http"
)

// ForgotView serves the reset path (Recoverable): GET the form, POST an
// email to mail reset instructions. The answer is the same whether or not
// the address has an account, and mails per address are rate-limited. It
// is for visitors who are not logged in.
func (m *Manager) ForgotView() http.Handler {
	return m.RequireAnonymous(m.view(func(w http.ResponseWriter, r *http.Request) {
		if WantsJSON(r) {
			m.ok(w, r, nil)
			return
		}
		m.render(w, r, http.StatusOK, "forgot", "UI_FORGOT", page{Action: m.cfg.Views.Prefix + m.cfg.Views.ResetPath})
	}, func(w http.ResponseWriter, r *http.Request, f form) {
		m.mailRequest(w, r, f["email"], mailAsk{view: "forgot", titleKey: "UI_FORGOT", path: m.cfg.Views.ResetPath,
			genericKey: MsgGenericRecovery, detailedKey: MsgPasswordResetRequest, kind: mailReset})
	}))
}

// ResetView serves the link in reset mails: GET checks the token (without
// using it) and shows the form; POST password and password_confirm set the
// new password, which uses the token up, ends every other session, mails a
// notice, and logs the user in. The page sends Referrer-Policy: no-referrer
// so the token never leaks to another site.
func (m *Manager) ResetView() http.Handler {
	return m.view(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Referrer-Policy", "no-referrer")
		if _, err := m.PeekToken(r.Context(), TokenReset, r.PathValue("token")); err != nil {
			m.linkFailed(w, r, err, MsgInvalidResetPasswordToken, m.cfg.Views.ResetPath)
			return
		}
		if WantsJSON(r) {
			m.ok(w, r, nil)
			return
		}
		m.render(w, r, http.StatusOK, "reset", "UI_RESET", page{Action: m.cfg.Views.Prefix + m.cfg.Views.ResetPath + "/" + r.PathValue("token")})
	}, func(w http.ResponseWriter, r *http.Request, f form) {
		w.Header().Set("Referrer-Policy", "no-referrer")
		ctx := r.Context()
		raw := r.PathValue("token")
		// Check the token first: a bad link should say so, not complain
		// about the password.
		owner, err := m.PeekToken(ctx, TokenReset, raw)
		if err != nil {
			m.linkFailed(w, r, err, MsgInvalidResetPasswordToken, m.cfg.Views.ResetPath)
			return
		}
		fe := &formErrors{}
		m.checkNewPassword(r, fe, f["password"], f["password_confirm"], "password", "password_confirm", !WantsJSON(r), owner.Email, owner.Username)
		if fe.any() {
			m.fail(w, r, fe, "reset", "UI_RESET", page{Action: m.cfg.Views.Prefix + m.cfg.Views.ResetPath + "/" + raw})
			return
		}
		u, err := m.RedeemToken(ctx, TokenReset, raw)
		if err != nil {
			m.linkFailed(w, r, err, MsgInvalidResetPasswordToken, m.cfg.Views.ResetPath)
			return
		}
		var notice *mailPayload
		if !m.cfg.Mail.DisableResetNotice {
			notice = &mailPayload{Kind: mailResetNotice, Lang: m.language(r)}
		}
		if err := m.setPassword(ctx, u, f["password"], notice); err != nil {
			m.WriteError(w, r, err)
			return
		}
		if h := m.cfg.Hooks.PasswordReset; h != nil {
			h(ctx, u)
		}
		if m.loginAllowed(u) {
			if err := m.Login(w, r, u, LoginOptions{}); err != nil {
				m.WriteError(w, r, err)
				return
			}
		}
		m.done(w, r, nil, m.cfg.Views.PostResetURL, MsgPasswordReset)
	})
}
