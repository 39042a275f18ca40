package gatehouse_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/internal/testutil"
	"github.com/gatehouse-auth/gatehouse/memstore"
)

var (
	testKey1 = testutil.Key("gatehouse test key 1")
	testKey2 = testutil.Key("gatehouse test key 2")
)

type clock = testutil.Clock

func newClock() *clock { return testutil.NewClock() }

// fastHasher keeps tests quick; fastHasherStronger makes its hashes need
// a rehash.
var fastHasher, fastHasherStronger = testutil.FastHasher, testutil.FastHasherStronger

type env struct {
	t     *testing.T
	m     *gatehouse.Manager
	store *memstore.Store
	clock *clock
	srv   *httptest.Server
	cfg   gatehouse.Config
	user  *gatehouse.User // alice@example.com / "correct horse battery", role editor
}

const alicePassword = "correct horse battery"

// newEnv starts a real HTTP server with a Manager over memstore and a small
// app around it. change may adjust the config before New.
func newEnv(t *testing.T, change func(*gatehouse.Config)) *env {
	t.Helper()
	store := memstore.New()
	clk := newClock()
	cfg := gatehouse.Config{
		Users: store, Tokens: store, Hasher: fastHasher,
		SecretKeys: [][]byte{testKey1},
		LoginURL:   "/login",
		Cookie:     gatehouse.CookieConfig{Insecure: true},
		Logger:     slog.New(slog.DiscardHandler),
		Now:        clk.Now,
	}
	if change != nil {
		change(&cfg)
	}
	m, err := gatehouse.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	e := &env{t: t, m: m, store: store, clock: clk, cfg: cfg}
	e.user = e.addUser("alice@example.com", alicePassword, "editor")
	e.srv = httptest.NewServer(m.Authenticate(e.app()))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *env) addUser(email, pw string, roles ...string) *gatehouse.User {
	e.t.Helper()
	h, err := fastHasher.Hash(pw)
	if err != nil {
		e.t.Fatal(err)
	}
	u := &gatehouse.User{Email: email, PasswordHash: h, Active: true, Roles: roles,
		SecurityStamp: rand.Text(), ConfirmedAt: e.clock.Now()}
	if err := e.store.CreateUser(context.Background(), u); err != nil {
		e.t.Fatal(err)
	}
	return u
}

// app is the handler set every test drives.
func (e *env) app() http.Handler {
	m := e.m
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		u, err := m.VerifyPassword(r.Context(), r.FormValue("email"), r.FormValue("password"))
		if err != nil {
			m.WriteError(w, r, err)
			return
		}
		if err := m.Login(w, r, u, gatehouse.LoginOptions{Remember: r.FormValue("remember") == "1"}); err != nil {
			m.WriteError(w, r, err)
			return
		}
		http.Redirect(w, r, m.NextURL(w, r), http.StatusSeeOther)
	})
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		for _, f := range m.Flashes(w, r) {
			io.WriteString(w, f.Category+": "+f.Message+"\n")
		}
		io.WriteString(w, "login page")
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		if err := m.Logout(w, r); err != nil {
			m.WriteError(w, r, err)
			return
		}
		io.WriteString(w, "bye")
	})
	me := func(w http.ResponseWriter, r *http.Request) {
		p, _ := gatehouse.FromContext(r.Context())
		json.NewEncoder(w).Encode(map[string]any{"id": p.User.ID, "email": p.User.Email, "method": p.Method.String(), "fresh": p.Fresh})
	}
	mux.Handle("GET /me", m.RequireLogin(http.HandlerFunc(me)))
	mux.Handle("GET /fresh", m.RequireFresh(http.HandlerFunc(me)))
	mux.Handle("GET /admin", m.RequireRoles("admin")(http.HandlerFunc(me)))
	mux.Handle("GET /editors", m.Require(gatehouse.Policy{AnyRoles: []string{"editor", "admin"}})(http.HandlerFunc(me)))
	mux.Handle("GET /signup", m.Require(gatehouse.Policy{Anonymous: true})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "signup form")
	})))
	mux.HandleFunc("POST /confirm", func(w http.ResponseWriter, r *http.Request) {
		if err := m.ConfirmLogin(w, r); err != nil {
			m.WriteError(w, r, err)
		}
	})
	mux.HandleFunc("GET /public", func(w http.ResponseWriter, r *http.Request) {
		u, ok := gatehouse.CurrentUser(r.Context())
		if ok {
			io.WriteString(w, "hello "+u.Email)
			return
		}
		io.WriteString(w, "hello stranger")
	})
	return mux
}

// client is a browser: a cookie jar, and redirects returned, not followed.
type client struct {
	e   *env
	c   *http.Client
	ua  string
	hdr http.Header
}

func (e *env) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, ua: "test-browser/1.0", hdr: http.Header{}, c: &http.Client{
		Jar: jar,
		// Its own transport: httptest.Server.Close closes the default
		// transport's idle connections, which would break a parallel
		// test's POST on the way.
		Transport:     http.DefaultTransport.(*http.Transport).Clone(),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type result struct {
	status int
	body   string
	header http.Header
}

func (c *client) do(method, path string, form url.Values) result {
	c.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.e.srv.URL+path, body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("User-Agent", c.ua)
	for k, v := range c.hdr {
		req.Header[k] = v
	}
	resp, err := c.c.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 500 {
		c.e.t.Errorf("%s %s: status %d: %s", method, path, resp.StatusCode, b)
	}
	return result{resp.StatusCode, string(b), resp.Header}
}

func (c *client) get(path string) result { return c.do(http.MethodGet, path, nil) }

func (c *client) login(email, pw string, remember bool) result {
	c.e.t.Helper()
	f := url.Values{"email": {email}, "password": {pw}}
	if remember {
		f.Set("remember", "1")
	}
	return c.do(http.MethodPost, "/login", f)
}

func (c *client) mustLogin(remember bool) {
	c.e.t.Helper()
	if r := c.login("alice@example.com", alicePassword, remember); r.status != http.StatusSeeOther {
		c.e.t.Fatalf("login: status %d: %s", r.status, r.body)
	}
}

func (c *client) cookie(name string) *http.Cookie {
	u, _ := url.Parse(c.e.srv.URL)
	for _, ck := range c.c.Jar.Cookies(u) {
		if ck.Name == name {
			return ck
		}
	}
	return nil
}

func (c *client) setCookie(name, value string) {
	u, _ := url.Parse(c.e.srv.URL)
	c.c.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}

func wantStatus(t *testing.T, what string, got result, want int) {
	t.Helper()
	if got.status != want {
		t.Fatalf("%s: status %d, want %d (body %q)", what, got.status, want, got.body)
	}
}

func decodeMe(t *testing.T, r result) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("decoding %q: %v", r.body, err)
	}
	return m
}

func httptestServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// rawGet sends a GET with headers written byte for byte, bypassing the
// checks Go's client makes, and returns the status.
func rawGet(t *testing.T, base, path string, headers ...string) int {
	t.Helper()
	u, _ := url.Parse(base)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var b strings.Builder
	b.WriteString("GET " + path + " HTTP/1.1\r\nHost: " + u.Host + "\r\nConnection: close\r\n")
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(conn, b.String()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
