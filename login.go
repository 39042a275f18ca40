package gatehouse

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// LoginOptions tune [Manager.Login].
type LoginOptions struct {
	// Remember also sets the remember-me cookie, so the login outlives the
	// browser session.
	Remember bool
	// RememberFor overrides Remember.Duration for this login, up to
	// Remember.MaxDuration.
	RememberFor time.Duration
	// Force logs in a user who is not Active (Flask-Login's force=True).
	Force bool
	// NotFresh marks the session non-fresh, as for a login that did not
	// check credentials (a passwordless link, say, if the app wants that).
	NotFresh bool
	// Reissue starts the new session with the request's own
	// authentication (its method, time and freshness) rather than as a
	// login: to keep this browser logged in after EndSessions ended all of
	// u's sessions ("log out my other devices"), without making a stale
	// session fresh. It records no login and calls no LoggedIn hook.
	Reissue bool
}

// Login logs u in: it starts a new session (a new session ID and CSRF
// secret, so nothing planted before login survives it), sets the session
// cookie and, if asked, the remember cookie, and records the login when
// Config.Trackable. Call it before writing the response body. It returns
// ErrInactive for an inactive user unless o.Force is set. The rest of the
// request sees u as its user.
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
	was := st.p // the authentication a Reissue carries over
	if o.Reissue && (!st.authed || was.User == nil || was.User.ID != u.ID) {
		return errors.New("gatehouse: Reissue needs the request's own user")
	}
	var flashes []Flash
	var next string
	if st.sess != nil {
		flashes, next = st.sess.Flashes, st.sess.Next
		if err := m.endSession(r, st); err != nil {
			return err
		}
	}
	s := m.ck.newSession(now)
	s.UserID, s.Stamp, s.Method = u.ID, stampHash(u.SecurityStamp), MethodSession
	s.AuthTime, s.Fresh, s.Forced = now.Unix(), !o.NotFresh, o.Force && !u.Active
	s.CSRF, s.Flashes, s.Next = randomID(32), flashes, next
	ident := ""
	if m.cfg.Protection != ProtectionOff {
		ident = m.cfg.identifier(r)
		s.Ident = ident
	}
	if o.Reissue {
		s.Method, s.AuthTime, s.Fresh = was.Method, was.AuthTime.Unix(), was.Fresh
		if s.Method != MethodSession && s.Method != MethodRemember {
			s.Method = MethodSession
		}
	}
	st.sess, st.token, st.dirty = s, "", true
	st.p = Principal{User: u, Method: s.Method, AuthTime: time.Unix(s.AuthTime, 0), Fresh: s.Fresh}
	st.authed, st.err = true, nil
	if o.Remember {
		st.renewRemember, st.rememberFor = u, o.RememberFor
	}
	if err := m.commit(w, r, st); err != nil {
		return err
	}
	if o.Reissue {
		m.log.LogAttrs(ctx, levelInfo, "gatehouse: session reissued", attrEvent("session_reissued"), attrUser(u))
		return nil
	}
	if m.cfg.Trackable {
		// Every login counts, whatever made it: the login view, a
		// passwordless link, a confirmation or reset, or the app's own.
		c := UserChange{LoginAt: now, LoginIP: m.cfg.ipString(r), UpdatedAt: now}
		if err := m.st.users.UpdateUser(ctx, u.ID, c); err != nil {
			m.log.LogAttrs(ctx, levelError, "gatehouse: tracking login", attrEvent("store_error"), attrErr(err))
		} else {
			c.Apply(u)
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
// deleted; a cookie session's ID, and the remember cookie's in both modes,
// is recorded with its user until it would have expired, so a copy
// replayed later is refused. Each record is an atomic append: concurrent logouts of one user
// all stand.
func (m *Manager) endSession(r *http.Request, st *reqState) error {
	ctx := r.Context()
	var revs []SessionRevocation
	switch {
	case m.st.sessions != nil:
		if st.token != "" {
			if err := m.st.sessions.DeleteSession(ctx, sessionKey(st.token)); err != nil {
				return fmt.Errorf("gatehouse: delete session: %w", err)
			}
			st.token = ""
		}
	case st.sess != nil && st.sess.UserID != "":
		revs = append(revs, SessionRevocation{ID: sessionKey(st.sess.ID), Until: m.ck.expiry(st.sess)})
	}
	if st.sess == nil || st.sess.UserID == "" {
		return nil
	}
	if p, _, _, ok := m.rm.read(r); ok && p.UserID == st.sess.UserID {
		revs = append(revs, SessionRevocation{ID: sessionKey(p.ID), Until: time.Unix(p.Until, 0)})
	}
	if len(revs) == 0 {
		return nil
	}
	now := m.cfg.Now()
	live := 0
	if u := st.p.User; u != nil && u.ID == st.sess.UserID {
		for _, rs := range u.RevokedSessions {
			if rs.Until.After(now) {
				live++
			}
		}
	}
	if live+len(revs) > maxRevocations {
		stamp := newSecurityStamp()
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
	st.sess, st.p, st.authed, st.dirty, st.clearRemember = nil, Principal{}, false, true, true
	if len(flashes) > 0 {
		st.sess = m.ck.newSession(m.cfg.Now())
		st.sess.Flashes = flashes
	}
	if err := m.commit(w, r, st); err != nil {
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
		st.sess.Ident = m.cfg.identifier(r)
	}
	st.p.Fresh, st.p.AuthTime, st.dirty = true, time.Unix(now.Unix(), 0), true
	if err := m.commit(w, r, st); err != nil {
		return err
	}
	ctx := r.Context()
	m.log.LogAttrs(ctx, levelInfo, "gatehouse: login confirmed", attrEvent("login_confirmed"), attrUser(st.p.User))
	if h := m.cfg.Hooks.LoginConfirmed; h != nil {
		h(ctx, st.p.User)
	}
	return nil
}
