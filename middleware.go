package gatehouse

import (
	"context"
	"net/http"
	"slices"
	"time"
)

// Authenticate loads the request's user, if any, and puts it in the request
// context for [CurrentUser], [FromContext] and the guards. It never rejects
// a request for want of a login. It does refuse (403) an unsafe request
// (POST, PUT, ...) that a browser marks as cross-origin, with Go's
// [http.CrossOriginProtection]: cookies are ambient credentials. Mount it
// outermost.
func (m *Manager) Authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := m.xorigin.Check(r); err != nil {
			m.log.LogAttrs(r.Context(), levelWarn, "gatehouse: cross-origin request refused", attrEvent("cross_origin"))
			m.WriteError(w, r, ErrCSRF)
			return
		}
		st := m.load(w, r)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, st)))
	})
}

// Policy says what a request needs. The zero Policy needs a login by any
// method.
type Policy struct {
	// Methods accepted; empty accepts any.
	Methods []Method
	// Roles are all required (Flask-Security's roles_required).
	Roles []string
	// AnyRoles need at least one (roles_accepted).
	AnyRoles []string
	// Permissions are all required (permissions_required); AnyPermissions
	// need at least one (permissions_accepted). Permissions come from the
	// role catalog (Config.Roles).
	Permissions    []string
	AnyPermissions []string
	// Fresh requires a login with credentials within Config.Session.FreshFor,
	// or within FreshWithin if that is set.
	Fresh       bool
	FreshWithin time.Duration
}

// Check applies p to r without writing a response, for WebSockets, SSE or
// framework adapters. The error is ErrUnauthenticated, ErrNotFresh,
// ErrForbidden, or a store error. Without Authenticate mounted it loads the
// user itself (and cannot set cookies).
func (m *Manager) Check(r *http.Request, p Policy) (Principal, error) {
	_, st := m.ensure(nil, r)
	return m.check(r.Context(), st, p)
}

func (m *Manager) check(ctx context.Context, st *reqState, p Policy) (Principal, error) {
	if !st.authed {
		if st.err != nil {
			return Principal{}, st.err
		}
		return Principal{}, ErrUnauthenticated
	}
	if len(p.Methods) > 0 && !slices.Contains(p.Methods, st.p.Method) {
		return Principal{}, ErrUnauthenticated
	}
	if p.Fresh || p.FreshWithin > 0 {
		window := p.FreshWithin
		if window <= 0 {
			window = m.cfg.Session.FreshFor
		}
		if !m.fresh(st.p, window) {
			return st.p, ErrNotFresh
		}
	}
	u := st.p.User
	for _, role := range p.Roles {
		if !u.HasRole(role) {
			return st.p, ErrForbidden
		}
	}
	if len(p.AnyRoles) > 0 && !slices.ContainsFunc(p.AnyRoles, u.HasRole) {
		return st.p, ErrForbidden
	}
	if len(p.Permissions) > 0 || len(p.AnyPermissions) > 0 {
		perms, err := m.Permissions(ctx, u)
		if err != nil {
			return st.p, err
		}
		has := func(perm string) bool { return slices.Contains(perms, perm) }
		for _, perm := range p.Permissions {
			if !has(perm) {
				return st.p, ErrForbidden
			}
		}
		if len(p.AnyPermissions) > 0 && !slices.ContainsFunc(p.AnyPermissions, has) {
			return st.p, ErrForbidden
		}
	}
	return st.p, nil
}

func (m *Manager) fresh(p Principal, window time.Duration) bool {
	return p.User != nil && p.Fresh && m.cfg.Now().Sub(p.AuthTime) <= window
}

// Require returns middleware that lets a request through only if it meets
// p, and otherwise answers as Flask-Login does (see [Manager.Unauthorized]).
// OPTIONS requests (CORS preflight) always pass. With Config.LoginDisabled
// every request passes. It works, and fails closed, without Authenticate.
func (m *Manager) Require(p Policy) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if m.cfg.LoginDisabled || r.Method == http.MethodOptions {
				next.ServeHTTP(w, r)
				return
			}
			r, st := m.ensure(w, r)
			if _, err := m.check(r.Context(), st, p); err != nil {
				m.deny(w, r, err)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// RequireLogin lets only logged-in requests through (Flask-Login's
// login_required).
func (m *Manager) RequireLogin(next http.Handler) http.Handler {
	return m.Require(Policy{})(next)
}

// RequireFresh lets only requests through whose login was made with
// credentials within Config.Session.FreshFor (Flask-Login's
// fresh_login_required); others are sent to log in again.
func (m *Manager) RequireFresh(next http.Handler) http.Handler {
	return m.Require(Policy{Fresh: true})(next)
}

// RequireRoles lets through users who have all of roles. It panics if roles
// is empty: that is a programming error.
func (m *Manager) RequireRoles(roles ...string) func(http.Handler) http.Handler {
	if len(roles) == 0 {
		panic("gatehouse: RequireRoles needs at least one role")
	}
	return m.Require(Policy{Roles: roles})
}

// RequireAnyRole lets through users who have at least one of roles. It
// panics if roles is empty.
func (m *Manager) RequireAnyRole(roles ...string) func(http.Handler) http.Handler {
	if len(roles) == 0 {
		panic("gatehouse: RequireAnyRole needs at least one role")
	}
	return m.Require(Policy{AnyRoles: roles})
}

// RequireAuth lets through requests authenticated by one of methods
// (Flask-Security's auth_required("session", "token", "basic")); none means
// any.
func (m *Manager) RequireAuth(methods ...Method) func(http.Handler) http.Handler {
	return m.Require(Policy{Methods: methods})
}

// RequireBasicAuth lets through only requests with valid HTTP Basic
// credentials (Config.BasicAuth must be on); others get a 401 with
// WWW-Authenticate and Views.BasicRealm.
func (m *Manager) RequireBasicAuth(next http.Handler) http.Handler {
	return m.Require(Policy{Methods: []Method{MethodBasic}})(next)
}

// RequireTokenAuth lets through only requests with a valid API auth token
// (Config.TokenAuth must be on).
func (m *Manager) RequireTokenAuth(next http.Handler) http.Handler {
	return m.Require(Policy{Methods: []Method{MethodToken}})(next)
}

// RequirePermissions lets through users whose roles grant all of perms.
// It panics if perms is empty.
func (m *Manager) RequirePermissions(perms ...string) func(http.Handler) http.Handler {
	if len(perms) == 0 {
		panic("gatehouse: RequirePermissions needs at least one permission")
	}
	return m.Require(Policy{Permissions: perms})
}

// RequireAnyPermission lets through users whose roles grant at least one
// of perms. It panics if perms is empty.
func (m *Manager) RequireAnyPermission(perms ...string) func(http.Handler) http.Handler {
	if len(perms) == 0 {
		panic("gatehouse: RequireAnyPermission needs at least one permission")
	}
	return m.Require(Policy{AnyPermissions: perms})
}

// RequireAnonymous lets through only visitors who are not logged in, such
// as to a sign-up page (Flask-Security's anonymous_user_required). Logged-in
// browsers are redirected to Config.PostLoginURL; JSON clients get a 400.
func (m *Manager) RequireAnonymous(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m.cfg.LoginDisabled || r.Method == http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		r, st := m.ensure(w, r)
		if !st.authed {
			next.ServeHTTP(w, r)
			return
		}
		m.anonymousRequired(w, r)
	})
}

// anonymousRequired answers a logged-in visitor at a page for anonymous
// ones: JSON 400, or a redirect to PostLoginURL.
func (m *Manager) anonymousRequired(w http.ResponseWriter, r *http.Request) {
	if WantsJSON(r) {
		WriteJSON(w, http.StatusBadRequest, ErrorResponse{Errors: []string{m.Text(r, MsgAnonymousRequired)}})
		return
	}
	http.Redirect(w, r, m.cfg.PostLoginURL, http.StatusSeeOther)
}

// deny answers a request a guard refused.
func (m *Manager) deny(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errorIs(err, ErrUnauthenticated):
		m.Unauthorized(w, r)
	case errorIs(err, ErrNotFresh):
		m.NeedsRefresh(w, r)
	case errorIs(err, ErrForbidden):
		if h := m.cfg.OnForbidden; h != nil {
			h(w, r, err)
			return
		}
		m.WriteError(w, r, err)
	default:
		m.WriteError(w, r, err)
	}
}

// Unauthorized answers a request that must log in, as Flask-Login's
// unauthorized does: Config.OnUnauthorized if set; else a JSON 401 for JSON
// requests; else a redirect to Config.LoginURL with "next" (and a flash);
// else a plain 401.
func (m *Manager) Unauthorized(w http.ResponseWriter, r *http.Request) {
	if h := m.cfg.Hooks.Unauthorized; h != nil {
		h(r.Context(), r)
	}
	if h := m.cfg.OnUnauthorized; h != nil {
		h(w, r, ErrUnauthenticated)
		return
	}
	if WantsJSON(r) || m.cfg.LoginURL == "" {
		m.WriteError(w, r, ErrUnauthenticated)
		return
	}
	m.redirectForLogin(w, r, m.cfg.LoginURL, MsgLoginRequired, m.cfg.Flash.LoginCategory)
}

// NeedsRefresh answers a request that must log in again, as Flask-Login's
// needs_refresh does: Config.OnNeedsRefresh if set; else a JSON 401 with
// reauth_required; else a redirect with "next" (and a flash) to
// Config.RefreshURL, or the verify view once Mount has served it, or
// LoginURL; else a plain 401.
func (m *Manager) NeedsRefresh(w http.ResponseWriter, r *http.Request) {
	if h := m.cfg.Hooks.NeedsRefresh; h != nil {
		h(r.Context(), r)
	}
	if h := m.cfg.OnNeedsRefresh; h != nil {
		h(w, r, ErrNotFresh)
		return
	}
	target := m.cfg.RefreshURL
	if target == "" && m.verifyMounted.Load() {
		target = m.cfg.Views.Prefix + m.cfg.Views.VerifyPath
	} else if target == "" {
		target = m.cfg.LoginURL
	}
	if WantsJSON(r) || target == "" {
		m.WriteError(w, r, ErrNotFresh)
		return
	}
	m.redirectForLogin(w, r, target, MsgRefreshRequired, m.cfg.Flash.RefreshCategory)
}

func (m *Manager) redirectForLogin(w http.ResponseWriter, r *http.Request, target, msgKey, category string) {
	next := r.URL.RequestURI()
	flash := !m.cfg.Flash.Disable
	if flash || m.cfg.NextInSession {
		_, st := m.ensure(w, r)
		m.changeSession(w, r, st, func(s *sessionState) {
			if flash {
				s.Flashes = append(s.Flashes, Flash{Category: category, Message: m.Text(r, msgKey)})
			}
			if m.cfg.NextInSession {
				s.Next = next
			}
		})
	}
	if m.cfg.NextInSession {
		http.Redirect(w, r, target, http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, withNext(target, next), http.StatusSeeOther)
}
