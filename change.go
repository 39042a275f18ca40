package gatehouse

import (
	"errors"
	"net/http"
)

// ChangeView serves the change path (Changeable) to logged-in users: GET
// the form ({csrf_token, active_password} as JSON), POST password (the
// current one), new_password and new_password_confirm. The new password
// must differ from the old; every other session, remember cookie and token
// of the user ends; this session goes on; a notice is mailed.
func (m *Manager) ChangeView() http.Handler {
	v := m.view(func(w http.ResponseWriter, r *http.Request) {
		u, _ := CurrentUser(r.Context())
		if WantsJSON(r) {
			m.ok(w, r, map[string]any{"active_password": u.PasswordHash != ""})
			return
		}
		m.render(w, r, http.StatusOK, "change", "UI_CHANGE", page{Action: m.cfg.Views.Prefix + m.cfg.Views.ChangePath})
	}, m.changePost)
	return m.RequireLogin(v)
}

func (m *Manager) changePost(w http.ResponseWriter, r *http.Request, f form) {
	ctx := r.Context()
	p, _ := FromContext(ctx)
	u := p.User
	fe := &formErrors{}
	current, next := f["password"], f["new_password"]
	switch {
	case u.PasswordHash == "":
		// Setting a first password needs proof: the reset link mailed to
		// the address, not just a session (which may be a stolen one).
		fe.add("password", m.Text(r, MsgPasswordNotSetUseReset))
	case current == "":
		fe.add("password", m.Text(r, MsgPasswordNotProvided))
	default:
		switch err := m.compare(ctx, u.PasswordHash, current); {
		case errors.Is(err, ErrInvalidCredentials):
			fe.add("password", m.Text(r, MsgInvalidPassword))
		case err != nil:
			m.WriteError(w, r, err)
			return
		}
	}
	m.checkNewPassword(r, fe, next, f["new_password_confirm"], "new_password", "new_password_confirm", !WantsJSON(r), u.Email, u.Username)
	if !fe.any() && next == current {
		fe.add("new_password", m.Text(r, MsgPasswordIsTheSame))
	}
	page := page{Action: m.cfg.Views.Prefix + m.cfg.Views.ChangePath}
	if fe.any() {
		m.fail(w, r, fe, "change", "UI_CHANGE", page)
		return
	}
	var notice *mailPayload
	if !m.cfg.Mail.DisableChangeNotice {
		notice = &mailPayload{Kind: mailChangeNotice, Lang: m.language(r)}
	}
	if err := m.setPassword(ctx, u, next, notice); err != nil {
		m.WriteError(w, r, err)
		return
	}
	// The stamp changed, which ends every session; keep this one.
	if err := m.Login(w, r, u, LoginOptions{}); err != nil {
		m.WriteError(w, r, err)
		return
	}
	if h := m.cfg.Hooks.PasswordChanged; h != nil {
		h(ctx, u)
	}
	m.done(w, r, map[string]any{"user": m.userPayload(u)}, m.cfg.Views.PostChangeURL, MsgPasswordChange)
}
