package views_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/internal/testutil"
	"github.com/gatehouse-auth/gatehouse/memstore"
	"github.com/gatehouse-auth/gatehouse/views"
)

// Flask-Security's messages for what the views refuse or drop:
// INVALID_REDIRECT when a login's next leaves the site (the login still
// succeeds, to the default page), ALREADY_CONFIRMED for a confirmation
// asked for an address that has one (with DetailedErrors, as it tells
// the address has an account), and FORGOT_PASSWORD on the login page.
func TestFlaskMessages(t *testing.T) {
	ve := newViewEnv(t, func(c *gatehouse.Config, v *views.Config) {
		v.Recoverable, v.Confirmable, v.DetailedErrors = true, true, true
	}, nil)
	b := ve.browser()
	page := b.get("/login")
	if !strings.Contains(page.body, "Forgot password?") {
		t.Error("no FORGOT_PASSWORD link on the login page")
	}
	got := b.post("/login?next="+url.QueryEscape("https://evil.example/"), map[string]string{"email": "alice@example.com", "password": alicePassword})
	if got.status != http.StatusSeeOther || got.location != "/" {
		t.Fatalf("login with an off-site next: %d to %q", got.status, got.location)
	}
	if home := b.get("/verify"); !strings.Contains(home.body, "Redirections outside the domain are forbidden") {
		t.Error("INVALID_REDIRECT not shown")
	}
	c := ve.jsonClient()
	c.do("GET", "/confirm", "")
	status, _, raw := c.do("POST", "/confirm", `{"email":"alice@example.com"}`)
	if status != 400 || !strings.Contains(raw, "Your email has already been confirmed.") {
		t.Errorf("confirmation for a confirmed address: %d %s", status, raw)
	}
}

// Texts overrides a message as a (text, category) pair, as
// SECURITY_MSG_* does: the flash has both.
func TestMessagePairs(t *testing.T) {
	ve := newViewEnv(t, func(c *gatehouse.Config, v *views.Config) {
		v.Texts = fstest.MapFS{"en.json": {Data: []byte(`{"LOGGED_OUT": ["See you soon.", "info"]}`)}}
	}, nil)
	b := ve.browser()
	b.post("/login", map[string]string{"email": "alice@example.com", "password": alicePassword})
	b.get("/logout")
	page := b.get("/login")
	if !strings.Contains(page.body, `<p class="flash info" role="status">See you soon.</p>`) {
		t.Errorf("the logout flash is not the override's text and category: %s", page.body)
	}
	m, _ := gatehouse.New(engineConfig(memstore.New(), testutil.NewClock()))
	_, err := views.New(m, views.Config{BaseURL: "https://x.example", Texts: fstest.MapFS{"en.json": {Data: []byte(`{"LOGGED_OUT": ["no category"]}`)}},
		Mail: views.MailConfig{Mailer: views.MailerFunc(func(context.Context, *views.Message) error { return nil })}})
	if err == nil {
		t.Error("a one-element pair was accepted")
	}
}

// A wrong current password at /change is Flask-Security's
// PASSWORD_MISMATCH, on its field.
func TestChangeWrongCurrentPassword(t *testing.T) {
	t.Parallel()
	ve := newViewEnv(t, func(_ *gatehouse.Config, v *views.Config) { v.Changeable = true }, nil)
	c := ve.jsonClient()
	c.do("GET", "/login", "")
	if status, _, raw := c.do("POST", "/login", `{"email":"alice@example.com","password":"`+alicePassword+`"}`); status != 200 {
		t.Fatalf("login: %d %s", status, raw)
	}
	status, _, raw := c.do("POST", "/change", `{"password":"not the password","new_password":"a brand new passphrase","new_password_confirm":"a brand new passphrase"}`)
	if status != 400 || !strings.Contains(raw, `"field_errors":{"password":["Password does not match"]}`) {
		t.Errorf("wrong current password: %d %s", status, raw)
	}
}
