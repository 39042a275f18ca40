package views_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/views"
)

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

// Texts overrides a shipped language's texts, in pages and mails alike,
// and adds a language gatehouse does not ship; a bad override file is an
// error in New.
func TestTextOverridesAndNewLanguages(t *testing.T) {
	t.Parallel()
	ve := newViewEnv(t, func(c *gatehouse.Config, vc *views.Config) {
		vc.Texts = fstest.MapFS{
			"de.json": {Data: []byte(`{"GENERIC_AUTHN_FAILED": "Nein, so nicht.", "EMAIL_SUBJECT_PASSWORD_RESET": "Neues Passwort für Sie"}`)},
			"sv.json": {Data: []byte(`{"GENERIC_AUTHN_FAILED": "Ogiltigt användarnamn eller lösenord", "UI_RESET_LINK_INTRO": "Klicka på länken för att återställa ditt lösenord:"}`)},
		}
		vc.Recoverable = true
	}, nil)
	for lang, want := range map[string]string{"de": "Nein, so nicht.", "sv-FI": "Ogiltigt användarnamn", "fr": "Nom d'utilisateur ou mot de passe invalide"} {
		c := ve.jsonClient()
		c.lang = lang
		c.do("GET", "/login", "")
		if _, _, raw := c.do("POST", "/login", `{"email":"alice@example.com","password":"wrong password"}`); !strings.Contains(raw, want) {
			t.Errorf("%s: %s, want %q", lang, raw, want)
		}
	}
	// Mails too, off the request, in its language; what sv lacks is English.
	for _, lang := range []string{"de", "sv"} {
		ve.clock.Advance(3 * time.Minute) // past MailConfig.PerAddress: a mail each
		c := ve.jsonClient()
		c.lang = lang
		c.do("GET", "/reset", "")
		if status, _, raw := c.do("POST", "/reset", `{"email":"alice@example.com"}`); status != 200 {
			t.Fatalf("forgot: %d %s", status, raw)
		}
	}
	mails := ve.sent()
	if len(mails) != 2 || mails[0].Subject != "Neues Passwort für Sie" || !strings.Contains(mails[1].Text, "Klicka på länken") || !strings.Contains(mails[1].Text, "The link works once") {
		t.Errorf("mails not in the overridden texts: %+v", mails)
	}
	// A Language hook picks the language; a placeholder lost in an
	// override, or an unknown key, is refused in New.
	ve2 := newViewEnv(t, func(c *gatehouse.Config, vc *views.Config) { vc.Language = func(*http.Request) string { return "de" } }, nil)
	c := ve2.jsonClient()
	c.do("GET", "/login", "")
	if _, _, raw := c.do("POST", "/login", `{"email":"alice@example.com"}`); !strings.Contains(raw, "Kein Passwort angegeben") {
		t.Errorf("Language hook not applied: %s", raw)
	}
	for name, file := range map[string]string{
		"lost placeholder": `{"CONFIRM_REGISTRATION": "Danke."}`,
		"unknown key":      `{"NO_SUCH_KEY": "x"}`,
		"not JSON":         `{`,
	} {
		_, err := views.New(ve.m, views.Config{Texts: fstest.MapFS{"de.json": {Data: []byte(file)}}})
		if err == nil {
			t.Errorf("%s: New accepted the override", name)
		}
	}
}

func TestPrefixTemplatesAndContext(t *testing.T) {
	t.Parallel()
	ve := newViewEnv(t, func(c *gatehouse.Config, vc *views.Config) {
		vc.Prefix = "/auth"
		vc.Templates = fstest.MapFS{"login.html": {Data: []byte(`{{define "content"}}<p id="custom">{{t "UI_LOGIN"}} {{.Extra.brand}} {{.Action}}</p>{{end}}`)}}
		vc.Context = func(r *http.Request, view string, data map[string]any) { data["brand"] = "Acme" }
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
	ve := newViewEnv(t, func(c *gatehouse.Config, vc *views.Config) {
		vc.Registerable = true
		vc.OnRegister = func(r *http.Request, u *gatehouse.User, form map[string]string) error {
			if form["nickname"] == "" {
				return views.FieldErrors{"nickname": {"Pick a nickname"}}
			}
			u.Username = form["nickname"]
			return nil
		}
		vc.Hooks.Registered = func(_ context.Context, u *gatehouse.User) { registered = append(registered, u.Email+":"+u.Username) }
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
	ve := newViewEnv(t, func(c *gatehouse.Config, vc *views.Config) { vc.DetailedErrors = true; vc.Recoverable = true }, nil)
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

func TestRequireCSRFOnAppRoutes(t *testing.T) {
	t.Parallel()
	ve := newViewEnv(t, nil, func(m *gatehouse.Manager, v *views.Views, mux *http.ServeMux) {
		mux.Handle("POST /app/thing", v.RequireCSRF(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "done") })))
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
	ve2 := newViewEnv(t, func(c *gatehouse.Config, vc *views.Config) { vc.Passwordless = true }, nil)
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
	ve := newViewEnv(t, func(c *gatehouse.Config, vc *views.Config) { c.IdentityAttributes = []string{"email", "username"} }, nil)
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

// A broken template override is an error in New; one that breaks only on
// some requests answers 500 in plain text, and does not recurse through
// the error page.
func TestBrokenTemplateOverride(t *testing.T) {
	t.Parallel()
	ve := newViewEnv(t, nil, nil)
	for name, tmpl := range map[string]string{
		"syntax":          `{{define "content"}}{{if}}{{end}}`,
		"fails on render": `{{define "content"}}{{index .Form "x" "y"}}{{end}}`,
	} {
		_, err := views.New(ve.m, views.Config{Templates: fstest.MapFS{"login.html": {Data: []byte(tmpl)}}})
		if err == nil || !strings.Contains(err.Error(), "login.html") {
			t.Errorf("%s: New = %v, want an error naming login.html", name, err)
		}
	}
	// .Lang is set on real requests only: New's trial render passes.
	late := []byte(`{{define "content"}}{{if .Lang}}{{index .Form "x" "y"}}{{end}}{{end}}`)
	ve = newViewEnv(t, func(c *gatehouse.Config, vc *views.Config) {
		vc.Templates = fstest.MapFS{"login.html": {Data: late}, "error.html": {Data: late}}
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
	ve := newViewEnv(t, func(c *gatehouse.Config, vc *views.Config) { vc.Recoverable = true }, nil)
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

// Without a LoginURL, guards send browsers to wherever the login and
// verify views are mounted.
func TestLoginURLFromTheViews(t *testing.T) {
	t.Parallel()
	ve := newViewEnv(t, func(c *gatehouse.Config, vc *views.Config) { c.LoginURL, vc.Prefix = "", "/auth" },
		func(m *gatehouse.Manager, v *views.Views, mux *http.ServeMux) {
			mux.Handle("GET /me", m.RequireLogin(http.NotFoundHandler()))
		})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(ve.web.URL + "/me")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != 303 || loc != "/auth/login?next=%2Fme" {
		t.Errorf("anonymous GET /me: %d to %q, want 303 to /auth/login?next=%%2Fme", resp.StatusCode, loc)
	}
}
