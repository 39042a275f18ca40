package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/mail"
	"github.com/gatehouse-auth/gatehouse/password"
	"github.com/gatehouse-auth/gatehouse/sqlitestore"
)

// client is a JSON API client with a cookie jar.
type client struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
}

func (c *client) do(method, path, body string) (int, string) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, strings.NewReader(body))
	req.Header.Set("Accept", "application/json")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("X-CSRF-Token", c.csrf)
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var env struct {
		Response struct {
			CSRF string `json:"csrf_token"`
		} `json:"response"`
	}
	if json.Unmarshal(raw, &env) == nil && env.Response.CSRF != "" {
		c.csrf = env.Response.CSRF
	}
	return resp.StatusCode, string(raw)
}

func (c *client) cookie(name string) string {
	u, _ := url.Parse(c.base)
	for _, ck := range c.c.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

func newClient(t *testing.T, base string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *client) login(email, pw string, remember bool) int {
	c.t.Helper()
	c.do("GET", "/login", "")
	body, _ := json.Marshal(map[string]any{"email": email, "password": pw, "remember": remember})
	status, _ := c.do("POST", "/login", string(body))
	return status
}

// The application's table serves logins as it is, bcrypt hashes and all;
// what it has no columns for (stamps, revocations) Gatehouse keeps
// itself, so a password change still ends other sessions, a remember
// cookie copied before logout still restores nothing, and the app's own
// "enabled" flag still locks a user out at once.
func TestExistingTable(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", sqlitestore.DSN(filepath.Join(t.TempDir(), "app.db")))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE accounts (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL, pw TEXT,
		enabled INTEGER NOT NULL DEFAULT 1, plan TEXT NOT NULL DEFAULT 'free')`); err != nil {
		t.Fatal(err)
	}
	legacy, err := password.Bcrypt{Cost: 4}.Hash("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO accounts (email, pw, plan) VALUES ('Ada@Example.com', ?, 'pro')`, legacy); err != nil {
		t.Fatal(err)
	}
	s, err := newSite(ctx, db, []byte("an example key of thirty-two bytes or more"), &mail.Mailbox{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.handler)
	defer srv.Close()

	a := newClient(t, srv.URL)
	if status := a.login("ada@example.com", "correct horse battery", true); status != 200 {
		t.Fatalf("login with the app's bcrypt hash: %d", status)
	}
	if status, body := a.do("GET", "/", ""); status != 200 || body != "Ada@Example.com, on the pro plan" {
		t.Fatalf("home: %d %q", status, body)
	}
	var pw string
	db.QueryRow(`SELECT pw FROM accounts WHERE id = 1`).Scan(&pw)
	if !strings.HasPrefix(pw, "$argon2id$") {
		t.Errorf("the hash was not upgraded on login: %.20s", pw)
	}

	// A copy of the remember cookie, taken before logout, restores nothing.
	copied := a.cookie("remember_token")
	if copied == "" {
		t.Fatal("no remember cookie")
	}
	if status, _ := a.do("POST", "/logout", "{}"); status != 200 {
		t.Fatalf("logout: %d", status)
	}
	replay := newClient(t, srv.URL)
	u, _ := url.Parse(srv.URL)
	replay.c.Jar.SetCookies(u, []*http.Cookie{{Name: "remember_token", Value: copied, Path: "/"}})
	if status, _ := replay.do("GET", "/", ""); status != http.StatusUnauthorized {
		t.Errorf("remember cookie replayed after logout: %d", status)
	}

	// A password change ends the user's other sessions.
	a.login("ada@example.com", "correct horse battery", false)
	b := newClient(t, srv.URL)
	b.login("ada@example.com", "correct horse battery", false)
	if status, raw := a.do("POST", "/change", `{"password":"correct horse battery","new_password":"a brand new passphrase","new_password_confirm":"a brand new passphrase"}`); status != 200 {
		t.Fatalf("change: %d %s", status, raw)
	}
	if status, _ := b.do("GET", "/", ""); status != http.StatusUnauthorized {
		t.Errorf("another session outlived the password change: %d", status)
	}
	if status, _ := a.do("GET", "/", ""); status != 200 {
		t.Errorf("the changing session ended: %d", status)
	}

	// The app disables the account its own way.
	if _, err := db.Exec(`UPDATE accounts SET enabled = 0 WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	if status, _ := a.do("GET", "/", ""); status != http.StatusUnauthorized {
		t.Errorf("a disabled account's session still works: %d", status)
	}
}
