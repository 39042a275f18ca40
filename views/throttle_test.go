package views_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/token"
	"github.com/gatehouse-auth/gatehouse/views"
)

// throttleViewEnv trusts the loopback proxy (clients are told apart by
// X-Forwarded-For) and throttles after 3 failures.
func throttleViewEnv(t *testing.T, features func(vc *views.Config)) *viewEnv {
	return newViewEnv(t, func(c *gatehouse.Config, vc *views.Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
		c.Throttle.PerAccountClient = []gatehouse.Limit{{Count: 3, Per: time.Hour}}
		c.Throttle.PerClient = []gatehouse.Limit{{Count: 3, Per: time.Hour}}
		if features != nil {
			features(vc)
		}
	}, func(m *gatehouse.Manager, v *views.Views, mux *http.ServeMux) {})
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// formPost GETs path in a browser from ip and POSTs its form back with
// the fields given, returning the status and page.
func formPost(t *testing.T, browser *http.Client, base, ip, path string, fields url.Values) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+path, nil)
	req.Header.Set("X-Forwarded-For", ip)
	resp, err := browser.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfField.FindSubmatch(page)
	if m == nil {
		t.Fatalf("GET %s: %d, no CSRF field", path, resp.StatusCode)
	}
	fields.Set("csrf_token", string(m[1]))
	req, _ = http.NewRequest("POST", base+path, strings.NewReader(fields.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", ip)
	resp, err = browser.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(body)
}

// Every path that checks a secret goes through the throttle: after 3
// failures from a client, the right secret is refused with 429 too.
func TestEverySecretCheckIsThrottled(t *testing.T) {
	t.Parallel()
	const ip = "198.51.100.20"
	newPW := `"new_password":"a brand new password 7","new_password_confirm":"a brand new password 7"`
	tests := []struct {
		name     string
		features func(vc *views.Config)
		// prepare returns a failing attempt and the right one, each
		// answering a status.
		prepare func(t *testing.T, ve *viewEnv, c *jsonClient) (wrong, right func() int)
	}{
		{"JSON login", nil, func(t *testing.T, ve *viewEnv, c *jsonClient) (func() int, func() int) {
			c.do("GET", "/login", "")
			try := func(pw string) func() int {
				return func() int {
					s, _, _ := c.do("POST", "/login", `{"email":"alice@example.com","password":"`+pw+`"}`)
					return s
				}
			}
			return try("wrong guess"), try(alicePassword)
		}},
		{"form login", nil, func(t *testing.T, ve *viewEnv, _ *jsonClient) (func() int, func() int) {
			jar, _ := cookiejar.New(nil)
			browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			try := func(pw string) func() int {
				return func() int {
					s, page := formPost(t, browser, ve.web.URL, ip, "/login", url.Values{"email": {"alice@example.com"}, "password": {pw}})
					if s == http.StatusTooManyRequests && !strings.Contains(page, "Too many attempts") {
						t.Errorf("the throttled form does not say so:\n%s", page)
					}
					return s
				}
			}
			return try("wrong guess"), try(alicePassword)
		}},
		{"change password", func(vc *views.Config) { vc.Changeable = true }, func(t *testing.T, ve *viewEnv, c *jsonClient) (func() int, func() int) {
			c.do("GET", "/login", "")
			if s, _, raw := c.do("POST", "/login", `{"email":"alice@example.com","password":"`+alicePassword+`"}`); s != 200 {
				t.Fatalf("login: %d %s", s, raw)
			}
			c.do("GET", "/change", "")
			try := func(pw string) func() int {
				return func() int {
					s, _, _ := c.do("POST", "/change", `{"password":"`+pw+`",`+newPW+`}`)
					return s
				}
			}
			return try("wrong guess"), try(alicePassword)
		}},
		{"verify", nil, func(t *testing.T, ve *viewEnv, c *jsonClient) (func() int, func() int) {
			c.do("GET", "/login", "")
			c.do("POST", "/login", `{"email":"alice@example.com","password":"`+alicePassword+`"}`)
			c.do("GET", "/verify", "")
			try := func(pw string) func() int {
				return func() int {
					s, _, _ := c.do("POST", "/verify", `{"password":"`+pw+`"}`)
					return s
				}
			}
			return try("wrong guess"), try(alicePassword)
		}},
		{"confirm link password", func(vc *views.Config) { vc.Confirmable = true }, func(t *testing.T, ve *viewEnv, c *jsonClient) (func() int, func() int) {
			link := ve.unconfirmedLink(t, "dana@example.com", "dana's own password")
			c.do("GET", link, "")
			try := func(pw string) func() int {
				return func() int {
					s, _, _ := c.do("POST", link, `{"password":"`+pw+`"}`)
					return s
				}
			}
			return try("wrong guess"), try("dana's own password")
		}},
		{"confirm link", func(vc *views.Config) { vc.Confirmable = true }, func(t *testing.T, ve *viewEnv, c *jsonClient) (func() int, func() int) {
			link := ve.unconfirmedLink(t, "erin@example.com", "erin's own password")
			c.do("GET", "/confirm", "")
			return ve.linkTries(c, "/confirm/", link, `{"password":"erin's own password"}`)
		}},
		{"reset link", func(vc *views.Config) { vc.Recoverable = true }, func(t *testing.T, ve *viewEnv, c *jsonClient) (func() int, func() int) {
			tok, err := ve.m.IssueToken(context.Background(), views.TokenReset, ve.user, time.Hour, "")
			if err != nil {
				t.Fatal(err)
			}
			c.do("GET", "/reset", "")
			return ve.linkTries(c, "/reset/", "/reset/"+tok, `{"password":"a brand new password 7","password_confirm":"a brand new password 7"}`)
		}},
		{"passwordless link", func(vc *views.Config) { vc.Passwordless = true }, func(t *testing.T, ve *viewEnv, c *jsonClient) (func() int, func() int) {
			link := ve.issueLoginLink(t, "alice@example.com")
			c.do("GET", "/login", "")
			return ve.linkTries(c, "/login/", link, `{"other_device":true}`)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ve := throttleViewEnv(t, tt.features)
			c := ve.jsonClient()
			c.from = ip
			wrong, right := tt.prepare(t, ve, c)
			for i := range 3 {
				if s := wrong(); s != http.StatusBadRequest {
					t.Fatalf("failure %d: %d, want 400", i+1, s)
				}
			}
			if s := right(); s != http.StatusTooManyRequests {
				t.Errorf("the right secret after 3 failures: %d, want 429", s)
			}
			// Another client is not held up by this one's failures.
			other := ve.jsonClient()
			other.from = "203.0.113.77"
			other.do("GET", "/login", "")
			if s, _, raw := other.do("POST", "/login", `{"email":"alice@example.com","password":"`+alicePassword+`"}`); s != 200 {
				t.Errorf("another client's login: %d %s", s, raw)
			}
		})
	}
}

// unconfirmedLink stores an unconfirmed user and returns the path of a
// confirmation link for it.
func (ve *viewEnv) unconfirmedLink(t *testing.T, email, pw string) string {
	t.Helper()
	ctx := context.Background()
	u := &gatehouse.User{Email: email, Active: true}
	if err := ve.m.CreateUser(ctx, u, pw); err != nil {
		t.Fatal(err)
	}
	tok, err := ve.m.IssueToken(ctx, views.TokenConfirm, u, time.Hour, "")
	if err != nil {
		t.Fatal(err)
	}
	return "/confirm/" + tok
}

// linkTries are a made-up link under prefix (well-formed: a malformed
// one costs nothing and counts for nothing), and the real one, POSTed
// with body.
func (ve *viewEnv) linkTries(c *jsonClient, prefix, real, body string) (wrong, right func() int) {
	wrong = func() int {
		s, _, _ := c.do("POST", prefix+token.NewOneTime().Token, body)
		return s
	}
	right = func() int {
		s, _, _ := c.do("POST", real, body)
		return s
	}
	return wrong, right
}

// With Lockout, the owner of a locked account is mailed a reset link, and
// resetting the password unlocks the account.
func TestLockoutMailsAnUnlockLink(t *testing.T) {
	t.Parallel()
	ve := newViewEnv(t, func(c *gatehouse.Config, vc *views.Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
		c.Throttle.Lockout = gatehouse.Limit{Count: 3, Per: time.Hour}
		vc.Recoverable = true
	}, nil)
	for i := range 3 {
		c := ve.jsonClient()
		c.from = "198.51.100." + string(rune('1'+i))
		c.do("GET", "/login", "")
		c.do("POST", "/login", `{"email":"alice@example.com","password":"wrong guess"}`)
	}
	owner := ve.jsonClient()
	owner.from = "203.0.113.5"
	owner.do("GET", "/login", "")
	if s, _, _ := owner.do("POST", "/login", `{"email":"alice@example.com","password":"`+alicePassword+`"}`); s != http.StatusTooManyRequests {
		t.Fatalf("locked account, right password: %d, want 429", s)
	}
	if n := ve.mailsTo("alice@example.com"); n["unlock_instructions"] != 1 {
		t.Fatalf("mails to the owner: %v, want one unlock_instructions", n)
	}
	link := ve.linkPath(t, "alice@example.com")
	owner.do("GET", link, "")
	if s, _, raw := owner.do("POST", link, `{"password":"a brand new password 8","password_confirm":"a brand new password 8"}`); s != 200 {
		t.Fatalf("reset through the unlock link: %d %s", s, raw)
	}
	again := ve.jsonClient()
	again.from = "203.0.113.5"
	again.do("GET", "/login", "")
	if s, _, raw := again.do("POST", "/login", `{"email":"alice@example.com","password":"a brand new password 8"}`); s != 200 {
		t.Errorf("login after unlocking: %d %s", s, raw)
	}
}

// A stranger cannot use up the mails an address may be sent, nor bomb
// it: requests are refused per client and per address and client, and
// mails to one address are merged to one every 2 minutes, whoever asks,
// so the owner always has a working link.
func TestMailQuotaPerAddressAndClient(t *testing.T) {
	t.Parallel()
	ve := newViewEnv(t, func(c *gatehouse.Config, vc *views.Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
		vc.Recoverable = true
	}, nil)
	forgot := func(from string) int {
		c := ve.jsonClient()
		c.from = from
		c.do("GET", "/reset", "")
		s, _, _ := c.do("POST", "/reset", `{"email":"alice@example.com"}`)
		return s
	}
	for i := range 5 {
		if s := forgot("198.51.100.30"); s != 200 {
			t.Fatalf("stranger's request %d: %d", i+1, s)
		}
	}
	if s := forgot("198.51.100.30"); s != http.StatusTooManyRequests {
		t.Errorf("stranger's 6th request: %d, want 429", s)
	}
	for i := range 10 { // strangers from many addresses
		for range 5 {
			forgot(fmt.Sprintf("198.51.100.%d", 100+i))
		}
	}
	if n := ve.mailsTo("alice@example.com"); n["reset_instructions"] != 1 {
		t.Errorf("55 requests within 2 minutes sent %v, want one mail", n)
	}
	// The owner asks too: answered, and the link in the inbox works.
	if s := forgot("203.0.113.31"); s != 200 {
		t.Fatalf("the owner's request after the strangers': %d, want 200", s)
	}
	owner := ve.jsonClient()
	link := ve.linkPath(t, "alice@example.com")
	owner.do("GET", link, "")
	if s, _, raw := owner.do("POST", link, `{"password":"a brand new password 9","password_confirm":"a brand new password 9"}`); s != 200 {
		t.Errorf("the owner's reset with the mailed link: %d %s", s, raw)
	}
	// Two minutes on, a request sends a new mail.
	ve.clock.Advance(2 * time.Minute)
	forgot("203.0.113.31")
	if n := ve.mailsTo("alice@example.com"); n["reset_instructions"] != 2 {
		t.Errorf("after 2 minutes: %v, want a second mail", n)
	}
}
