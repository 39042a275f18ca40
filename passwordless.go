package gatehouse

import (
	"context"
	"fmt"
	"net/http"

	"github.com/gatehouse-auth/gatehouse/token"
)

// passwordlessRequest mails a login link (Passwordless), answering the
// same for every address.
func (m *Manager) passwordlessRequest(w http.ResponseWriter, r *http.Request, email string) {
	m.mailRequest(w, r, email, "login", "UI_LOGIN", m.cfg.Views.LoginPath, MsgGenericLoginInstructions, MsgLoginEmailSent,
		func(ctx context.Context, lang string, u *User) {
			if !m.loginAllowed(u) {
				return
			}
			tok, err := m.IssueToken(ctx, TokenLogin, u, m.cfg.Views.LoginWithin)
			if err != nil {
				m.log.LogAttrs(ctx, levelError, "gatehouse: issuing login token", attrEvent("store_error"), attrErr(err))
				return
			}
			if m.mailUser(ctx, "login_instructions", SubjectPasswordless, lang, u, map[string]any{
				"Link": m.link(m.cfg.Views.LoginPath, tok), "Within": m.humanDuration(lang, m.cfg.Views.LoginWithin),
			}) {
				if h := m.cfg.Hooks.LoginInstructionsSent; h != nil {
					h(ctx, u)
				}
			}
		})
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
		if m.cfg.Trackable {
			m.RecordLogin(ctx, u, r)
		}
		m.done(w, r, map[string]any{"user": m.userPayload(u)}, m.cfg.PostLoginURL, MsgPasswordlessLoginSuccess)
	}, nil)
}

// checkToken checks a one-time token without using it up, for pages that
// show a form before the token is redeemed.
func (m *Manager) checkToken(ctx context.Context, kind TokenKind, raw string) (*User, error) {
	sel, ver, err := token.ParseOneTime(raw)
	if err != nil {
		return nil, ErrTokenInvalid
	}
	t, err := m.cfg.Tokens.Token(ctx, kind, sel)
	if err != nil {
		if errorIs(err, ErrNotFound) {
			return nil, ErrTokenInvalid
		}
		return nil, fmt.Errorf("gatehouse: check token: %w", err)
	}
	if !token.CheckVerifier(ver, t.VerifierHash) || !m.cfg.Now().Before(t.ExpiresAt) {
		return nil, ErrTokenInvalid
	}
	u, err := m.cfg.Users.UserByID(ctx, t.UserID)
	if err != nil || !equalStamp(t.Stamp, u.SecurityStamp) {
		return nil, ErrTokenInvalid
	}
	return u, nil
}
