package gatehouse

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// LoginOptions tune [Manager.Login].
type LoginOptions struct {
	// Remember also sets the remember-me cookie, so the login outlives the
	// browser session.
	Remember bool
	// RememberFor overrides Config.Remember.Duration for this login, up to
	// Config.Remember.MaxDuration.
	RememberFor time.Duration
	// Force logs in a user who is not Active (Flask-Login's force=True).
	Force bool
	// NotFresh marks the session non-fresh, as for a login that did not
	// check credentials (a passwordless link, say, if the app wants that).
	NotFresh bool
}

// Login logs u in: it starts a new session (a new session ID and CSRF
// secret, so nothing planted before login survives it), sets the session
// cookie and, if asked, the remember cookie. Call it before writing the
// response body. It returns ErrInactive for an inactive user unless
// o.Force is set. The rest of the request sees u as its user.
func (m *Manager) Login(w http.ResponseWriter, r *http.Request, u *User, o LoginOptions) error {
	if u == nil || u.ID == "" {
		return errors.New("gatehouse: Login needs a stored user")
	}
	if !u.Active && !o.Force {
		return ErrInactive
	}
	ctx := r.Context()
	_, st := m.ensure(w, r)
	now := m.cfg.Now()

	var flashes []Flash
	var next string
	if st.sess != nil {
		flashes, next = st.sess.Flashes, st.sess.Next
		if err := m.endSession(r, st); err != nil {
			return err
		}
	}
	s := m.newSession(now)
	s.UserID, s.Stamp, s.Method = u.ID, stampHash(u.SecurityStamp), MethodSession
	s.AuthTime, s.Fresh, s.Forced = now.Unix(), !o.NotFresh, o.Force && !u.Active
	s.CSRF, s.Flashes, s.Next = randomID(32), flashes, next
	if m.cfg.Protection != ProtectionOff {
		s.Ident = m.identifier(r)
	}
	st.sess, st.token = s, ""
	st.p = Principal{User: u, Method: MethodSession, AuthTime: time.Unix(s.AuthTime, 0), Fresh: s.Fresh}
	st.authed, st.err = true, nil
	if err := m.writeSession(w, r, st); err != nil {
		return err
	}
	if o.Remember {
		m.setRememberCookie(w, r, u, o.RememberFor)
	}
	if m.cfg.Trackable {
		// Every login counts, whatever made it: the login view, a
		// passwordless link, a confirmation or reset, or the app's own.
		if err := m.RecordLogin(ctx, u, r); err != nil {
			m.log.LogAttrs(ctx, levelError, "gatehouse: tracking login", attrEvent("store_error"), attrErr(err))
		}
	}
	m.log.LogAttrs(ctx, levelInfo, "gatehouse: logged in", attrEvent("login"), attrUser(u), attrMethod(MethodSession))
	if h := m.cfg.Hooks.LoggedIn; h != nil {
		h(ctx, u)
	}
	return nil
}

// maxRevocations bounds User.RevokedSessions. Past it, Logout rotates the
// SecurityStamp instead, ending all of the user's sessions: safe, if blunt.
const maxRevocations = 32

// endSession ends st's current session for good: a server-side session is
// deleted; a cookie session's ID (and the remember cookie's) is recorded
// with its user until it would have expired, so a copy replayed later is
// refused. Each record is an atomic append: concurrent logouts of one user
// all stand.
func (m *Manager) endSession(r *http.Request, st *reqState) error {
	ctx := r.Context()
	if m.st.sessions != nil {
		if st.token != "" {
			if err := m.st.sessions.DeleteSession(ctx, sessionKey(st.token)); err != nil {
				return fmt.Errorf("gatehouse: delete session: %w", err)
			}
			st.token = ""
		}
		return nil
	}
	if st.sess == nil || st.sess.UserID == "" {
		return nil
	}
	now := m.cfg.Now()
	revs := []SessionRevocation{{ID: sessionKey(st.sess.ID), Until: m.sessionExpiry(st.sess)}}
	if p, _, _, ok := m.readRemember(r); ok && p.UserID == st.sess.UserID {
		revs = append(revs, SessionRevocation{ID: sessionKey(p.ID), Until: time.Unix(p.Until, 0)})
	}
	live := 0
	if u := st.p.User; u != nil && u.ID == st.sess.UserID {
		for _, rs := range u.RevokedSessions {
			if rs.Until.After(now) {
				live++
			}
		}
	}
	if live+len(revs) > maxRevocations {
		stamp := NewSecurityStamp()
		if err := m.st.users.UpdateUser(ctx, st.sess.UserID, UserChange{SecurityStamp: &stamp, UpdatedAt: now}); err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("gatehouse: logout: %w", err)
		}
		m.log.LogAttrs(ctx, levelInfo, "gatehouse: too many live logged-out sessions; security stamp rotated", attrEvent("stamp_rotated"), slogString(keyUserID, st.sess.UserID))
		return nil
	}
	for _, rev := range revs {
		err := m.st.users.UpdateUser(ctx, st.sess.UserID, UserChange{RevokeSession: &rev, UpdatedAt: now})
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("gatehouse: logout: %w", err)
		}
	}
	return nil
}

// Logout logs the request's user out: the session ends for good (a copy
// of its cookie replayed later is refused), the remember cookie is cleared
// and revoked, and flashes carry over to a new anonymous session. It is
// safe to call for anonymous requests.
func (m *Manager) Logout(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	_, st := m.ensure(w, r)
	u := st.p.User
	var flashes []Flash
	if st.sess != nil {
		flashes = st.sess.Flashes
	}
	if err := m.endSession(r, st); err != nil {
		return err
	}
	st.sess, st.p, st.authed = nil, Principal{}, false
	if len(flashes) > 0 {
		st.sess = m.newSession(m.cfg.Now())
		st.sess.Flashes = flashes
	}
	m.clearRememberCookie(w)
	if err := m.writeSession(w, r, st); err != nil {
		return err
	}
	if u != nil {
		m.log.LogAttrs(ctx, levelInfo, "gatehouse: logged out", attrEvent("logout"), attrUser(u))
		if h := m.cfg.Hooks.LoggedOut; h != nil {
			h(ctx, u)
		}
	}
	return nil
}

// ConfirmLogin marks the current session fresh again, after the app has
// re-checked the user's credentials (Flask-Login's confirm_login).
func (m *Manager) ConfirmLogin(w http.ResponseWriter, r *http.Request) error {
	_, st := m.ensure(w, r)
	if !st.authed || st.sess == nil {
		return ErrUnauthenticated
	}
	now := m.cfg.Now()
	st.sess.Fresh, st.sess.AuthTime = true, now.Unix()
	if m.cfg.Protection != ProtectionOff {
		st.sess.Ident = m.identifier(r)
	}
	st.p.Fresh, st.p.AuthTime = true, time.Unix(now.Unix(), 0)
	if err := m.writeSession(w, r, st); err != nil {
		return err
	}
	ctx := r.Context()
	m.log.LogAttrs(ctx, levelInfo, "gatehouse: login confirmed", attrEvent("login_confirmed"), attrUser(st.p.User))
	if h := m.cfg.Hooks.LoginConfirmed; h != nil {
		h(ctx, st.p.User)
	}
	return nil
}

// IsFresh reports whether r's login was made with credentials within
// Config.Session.FreshFor (and not restored from a remember cookie).
func (m *Manager) IsFresh(r *http.Request) bool {
	p, ok := FromContext(r.Context())
	return ok && m.fresh(p, m.cfg.Session.FreshFor)
}

// LoginURL returns Config.LoginURL with next as its "next" parameter, if
// next is a safe target (see [IsSafeRedirect]).
func (m *Manager) LoginURL(next string) string {
	if next == "" || !isSafeRedirect(next, m.cfg.AllowedRedirectHosts) {
		return m.cfg.LoginURL
	}
	return withNext(m.cfg.LoginURL, next)
}

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

// NextURL returns where to send the user after logging in: the "next"
// query or form value, or the one kept in the session (which it clears),
// if it is safe; else Config.PostLoginURL. It never returns an off-site URL.
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

// Flash adds a message for the next page to show (Flask's flash). The
// session cookie is updated now, so call it before writing the response.
// Mount Authenticate around handlers that flash several times in one
// request: without it each call starts again from the request's cookie.
func (m *Manager) Flash(w http.ResponseWriter, r *http.Request, category, message string) error {
	return m.updateSession(w, r, func(s *sessionState) {
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

// updateSession changes the request's session (starting an anonymous one
// if needed) and writes it.
func (m *Manager) updateSession(w http.ResponseWriter, r *http.Request, change func(*sessionState)) error {
	_, st := m.ensure(w, r)
	return m.changeSession(w, r, st, change)
}

// changeSession is updateSession on a state the caller already holds, so a
// caller that read st changes that same st: without Authenticate, each
// ensure loads a state of its own.
func (m *Manager) changeSession(w http.ResponseWriter, r *http.Request, st *reqState, change func(*sessionState)) error {
	if st.sess == nil {
		st.sess = m.newSession(m.cfg.Now())
	}
	change(st.sess)
	return m.writeSession(w, r, st)
}
