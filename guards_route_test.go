package gatehouse_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/memstore"
)

// A Policy can name its own login page (Flask-Login's
// blueprint_login_views) and Basic realm (Flask-Security's
// http_auth_required(realm)); other routes keep the Config's.
func TestPolicyLoginURLAndRealm(t *testing.T) {
	t.Parallel()
	store := memstore.New()
	m, err := gatehouse.New(gatehouse.Config{Users: store, SecretKeys: [][]byte{gatehouse.NewSecretKey()},
		BasicAuth: true, LoginURL: "/login", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	mux := http.NewServeMux()
	mux.Handle("GET /admin/users", m.Require(gatehouse.Policy{LoginURL: "/admin/login", BasicRealm: "Admin area"})(ok))
	mux.Handle("GET /api/data", m.Require(gatehouse.Policy{BasicRealm: "API"})(ok))
	mux.Handle("GET /me", m.RequireLogin(ok))
	h := m.Authenticate(mux)
	for _, tc := range []struct {
		path, accept    string
		status          int
		location, realm string
	}{
		{"/admin/users", "text/html", http.StatusSeeOther, "/admin/login?next=%2Fadmin%2Fusers", ""},
		{"/admin/users", "application/json", http.StatusUnauthorized, "", `Basic realm="Admin area"`},
		{"/api/data", "application/json", http.StatusUnauthorized, "", `Basic realm="API"`},
		{"/api/data", "text/html", http.StatusSeeOther, "/login?next=%2Fapi%2Fdata", ""},
		{"/me", "text/html", http.StatusSeeOther, "/login?next=%2Fme", ""},
		{"/me", "application/json", http.StatusUnauthorized, "", `Basic realm="Login Required"`},
	} {
		r := httptest.NewRequest("GET", "https://example.com"+tc.path, nil)
		r.Header.Set("Accept", tc.accept)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.status || w.Header().Get("Location") != tc.location || tc.realm != "" && w.Header().Get("WWW-Authenticate") != tc.realm {
			t.Errorf("%s (%s): %d, Location %q, WWW-Authenticate %q; want %d, %q, %q", tc.path, tc.accept,
				w.Code, w.Header().Get("Location"), w.Header().Get("WWW-Authenticate"), tc.status, tc.location, tc.realm)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("a realm with a quote was accepted")
		}
	}()
	m.Require(gatehouse.Policy{BasicRealm: `a"b`})
}

// Policy.Allow checks the resource itself (Flask-Principal's ItemNeed):
// as middleware, from the request's path; in a handler, with Check once
// the resource is loaded. Anonymous visitors are asked to log in first.
func TestPolicyAllow(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	owners := map[string]string{"1": e.user.ID, "2": "someone else"}
	ownDoc := gatehouse.Policy{Allow: func(r *http.Request, p gatehouse.Principal) bool {
		return owners[r.PathValue("id")] == p.User.ID
	}}
	mux := http.NewServeMux()
	mux.Handle("GET /docs/{id}", e.m.Require(ownDoc)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
	mux.HandleFunc("GET /inline/{id}", func(w http.ResponseWriter, r *http.Request) {
		if _, err := e.m.Check(r, ownDoc); err != nil {
			e.m.Deny(w, r, err)
		}
	})
	h := e.m.Authenticate(mux)
	c := e.client()
	c.login("alice@example.com", alicePassword, false)
	cookies := c.c.Jar.Cookies(mustParse(e.srv.URL))
	for _, tc := range []struct {
		path   string
		authed bool
		status int
	}{
		{"/docs/1", true, 200}, {"/docs/2", true, 403}, {"/docs/1", false, 401},
		{"/inline/1", true, 200}, {"/inline/2", true, 403},
	} {
		r := httptest.NewRequest("GET", e.srv.URL+tc.path, nil)
		r.RemoteAddr = "127.0.0.1:1"
		r.Header.Set("Accept", "application/json")
		r.Header.Set("User-Agent", c.ua)
		if tc.authed {
			for _, ck := range cookies {
				r.AddCookie(ck)
			}
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.status {
			t.Errorf("%s (logged in %v): %d, want %d", tc.path, tc.authed, w.Code, tc.status)
		}
	}
}

func mustParse(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// Config.AnonymousRoles: visitors carry a "guest" role (Flask-Login's
// custom anonymous_user); role and permission policies it meets let them
// through, nothing else does.
func TestAnonymousRoles(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *gatehouse.Config) {
		c.AnonymousRoles = []string{"guest"}
		c.Roles = c.Users.(*memstore.Store) // the role catalog, for permissions
	})
	ctx := t.Context()
	if err := e.store.CreateRole(ctx, &gatehouse.Role{Name: "guest", Permissions: []string{"catalog:read"}}); err != nil {
		t.Fatal(err)
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, authed := gatehouse.CurrentUser(r.Context()); authed || u != nil {
			t.Error("a guest is not a user")
		}
	})
	mux := http.NewServeMux()
	mux.Handle("GET /catalog", e.m.Require(gatehouse.Policy{AnyRoles: []string{"guest", "member"}})(ok))
	mux.Handle("GET /catalog/perm", e.m.Require(gatehouse.Policy{Permissions: []string{"catalog:read"}})(ok))
	mux.Handle("GET /admin", e.m.Require(gatehouse.Policy{Roles: []string{"admin"}})(ok))
	mux.Handle("GET /me", e.m.RequireLogin(ok))
	mux.Handle("GET /fresh-guest", e.m.Require(gatehouse.Policy{AnyRoles: []string{"guest"}, Fresh: true})(ok))
	h := e.m.Authenticate(mux)
	for path, want := range map[string]int{"/catalog": 200, "/catalog/perm": 200, "/admin": 401, "/me": 401, "/fresh-guest": 401} {
		r := httptest.NewRequest("GET", path, nil)
		r.Header.Set("Accept", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != want {
			t.Errorf("a guest at %s: %d, want %d", path, w.Code, want)
		}
	}
}
