package gatehouse

import (
	"errors"
	"net/http"
	"strings"
)

// ConfirmView serves the confirm path (Confirmable): GET the form to ask
// for the confirmation mail again, POST an email to send it. The answer is
// the same whether or not the address has an unconfirmed account.
func (m *Manager) ConfirmView() http.Handler {
	return m.view(func(w http.ResponseWriter, r *http.Request) {
		if WantsJSON(r) {
			m.ok(w, r, nil)
			return
		}
		m.render(w, r, http.StatusOK, "confirm", "UI_SEND_CONFIRM", page{Action: m.cfg.Views.Prefix + m.cfg.Views.ConfirmPath})
	}, func(w http.ResponseWriter, r *http.Request, f form) {
		m.mailRequest(w, r, f["email"], "confirm", "UI_SEND_CONFIRM", m.cfg.Views.ConfirmPath, MsgGenericConfirmation, MsgConfirmationRequest, mailConfirm)
	})
}

// ConfirmLinkView serves the link in confirmation mails: it confirms the
// address (once: the token is taken), logs the user in, and redirects to
// Views.PostConfirmURL (JSON: 200 with the user).
func (m *Manager) ConfirmLinkView() http.Handler {
	return m.view(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		u, err := m.RedeemToken(ctx, TokenConfirm, r.PathValue("token"))
		if err != nil {
			m.linkFailed(w, r, err, MsgInvalidConfirmationToken, m.cfg.Views.ConfirmPath)
			return
		}
		if !u.IsConfirmed() {
			now := m.cfg.Now()
			if err := m.st.users.UpdateUser(ctx, u.ID, UserChange{ConfirmedAt: &now, UpdatedAt: now}); err != nil {
				m.WriteError(w, r, err)
				return
			}
			u.ConfirmedAt, u.UpdatedAt = now, now
			if h := m.cfg.Hooks.Confirmed; h != nil {
				h(ctx, u)
			}
			m.log.LogAttrs(ctx, levelInfo, "gatehouse: email confirmed", attrEvent("confirmed"), attrUser(u))
		}
		if u.Active {
			if err := m.Login(w, r, u, LoginOptions{}); err != nil {
				m.WriteError(w, r, err)
				return
			}
		}
		m.done(w, r, map[string]any{"user": m.userPayload(u)}, m.cfg.Views.PostConfirmURL, MsgEmailConfirmed)
	}, nil)
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

// mailRequest is the shared body of "send me a link" requests (confirm,
// reset, passwordless): validate the address, rate-limit it (known or
// not), queue a request for the mail, and answer at once with the same
// message for every address. The request costs the same for every
// address: the outbox worker looks the address up, issues the token and
// sends the mail.
func (m *Manager) mailRequest(w http.ResponseWriter, r *http.Request, rawEmail, view, titleKey, path, genericKey, detailedKey, kind string) {
	ctx := r.Context()
	fe := &formErrors{}
	email, err := ValidateEmail(rawEmail)
	if strings.TrimSpace(rawEmail) == "" {
		fe.add("email", m.Text(r, MsgEmailNotProvided))
	} else if err != nil {
		fe.add("email", m.Text(r, MsgInvalidEmailAddress))
	}
	p := page{Action: m.cfg.Views.Prefix + path, Form: map[string]string{"email": rawEmail}}
	if fe.any() {
		m.fail(w, r, fe, view, titleKey, p)
		return
	}
	if err := m.allowMail(r, view, email); err != nil {
		m.WriteError(w, r, err)
		return
	}
	mail := mailPayload{Kind: kind, Email: email, Lang: m.language(r)}
	if m.cfg.Views.DetailedErrors {
		u, err := m.lookupIdentity(ctx, email)
		if err != nil {
			if !errors.Is(err, ErrNotFound) {
				m.WriteError(w, r, err)
				return
			}
			fe.add("email", m.Text(r, MsgUserDoesNotExist))
			m.fail(w, r, fe, view, titleKey, p)
			return
		}
		if err := m.enqueueMail(ctx, mail); err != nil {
			m.WriteError(w, r, err)
			return
		}
		m.done(w, r, nil, m.cfg.Views.Prefix+path, detailedKey, "email", u.Email)
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
		m.Flash(w, r, "info", m.Text(r, genericKey))
	}
	http.Redirect(w, r, m.cfg.Views.Prefix+path, http.StatusSeeOther)
}
