package gatehouse

import (
	"crypto/hmac"
	"crypto/sha256"
	"net/http"
	"slices"
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

// checkCSRF reports whether r, a state-changing request, carries a valid
// token (header X-CSRF-Token or X-CSRFToken, or the submitted csrf_token
// field in fields). Requests authenticated by an exempt method pass.
func (m *Manager) checkCSRF(r *http.Request, st *reqState, submitted string) error {
	if err := m.xorigin.Check(r); err != nil {
		return ErrCSRF
	}
	if m.cfg.CSRF.FetchMetadataOnly {
		return nil
	}
	if st.authed && slices.Contains(m.cfg.CSRF.ExemptMethods, st.p.Method) {
		return nil
	}
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.Header.Get("X-CSRFToken")
	}
	if got == "" {
		got = submitted
	}
	if got == "" || st.sess == nil || st.sess.CSRF == "" {
		return ErrCSRF
	}
	if !hmac.Equal([]byte(got), []byte(csrfToken(st.sess.CSRF))) {
		return ErrCSRF
	}
	return nil
}

// RequireCSRF protects an application's own state-changing handlers as the
// views are protected: unsafe methods need the session's CSRF token (header
// X-CSRF-Token or X-CSRFToken, or form field csrf_token) and must not be
// cross-origin. Show the token with CSRFToken or the csrfField template
// function. It parses the form of form-encoded requests.
func (m *Manager) RequireCSRF(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		}
		r, st := m.ensure(w, r)
		submitted := ""
		if !WantsJSON(r) && r.Header.Get("X-CSRF-Token") == "" && r.Header.Get("X-CSRFToken") == "" {
			r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
			submitted = r.PostFormValue("csrf_token")
		}
		if err := m.checkCSRF(r, st, submitted); err != nil {
			m.log.LogAttrs(r.Context(), levelWarn, "gatehouse: CSRF check failed", attrEvent("csrf_failed"))
			m.WriteError(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}
