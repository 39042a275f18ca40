package gatehouse

import (
	"crypto/hmac"
	"crypto/sha256"
	"log/slog"
	"net/http"
	"strings"
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
	token := csrfToken(st.sess.CSRF)
	m.setCSRFCookie(w, r, token)
	return token
}

// setCSRFCookie gives scripts the CSRF token in the Cookie.CSRFName cookie
// when the request does not carry it already; token "" removes it.
func (m *Manager) setCSRFCookie(w http.ResponseWriter, r *http.Request, token string) {
	c := m.cfg.Cookie
	if c.CSRFName == "" || w == nil {
		return
	}
	if old, err := r.Cookie(c.CSRFName); err == nil && old.Value == token || err != nil && token == "" {
		return
	}
	ck := &http.Cookie{Name: c.CSRFName, Value: token, Path: c.Path, Domain: c.Domain,
		Secure: !c.Insecure, SameSite: http.SameSiteStrictMode}
	if token == "" {
		ck.MaxAge = -1
	}
	setCookie(w, ck)
}

func csrfToken(secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("gatehouse csrf v1"))
	return b64.EncodeToString(mac.Sum(nil))
}

// CheckCSRF returns ErrCSRF unless r, a state-changing request, is not
// cross-origin (Fetch Metadata, Config.TrustedOrigins) and carries the
// session's CSRF token: in the X-CSRF-Token, X-CSRFToken or X-XSRF-Token
// header, or as
// submitted (the form's csrf_token field, which the caller has read).
// Requests authenticated by an auth token or HTTP Basic carry no ambient
// cookie and need no token.
func (m *Manager) CheckCSRF(r *http.Request, submitted string) error {
	if err := m.xorigin.Check(r); err != nil {
		return m.csrfRefused(r, "gatehouse: cross-origin request refused", "cross_origin")
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
		got = r.Header.Get("X-XSRF-Token")
	}
	if got == "" {
		got = submitted
	}
	if got == "" || st.sess == nil || st.sess.CSRF == "" || !hmac.Equal([]byte(got), []byte(csrfToken(st.sess.CSRF))) {
		return m.csrfRefused(r, "gatehouse: CSRF check failed", "csrf_failed")
	}
	return nil
}

// csrfError is ErrCSRF with a hint for the developer, for the two
// refusals a new setup meets first: cookies that are Secure on a page
// served over plain HTTP, and a front end on another origin.
type csrfError struct{ hint string }

func (e *csrfError) Error() string { return ErrCSRF.Error() + ": " + e.hint }
func (e *csrfError) Unwrap() error { return ErrCSRF }

// csrfRefused logs a refusal, with a hint when one applies, and returns
// the error to answer.
func (m *Manager) csrfRefused(r *http.Request, msg, event string) error {
	hint := m.csrfHint(r)
	attrs := []slog.Attr{attrEvent(event)}
	if o := r.Header.Get("Origin"); o != "" {
		attrs = append(attrs, slog.String("origin", o))
	}
	if hint == "" {
		m.log.LogAttrs(r.Context(), levelWarn, msg, attrs...)
		return ErrCSRF
	}
	m.log.LogAttrs(r.Context(), levelWarn, msg+": "+hint, attrs...)
	return &csrfError{hint}
}

// csrfHint says what likely fixes a refusal: the page came over plain
// HTTP (its Origin or Referer says http://) while the session cookie is
// Secure, so the browser never kept it; or the request came from another
// origin (a front end on another port) that TrustedOrigins does not list.
func (m *Manager) csrfHint(r *http.Request) string {
	from := r.Header.Get("Origin")
	if from == "" {
		from = r.Header.Get("Referer")
	}
	switch origin := r.Header.Get("Origin"); {
	case origin != "" && m.xorigin.Check(r) != nil:
		return "the request came from " + origin + ", another origin: if that is your own front end, add it to Config.TrustedOrigins"
	case strings.HasPrefix(from, "http://") && !m.cfg.Cookie.Insecure:
		return "the session cookie is Secure, so a browser does not keep it on a page served over plain HTTP (" + from +
			"): serve the site over HTTPS, or set Config.Cookie.Insecure for local development"
	}
	return ""
}
