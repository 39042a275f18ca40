package gatehouse_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// viewEnv serves Routes (plus a test page) with the given config changes;
// mails go to a slice through a MailerFunc, when sent() sends what is due.
type viewEnv struct {
	*env
	web   *httptest.Server
	mu    sync.Mutex
	mails []*gatehouse.Message
}

func newViewEnv(t *testing.T, change func(*gatehouse.Config), extra func(m *gatehouse.Manager, mux *http.ServeMux)) *viewEnv {
	t.Helper()
	ve := &viewEnv{}
	ve.env = newEnv(t, func(c *gatehouse.Config) {
		c.Roles = nil
		c.Views.BaseURL = "https://app.example.com"
		c.Mail.Mailer = gatehouse.MailerFunc(func(_ context.Context, m *gatehouse.Message) error {
			ve.mu.Lock()
			defer ve.mu.Unlock()
			ve.mails = append(ve.mails, m)
			return nil
		})
		if change != nil {
			change(c)
		}
	})
	mux := http.NewServeMux()
	ve.m.Mount(mux)
	if extra != nil {
		extra(ve.m, mux)
	}
	ve.web = httptest.NewServer(ve.m.Authenticate(mux))
	t.Cleanup(ve.web.Close)
	return ve
}

// sent sends the mail that is due and returns every mail sent so far.
func (ve *viewEnv) sent() []*gatehouse.Message {
	ve.t.Helper()
	if _, err := ve.m.SendPending(context.Background()); err != nil {
		ve.t.Fatal(err)
	}
	ve.mu.Lock()
	defer ve.mu.Unlock()
	return slices.Clone(ve.mails)
}

type jsonClient struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
	lang string
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
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var env struct {
		Response map[string]any `json:"response"`
	}
	json.Unmarshal(raw, &env)
	if tok, ok := env.Response["csrf_token"].(string); ok {
		c.csrf = tok
	}
	return resp.StatusCode, env.Response, string(raw)
}

func TestMessagesInTheRequestLanguage(t *testing.T) {
	t.Parallel()
	ve := newViewEnv(t, nil, nil)
	for lang, want := range map[string]string{
		"ja":              "ユーザー名またはパスワードが正しくありません",
		"fr-CH, fr;q=0.9": "Nom d'utilisateur ou mot de passe invalide",
		"es":              "Nombre de usuario o contraseña no válidos",
		"de":              "Ungültiger Benutzername oder ungültiges Passwort",
		"zz, *":           "Invalid username or password",
	} {
		c := ve.jsonClient()
		c.lang = lang
		c.do("GET", "/login", "")
		status, _, raw := c.do("POST", "/login", `{"email":"alice@example.com","password":"wrong password"}`)
		if status != 400 || !strings.Contains(raw, want) {
			t.Errorf("Accept-Language %q: %d %s, want %q", lang, status, raw, want)
		}
	}
}

func TestMessageOverridesAndLocalize(t *testing.T) {
	t.Parallel()
	ve := newViewEnv(t, func(c *gatehouse.Config) {
		c.Messages = map[string]string{gatehouse.MsgGenericAuthnFailed: "Nope, %(who)s."}
		c.Localize = func(lang, key, text string) string { return "[" + lang + " " + key + "] " + text }
		c.Language = func(*http.Request) string { return "de" }
		c.Recoverable = true
	}, nil)
	c := ve.jsonClient()
	c.do("GET", "/login", "")
	_, _, raw := c.do("POST", "/login", `{"email":"alice@example.com","password":"wrong password"}`)
	if !strings.Contains(raw, "[de GENERIC_AUTHN_FAILED] Nope, %(who)s.") {
		t.Errorf("override and Localize not applied: %s", raw)
	}
	// Mails are localized too, off the request, in its language.
	c.do("GET", "/reset", "")
	if status, _, raw := c.do("POST", "/reset", `{"email":"alice@example.com"}`); status != 200 {
		t.Fatalf("forgot: %d %s", status, raw)
	}
	mails := ve.sent()
	if len(mails) != 1 || !strings.HasPrefix(mails[0].Subject, "[de EMAIL_SUBJECT_PASSWORD_RESET] ") || !strings.Contains(mails[0].Text, "[de ") {
		t.Errorf("mail not localized: %+v", mails)
	}
	_, _, raw = c.do("POST", "/login", `{"email":"alice@example.com"}`)
	if !strings.Contains(raw, "Kein Passwort angegeben") {
		t.Errorf("Language hook not applied: %s", raw)
	}
}

func TestPrefixTemplatesAndContext(t *testing.T) {
	t.Parallel()
	ve := newViewEnv(t, func(c *gatehouse.Config) {
		c.Views.Prefix = "/auth"
		c.Views.Templates = fstest.MapFS{"login.html": {Data: []byte(`{{define "content"}}<p id="custom">{{t "UI_LOGIN"}} {{.Extra.brand}} {{.Action}}</p>{{end}}`)}}
		c.Views.Context = func(r *http.Request, view string, data map[string]any) { data["brand"] = "Acme" }
	}, nil)
	resp, err := http.Get(ve.web.URL + "/auth/login?next=/x")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `<p id="custom">Log in Acme /auth/login?next=%2Fx</p>`) {
		t.Errorf("custom login page: %d %s", resp.StatusCode, body)
	}
	if resp.Header.Get("Content-Security-Policy") == "" || resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("page security headers missing: %v", resp.Header)
	}
	if r, _ := http.Get(ve.web.URL + "/login"); r.StatusCode != 404 {
		t.Errorf("unprefixed /login: %d", r.StatusCode)
	}
}

func TestRegisterExtendedFormAndWelcome(t *testing.T) {
	t.Parallel()
	var registered []string
	ve := newViewEnv(t, func(c *gatehouse.Config) {
		c.Registerable = true
		c.Views.OnRegister = func(r *http.Request, u *gatehouse.User, form map[string]string) error {
			if form["nickname"] == "" {
				return gatehouse.FieldErrors{"nickname": {"Pick a nickname"}}
			}
			u.Username = form["nickname"]
			return nil
		}
		c.Hooks.Registered = func(_ context.Context, u *gatehouse.User) { registered = append(registered, u.Email+":"+u.Username) }
	}, nil)
	c := ve.jsonClient()
	c.do("GET", "/register", "")
	status, resp, raw := c.do("POST", "/register", `{"email":"bob@example.com","password":"bob's fine password"}`)
	if status != 400 || !strings.Contains(raw, "Pick a nickname") || resp["field_errors"] == nil {
		t.Fatalf("missing extended field: %d %s", status, raw)
	}
	status, _, raw = c.do("POST", "/register", `{"email":"bob@example.com","password":"bob's fine password","nickname":"bobby"}`)
	if status != 200 {
		t.Fatalf("register: %d %s", status, raw)
	}
	// Not Confirmable: logged in at once, and welcomed without a link.
	if status, _, _ := c.do("GET", "/login", ""); status != 200 {
		t.Error("GET /login after register")
	}
	if len(registered) != 1 || registered[0] != "bob@example.com:bobby" {
		t.Errorf("Registered hook: %v", registered)
	}
	if mails := ve.sent(); len(mails) != 1 || mails[0].Kind != "welcome" || strings.Contains(mails[0].Text, "https://") {
		t.Errorf("mails: %+v", mails)
	}
}

func TestDetailedErrorsOptIn(t *testing.T) {
	t.Parallel()
	ve := newViewEnv(t, func(c *gatehouse.Config) { c.Views.DetailedErrors = true; c.Recoverable = true }, nil)
	c := ve.jsonClient()
	c.do("GET", "/login", "")
	for body, want := range map[string]string{
		`{"email":"nobody@example.com","password":"x"}`:        "Specified user does not exist",
		`{"email":"alice@example.com","password":"wrong one"}`: "Invalid password",
	} {
		if _, _, raw := c.do("POST", "/login", body); !strings.Contains(raw, want) {
			t.Errorf("%s: %s, want %q", body, raw, want)
		}
	}
	if _, _, raw := c.do("POST", "/reset", `{"email":"nobody@example.com"}`); !strings.Contains(raw, "Specified user does not exist") {
		t.Errorf("detailed forgot: %s", raw)
	}
}

func TestPermissionGuards(t *testing.T) {
	t.Parallel()
	ve := newViewEnv(t, func(c *gatehouse.Config) {}, nil)
	cfg := ve.cfg
	cfg.Roles = ve.store
	m, _ := gatehouse.New(cfg)
	ctx := context.Background()
	m.FindOrCreateRole(ctx, "editor", "")
	m.AddPermissions(ctx, "editor", "posts:write")
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	req := func(h http.Handler) int {
		r := httptest.NewRequest("GET", "/", nil)
		r = r.WithContext(gatehouse.NewContext(r.Context(), gatehouse.Principal{User: ve.user, Method: gatehouse.MethodSession}))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec.Code
	}
	if got := req(m.RequirePermissions("posts:write")(ok)); got != 204 {
		t.Errorf("posts:write: %d", got)
	}
	if got := req(m.RequirePermissions("posts:write", "users:write")(ok)); got != 403 {
		t.Errorf("posts:write+users:write: %d", got)
	}
	if got := req(m.RequireAnyPermission("users:write", "posts:write")(ok)); got != 204 {
		t.Errorf("any of users:write, posts:write: %d", got)
	}
	// A session is not a token: browsers are sent to log in.
	if got := req(m.RequireTokenAuth(ok)); got != http.StatusSeeOther {
		t.Errorf("session through RequireTokenAuth: %d", got)
	}
}

func TestRequireCSRFOnAppRoutes(t *testing.T) {
	t.Parallel()
	ve := newViewEnv(t, nil, func(m *gatehouse.Manager, mux *http.ServeMux) {
		mux.Handle("POST /app/thing", m.RequireCSRF(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "done") })))
	})
	c := ve.jsonClient()
	if status, _, _ := c.do("POST", "/app/thing", `{}`); status != 400 {
		t.Errorf("no token: %d", status)
	}
	c.do("GET", "/login", "")
	if status, _, raw := c.do("POST", "/app/thing", `{}`); status != 200 {
		t.Errorf("with token: %d %s", status, raw)
	}
}

func TestPasswordlessFromTheBrowserForm(t *testing.T) {
	t.Parallel()
	ve2 := newViewEnv(t, func(c *gatehouse.Config) { c.Passwordless = true }, nil)
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	page, _ := browser.Get(ve2.web.URL + "/login")
	body, _ := io.ReadAll(page.Body)
	page.Body.Close()
	m := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindSubmatch(body)
	if m == nil || !strings.Contains(string(body), `name="passwordless"`) {
		t.Fatalf("login page lacks the CSRF field or the passwordless form")
	}
	post := func(form url.Values) (*http.Response, string) {
		form.Set("csrf_token", string(m[1]))
		resp, err := browser.PostForm(ve2.web.URL+"/login", form)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	// The password form with no password says so; no mail goes out.
	resp, html := post(url.Values{"email": {"alice@example.com"}, "password": {""}})
	if resp.StatusCode != 400 || !strings.Contains(html, "Password not provided") {
		t.Errorf("empty password: %d", resp.StatusCode)
	}
	// The passwordless form mails a link.
	resp, _ = post(url.Values{"passwordless": {"true"}, "passwordless-email": {"alice@example.com"}})
	if resp.StatusCode != 303 {
		t.Errorf("passwordless form: %d", resp.StatusCode)
	}
	if mails := ve2.sent(); len(mails) != 1 || mails[0].Kind != "login_instructions" || !strings.Contains(mails[0].Text, "https://app.example.com/login/") {
		t.Errorf("mails: %+v", mails)
	}
}

func TestLoginByUsername(t *testing.T) {
	t.Parallel()
	ve := newViewEnv(t, func(c *gatehouse.Config) { c.Views.IdentityAttributes = []string{"email", "username"} }, nil)
	ctx := context.Background()
	name := "alice"
	ve.store.UpdateUser(ctx, ve.user.ID, gatehouse.UserChange{Username: &name, UpdatedAt: time.Now()})
	c := ve.jsonClient()
	c.do("GET", "/login", "")
	if status, _, raw := c.do("POST", "/login", `{"username":"ALICE","password":"correct horse battery"}`); status != 200 {
		t.Errorf("login by username: %d %s", status, raw)
	}
	// Without the attribute, a username is nobody.
	ve2 := newViewEnv(t, nil, nil)
	c2 := ve2.jsonClient()
	c2.do("GET", "/login", "")
	if status, _, _ := c2.do("POST", "/login", `{"username":"alice","password":"correct horse battery"}`); status != 400 {
		t.Errorf("username login without the attribute: %d", status)
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

// A broken template override answers 500 in plain text, and does not
// recurse through the error page.
func TestBrokenTemplateOverride(t *testing.T) {
	t.Parallel()
	ve := newViewEnv(t, func(c *gatehouse.Config) {
		c.Views.Templates = fstest.MapFS{
			"login.html": {Data: []byte(`{{define "content"}}{{index .Form "x" "y"}}{{end}}`)},
			"error.html": {Data: []byte(`{{define "content"}}{{index .Form "x" "y"}}{{end}}`)},
		}
	}, nil)
	req, _ := http.NewRequest("GET", ve.web.URL+"/login", nil)
	req.Header.Set("Accept", "text/html")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 500 || !strings.Contains(string(body), "Internal error.") {
		t.Errorf("broken template: %d %s", resp.StatusCode, body)
	}
}

// Mails are written in the language of the request that caused them,
// durations included.
func TestMailInTheRequestLanguage(t *testing.T) {
	t.Parallel()
	ve := newViewEnv(t, func(c *gatehouse.Config) { c.Recoverable = true }, nil)
	c := ve.jsonClient()
	c.lang = "ja"
	c.do("GET", "/reset", "")
	if status, _, raw := c.do("POST", "/reset", `{"email":"alice@example.com"}`); status != 200 {
		t.Fatalf("forgot: %d %s", status, raw)
	}
	mails := ve.sent()
	if len(mails) != 1 {
		t.Fatalf("%d mails", len(mails))
	}
	m := mails[0]
	if m.Subject != "パスワード再設定の手順" || !strings.Contains(m.Text, "5日で期限切れ") || strings.Contains(m.Text, "days") {
		t.Errorf("Japanese mail: %q\n%s", m.Subject, m.Text)
	}
}
