package gatehouse_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/admin"
	"github.com/gatehouse-auth/gatehouse/memstore"
)

func TestGuards(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	editor := e.client()
	editor.mustLogin(false)
	e.addUser("root@example.com", "root password 1", "admin")
	admin := e.client()
	if r := admin.login("root@example.com", "root password 1", false); r.status != http.StatusSeeOther {
		t.Fatal(r.body)
	}
	anon := e.client()
	tests := []struct {
		c      *client
		path   string
		status int
	}{
		{editor, "/admin", http.StatusForbidden},
		{editor, "/editors", http.StatusOK},
		{admin, "/admin", http.StatusOK},
		{admin, "/editors", http.StatusOK},
		{anon, "/admin", http.StatusSeeOther},
		{anon, "/signup", http.StatusOK},
		{editor, "/signup", http.StatusSeeOther},
	}
	for _, tt := range tests {
		if r := tt.c.get(tt.path); r.status != tt.status {
			t.Errorf("GET %s: status %d, want %d", tt.path, r.status, tt.status)
		}
	}
}

// JSON clients get the docs/json-api.md envelope, never a redirect.
func TestJSONAnswers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.client()
	c.hdr.Set("Accept", "application/json")
	check := func(path string, status int, msg string) {
		t.Helper()
		r := c.get(path)
		var env struct {
			Meta     struct{ Code int }
			Response struct{ Errors []string }
		}
		if err := json.Unmarshal([]byte(r.body), &env); err != nil {
			t.Fatalf("%s: %v: %q", path, err, r.body)
		}
		if r.status != status || env.Meta.Code != status || len(env.Response.Errors) != 1 || env.Response.Errors[0] != msg {
			t.Errorf("%s: %d %s, want %d %q", path, r.status, r.body, status, msg)
		}
		if ct := r.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: Content-Type %q", path, ct)
		}
	}
	check("/me", 401, "You are not authenticated. Please supply the correct credentials.")
	c.mustLogin(false)
	check("/admin", 403, "You do not have permission to view this resource.")
	check("/signup", 400, "You can only access this endpoint when not logged in.")
}

func TestUnauthorizedRedirectAndFlash(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.client()
	r := c.get("/editors?tab=2#x")
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/login?next=%2Feditors%3Ftab%3D2" {
		t.Fatalf("redirect: %d %q", r.status, r.header.Get("Location"))
	}
	if body := c.get("/login").body; !strings.Contains(body, "message: Please log in to access this page.") {
		t.Errorf("flash not shown: %q", body)
	}
	if body := c.get("/login").body; strings.Contains(body, "Please log in") {
		t.Error("flash shown twice")
	}
	r = c.login("alice@example.com", alicePassword, false)
	if loc := r.header.Get("Location"); loc != "/" {
		t.Errorf("login without next: Location %q", loc)
	}
	r = c.do("POST", "/login?next=%2Feditors%3Ftab%3D2", formOf("email", "alice@example.com", "password", alicePassword))
	if loc := r.header.Get("Location"); loc != "/editors?tab=2" {
		t.Errorf("login with next: Location %q", loc)
	}
	r = c.do("POST", "/login?next=%2F%5Cevil.com", formOf("email", "alice@example.com", "password", alicePassword))
	if loc := r.header.Get("Location"); loc != "/" {
		t.Errorf("login with next=/\\evil.com: Location %q, want /", loc)
	}
}

func TestNoLoginURLGives401(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *gatehouse.Config) { c.LoginURL = "" })
	wantStatus(t, "/me", e.client().get("/me"), http.StatusUnauthorized)
}

func TestCustomHandlersAndHooks(t *testing.T) {
	t.Parallel()
	var events []string
	e := newEnv(t, func(c *gatehouse.Config) {
		c.OnUnauthorized = func(w http.ResponseWriter, r *http.Request, err error) {
			http.Error(w, "custom: "+err.Error(), http.StatusTeapot)
		}
		c.OnForbidden = func(w http.ResponseWriter, r *http.Request, err error) {
			http.Error(w, "nope", http.StatusNotFound)
		}
		c.Hooks = gatehouse.Hooks{
			LoggedIn:       func(_ context.Context, u *gatehouse.User) { events = append(events, "in:"+u.Email) },
			LoggedOut:      func(_ context.Context, u *gatehouse.User) { events = append(events, "out:"+u.Email) },
			LoginConfirmed: func(context.Context, *gatehouse.User) { events = append(events, "confirmed") },
			Unauthorized:   func(context.Context, *http.Request) { events = append(events, "unauthorized") },
			NeedsRefresh:   func(context.Context, *http.Request) { events = append(events, "refresh") },
		}
	})
	c := e.client()
	wantStatus(t, "custom unauthorized", c.get("/me"), http.StatusTeapot)
	c.mustLogin(false)
	wantStatus(t, "custom forbidden", c.get("/admin"), http.StatusNotFound)
	c.do("POST", "/confirm", nil)
	e.clock.Advance(11 * time.Minute) // past the default FreshFor
	c.get("/fresh")
	c.do("POST", "/logout", nil)
	want := "unauthorized in:alice@example.com confirmed refresh out:alice@example.com"
	if got := strings.Join(events, " "); got != want {
		t.Errorf("events %q, want %q", got, want)
	}
}

// Guards fail closed when Authenticate is not mounted: they load the user
// themselves.
func TestGuardsWithoutAuthenticate(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.client()
	c.mustLogin(false)
	bare := httptestServer(t, e.app()) // no Authenticate around it
	for _, tt := range []struct {
		cookie bool
		path   string
		want   int
	}{
		{false, "/me", http.StatusSeeOther},
		{false, "/admin", http.StatusSeeOther},
		{true, "/me", http.StatusOK},
		{true, "/admin", http.StatusForbidden},
	} {
		req, _ := http.NewRequest("GET", bare+tt.path, nil)
		req.Header.Set("User-Agent", c.ua)
		if tt.cookie {
			req.AddCookie(c.cookie(sessionCookie))
		}
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("no Authenticate, cookie %v, %s: %d, want %d", tt.cookie, tt.path, resp.StatusCode, tt.want)
		}
	}
}

func TestOptionsAndLoginDisabled(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	m, _ := gatehouse.New(gatehouse.Config{Users: e.store, SecretKeys: [][]byte{testKey1}, LoginDisabled: true, Logger: e.cfg.Logger})
	h := m.RequireRoles("admin")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 204 {
		t.Errorf("LoginDisabled: status %d, want 204", rec.Code)
	}
	guard := e.m.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	rec = httptest.NewRecorder()
	guard.ServeHTTP(rec, httptest.NewRequest("OPTIONS", "/", nil))
	if rec.Code != 204 {
		t.Errorf("OPTIONS through a guard: status %d, want 204", rec.Code)
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.client()
	c.mustLogin(false)
	req := httptest.NewRequest("GET", "/ws", nil)
	req.Header.Set("User-Agent", c.ua)
	if _, err := e.m.Check(req, gatehouse.Policy{}); !errors.Is(err, gatehouse.ErrUnauthenticated) {
		t.Errorf("anonymous Check = %v", err)
	}
	req.AddCookie(c.cookie(sessionCookie))
	p, err := e.m.Check(req, gatehouse.Policy{AnyRoles: []string{"editor"}})
	if err != nil || p.User.Email != "alice@example.com" {
		t.Errorf("Check = %v, %v", p, err)
	}
	if _, err := e.m.Check(req, gatehouse.Policy{Roles: []string{"editor", "admin"}}); !errors.Is(err, gatehouse.ErrForbidden) {
		t.Errorf("Check(all roles) = %v, want ErrForbidden", err)
	}
	if _, err := e.m.Check(req, gatehouse.Policy{Methods: []gatehouse.Method{gatehouse.MethodToken}}); !errors.Is(err, gatehouse.ErrUnauthenticated) {
		t.Errorf("Check(token only) = %v, want ErrUnauthenticated", err)
	}
	ctx := gatehouse.NewContext(context.Background(), gatehouse.Principal{User: &gatehouse.User{ID: "9", Roles: []string{"x"}}, Method: gatehouse.MethodToken})
	if _, err := e.m.Check(req.WithContext(ctx), gatehouse.Policy{Roles: []string{"x"}}); err != nil {
		t.Errorf("Check with NewContext = %v", err)
	}
}

func TestRequestLoader(t *testing.T) {
	t.Parallel()
	var e *env
	e = newEnv(t, func(c *gatehouse.Config) {
		c.RequestLoader = func(r *http.Request) (*gatehouse.User, error) {
			if r.Header.Get("X-API-Key") != "k-123" {
				return nil, nil
			}
			return e.store.UserByEmail(r.Context(), "alice@example.com")
		}
	})
	c := e.client()
	c.hdr.Set("X-API-Key", "k-123")
	r := c.get("/me")
	wantStatus(t, "/me with API key", r, http.StatusOK)
	if me := decodeMe(t, r); me["method"] != "request" {
		t.Errorf("method %v", me["method"])
	}
	c.hdr.Set("X-API-Key", "wrong")
	wantStatus(t, "/me with a wrong key", c.get("/me"), http.StatusSeeOther)
}

// storeDown fails every read, to show a store outage answers 500 (logged),
// not a login page or a panic.
type storeDown struct{ gatehouse.UserStore }

func (storeDown) UserByID(context.Context, string) (*gatehouse.User, error) {
	return nil, errors.New("connection refused")
}

func TestStoreErrorIs500NotLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.client()
	c.mustLogin(false)
	cfg := e.cfg
	cfg.Users = storeDown{e.store}
	m, _ := gatehouse.New(cfg)
	srv := httptestServer(t, m.Authenticate(m.RequireLogin(http.NotFoundHandler())))
	req, _ := http.NewRequest("GET", srv, nil)
	req.AddCookie(c.cookie(sessionCookie))
	req.Header.Set("User-Agent", c.ua)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("store down: status %d, want 500", resp.StatusCode)
	}
}

func TestCrossOriginRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.client()
	c.mustLogin(false)
	c.hdr.Set("Sec-Fetch-Site", "cross-site")
	r := c.do("POST", "/logout", nil)
	wantStatus(t, "cross-site POST", r, http.StatusForbidden)
	c.hdr.Set("Sec-Fetch-Site", "same-origin")
	wantStatus(t, "same-origin POST", c.do("POST", "/logout", nil), http.StatusOK)
}

func TestClientIP(t *testing.T) {
	t.Parallel()
	tests := []struct {
		proxies []string
		remote  string
		xff     []string
		want    string
	}{
		{nil, "203.0.113.9:1234", []string{"1.2.3.4"}, "203.0.113.9"},
		{[]string{"10.0.0.0/8"}, "10.0.0.1:80", []string{"1.2.3.4, 198.51.100.7"}, "198.51.100.7"},
		{[]string{"10.0.0.0/8"}, "10.0.0.1:80", []string{"1.2.3.4, 10.0.0.3"}, "1.2.3.4"},
		{[]string{"10.0.0.0/8"}, "10.0.0.1:80", []string{"1.2.3.4", "198.51.100.7, 10.9.9.9"}, "198.51.100.7"},
		{[]string{"10.0.0.0/8"}, "203.0.113.9:1", []string{"1.2.3.4"}, "203.0.113.9"}, // not from a proxy
		{[]string{"10.0.0.0/8"}, "10.0.0.1:80", []string{"garbage"}, "10.0.0.1"},
		{[]string{"10.0.0.0/8"}, "[::ffff:10.0.0.1]:80", []string{"::ffff:192.0.2.1"}, "192.0.2.1"},
	}
	for _, tt := range tests {
		var prefixes []netip.Prefix
		for _, p := range tt.proxies {
			prefixes = append(prefixes, netip.MustParsePrefix(p))
		}
		// The client address shows in login tracking.
		store := memstore.New()
		m, err := gatehouse.New(gatehouse.Config{Users: store, SecretKeys: [][]byte{testKey1}, TrustedProxies: prefixes, Trackable: true})
		if err != nil {
			t.Fatal(err)
		}
		u := &gatehouse.User{Email: "ip@example.com", Active: true}
		if err := m.CreateUser(context.Background(), u, ""); err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.remote
		r.Header["X-Forwarded-For"] = tt.xff
		if err := m.Login(httptest.NewRecorder(), r, u, gatehouse.LoginOptions{}); err != nil {
			t.Fatal(err)
		}
		if got := u.CurrentLoginIP; got != tt.want {
			t.Errorf("ClientIP(remote %s, XFF %q, proxies %v) = %s, want %s", tt.remote, tt.xff, tt.proxies, got, tt.want)
		}
	}
}

func TestStatusCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want int
	}{
		{nil, 200},
		{gatehouse.ErrUnauthenticated, 401},
		{fmt.Errorf("wrapped: %w", gatehouse.ErrNotFresh), 401},
		{gatehouse.ErrForbidden, 403},
		{gatehouse.ErrCSRF, 403},
		{gatehouse.ErrNotFound, 404},
		{&gatehouse.RetryAfterError{RetryAfter: 5, Err: gatehouse.ErrRateLimited}, 429},
		{&gatehouse.RetryAfterError{RetryAfter: 5, Err: gatehouse.ErrUnavailable}, 503},
		{gatehouse.ErrTooLarge, 413},
		{gatehouse.ErrInvalidCredentials, 400},
		{fmt.Errorf("x: %w", gatehouse.ErrBadRequest), 400},
		{errors.New("disk on fire"), 500},
	}
	for _, tt := range tests {
		if got := gatehouse.StatusCode(tt.err); got != tt.want {
			t.Errorf("StatusCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
	if !errors.Is(&gatehouse.RetryAfterError{Err: gatehouse.ErrRateLimited}, gatehouse.ErrRateLimited) {
		t.Error("RetryAfterError does not unwrap")
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	ok := gatehouse.Config{Users: storeDown{}, SecretKeys: [][]byte{testKey1}}
	bad := []func(*gatehouse.Config){
		func(c *gatehouse.Config) { c.Users = nil },
		func(c *gatehouse.Config) { c.SecretKeys = nil },
		func(c *gatehouse.Config) { c.SecretKeys = [][]byte{[]byte("short")} },
		func(c *gatehouse.Config) { c.Cookie.Name = "__Host-x"; c.Cookie.Insecure = true },
		func(c *gatehouse.Config) { c.Cookie.Name = "__Host-x"; c.Cookie.Domain = "example.com" },
		func(c *gatehouse.Config) { c.Remember.Name = "__Host-gatehouse" },
		func(c *gatehouse.Config) { c.LoginURL = "//evil.com/login" },
		func(c *gatehouse.Config) { c.PostLoginURL = "https://evil.com/" },
		func(c *gatehouse.Config) { c.Protection = 9 },
	}
	if _, err := gatehouse.New(ok); err != nil {
		t.Fatalf("New(minimal) = %v", err)
	}
	for i, change := range bad {
		c := ok
		change(&c)
		if _, err := gatehouse.New(c); err == nil {
			t.Errorf("case %d: New accepted a bad config", i)
		}
	}
}

func TestWantsJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ct, accept string
		want       bool
		credential string // an Authorization or Authentication-Token header: "Bearer x", "Basic x", "token"
	}{
		{"application/json", "", true, ""},
		{"application/json; charset=utf-8", "text/html", true, ""},
		{"application/x-www-form-urlencoded", "", false, ""},
		{"", "application/json", true, ""},
		{"", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", false, ""},
		{"", "application/json, text/plain, */*", true, ""},
		{"", "text/html;q=0.5, application/json;q=0.9", true, ""},
		{"", "*/*", false, ""},
		{"", "application/json;q=0", false, ""},
		// API clients that say nothing of what they accept.
		{"", "", true, "Bearer abc"},
		{"", "*/*", true, "token"},
		{"", "", false, "Basic YTpi"},
		{"", "text/html", false, "Bearer abc"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Content-Type", tt.ct)
		r.Header.Set("Accept", tt.accept)
		switch {
		case tt.credential == "token":
			r.Header.Set("Authentication-Token", "abc")
		case tt.credential != "":
			r.Header.Set("Authorization", tt.credential)
		}
		if got := gatehouse.WantsJSON(r); got != tt.want {
			t.Errorf("WantsJSON(ct %q, accept %q, %q) = %v", tt.ct, tt.accept, tt.credential, got)
		}
	}
}

func formOf(kv ...string) map[string][]string {
	f := map[string][]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		f[kv[i]] = append(f[kv[i]], kv[i+1])
	}
	return f
}

func TestPermissionGuards(t *testing.T) {
	t.Parallel()
	ve := newEnv(t, nil)
	cfg := ve.cfg
	cfg.Roles = ve.store
	m, _ := gatehouse.New(cfg)
	ctx := context.Background()
	a := admin.New(m)
	a.FindOrCreateRole(ctx, "editor", "")
	a.AddPermissions(ctx, "editor", "posts:write")
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	req := func(h http.Handler) int {
		r := httptest.NewRequest("GET", "/", nil)
		r = r.WithContext(gatehouse.NewContext(r.Context(), gatehouse.Principal{User: ve.user, Method: gatehouse.MethodSession}))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec.Code
	}
	if got := req(m.Require(gatehouse.Policy{Permissions: []string{"posts:write"}})(ok)); got != 204 {
		t.Errorf("posts:write: %d", got)
	}
	if got := req(m.Require(gatehouse.Policy{Permissions: []string{"posts:write", "users:write"}})(ok)); got != 403 {
		t.Errorf("posts:write+users:write: %d", got)
	}
	if got := req(m.Require(gatehouse.Policy{AnyPermissions: []string{"users:write", "posts:write"}})(ok)); got != 204 {
		t.Errorf("any of users:write, posts:write: %d", got)
	}
	// A session is not a token: browsers are sent to log in.
	if got := req(m.Require(gatehouse.Policy{Methods: []gatehouse.Method{gatehouse.MethodToken}})(ok)); got != http.StatusSeeOther {
		t.Errorf("session through a token-only policy: %d", got)
	}
}

func TestRememberRefreshEachRequest(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *gatehouse.Config) { c.Remember.RefreshEachRequest = true })
	c := e.client()
	c.mustLogin(true)
	first := c.cookie("remember_token").Value
	e.clock.Advance(time.Hour)
	r := c.get("/me")
	wantStatus(t, "/me", r, 200)
	var renewed bool
	for _, ck := range (&http.Response{Header: r.header}).Cookies() {
		renewed = renewed || ck.Name == "remember_token" && ck.Value != first && ck.MaxAge > 0
	}
	if !renewed {
		t.Errorf("remember cookie not renewed on a request: %v", r.header["Set-Cookie"])
	}
}
