package gatehouse

import (
	"net/http"
	"net/url"
)

// Flash adds a message for the next page to show (Flask's flash). The
// session cookie is updated now, so call it before writing the response.
// Mount Authenticate around handlers that flash several times in one
// request: without it each call starts again from the request's cookie.
func (m *Manager) Flash(w http.ResponseWriter, r *http.Request, category, message string) error {
	_, st := m.ensure(w, r)
	return m.changeSession(w, r, st, func(s *sessionState) {
		s.Flashes = append(s.Flashes, Flash{Category: category, Message: message})
	})
}

// Flashes returns the pending messages and clears them (Flask's
// get_flashed_messages). Call it before writing the response.
func (m *Manager) Flashes(w http.ResponseWriter, r *http.Request) []Flash {
	_, st := m.ensure(w, r)
	if st.sess == nil || len(st.sess.Flashes) == 0 {
		return nil
	}
	f := st.sess.Flashes
	m.changeSession(w, r, st, func(s *sessionState) { s.Flashes = nil })
	return f
}

// NextURL returns where to send the user after logging in: the "next"
// query or form value, or the one kept in the session (which it clears),
// if it is safe; else PostLoginURL. It never returns an off-site
// URL.
func (m *Manager) NextURL(w http.ResponseWriter, r *http.Request) string {
	next := r.URL.Query().Get("next")
	if next == "" && r.PostForm != nil {
		next = r.PostForm.Get("next")
	}
	if _, st := m.ensure(w, r); st.sess != nil && st.sess.Next != "" {
		if next == "" {
			next = st.sess.Next
		}
		m.changeSession(w, r, st, func(s *sessionState) { s.Next = "" })
	}
	if next != "" && isSafeRedirect(next, m.cfg.AllowedRedirectHosts) {
		return next
	}
	return m.cfg.PostLoginURL
}

// changeSession changes st's session (starting an anonymous one if
// needed) and commits it.
func (m *Manager) changeSession(w http.ResponseWriter, r *http.Request, st *reqState, change func(*sessionState)) error {
	if st.sess == nil {
		st.sess = m.ck.newSession(m.cfg.Now())
	}
	change(st.sess)
	st.dirty = true
	return m.commit(w, r, st)
}

// withNext returns target with next as its "next" parameter.
func withNext(target, next string) string {
	u, err := url.Parse(target)
	if err != nil {
		return target
	}
	q := u.Query()
	q.Set("next", next)
	u.RawQuery = q.Encode()
	return u.String()
}
