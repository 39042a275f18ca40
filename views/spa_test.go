package views_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/internal/testutil"
	"github.com/gatehouse-auth/gatehouse/memstore"
	"github.com/gatehouse-auth/gatehouse/views"
)

// spaEnv runs the views for a single-page app on another origin.
func spaEnv(t *testing.T, change func(vc *views.Config)) *viewEnv {
	return newViewEnv(t, func(c *gatehouse.Config, vc *views.Config) {
		vc.Registerable, vc.Confirmable, vc.Recoverable, vc.Passwordless = true, true, true, true
		vc.Mail.PerAddress = gatehouse.Limit{Count: 100, Per: time.Second}
		vc.SPA = views.SPAConfig{Enabled: true,
			ResetView: "http://localhost:5173/reset-password", ConfirmView: "http://localhost:5173/confirm",
			LoginView: "http://localhost:5173/magic", LoginErrorView: "http://localhost:5173/login-error"}
		vc.ResetErrorURL, vc.ConfirmErrorURL = "http://localhost:5173/reset-error", "/confirm-error?from=mail"
		if change != nil {
			change(vc)
		}
	}, nil)
}

// query parses where a redirect went, failing unless it went to prefix.
func query(t *testing.T, got answer, prefix string) url.Values {
	t.Helper()
	if got.status != http.StatusSeeOther || !strings.HasPrefix(got.location, prefix+"?") {
		t.Fatalf("went %d to %q, want %s?...", got.status, got.location, prefix)
	}
	u, err := url.Parse(got.location)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

// REDIRECT_BEHAVIOR = "spa": mailed links send browsers to the app's own
// pages with the token (never acting on GET), and bad or expired ones to
// its error pages with the message in the query; JSON is unchanged.
func TestSPARedirects(t *testing.T) {
	t.Parallel()
	ve := spaEnv(t, nil)

	// Reset: the token, and no identity.
	c := ve.jsonClient()
	c.do("GET", "/reset", "")
	if status, _, raw := c.do("POST", "/reset", `{"email":"alice@example.com"}`); status != 200 {
		t.Fatalf("forgot: %d %s", status, raw)
	}
	link := ve.linkPath(t, "alice@example.com")
	b := ve.browser()
	q := query(t, b.get(link), "http://localhost:5173/reset-password")
	token := strings.TrimPrefix(link, "/reset/")
	if q.Get("token") != token || q.Has("email") || q.Has("identity") {
		t.Errorf("reset redirect query: %v", q)
	}
	// The app POSTs the new password with the token: the link was not used up.
	b.get("/login") // a CSRF token for this browser
	req, _ := http.NewRequest("POST", b.base+link, strings.NewReader(`{"password":"a new passphrase 77","password_confirm":"a new passphrase 77","csrf_token":"`+b.csrf+`"}`))
	req.Header.Set("Content-Type", "application/json")
	if got := b.send(req); got.status != http.StatusOK {
		t.Fatalf("reset POST after the SPA redirect: %d %s", got.status, got.body)
	}
	q = query(t, b.get(link), "http://localhost:5173/reset-error")
	if !strings.Contains(q.Get("error"), "Invalid reset password token") {
		t.Errorf("used reset link: %v", q)
	}

	// Confirm: token, identity and whether the password is needed; the
	// app's relative error URL keeps its own query.
	confirm := ve.unconfirmedLink(t, "bob@example.com", "bob's passphrase 1")
	q = query(t, ve.browser().get(confirm), "http://localhost:5173/confirm")
	if q.Get("token") != strings.TrimPrefix(confirm, "/confirm/") || q.Get("email") != "bob@example.com" || q.Get("identity") != "bob@example.com" || q.Get("password_required") != "true" {
		t.Errorf("confirm redirect query: %v", q)
	}
	q = query(t, ve.browser().get(confirm[:len(confirm)-3]+"AAA"), "/confirm-error")
	if q.Get("from") != "mail" || !strings.Contains(q.Get("error"), "Invalid confirmation token") {
		t.Errorf("forged confirm link: %v", q)
	}
	ve.clock.Advance(2 * time.Hour) // past the test link's hour: expired, and a new one is mailed
	q = query(t, ve.browser().get(confirm), "/confirm-error")
	if !strings.Contains(q.Get("error"), "You did not confirm your email within") {
		t.Errorf("expired confirm link: %v", q)
	}

	// Passwordless: the token and identity; the POST logs in the browser.
	lb := ve.browser()
	lb.post("/login", map[string]string{"passwordless": "true", "passwordless-email": "alice@example.com"})
	login := ve.linkPath(t, "alice@example.com")
	q = query(t, lb.get(login), "http://localhost:5173/magic")
	if q.Get("token") != strings.TrimPrefix(login, "/login/") || q.Get("identity") != "alice@example.com" || q.Get("other_device") != "false" {
		t.Errorf("login link redirect query: %v", q)
	}
	q = query(t, ve.browser().get(login), "http://localhost:5173/magic")
	if q.Get("other_device") != "true" {
		t.Errorf("login link opened in another browser: %v", q)
	}
	if got := lb.post(login, nil); got.status != http.StatusSeeOther {
		t.Fatalf("login link POST: %d %s", got.status, got.body)
	}
	q = query(t, ve.browser().get(login), "http://localhost:5173/login-error")
	if !strings.Contains(q.Get("error"), "Invalid login token") {
		t.Errorf("used login link: %v", q)
	}

	// JSON clients get JSON, as without SPA.
	jc := ve.jsonClient()
	if status, _, _ := jc.do("GET", "/reset/forged.token", ""); status != http.StatusBadRequest {
		t.Errorf("JSON GET of a bad link: %d", status)
	}
}

// With ConfirmOnGet, the link confirms at once and the browser lands on
// PostConfirmURL with the identity and the message.
func TestSPAConfirmOnGet(t *testing.T) {
	t.Parallel()
	ve := spaEnv(t, func(vc *views.Config) {
		vc.ConfirmOnGet, vc.SPA.ConfirmView = true, ""
		vc.PostConfirmURL = "http://localhost:5173/confirmed"
	})
	link := ve.unconfirmedLink(t, "carol@example.com", "carol's passphrase 1")
	q := query(t, ve.browser().get(link), "http://localhost:5173/confirmed")
	if q.Get("email") != "carol@example.com" || !strings.Contains(q.Get("success"), "Thank you. Your email has been confirmed.") {
		t.Errorf("confirmed redirect query: %v", q)
	}
	q = query(t, ve.browser().get(link), "/confirm-error")
	if q.Get("error") == "" {
		t.Errorf("second use: %v", q)
	}
}

// New names every SPA URL the enabled features need.
func TestSPAConfigChecked(t *testing.T) {
	t.Parallel()
	m, err := gatehouse.New(engineConfig(memstore.New(), testutil.NewClock()))
	if err != nil {
		t.Fatal(err)
	}
	_, err = views.New(m, views.Config{Recoverable: true, Passwordless: true, ChangeEmail: true, BaseURL: "https://app.example.com",
		Mail: views.MailConfig{Mailer: views.MailerFunc(nil)}, SPA: views.SPAConfig{Enabled: true, ResetView: "javascript:alert(1)"}})
	for _, want := range []string{"SPA.ResetView", "ResetErrorURL", "SPA.LoginView", "SPA.LoginErrorView", "SPA.ChangeEmailView", "ChangeEmailErrorURL"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New without %s: %v", want, err)
		}
	}
	if err != nil && strings.Contains(err.Error(), "SPA.ConfirmView") {
		t.Errorf("ConfirmView asked for without Confirmable: %v", err)
	}
}
