package gatehouse

import (
	"context"
	"crypto/hmac"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"time"
)

// Authenticate loads the request's user, if any, and puts it in the request
// context for [CurrentUser], [FromContext] and the guards. It never rejects
// a request for want of a login. It does refuse (403) an unsafe request
// (POST, PUT, ...) that a browser marks as cross-origin, with Go's
// [http.CrossOriginProtection]: cookies are ambient credentials. Mount it
// outermost; mounted twice, the inner one does nothing.
func (m *Manager) Authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if st, _ := r.Context().Value(ctxKey{}).(*reqState); st != nil {
			next.ServeHTTP(w, r)
			return
		}
		if err := m.xorigin.Check(r); err != nil {
			m.WriteError(w, r, m.csrfRefused(r, "gatehouse: cross-origin request refused", "cross_origin"))
			return
		}
		st := m.load(r)
		m.loaded(r.Context(), st)
		m.commit(w, r, st)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, st)))
	})
}

// loaded reports a request's user to Hooks.UserLoaded.
func (m *Manager) loaded(ctx context.Context, st *reqState) {
	if h := m.cfg.Hooks.UserLoaded; h != nil && st.authed {
		h(ctx, st.p)
	}
}

// slide is how stale a session's last-seen time may get before the cookie
// is re-issued: idle timeouts stay accurate to a minute while most requests
// set no cookie at all.
const slide = time.Minute

func equalStamp(hash, stamp string) bool {
	var b [stampHashLen]byte
	return subtle.ConstantTimeCompare([]byte(hash), appendStampHash(b[:0], stamp)) == 1
}

// revoked reports whether Logout recorded session id with the user.
func revoked(u *User, id string) bool {
	if len(u.RevokedSessions) == 0 {
		return false
	}
	key := sessionKey(id)
	for _, rs := range u.RevokedSessions {
		if rs.ID == key {
			return true
		}
	}
	return false
}

// load works out who is making r: from the session cookie, else the
// remember cookie, else an auth token or Basic credentials, else
// Config.RequestLoader. It writes nothing: what must change (a session to
// rewrite, a cookie to clear) is recorded in the state for commit. It
// never rejects; failures leave the request anonymous.
func (m *Manager) load(r *http.Request) *reqState {
	st := &reqState{client: clientKey(m.cfg.clientIP(r))}
	// Checks made while loading (HTTP Basic) know the client.
	ctx := context.WithValue(r.Context(), ctxKey{}, st)
	now := m.cfg.Now()
	sess, tok, key, ok := m.ck.read(ctx, r)
	st.clearCookie = !ok // garbage, expired or unknown
	if sess != nil && m.ck.expired(sess, now) {
		m.log.LogAttrs(ctx, levelDebug, "gatehouse: session expired", attrEvent("session_expired"))
		sess, st.oldToken, st.dirty, tok = nil, tok, true, ""
	}
	st.sess, st.token = sess, tok

	if sess != nil && sess.UserID != "" {
		u, err := m.st.users.UserByID(ctx, sess.UserID)
		switch {
		case errors.Is(err, ErrNotFound):
			// Flask-Login: a user loader that finds nobody drops the ID.
			dropUser(sess)
			st.dirty = true
		case err != nil:
			m.log.LogAttrs(ctx, levelError, "gatehouse: loading user", attrEvent("store_error"), attrErr(err))
			st.err = err
			return st
		case !equalStamp(sess.Stamp, u.SecurityStamp):
			m.log.LogAttrs(ctx, levelWarn, "gatehouse: session refused: security stamp changed", attrEvent("stamp_mismatch"), attrUser(u))
			dropUser(sess)
			st.dirty = true
		case m.st.sessions == nil && revoked(u, sess.ID):
			m.log.LogAttrs(ctx, levelWarn, "gatehouse: session refused: replayed after logout", attrEvent("session_replayed"), attrUser(u))
			st.sess, st.clearCookie = nil, true // never re-issue anything from a revoked session
		case !u.Active && !sess.Forced:
			m.log.LogAttrs(ctx, levelInfo, "gatehouse: session refused: user inactive", attrEvent("user_inactive"), attrUser(u))
			dropUser(sess)
			st.dirty = true
		default:
			alive, changed := m.protect(r, sess, u)
			if !alive {
				st.sess, st.dirty, st.clearRemember = nil, true, true
				return st
			}
			st.dirty = st.dirty || changed
			st.p = Principal{User: u, Method: sess.Method, AuthTime: time.Unix(sess.AuthTime, 0), Fresh: sess.Fresh, SessionID: key}
			st.authed = true
			if m.cfg.Remember.RefreshEachRequest {
				if p, issued, _, ok := m.rm.read(r); ok && p.UserID == u.ID {
					st.renewRemember, st.rememberFor = u, p.duration(issued)
				}
			}
		}
	}
	if !st.authed && st.err == nil {
		m.fromRemember(r, st, now)
	}
	if st.authed && st.sess != nil && now.Sub(time.Unix(st.sess.Seen, 0)) >= slide {
		st.sess.Seen = now.Unix()
		st.dirty = true
	}
	if !st.authed && st.err == nil && (m.cfg.TokenAuth || m.cfg.BasicAuth) {
		m.fromCredentials(ctx, r, st)
	}
	if !st.authed && st.err == nil && m.cfg.RequestLoader != nil {
		u, err := m.cfg.RequestLoader(r)
		if err != nil && !errors.Is(err, ErrNotFound) {
			m.log.LogAttrs(ctx, levelError, "gatehouse: request loader", attrEvent("loader_error"), attrErr(err))
			st.err = err
		} else if u != nil && u.Active {
			st.p = Principal{User: u, Method: MethodRequest}
			st.authed = true
		}
	}
	return st
}

// commit writes what load or a later change recorded in st: the session
// (sealed into the cookie, or saved with the SessionStore), cleared or new
// remember cookies, server-side sessions to delete. It must run before the
// response is written; it writes each thing once.
func (m *Manager) commit(w http.ResponseWriter, r *http.Request, st *reqState) error {
	var err error
	if st.oldToken != "" && m.st.sessions != nil {
		if e := m.st.sessions.DeleteSession(r.Context(), sessionKey(st.oldToken)); e != nil {
			err = e
		}
		st.oldToken = ""
	}
	if st.clearRemember {
		m.rm.clear(w)
		st.clearRemember = false
	}
	switch {
	case st.dirty:
		if e := m.ck.write(w, r, st, m.cfg.ipString(r)); e != nil {
			err = e
		}
		if m.cfg.Cookie.CSRFName != "" {
			token := ""
			if st.sess != nil && st.sess.CSRF != "" {
				token = csrfToken(st.sess.CSRF)
			}
			m.setCSRFCookie(w, r, token)
		}
		st.dirty, st.clearCookie = false, false
	case st.clearCookie:
		setCookie(w, m.ck.cookie("", -1))
		m.setCSRFCookie(w, r, "")
		st.clearCookie = false
	}
	if u := st.renewRemember; u != nil {
		ident := ""
		if m.cfg.Protection != ProtectionOff {
			ident = m.cfg.identifier(r)
		}
		// With a SessionStore, the remember cookie carries the ID of the
		// session it belongs to (written just above), so ending that
		// session on the sessions page can revoke the cookie with it.
		id := ""
		if m.st.sessions != nil && st.token != "" {
			id = sessionKey(st.token)
		}
		m.rm.set(w, u, st.rememberFor, ident, id)
		st.renewRemember = nil
	}
	if err != nil {
		m.log.LogAttrs(r.Context(), levelError, "gatehouse: writing session", attrEvent("store_error"), attrErr(err))
	}
	return err
}

// dropUser makes s anonymous, keeping what an anonymous session keeps.
func dropUser(s *sessionState) {
	*s = sessionState{ID: s.ID, Created: s.Created, Seen: s.Seen, Next: s.Next, CSRF: s.CSRF, Flashes: s.Flashes}
}

// fromRemember restores a session from the remember cookie, if there is a
// valid one: a new session, not fresh (Flask-Login's "loaded from cookie").
func (m *Manager) fromRemember(r *http.Request, st *reqState, now time.Time) {
	p, issued, present, ok := m.rm.read(r)
	if !present {
		return
	}
	ctx := r.Context()
	if !ok {
		st.clearRemember = true
		return
	}
	u, err := m.st.users.UserByID(ctx, p.UserID)
	switch {
	case errors.Is(err, ErrNotFound):
		st.clearRemember = true
		return
	case err != nil:
		m.log.LogAttrs(ctx, levelError, "gatehouse: loading user", attrEvent("store_error"), attrErr(err))
		st.err = err
		return
	case !u.Active || !equalStamp(p.Stamp, u.SecurityStamp) || revoked(u, p.ID):
		m.log.LogAttrs(ctx, levelWarn, "gatehouse: remember cookie refused: user inactive, security stamp changed or logged out", attrEvent("remember_refused"), attrUser(u))
		st.clearRemember = true
		return
	case m.cfg.Protection == ProtectionStrong && p.Ident != "" && !hmac.Equal([]byte(p.Ident), []byte(m.cfg.identifier(r))):
		// Strong protection covers the remember cookie too: a copy used by
		// another client (address or User-Agent) restores nothing.
		m.log.LogAttrs(ctx, levelWarn, "gatehouse: remember cookie refused by strong protection", attrEvent("session_protected"), attrUser(u))
		if h := m.cfg.Hooks.SessionProtected; h != nil {
			h(ctx, u, m.cfg.Protection)
		}
		st.clearRemember = true
		return
	}
	s := m.ck.newSession(now)
	if st.sess != nil {
		s.Flashes, s.Next = st.sess.Flashes, st.sess.Next
	}
	if st.token != "" {
		// Rotate: the anonymous server session gives way to a new one.
		st.oldToken, st.token = st.token, ""
	}
	s.UserID, s.Stamp, s.Method, s.AuthTime = u.ID, stampHash(u.SecurityStamp), MethodRemember, issued.Unix()
	s.CSRF = randomID(32)
	if m.cfg.Protection != ProtectionOff {
		s.Ident = m.cfg.identifier(r)
	}
	st.sess, st.dirty = s, true
	st.p = Principal{User: u, Method: MethodRemember, AuthTime: issued, Fresh: false}
	st.authed = true
	switch {
	case m.cfg.Remember.RefreshEachRequest:
		st.renewRemember, st.rememberFor = u, p.duration(issued)
	case m.st.sessions != nil:
		// The cookie moves to the new session, keeping its end.
		st.renewRemember, st.rememberFor = u, time.Unix(p.Until, 0).Sub(now)
	}
	m.log.LogAttrs(ctx, levelInfo, "gatehouse: session restored from remember cookie", attrEvent("remember_loaded"), attrUser(u))
	if h := m.cfg.Hooks.RememberLoaded; h != nil {
		h(ctx, u)
	}
}

// fromCredentials authenticates r by API auth token or HTTP Basic, when
// those are on (Flask-Security's "token" and "basic" mechanisms). Nothing is
// stored: each request carries its own credentials.
func (m *Manager) fromCredentials(ctx context.Context, r *http.Request, st *reqState) {
	if m.cfg.TokenAuth {
		tok := r.Header.Get(m.cfg.TokenHeader)
		if tok == "" {
			if scheme, rest, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
				tok = strings.TrimSpace(rest)
			}
		}
		if tok == "" && m.cfg.TokenQuery != "" {
			tok = r.URL.Query().Get(m.cfg.TokenQuery)
		}
		if tok != "" {
			u, err := m.userFromAuthToken(ctx, tok)
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
			case err == nil && m.allowLogin(ctx, u):
				st.p, st.authed = Principal{User: u, Method: MethodBasic}, true
			case err == nil, errors.Is(err, ErrInvalidCredentials), errors.Is(err, ErrInactive):
				m.log.LogAttrs(ctx, levelInfo, "gatehouse: basic auth refused", attrEvent("basic_refused"))
			default: // throttled (429) or a store down (503): the guards answer it
				st.err = err
			}
		}
	}
}

// allowLogin applies the extension's rule (confirmation, with the views)
// to a user whose password was right.
func (m *Manager) allowLogin(ctx context.Context, u *User) bool {
	if f := m.ext.Load().AllowLogin; f != nil {
		return f(ctx, u)
	}
	return u.Active
}
