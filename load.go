package gatehouse

import (
	"crypto/hmac"
	"crypto/subtle"
	"errors"
	"net/http"
	"time"
)

// slide is how stale a session's last-seen time may get before the cookie
// is re-issued: idle timeouts stay accurate to a minute while most requests
// set no cookie at all.
const slide = time.Minute

func equalStamp(hash, stamp string) bool {
	return subtle.ConstantTimeCompare([]byte(hash), []byte(stampHash(stamp))) == 1
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
// remember cookie, else Config.RequestLoader. It writes cookies to w when
// the session changes (w may be nil: then nothing is written). It never
// rejects; failures leave the request anonymous.
func (m *Manager) load(w http.ResponseWriter, r *http.Request) *reqState {
	ctx := r.Context()
	now := m.cfg.Now()
	st := &reqState{}
	sess, tok, ok := m.readSession(ctx, r)
	if !ok && w != nil {
		setCookie(w, m.sessionCookie("", -1)) // garbage, expired or unknown
	}
	if sess != nil && m.expired(sess, now) {
		m.log.LogAttrs(ctx, levelDebug, "gatehouse: session expired", attrEvent("session_expired"))
		sess = nil
		if w != nil {
			st.token = tok
			m.writeSession(w, r, st) // deletes it
		}
		tok = ""
	}
	st.sess, st.token = sess, tok
	dirty := false

	if sess != nil && sess.UserID != "" {
		u, err := m.st.users.UserByID(ctx, sess.UserID)
		switch {
		case errors.Is(err, ErrNotFound):
			// Flask-Login: a user loader that finds nobody drops the ID.
			m.dropUser(sess)
			dirty = true
		case err != nil:
			m.log.LogAttrs(ctx, levelError, "gatehouse: loading user", attrEvent("store_error"), attrErr(err))
			st.err = err
			return st
		case !equalStamp(sess.Stamp, u.SecurityStamp):
			m.log.LogAttrs(ctx, levelWarn, "gatehouse: session refused: security stamp changed", attrEvent("stamp_mismatch"), attrUser(u))
			m.dropUser(sess)
			dirty = true
		case m.st.sessions == nil && revoked(u, sess.ID):
			m.log.LogAttrs(ctx, levelWarn, "gatehouse: session refused: replayed after logout", attrEvent("session_replayed"), attrUser(u))
			st.sess = nil // never re-issue anything from a revoked session
			if w != nil {
				setCookie(w, m.sessionCookie("", -1))
			}
		case !u.Active && !sess.Forced:
			m.log.LogAttrs(ctx, levelInfo, "gatehouse: session refused: user inactive", attrEvent("user_inactive"), attrUser(u))
			m.dropUser(sess)
			dirty = true
		default:
			alive, changed := m.protect(r, sess, u)
			if !alive {
				st.sess = nil
				m.clearRememberCookie(w)
				if w != nil {
					m.writeSession(w, r, st)
				}
				return st
			}
			dirty = dirty || changed
			st.p = Principal{User: u, Method: sess.Method, AuthTime: time.Unix(sess.AuthTime, 0), Fresh: sess.Fresh}
			st.authed = true
			if m.cfg.Remember.RefreshEachRequest {
				if p, issued, _, ok := m.readRemember(r); ok && p.UserID == u.ID && w != nil {
					m.setRememberCookie(w, r, u, time.Unix(p.Until, 0).Sub(issued))
				}
			}
		}
	}

	if !st.authed && st.err == nil {
		m.fromRemember(w, r, st, now)
	}
	if st.authed && st.sess != nil {
		if now.Sub(time.Unix(st.sess.Seen, 0)) >= slide {
			st.sess.Seen = now.Unix()
			dirty = true
		}
	}
	if dirty && w != nil && st.sess != nil {
		if err := m.writeSession(w, r, st); err != nil {
			m.log.LogAttrs(ctx, levelError, "gatehouse: writing session", attrEvent("store_error"), attrErr(err))
		}
	}
	if !st.authed && st.err == nil && (m.cfg.TokenAuth || m.cfg.BasicAuth) {
		m.fromCredentials(r, st)
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

func (m *Manager) dropUser(s *sessionState) {
	*s = sessionState{ID: s.ID, Created: s.Created, Seen: s.Seen, Next: s.Next, CSRF: s.CSRF, Flashes: s.Flashes}
}

// fromRemember restores a session from the remember cookie, if there is a
// valid one: a new session, not fresh (Flask-Login's "loaded from cookie").
func (m *Manager) fromRemember(w http.ResponseWriter, r *http.Request, st *reqState, now time.Time) {
	p, issued, present, ok := m.readRemember(r)
	if !present {
		return
	}
	ctx := r.Context()
	if !ok {
		m.clearRememberCookie(w)
		return
	}
	u, err := m.userForRemember(ctx, p)
	if err == nil && revoked(u, p.ID) {
		m.log.LogAttrs(ctx, levelWarn, "gatehouse: remember cookie refused: replayed after logout", attrEvent("remember_replayed"), attrUser(u))
		err = ErrNotFound
	}
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			m.log.LogAttrs(ctx, levelError, "gatehouse: loading user", attrEvent("store_error"), attrErr(err))
			st.err = err
			return
		}
		m.clearRememberCookie(w)
		return
	}
	if m.cfg.Protection == ProtectionStrong && p.Ident != "" && !hmac.Equal([]byte(p.Ident), []byte(m.identifier(r))) {
		// Strong protection covers the remember cookie too: a copy used by
		// another client (address or User-Agent) restores nothing.
		m.log.LogAttrs(ctx, levelWarn, "gatehouse: remember cookie refused by strong protection", attrEvent("session_protected"), attrUser(u))
		if h := m.cfg.Hooks.SessionProtected; h != nil {
			h(ctx, u, m.cfg.Protection)
		}
		m.clearRememberCookie(w)
		return
	}
	flashes, next := []Flash(nil), ""
	if st.sess != nil {
		flashes, next = st.sess.Flashes, st.sess.Next
	}
	if st.token != "" && m.st.sessions != nil {
		// Rotate: the anonymous server session gives way to a new one.
		if err := m.st.sessions.DeleteSession(ctx, sessionKey(st.token)); err != nil {
			m.log.LogAttrs(ctx, levelError, "gatehouse: delete session", attrEvent("store_error"), attrErr(err))
		}
		st.token = ""
	}
	s := m.newSession(now)
	s.UserID, s.Stamp, s.Method, s.AuthTime = u.ID, stampHash(u.SecurityStamp), MethodRemember, issued.Unix()
	s.Flashes, s.Next, s.CSRF = flashes, next, randomID(32)
	if m.cfg.Protection != ProtectionOff {
		s.Ident = m.identifier(r)
	}
	st.sess = s
	st.p = Principal{User: u, Method: MethodRemember, AuthTime: issued, Fresh: false}
	st.authed = true
	if w != nil {
		if err := m.writeSession(w, r, st); err != nil {
			m.log.LogAttrs(ctx, levelError, "gatehouse: writing session", attrEvent("store_error"), attrErr(err))
		}
		if m.cfg.Remember.RefreshEachRequest {
			m.setRememberCookie(w, r, u, time.Unix(p.Until, 0).Sub(issued))
		}
	}
	m.log.LogAttrs(ctx, levelInfo, "gatehouse: session restored from remember cookie", attrEvent("remember_loaded"), attrUser(u))
	if h := m.cfg.Hooks.RememberLoaded; h != nil {
		h(ctx, u)
	}
}
