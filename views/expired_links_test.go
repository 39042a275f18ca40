package views_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/views"
)

// lastLink is the path of the link in the last mail sent.
func (ve *viewEnv) lastLink(t *testing.T) (string, int) {
	t.Helper()
	mails := ve.sent()
	if len(mails) == 0 {
		t.Fatal("no mail")
	}
	return strings.TrimPrefix(linkIn(mails[len(mails)-1].Text), "https://app.example.com"), len(mails)
}

// A reset or confirmation link that expired says so
// (PASSWORD_RESET_EXPIRED, CONFIRMATION_EXPIRED) and mails a new one,
// which works; a forged link stays "invalid" and mails nothing.
func TestExpiredLinks(t *testing.T) {
	ve := newViewEnv(t, func(c *gatehouse.Config, v *views.Config) {
		v.Recoverable, v.Confirmable, v.Registerable = true, true, true
		v.Mail.PerAddress = gatehouse.Limit{Count: 100, Per: time.Second}
	}, nil)
	c := ve.jsonClient()
	c.do("GET", "/reset", "")
	if status, _, raw := c.do("POST", "/reset", `{"email":"alice@example.com"}`); status != 200 {
		t.Fatalf("forgot: %d %s", status, raw)
	}
	link, sent := ve.lastLink(t)
	ve.clock.Advance(6 * 24 * time.Hour) // past ResetWithin (5 days)

	forged := link[:len(link)-3] + "AAA"
	status, _, raw := c.do("GET", forged, "")
	if status != 400 || !strings.Contains(raw, "Invalid reset password token") {
		t.Errorf("a forged link: %d %s", status, raw)
	}
	status, _, raw = c.do("GET", link, "")
	if status != 400 || !strings.Contains(raw, "You did not reset your password within 5 days.") ||
		!strings.Contains(raw, "Instructions to reset your password have been sent to alice@example.com.") {
		t.Fatalf("an expired reset link: %d %s", status, raw)
	}
	fresh, now := ve.lastLink(t)
	if now != sent+1 || fresh == link {
		t.Fatalf("no new link mailed (%d mails, was %d)", now, sent)
	}
	c.do("GET", fresh, "") // a CSRF token for the session that outlived the old one
	if status, _, raw := c.do("POST", fresh, `{"password":"a new passphrase 77","password_confirm":"a new passphrase 77"}`); status != 200 {
		t.Errorf("the new link: %d %s", status, raw)
	}

	// Confirmation, in a browser: back to the page that sends one, with
	// the message as a flash.
	b := ve.browser()
	if got := b.post("/register", map[string]string{"email": "bob@example.com", "password": "bob's passphrase 1", "password_confirm": "bob's passphrase 1"}); got.status >= 400 {
		t.Fatalf("register: %d", got.status)
	}
	link, sent = ve.lastLink(t)
	ve.clock.Advance(6 * 24 * time.Hour)
	got := b.get(link)
	if got.status != http.StatusSeeOther || !strings.HasSuffix(got.location, "/confirm") {
		t.Fatalf("an expired confirmation link: %d to %q", got.status, got.location)
	}
	page := b.get(got.location)
	if !strings.Contains(page.body, "You did not confirm your email within 5 days.") || !strings.Contains(page.body, "Confirmation instructions have been sent to bob@example.com.") {
		t.Errorf("the confirm page after an expired link does not say so: %s", page.body)
	}
	if _, now := ve.lastLink(t); now != sent+1 {
		t.Errorf("no new confirmation link mailed")
	}
}

// CONFIRM_ERROR_VIEW and RESET_ERROR_VIEW: bad links send browsers where
// the app says, with the message as a flash.
func TestLinkErrorURLs(t *testing.T) {
	ve := newViewEnv(t, func(c *gatehouse.Config, v *views.Config) {
		v.Recoverable, v.Confirmable = true, true
		v.ConfirmErrorURL, v.ResetErrorURL = "/app/confirm-failed", "/app/reset-failed"
	}, nil)
	b := ve.browser()
	for path, want := range map[string]string{
		"/confirm/AAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB": "/app/confirm-failed",
		"/reset/AAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB":   "/app/reset-failed",
	} {
		if got := b.get(path); got.status != http.StatusSeeOther || got.location != want {
			t.Errorf("%s: %d to %q, want %q", path, got.status, got.location, want)
		}
	}
}

// A passwordless link that expired says so (LOGIN_EXPIRED) and mails a
// new one, bound to the browser that opened the old one.
func TestExpiredLoginLink(t *testing.T) {
	ve := newViewEnv(t, func(c *gatehouse.Config, v *views.Config) { v.Passwordless = true }, nil)
	c := ve.jsonClient()
	c.do("GET", "/login", "")
	if status, _, raw := c.do("POST", "/login", `{"email":"alice@example.com"}`); status != 200 {
		t.Fatalf("passwordless request: %d %s", status, raw)
	}
	link, sent := ve.lastLink(t)
	ve.clock.Advance(25 * time.Hour) // past LoginWithin (1 day)
	status, _, raw := c.do("GET", link, "")
	if status != 400 || !strings.Contains(raw, "You did not login within 1 day. New instructions to login have been sent to alice@example.com.") {
		t.Fatalf("an expired login link: %d %s", status, raw)
	}
	fresh, now := ve.lastLink(t)
	if now != sent+1 {
		t.Fatal("no new login link mailed")
	}
	c.do("GET", fresh, "")
	if status, resp, raw := c.do("POST", fresh, `{}`); status != 200 || resp["user"] == nil {
		t.Errorf("the new link, in the browser that opened the old one: %d %s", status, raw)
	}
}
