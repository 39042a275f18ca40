package gatehouse

import (
	"net/http"
)

// passwordlessRequest mails a login link (Passwordless), answering the
// same for every address.
func (m *Manager) passwordlessRequest(w http.ResponseWriter, r *http.Request, email string) {
	m.mailRequest(w, r, email, "login", "UI_LOGIN", m.cfg.Views.LoginPath, MsgGenericLoginInstructions, MsgLoginEmailSent, mailLogin)
}

// PasswordlessLinkView serves the link in login mails: it logs the user in
// (once: the token is taken) and redirects to PostLoginURL (JSON: 200 with
// the user).
func (m *Manager) PasswordlessLinkView() http.Handler {
	return m.view(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		u, err := m.RedeemToken(ctx, TokenLogin, r.PathValue("token"))
		if err == nil && !m.loginAllowed(u) {
			err = ErrTokenInvalid
		}
		if err != nil {
			m.linkFailed(w, r, err, MsgInvalidLoginToken, m.cfg.Views.LoginPath)
			return
		}
		if err := m.Login(w, r, u, LoginOptions{}); err != nil {
			m.WriteError(w, r, err)
			return
		}
		m.done(w, r, map[string]any{"user": m.userPayload(u)}, m.cfg.PostLoginURL, MsgPasswordlessLoginSuccess)
	}, nil)
}
