package gatehouse

import (
	"errors"
	"net/http"
)

// VerifyView serves the verify path (Flask-Security 5's /verify): a
// logged-in user whose login is not fresh (restored from a remember
// cookie, or older than Session.FreshFor) enters the password again, and
// the session becomes fresh. RequireFresh sends browsers here, with the
// page they wanted as "next"; JSON clients get a 401 with
// "reauth_required": true and POST the password here. GET: the form, or
// {csrf_token} as JSON. POST: password. It is where a second factor will
// plug in.
func (m *Manager) VerifyView() http.Handler {
	return m.RequireLogin(m.view(m.verifyGet, m.verifyPost))
}

func (m *Manager) verifyGet(w http.ResponseWriter, r *http.Request) {
	if WantsJSON(r) {
		m.ok(w, r, nil)
		return
	}
	m.render(w, r, http.StatusOK, "verify", "UI_VERIFY", m.verifyPage(r))
}

func (m *Manager) verifyPage(r *http.Request) page {
	action := m.cfg.Views.Prefix + m.cfg.Views.VerifyPath
	if next := r.URL.Query().Get("next"); next != "" && isSafeRedirect(next, m.cfg.AllowedRedirectHosts) {
		action = withNext(action, next)
	}
	return page{Action: action}
}

func (m *Manager) verifyPost(w http.ResponseWriter, r *http.Request, f form) {
	ctx := r.Context()
	u, _ := CurrentUser(ctx)
	fe := &formErrors{}
	switch {
	case u.PasswordHash == "":
		fe.add("password", m.Text(r, MsgPasswordNotSetUseReset))
	case f["password"] == "":
		fe.add("password", m.Text(r, MsgPasswordNotProvided))
	default:
		switch err := m.compare(ctx, u.PasswordHash, f["password"]); {
		case errors.Is(err, ErrInvalidCredentials):
			m.log.LogAttrs(ctx, levelInfo, "gatehouse: re-authentication failed", attrEvent("verify_failed"), attrUser(u))
			fe.add("password", m.Text(r, MsgInvalidPassword))
		case err != nil:
			m.WriteError(w, r, err)
			return
		}
	}
	if fe.any() {
		m.fail(w, r, fe, "verify", "UI_VERIFY", m.verifyPage(r))
		return
	}
	if err := m.ConfirmLogin(w, r); err != nil {
		m.WriteError(w, r, err)
		return
	}
	m.done(w, r, map[string]any{"user": m.userPayload(u)}, m.NextURL(w, r), MsgReauthSuccessful)
}
