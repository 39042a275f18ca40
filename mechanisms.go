package gatehouse

import (
	"errors"
	"net/http"
	"strings"
)

// fromCredentials authenticates r by API auth token or HTTP Basic, when
// those are on (Flask-Security's "token" and "basic" mechanisms). Nothing is
// stored: each request carries its own credentials.
func (m *Manager) fromCredentials(r *http.Request, st *reqState) {
	ctx := r.Context()
	if m.cfg.TokenAuth {
		tok := r.Header.Get(m.cfg.Views.TokenHeader)
		if tok == "" {
			if scheme, rest, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
				tok = strings.TrimSpace(rest)
			}
		}
		if tok == "" && m.cfg.Views.TokenQuery != "" {
			tok = r.URL.Query().Get(m.cfg.Views.TokenQuery)
		}
		if tok != "" {
			u, err := m.UserFromAuthToken(ctx, tok, m.cfg.Views.TokenMaxAge)
			switch {
			case err == nil:
				st.p, st.authed = Principal{User: u, Method: MethodToken}, true
				return
			case errors.Is(err, ErrTokenInvalid), errors.Is(err, ErrInactive):
				m.log.LogAttrs(ctx, levelDebug, "gatehouse: auth token refused", attrEvent("token_refused"))
			default:
				st.err = err
				return
			}
		}
	}
	if m.cfg.BasicAuth {
		if email, pw, ok := r.BasicAuth(); ok {
			u, err := m.VerifyPassword(ctx, email, pw)
			switch {
			case err == nil && m.loginAllowed(u):
				st.p, st.authed = Principal{User: u, Method: MethodBasic}, true
			case err == nil, errors.Is(err, ErrInvalidCredentials), errors.Is(err, ErrInactive):
				m.log.LogAttrs(ctx, levelInfo, "gatehouse: basic auth refused", attrEvent("basic_refused"))
			default:
				st.err = err
			}
		}
	}
}

// loginAllowed applies Confirmable: unconfirmed users may not log in unless
// LoginWithoutConfirmation.
func (m *Manager) loginAllowed(u *User) bool {
	return u.Active && (!m.cfg.Confirmable || m.cfg.LoginWithoutConfirmation || u.IsConfirmed())
}
