package gatehouse

import (
	"crypto/hmac"
	"crypto/sha256"
	"net/http"
)

// CSRFToken returns the request's CSRF token, starting an anonymous session
// to hold its secret if needed (so call it before writing the response). The
// token is an HMAC of the session's secret: the same for every page of one
// session, and new after login and logout, which rotate the secret.
func (m *Manager) CSRFToken(w http.ResponseWriter, r *http.Request) string {
	_, st := m.ensure(w, r)
	if st.sess == nil || st.sess.CSRF == "" {
		m.changeSession(w, r, st, func(s *sessionState) { s.CSRF = randomID(32) })
	}
	return csrfToken(st.sess.CSRF)
}

func csrfToken(secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("gatehouse csrf v1"))
	return b64.EncodeToString(mac.Sum(nil))
}

// CheckCSRF returns ErrCSRF unless r, a state-changing request, is not
// cross-origin (Fetch Metadata, Config.TrustedOrigins) and carries the
// session's CSRF token: in the X-CSRF-Token or X-CSRFToken header, or as
// submitted (the form's csrf_token field, which the caller has read).
// Requests authenticated by an auth token or HTTP Basic carry no ambient
// cookie and need no token.
func (m *Manager) CheckCSRF(r *http.Request, submitted string) error {
	if err := m.xorigin.Check(r); err != nil {
		return ErrCSRF
	}
	_, st := m.ensure(nil, r)
	if st.authed && (st.p.Method == MethodToken || st.p.Method == MethodBasic) {
		return nil
	}
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.Header.Get("X-CSRFToken")
	}
	if got == "" {
		got = submitted
	}
	if got == "" || st.sess == nil || st.sess.CSRF == "" || !hmac.Equal([]byte(got), []byte(csrfToken(st.sess.CSRF))) {
		m.log.LogAttrs(r.Context(), levelWarn, "gatehouse: CSRF check failed", attrEvent("csrf_failed"))
		return ErrCSRF
	}
	return nil
}
