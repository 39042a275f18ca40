package gatehouse

import (
	"context"
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
		m.mailRequest(w, r, f["email"], "confirm", "UI_SEND_CONFIRM", m.cfg.Views.ConfirmPath, MsgGenericConfirmation, MsgConfirmationRequest,
			func(ctx context.Context, lang string, u *User) {
				if u.IsConfirmed() || !u.Active {
					return
				}
				tok, err := m.IssueToken(ctx, TokenConfirm, u, m.cfg.Views.ConfirmWithin)
				if err != nil {
					m.log.LogAttrs(ctx, levelError, "gatehouse: issuing confirm token", attrEvent("store_error"), attrErr(err))
					return
				}
				if m.mailUser(ctx, "confirmation_instructions", SubjectConfirm, lang, u, map[string]any{
					"Link": m.link(m.cfg.Views.ConfirmPath, tok), "Within": m.humanDuration(lang, m.cfg.Views.ConfirmWithin),
				}) {
					if h := m.cfg.Hooks.ConfirmInstructionsSent; h != nil {
						h(ctx, u)
					}
				}
			})
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
			u.ConfirmedAt = m.cfg.Now()
			u.UpdatedAt = u.ConfirmedAt
			if err := m.cfg.Users.UpdateUser(ctx, u); err != nil {
				m.WriteError(w, r, err)
				return
			}
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
// not), answer at once with the same message for every address, and do the
// lookup, token and mail later, off the request path.
func (m *Manager) mailRequest(w http.ResponseWriter, r *http.Request, rawEmail, view, titleKey, path, genericKey, detailedKey string, send func(ctx context.Context, lang string, u *User)) {
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
	if m.cfg.Views.DetailedErrors {
		u, err := m.lookupIdentity(ctx, email)
		if err != nil {
			fe.add("email", m.Text(r, MsgUserDoesNotExist))
			m.fail(w, r, fe, view, titleKey, p)
			return
		}
		send(context.WithoutCancel(ctx), m.language(r), u)
		m.done(w, r, nil, m.cfg.Views.Prefix+path, detailedKey, "email", u.Email)
		return
	}
	lang := m.language(r)
	m.later(ctx, func(ctx context.Context) {
		u, err := m.lookupIdentity(ctx, email)
		if err != nil {
			if !errors.Is(err, ErrNotFound) {
				m.log.LogAttrs(ctx, levelError, "gatehouse: looking up user", attrEvent("store_error"), attrErr(err))
			}
			return
		}
		send(ctx, lang, u)
	})
	if WantsJSON(r) {
		m.ok(w, r, nil)
		return
	}
	if !m.cfg.Flash.Disable {
		m.Flash(w, r, "info", m.Text(r, genericKey))
	}
	http.Redirect(w, r, m.cfg.Views.Prefix+path, http.StatusSeeOther)
}
