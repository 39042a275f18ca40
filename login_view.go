package gatehouse

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"net/http"
	"strings"
)

// LoginView serves GET and POST on the login path (Flask-Security's
// /login). GET: the form, or {csrf_token, identity_attributes} as JSON.
// POST: email (or username, or identity) and password, optional remember;
// "?include_auth_token" adds user.authentication_token when TokenAuth is
// on. With Passwordless on, a POST with an email and no password mails a
// login link instead.
//
// Unknown users, wrong passwords and inactive accounts get the same answer,
// byte for byte and in the same hashing time; an unconfirmed account says
// so only after the right password (Views.DetailedErrors restores
// Flask-Security's detailed messages).
func (m *Manager) LoginView() http.Handler {
	return m.view(m.loginGet, m.loginPost)
}

func (m *Manager) loginGet(w http.ResponseWriter, r *http.Request) {
	if WantsJSON(r) {
		m.ok(w, r, map[string]any{"identity_attributes": m.cfg.Views.IdentityAttributes})
		return
	}
	// A fresh login goes on to "next"; a stale one is shown the form, so a
	// RefreshURL pointing here asks for the password instead of sending
	// the browser back and forth.
	if p, ok := FromContext(r.Context()); ok && m.fresh(p, m.cfg.Session.FreshFor) {
		http.Redirect(w, r, m.NextURL(w, r), http.StatusSeeOther)
		return
	}
	m.render(w, r, http.StatusOK, "login", "UI_LOGIN", m.loginPage(r, nil))
}

func (m *Manager) loginPage(r *http.Request, f form) page {
	action := m.cfg.Views.Prefix + m.cfg.Views.LoginPath
	if next := r.URL.Query().Get("next"); next != "" && isSafeRedirect(next, m.cfg.AllowedRedirectHosts) {
		action = withNext(action, next)
	}
	p := page{Action: action, Remember: m.cfg.Views.DefaultRemember}
	if f != nil {
		p.Form = map[string]string{"email": f.identity()}
		p.Remember = f.bool("remember", m.cfg.Views.DefaultRemember)
	}
	return p
}

// identity is the login field the client used.
func (f form) identity() string {
	for _, k := range []string{"email", "username", "identity"} {
		if v := strings.TrimSpace(f[k]); v != "" {
			return v
		}
	}
	return ""
}

func (m *Manager) loginPost(w http.ResponseWriter, r *http.Request, f form) {
	ctx := r.Context()
	identity, pw := f.identity(), f["password"]
	_, hasPassword := f["password"]
	// Passwordless: the page's own form says so; a JSON client sends an
	// email and no password field at all (docs/json-api.md). A browser form
	// with an empty password is a mistake to point out, not a mail to send.
	if m.cfg.Passwordless && (f.bool("passwordless", false) || WantsJSON(r) && !hasPassword && identity != "") {
		if identity == "" {
			identity = strings.TrimSpace(f["passwordless-email"])
		}
		if _, ok := CurrentUser(ctx); ok {
			m.anonymousRequired(w, r)
			return
		}
		m.passwordlessRequest(w, r, identity)
		return
	}
	fe := &formErrors{}
	if identity == "" {
		fe.add("email", m.Text(r, MsgEmailNotProvided))
	}
	if pw == "" {
		fe.add("password", m.Text(r, MsgPasswordNotProvided))
	}
	if fe.any() {
		m.fail(w, r, fe, "login", "UI_LOGIN", m.loginPage(r, f))
		return
	}
	u, err := m.VerifyPassword(ctx, identity, pw)
	switch {
	case err == nil && m.cfg.Confirmable && !m.cfg.LoginWithoutConfirmation && !u.IsConfirmed():
		// The password was right: saying so tells nothing to a stranger.
		fe.add("email", m.Text(r, MsgConfirmationRequired))
	case err == nil:
	case errors.Is(err, ErrInvalidCredentials), errors.Is(err, ErrInactive):
		m.log.LogAttrs(ctx, levelInfo, "gatehouse: login failed", attrEvent("login_failed"), slogString("who", m.emailTag(identity)))
		if m.cfg.Views.DetailedErrors {
			m.detailedLoginError(ctx, r, fe, identity, err)
		} else {
			fe.add("password", m.Text(r, MsgGenericAuthnFailed))
		}
	default:
		m.WriteError(w, r, err)
		return
	}
	if fe.any() {
		m.fail(w, r, fe, "login", "UI_LOGIN", m.loginPage(r, f))
		return
	}
	if err := m.Login(w, r, u, LoginOptions{Remember: f.bool("remember", m.cfg.Views.DefaultRemember)}); err != nil {
		m.WriteError(w, r, err)
		return
	}
	if WantsJSON(r) {
		user := m.userPayload(u)
		if _, ok := r.URL.Query()["include_auth_token"]; ok && m.cfg.TokenAuth {
			user["authentication_token"] = m.AuthToken(u)
		}
		m.ok(w, r, map[string]any{"user": user})
		return
	}
	http.Redirect(w, r, m.NextURL(w, r), http.StatusSeeOther)
}

func (m *Manager) detailedLoginError(ctx context.Context, r *http.Request, fe *formErrors, identity string, err error) {
	switch u, lookupErr := m.lookupIdentity(ctx, identity); {
	case lookupErr != nil || u == nil:
		fe.add("email", m.Text(r, MsgUserDoesNotExist))
	case errors.Is(err, ErrInactive):
		fe.add("email", m.Text(r, MsgDisabledAccount))
	case u.PasswordHash == "":
		fe.add("password", m.Text(r, MsgPasswordNotSet))
	default:
		fe.add("password", m.Text(r, MsgInvalidPassword))
	}
}

// emailTag is a keyed hash of an address, for logs that must not hold it.
func (m *Manager) emailTag(email string) string {
	mac := hmac.New(sha256.New, m.protectKey)
	mac.Write([]byte("log\x00" + strings.ToLower(strings.TrimSpace(email))))
	return b64.EncodeToString(mac.Sum(nil)[:9])
}

// LogoutView serves GET and POST on the logout path: it logs out and
// redirects to Views.PostLogoutURL (JSON: 200 {}). A GET from another site
// (Sec-Fetch-Site: cross-site) is refused, so a link cannot log users out.
func (m *Manager) LogoutView() http.Handler {
	logout := func(w http.ResponseWriter, r *http.Request) {
		if err := m.Logout(w, r); err != nil {
			m.WriteError(w, r, err)
			return
		}
		if WantsJSON(r) {
			WriteJSON(w, http.StatusOK, map[string]any{})
			return
		}
		if !m.cfg.Flash.Disable {
			m.Flash(w, r, "success", m.Text(r, MsgLoggedOut))
		}
		http.Redirect(w, r, m.cfg.Views.PostLogoutURL, http.StatusSeeOther)
	}
	return m.view(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
			m.WriteError(w, r, ErrCSRF)
			return
		}
		logout(w, r)
	}, func(w http.ResponseWriter, r *http.Request, _ form) { logout(w, r) })
}
