package gatehouse

import (
	"errors"
	"net/http"
	"strings"
)

// ConfirmView serves the confirm path (Confirmable): GET the form to ask
// for the confirmation mail again, POST an email to send it. The answer is
// the same whether or not the address has an unconfirmed account. It is
// for visitors who are not logged in.
func (m *Manager) ConfirmView() http.Handler {
	return m.RequireAnonymous(m.view(func(w http.ResponseWriter, r *http.Request) {
		if WantsJSON(r) {
			m.ok(w, r, nil)
			return
		}
		m.render(w, r, http.StatusOK, "confirm", "UI_SEND_CONFIRM", page{Action: m.cfg.Views.Prefix + m.cfg.Views.ConfirmPath})
	}, func(w http.ResponseWriter, r *http.Request, f form) {
		m.mailRequest(w, r, f["email"], mailAsk{view: "confirm", titleKey: "UI_SEND_CONFIRM", path: m.cfg.Views.ConfirmPath,
			genericKey: MsgGenericConfirmation, detailedKey: MsgConfirmationRequest, kind: mailConfirm})
	}))
}

// ConfirmLinkView serves the link in confirmation mails.
//
// GET (and HEAD) only shows a page: nothing is confirmed, spent or logged
// in by opening the link, so neither a link opened from another site nor a
// mail scanner that fetches it does anything. The page's button POSTs, from
// this site and with the CSRF token (JSON clients POST the token's URL).
//
// The POST proves the mailbox; it must also settle the password, so that
// whoever registered the address cannot keep a password against its owner
// (account pre-hijacking): it carries the account's password (the one
// chosen at sign-up), or a new_password (and new_password_confirm) that
// replaces it. An account without a password needs neither. Confirming
// rotates the SecurityStamp, ending every session, remember cookie and
// token made before it. It logs in only with Views.AutoLoginAfterConfirm,
// and never in place of another user's session.
//
// With Views.ConfirmOnGet, GET confirms at once (Flask-Security's
// behaviour, for front ends that rely on it): it still never logs in, but
// the password chosen at sign-up stays.
func (m *Manager) ConfirmLinkView() http.Handler {
	return m.view(m.confirmLinkGet, m.confirmLinkPost)
}

func (m *Manager) confirmLinkGet(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Referrer-Policy", "no-referrer")
	raw := r.PathValue("token")
	if m.cfg.Views.ConfirmOnGet && r.Method == http.MethodGet {
		m.confirmAddress(w, r, raw, nil)
		return
	}
	u, err := m.PeekToken(r.Context(), TokenConfirm, raw)
	if err != nil {
		m.linkFailed(w, r, err, MsgInvalidConfirmationToken, m.cfg.Views.ConfirmPath)
		return
	}
	if WantsJSON(r) {
		m.ok(w, r, map[string]any{"password_required": u.PasswordHash != ""})
		return
	}
	m.render(w, r, http.StatusOK, "confirm_link", "UI_CONFIRM_TITLE", m.confirmLinkPage(raw, u))
}

func (m *Manager) confirmLinkPage(raw string, u *User) page {
	return page{Action: m.cfg.Views.Prefix + m.cfg.Views.ConfirmPath + "/" + raw,
		Extra: map[string]any{"email": u.Email, "has_password": u.PasswordHash != ""}}
}

func (m *Manager) confirmLinkPost(w http.ResponseWriter, r *http.Request, f form) {
	w.Header().Set("Referrer-Policy", "no-referrer")
	ctx := r.Context()
	raw := r.PathValue("token")
	u, err := m.PeekToken(ctx, TokenConfirm, raw)
	if err != nil {
		m.linkFailed(w, r, err, MsgInvalidConfirmationToken, m.cfg.Views.ConfirmPath)
		return
	}
	fe := &formErrors{}
	var newHash *string
	switch {
	case f["new_password"] != "" || f["new_password_confirm"] != "":
		m.checkNewPassword(r, fe, f["new_password"], f["new_password_confirm"], "new_password", "new_password_confirm", !WantsJSON(r), u.Email, u.Username)
		if !fe.any() {
			h, err := m.hash(ctx, f["new_password"])
			if err != nil {
				m.WriteError(w, r, err)
				return
			}
			newHash = &h
		}
	case u.PasswordHash == "":
	case f["password"] == "":
		fe.add("password", m.Text(r, MsgPasswordNotProvided))
	default:
		switch err := m.compare(ctx, u.PasswordHash, f["password"]); {
		case errors.Is(err, ErrInvalidCredentials):
			fe.add("password", m.Text(r, MsgInvalidPassword))
		case err != nil:
			m.WriteError(w, r, err)
			return
		}
	}
	if fe.any() {
		m.fail(w, r, fe, "confirm_link", "UI_CONFIRM_TITLE", m.confirmLinkPage(raw, u))
		return
	}
	m.confirmAddress(w, r, raw, newHash)
}

// confirmAddress redeems a confirmation token and confirms its address,
// with a new password hash if newHash is set, then answers.
func (m *Manager) confirmAddress(w http.ResponseWriter, r *http.Request, raw string, newHash *string) {
	ctx := r.Context()
	u, err := m.RedeemToken(ctx, TokenConfirm, raw)
	if err != nil {
		m.linkFailed(w, r, err, MsgInvalidConfirmationToken, m.cfg.Views.ConfirmPath)
		return
	}
	now, stamp := m.cfg.Now(), NewSecurityStamp()
	change := UserChange{SecurityStamp: &stamp, PasswordHash: newHash, UpdatedAt: now}
	if !u.IsConfirmed() {
		change.ConfirmedAt = &now
	}
	if err := m.st.users.UpdateUser(ctx, u.ID, change); err != nil {
		m.WriteError(w, r, err)
		return
	}
	if change.ConfirmedAt != nil {
		u.ConfirmedAt = now
	}
	if newHash != nil {
		u.PasswordHash = *newHash
	}
	u.SecurityStamp, u.RevokedSessions, u.UpdatedAt = stamp, nil, now
	if m.st.sessions != nil {
		if err := m.st.sessions.DeleteUserSessions(ctx, u.ID); err != nil {
			m.WriteError(w, r, err)
			return
		}
	}
	if change.ConfirmedAt != nil {
		if h := m.cfg.Hooks.Confirmed; h != nil {
			h(ctx, u)
		}
		m.log.LogAttrs(ctx, levelInfo, "gatehouse: email confirmed", attrEvent("confirmed"), attrUser(u))
	}
	// Log in only from the page's POST (it proved the password or chose
	// one), only if asked to or if this browser was already logged in as
	// this user (whose session the new stamp just ended), and never in
	// place of someone else's session.
	cur, loggedIn := CurrentUser(ctx)
	same := loggedIn && cur.ID == u.ID
	if r.Method == http.MethodPost && u.Active && (same || m.cfg.Views.AutoLoginAfterConfirm && !loggedIn) {
		if err := m.Login(w, r, u, LoginOptions{}); err != nil {
			m.WriteError(w, r, err)
			return
		}
		m.done(w, r, map[string]any{"user": m.userPayload(u)}, m.cfg.Views.PostConfirmURL, MsgEmailConfirmed)
		return
	}
	m.done(w, r, nil, m.cfg.Views.Prefix+m.cfg.Views.LoginPath, MsgEmailConfirmed)
}

// linkFailed answers a bad, used or expired link: 400 JSON, or back to the
// page that sends a new one, with a flash.
func (m *Manager) linkFailed(w http.ResponseWriter, r *http.Request, err error, msgKey, retryPath string) {
	if !errors.Is(err, ErrTokenInvalid) {
		m.WriteError(w, r, err)
		return
	}
	if WantsJSON(r) {
		WriteJSON(w, http.StatusBadRequest, ErrorResponse{Errors: []string{m.Text(r, msgKey)}})
		return
	}
	if !m.cfg.Flash.Disable {
		m.Flash(w, r, "error", m.Text(r, msgKey))
	}
	http.Redirect(w, r, m.cfg.Views.Prefix+retryPath, http.StatusSeeOther)
}

// mailAsk describes a "send me a link" view for mailRequest.
type mailAsk struct {
	view, titleKey, path    string // the page, its title and its path
	genericKey, detailedKey string // the answer, and the DetailedErrors one
	kind                    string // the mail
	binding                 string // passwordless: the link's browser binding
}

// mailRequest is the shared body of "send me a link" requests (confirm,
// reset, passwordless): validate the address, rate-limit it (known or
// not), queue a request for the mail, and answer at once with the same
// message for every address. The request costs the same for every
// address: the outbox worker looks the address up, issues the token and
// sends the mail.
func (m *Manager) mailRequest(w http.ResponseWriter, r *http.Request, rawEmail string, a mailAsk) {
	ctx := r.Context()
	fe := &formErrors{}
	email, err := ValidateEmail(rawEmail)
	if strings.TrimSpace(rawEmail) == "" {
		fe.add("email", m.Text(r, MsgEmailNotProvided))
	} else if err != nil {
		fe.add("email", m.Text(r, MsgInvalidEmailAddress))
	}
	p := page{Action: m.cfg.Views.Prefix + a.path, Form: map[string]string{"email": rawEmail}}
	if fe.any() {
		m.fail(w, r, fe, a.view, a.titleKey, p)
		return
	}
	if err := m.allowMail(r, a.view, email); err != nil {
		m.WriteError(w, r, err)
		return
	}
	mail := mailPayload{Kind: a.kind, Email: email, Lang: m.language(r), Binding: a.binding}
	if m.cfg.Views.DetailedErrors {
		u, err := m.lookupIdentity(ctx, email)
		if err != nil {
			if !errors.Is(err, ErrNotFound) {
				m.WriteError(w, r, err)
				return
			}
			fe.add("email", m.Text(r, MsgUserDoesNotExist))
			m.fail(w, r, fe, a.view, a.titleKey, p)
			return
		}
		if err := m.enqueueMail(ctx, mail); err != nil {
			m.WriteError(w, r, err)
			return
		}
		m.done(w, r, nil, m.cfg.Views.Prefix+a.path, a.detailedKey, "email", u.Email)
		return
	}
	if err := m.enqueueMail(ctx, mail); err != nil {
		m.WriteError(w, r, err)
		return
	}
	if WantsJSON(r) {
		m.ok(w, r, nil)
		return
	}
	if !m.cfg.Flash.Disable {
		m.Flash(w, r, "info", m.Text(r, a.genericKey))
	}
	http.Redirect(w, r, m.cfg.Views.Prefix+a.path, http.StatusSeeOther)
}
