package gatehouse

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"time"
)

// passwordlessRequest mails a login link (Passwordless), answering the
// same for every address. The link is bound to this browser by a nonce in
// a cookie: opened in another browser, it asks before logging anyone in.
func (m *Manager) passwordlessRequest(w http.ResponseWriter, r *http.Request, email string) {
	nonce := randomID(24)
	c := m.linkCookie(nonce, int(m.cfg.Views.LoginWithin/time.Second))
	setCookie(w, c)
	m.mailRequest(w, r, email, mailAsk{view: "login", titleKey: "UI_LOGIN", path: m.cfg.Views.LoginPath,
		genericKey: MsgGenericLoginInstructions, detailedKey: MsgLoginEmailSent, kind: mailLogin, binding: linkBinding(nonce)})
}

// linkCookie is the cookie that binds passwordless links to the browser
// that asked for them: named after the session cookie, with its prefix.
func (m *Manager) linkCookie(value string, maxAge int) *http.Cookie {
	c := m.sessionCookie(value, maxAge)
	c.Name += "_link"
	return c
}

// linkBinding is what a token keeps of the nonce in the link cookie.
func linkBinding(nonce string) string {
	sum := sha256.Sum256([]byte("gatehouse link\x00" + nonce))
	return b64.EncodeToString(sum[:])
}

// boundHere reports whether t is bound to r's browser (or to none).
func (m *Manager) boundHere(r *http.Request, t *Token) bool {
	if t.Binding == "" {
		return true
	}
	c, err := r.Cookie(m.cfg.Cookie.Name + "_link")
	return err == nil && subtle.ConstantTimeCompare([]byte(linkBinding(c.Value)), []byte(t.Binding)) == 1
}

// PasswordlessLinkView serves the link in login mails.
//
// GET (and HEAD) only shows a page whose button POSTs, from this site and
// with the CSRF token, to log in (JSON clients POST the link's URL): a
// link opened from another site, or fetched by a mail scanner, logs no one
// in and is not used up. The POST asks first, instead of logging in, when
// another user is logged in here (it then needs "switch": true) or when
// the link was requested from another browser (it then needs
// "other_device": true). The token works once.
func (m *Manager) PasswordlessLinkView() http.Handler {
	return m.view(m.passwordlessLinkGet, m.passwordlessLinkPost)
}

func (m *Manager) passwordlessLinkGet(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Referrer-Policy", "no-referrer")
	t, u, err := m.verifyToken(r.Context(), TokenLogin, r.PathValue("token"), false)
	if err == nil && !m.loginAllowed(u) {
		err = ErrTokenInvalid
	}
	if err != nil {
		m.linkFailed(w, r, err, MsgInvalidLoginToken, m.cfg.Views.LoginPath)
		return
	}
	if WantsJSON(r) {
		m.ok(w, r, nil)
		return
	}
	m.render(w, r, http.StatusOK, "login_link", "UI_LOGIN", m.loginLinkPage(r, t, u))
}

// loginLinkPage is the page for a login link: it says whom it logs in,
// and what to be careful of (another user logged in here, a link asked for
// elsewhere), which its button then confirms.
func (m *Manager) loginLinkPage(r *http.Request, t *Token, u *User) page {
	extra := map[string]any{"email": u.Email, "other_device": !m.boundHere(r, t)}
	if cur, ok := CurrentUser(r.Context()); ok && cur.ID != u.ID {
		extra["current"] = cur.Email
	}
	return page{Action: m.cfg.Views.Prefix + m.cfg.Views.LoginPath + "/" + r.PathValue("token"), Extra: extra}
}

func (m *Manager) passwordlessLinkPost(w http.ResponseWriter, r *http.Request, f form) {
	w.Header().Set("Referrer-Policy", "no-referrer")
	ctx := r.Context()
	raw := r.PathValue("token")
	t, u, err := m.verifyToken(ctx, TokenLogin, raw, false)
	if err == nil && !m.loginAllowed(u) {
		err = ErrTokenInvalid
	}
	if err != nil {
		m.linkFailed(w, r, err, MsgInvalidLoginToken, m.cfg.Views.LoginPath)
		return
	}
	fe := &formErrors{}
	if cur, ok := CurrentUser(ctx); ok && cur.ID != u.ID && !f.bool("switch", false) {
		fe.add("switch", m.Text(r, MsgLinkOtherUser, "current", cur.Email, "email", u.Email))
	}
	if !m.boundHere(r, t) && !f.bool("other_device", false) {
		fe.add("other_device", m.Text(r, MsgLinkOtherDevice))
	}
	if fe.any() {
		if WantsJSON(r) {
			WriteJSON(w, http.StatusBadRequest, ErrorResponse{Errors: fe.errors, FieldErrors: fe.fields})
			return
		}
		// Ask: the page again, saying what to confirm; its button says so.
		m.render(w, r, http.StatusOK, "login_link", "UI_LOGIN", m.loginLinkPage(r, t, u))
		return
	}
	if u, err = m.RedeemToken(ctx, TokenLogin, raw); err != nil {
		m.linkFailed(w, r, err, MsgInvalidLoginToken, m.cfg.Views.LoginPath)
		return
	}
	if err := m.Login(w, r, u, LoginOptions{}); err != nil {
		m.WriteError(w, r, err)
		return
	}
	setCookie(w, m.linkCookie("", -1))
	m.done(w, r, map[string]any{"user": m.userPayload(u)}, m.NextURL(w, r), MsgPasswordlessLoginSuccess)
}
