package gatehouse

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Policy says what a request needs. The zero Policy needs a login by any
// method.
type Policy struct {
	// Methods accepted; empty accepts any.
	Methods []Method
	// Roles are all required (Flask-Security's roles_required); AnyRoles
	// need at least one (roles_accepted).
	Roles, AnyRoles []string
	// Permissions are all required (permissions_required); AnyPermissions
	// need at least one (permissions_accepted). Permissions come from the
	// role catalog (Config.Roles).
	Permissions, AnyPermissions []string
	// Fresh requires a login with credentials within Session.FreshFor, or
	// within FreshWithin if that is set (Flask-Login's
	// fresh_login_required).
	Fresh       bool
	FreshWithin time.Duration
	// Anonymous lets through only visitors who are not logged in
	// (Flask-Security's anonymous_user_required); the rest of the policy
	// is then ignored. Logged-in browsers are sent to
	// PostLoginURL, JSON clients get a 400.
	Anonymous bool
	// BasicRealm, if set, is the realm this route's 401 answers name in
	// WWW-Authenticate (Flask-Security's http_auth_required(realm)), in
	// place of Config.BasicRealm. No quotes, backslashes or line breaks.
	BasicRealm string
	// LoginURL, if set, is where browsers that must log in are sent from
	// this route, in place of Config.LoginURL: a login page per area of
	// the site (Flask-Login's blueprint_login_views).
	LoginURL string
	// Allow, if set, decides last, for a logged-in principal that meets
	// the rest of the policy: false is ErrForbidden (403). It is where
	// checks on the resource itself go (Flask-Principal's ItemNeed: may
	// this user edit this document?): in Require it reads the resource
	// from the request (its path values, say); in a handler, pass it to
	// Check once the resource is loaded.
	Allow func(r *http.Request, p Principal) bool
}

// routeDenial carries a Policy's BasicRealm and LoginURL to Deny.
type routeDenial struct{ realm, login string }

type routeDenialKey struct{}

// routeOf returns the route's denial settings, if Require set any.
func routeOf(ctx context.Context) routeDenial {
	d, _ := ctx.Value(routeDenialKey{}).(routeDenial)
	return d
}

// Check applies p to r without writing a response, for WebSockets, SSE or
// framework adapters. The error is ErrUnauthenticated, ErrNotFresh,
// ErrForbidden, ErrAnonymousRequired, or a store error; answer it with
// [Manager.Deny]. Without Authenticate mounted it loads the user itself
// (and cannot set cookies).
func (m *Manager) Check(r *http.Request, p Policy) (Principal, error) {
	_, st := m.ensure(nil, r)
	return m.check(r, st, p)
}

func (m *Manager) check(r *http.Request, st *reqState, p Policy) (Principal, error) {
	ctx := r.Context()
	if p.Anonymous {
		if st.authed {
			return st.p, ErrAnonymousRequired
		}
		return Principal{}, nil
	}
	if !st.authed {
		if st.err != nil {
			return Principal{}, st.err
		}
		if ok, err := m.anonymousMeets(ctx, p); ok || err != nil {
			return Principal{}, err
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
		if !st.p.Fresh || m.cfg.Now().Sub(st.p.AuthTime) > window {
			return st.p, ErrNotFresh
		}
	}
	u := st.p.User
	if !p.rolesMet(u.HasRole) {
		return st.p, ErrForbidden
	}
	if p.asksPermissions() {
		perms, err := m.permissions(ctx, u)
		if err != nil {
			return st.p, err
		}
		if h := m.cfg.Hooks.IdentityLoaded; h != nil {
			perms = append(perms, h(ctx, st.p)...)
		}
		if !p.permissionsMet(perms) {
			return st.p, ErrForbidden
		}
	}
	if p.Allow != nil && !p.Allow(r, st.p) {
		return st.p, ErrForbidden
	}
	return st.p, nil
}

// anonymousMeets reports whether a visitor who is not logged in meets p
// with Config.AnonymousRoles: p must ask for roles or permissions and
// nothing that needs a login.
func (m *Manager) anonymousMeets(ctx context.Context, p Policy) (bool, error) {
	roles := m.cfg.AnonymousRoles
	asks := len(p.Roles)+len(p.AnyRoles)+len(p.Permissions)+len(p.AnyPermissions) > 0
	if len(roles) == 0 || !asks || len(p.Methods) > 0 || p.Fresh || p.FreshWithin > 0 || p.Allow != nil {
		return false, nil
	}
	guest := &User{Roles: roles}
	if !p.rolesMet(guest.HasRole) {
		return false, nil
	}
	if p.asksPermissions() {
		perms, err := m.permissions(ctx, guest)
		if err != nil {
			return false, err
		}
		return p.permissionsMet(perms), nil
	}
	return true, nil
}

// rolesMet reports whether p's Roles and AnyRoles are met by has.
func (p Policy) rolesMet(has func(string) bool) bool {
	return hasAll(p.Roles, has) && (len(p.AnyRoles) == 0 || slices.ContainsFunc(p.AnyRoles, has))
}

func (p Policy) asksPermissions() bool { return len(p.Permissions) > 0 || len(p.AnyPermissions) > 0 }

// permissionsMet reports whether perms meet p's Permissions and
// AnyPermissions.
func (p Policy) permissionsMet(perms []string) bool {
	has := func(perm string) bool { return slices.Contains(perms, perm) }
	return hasAll(p.Permissions, has) && (len(p.AnyPermissions) == 0 || slices.ContainsFunc(p.AnyPermissions, has))
}

func hasAll(want []string, has func(string) bool) bool {
	for _, w := range want {
		if !has(w) {
			return false
		}
	}
	return true
}

// permissions returns the union of the permissions of u's roles, sorted.
// Without a role catalog users have none.
func (m *Manager) permissions(ctx context.Context, u *User) ([]string, error) {
	if m.st.roles == nil || u == nil {
		return nil, nil
	}
	var perms []string
	for _, name := range u.Roles {
		r, err := m.st.roles.Role(ctx, name)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("gatehouse: permissions: %w", err)
		}
		perms = append(perms, r.Permissions...)
	}
	slices.Sort(perms)
	return slices.Compact(perms), nil
}

// Require returns middleware that lets a request through only if it meets
// p, and otherwise answers with [Manager.Deny]. OPTIONS requests (CORS
// preflight) always pass. With Config.LoginDisabled every request passes.
// It works, and fails closed, without Authenticate.
func (m *Manager) Require(p Policy) func(http.Handler) http.Handler {
	if strings.ContainsAny(p.BasicRealm, "\"\\\r\n") {
		panic("gatehouse: Policy.BasicRealm may not hold quotes, backslashes or line breaks")
	}
	denial := routeDenial{realm: p.BasicRealm, login: p.LoginURL}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if m.cfg.LoginDisabled || r.Method == http.MethodOptions {
				next.ServeHTTP(w, r)
				return
			}
			r, st := m.ensure(w, r)
			if _, err := m.check(r, st, p); err != nil {
				if denial != (routeDenial{}) {
					r = r.WithContext(context.WithValue(r.Context(), routeDenialKey{}, denial))
				}
				m.Deny(w, r, err)
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
// credentials within Session.FreshFor (Flask-Login's fresh_login_required);
// others are sent to log in again.
func (m *Manager) RequireFresh(next http.Handler) http.Handler {
	return m.Require(Policy{Fresh: true})(next)
}

// RequireRoles lets through users who have all of roles (Flask-Security's
// roles_required; Require with Policy.AnyRoles is roles_accepted). It
// panics if roles is empty: that is a programming error.
func (m *Manager) RequireRoles(roles ...string) func(http.Handler) http.Handler {
	if len(roles) == 0 {
		panic("gatehouse: RequireRoles needs at least one role")
	}
	return m.Require(Policy{Roles: roles})
}

// Deny answers a request that a [Policy] refused, as the guards do, for
// code that calls [Manager.Check] itself (gin, echo, WebSockets):
// ErrUnauthenticated as Flask-Login's unauthorized (Config.OnUnauthorized,
// else a JSON 401, else a redirect to LoginURL with "next" and a
// flash, else a plain 401); ErrNotFresh as its needs_refresh (JSON 401 with
// reauth_required, or a redirect to the verify view); ErrForbidden as a
// 403 (Config.OnForbidden); ErrAnonymousRequired as a redirect to
// PostLoginURL (JSON 400); anything else with WriteError.
func (m *Manager) Deny(w http.ResponseWriter, r *http.Request, err error) {
	ctx := r.Context()
	switch {
	case errors.Is(err, ErrUnauthenticated):
		if h := m.cfg.Hooks.Unauthorized; h != nil {
			h(ctx, r)
		}
		if h := m.cfg.OnUnauthorized; h != nil {
			h(w, r, err)
			return
		}
		target := m.loginURL()
		if d := routeOf(ctx); d.login != "" {
			target = d.login
		}
		m.redirectForLogin(w, r, err, target, "LOGIN")
	case errors.Is(err, ErrNotFresh):
		if h := m.cfg.Hooks.NeedsRefresh; h != nil {
			h(ctx, r)
		}
		if h := m.cfg.OnNeedsRefresh; h != nil {
			h(w, r, err)
			return
		}
		target := m.cfg.RefreshURL
		if target == "" {
			target = m.ext.Load().Refresh
		}
		if target == "" {
			target = m.loginURL()
		}
		m.redirectForLogin(w, r, err, target, "REFRESH")
	case errors.Is(err, ErrForbidden) && m.cfg.OnForbidden != nil:
		m.cfg.OnForbidden(w, r, err)
	case errors.Is(err, ErrAnonymousRequired) && !WantsJSON(r):
		http.Redirect(w, r, m.cfg.PostLoginURL, http.StatusSeeOther)
	default:
		m.WriteError(w, r, err)
	}
}

// loginURL is where browsers that must log in go: Config.LoginURL, else
// the login view's, else nowhere ("").
func (m *Manager) loginURL() string {
	if m.cfg.LoginURL != "" {
		return m.cfg.LoginURL
	}
	return m.ext.Load().Login
}

// redirectForLogin sends a browser to target with "next" (in the URL or,
// with NextInSession, the session) and a flash; JSON clients, and any
// request when there is no target, get WriteError(err).
func (m *Manager) redirectForLogin(w http.ResponseWriter, r *http.Request, err error, target, flashKey string) {
	if WantsJSON(r) || target == "" {
		m.WriteError(w, r, err)
		return
	}
	next := r.URL.RequestURI()
	_, st := m.ensure(w, r)
	m.changeSession(w, r, st, func(s *sessionState) {
		s.Flashes = append(s.Flashes, Flash{Category: "message", Message: m.text(r, flashKey)})
		if m.cfg.NextInSession {
			s.Next = next
		}
	})
	if m.cfg.NextInSession {
		http.Redirect(w, r, target, http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, withNext(target, next), http.StatusSeeOther)
}
