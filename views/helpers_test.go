package views_test

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/internal/testutil"
	"github.com/gatehouse-auth/gatehouse/memstore"
	"github.com/gatehouse-auth/gatehouse/views"
)

const alicePassword = "correct horse battery"

// viewEnv serves the views (plus what extra adds) over memstore, with an
// injected clock; mails go to a slice through a MailerFunc, when sent()
// sends what is due.
type viewEnv struct {
	t     *testing.T
	m     *gatehouse.Manager
	v     *views.Views
	store *memstore.Store
	clock *testutil.Clock
	cfg   gatehouse.Config
	vcfg  views.Config
	user  *gatehouse.User // alice@example.com / alicePassword, role editor
	web   *httptest.Server

	mu    sync.Mutex
	mails []*views.Message
}

// engineConfig is the engine's configuration every test starts from.
func engineConfig(store *memstore.Store, clk *testutil.Clock) gatehouse.Config {
	return gatehouse.Config{
		Users: store, Tokens: store, Hasher: testutil.FastHasher,
		SecretKeys: [][]byte{testutil.Key("gatehouse test key 1")},
		LoginURL:   "/login",
		Cookie:     gatehouse.CookieConfig{Insecure: true},
		Logger:     slog.New(slog.DiscardHandler),
		Now:        clk.Now,
	}
}

// newViewEnv starts a real HTTP server with the views mounted. change may
// adjust both configs before New; extra may add routes.
func newViewEnv(t *testing.T, change func(c *gatehouse.Config, v *views.Config), extra func(m *gatehouse.Manager, v *views.Views, mux *http.ServeMux)) *viewEnv {
	t.Helper()
	ve := &viewEnv{t: t, store: memstore.New(), clock: testutil.NewClock()}
	ve.cfg = engineConfig(ve.store, ve.clock)
	ve.vcfg = views.Config{
		BaseURL: "https://app.example.com",
		Mail: views.MailConfig{Mailer: views.MailerFunc(func(_ context.Context, m *views.Message) error {
			ve.mu.Lock()
			defer ve.mu.Unlock()
			ve.mails = append(ve.mails, m)
			return nil
		})},
		Logger: slog.New(slog.DiscardHandler),
		Now:    ve.clock.Now,
	}
	if change != nil {
		change(&ve.cfg, &ve.vcfg)
	}
	var err error
	if ve.m, err = gatehouse.New(ve.cfg); err != nil {
		t.Fatalf("gatehouse.New: %v", err)
	}
	if ve.v, err = views.New(ve.m, ve.vcfg); err != nil {
		t.Fatalf("views.New: %v", err)
	}
	ve.user = ve.addUser("alice@example.com", alicePassword, "editor")
	mux := http.NewServeMux()
	ve.v.Mount(mux)
	if extra != nil {
		extra(ve.m, ve.v, mux)
	}
	ve.web = httptest.NewServer(ve.m.Authenticate(mux))
	t.Cleanup(ve.web.Close)
	return ve
}

// addUser stores a confirmed, active user.
func (ve *viewEnv) addUser(email, pw string, roles ...string) *gatehouse.User {
	ve.t.Helper()
	h, err := testutil.FastHasher.Hash(pw)
	if err != nil {
		ve.t.Fatal(err)
	}
	u := &gatehouse.User{Email: email, PasswordHash: h, Active: true, Roles: roles, ConfirmedAt: ve.clock.Now()}
	if err := ve.m.CreateUser(context.Background(), u, ""); err != nil {
		ve.t.Fatal(err)
	}
	return u
}

// sent sends the mail that is due and returns every mail sent so far.
func (ve *viewEnv) sent() []*views.Message {
	ve.t.Helper()
	if _, err := ve.v.SendPending(context.Background()); err != nil {
		ve.t.Fatal(err)
	}
	ve.mu.Lock()
	defer ve.mu.Unlock()
	return slices.Clone(ve.mails)
}

// jsonClient is a front end speaking the JSON API: a cookie jar, the CSRF
// token from the last answer, redirects returned, not followed.
type jsonClient struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
	lang string
	from string // X-Forwarded-For, for envs that trust the loopback proxy
}

func (ve *viewEnv) jsonClient() *jsonClient {
	jar, _ := cookiejar.New(nil)
	return &jsonClient{t: ve.t, base: ve.web.URL, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *jsonClient) do(method, path, body string) (int, map[string]any, string) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, strings.NewReader(body))
	req.Header.Set("Accept", "application/json")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	if c.lang != "" {
		req.Header.Set("Accept-Language", c.lang)
	}
	if c.from != "" {
		req.Header.Set("X-Forwarded-For", c.from)
	}
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 500 {
		c.t.Errorf("%s %s: status %d: %s", method, path, resp.StatusCode, raw)
	}
	var env struct {
		Response map[string]any `json:"response"`
	}
	json.Unmarshal(raw, &env)
	if tok, ok := env.Response["csrf_token"].(string); ok {
		c.csrf = tok
	}
	return resp.StatusCode, env.Response, string(raw)
}

// linkIn is the first https link in a mail's text.
func linkIn(text string) string {
	for f := range strings.FieldsSeq(text) {
		if strings.HasPrefix(f, "https://") {
			return f
		}
	}
	return ""
}

// browserClient is a browser posting the HTML forms: a cookie jar, the
// CSRF token from the last page, redirects returned, not followed.
type browserClient struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
	// unavailable lets a 503 through: a test that expects one.
	unavailable bool
}

// answer is a response as a browserClient sees it.
type answer struct {
	status   int
	location string
	body     string
}

func (ve *viewEnv) browser() *browserClient {
	jar, _ := cookiejar.New(nil)
	return &browserClient{t: ve.t, base: ve.web.URL, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browserClient) send(req *http.Request) answer {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 500 && !(b.unavailable && resp.StatusCode == http.StatusServiceUnavailable) {
		b.t.Errorf("%s %s: status %d: %s", req.Method, req.URL.Path, resp.StatusCode, raw)
	}
	if m := csrfField.FindSubmatch(raw); m != nil {
		b.csrf = html.UnescapeString(string(m[1]))
	}
	return answer{resp.StatusCode, resp.Header.Get("Location"), string(raw)}
}

func (b *browserClient) get(path string) answer {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.base+path, nil)
	return b.send(req)
}

// post submits a form to path, with the CSRF token of the last page (of
// path itself, if none was seen yet).
func (b *browserClient) post(path string, fields map[string]string) answer {
	b.t.Helper()
	if b.csrf == "" {
		b.get(path)
	}
	form := url.Values{"csrf_token": {b.csrf}}
	for k, v := range fields {
		form.Set(k, v)
	}
	req, _ := http.NewRequest("POST", b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.send(req)
}
