package views_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/views"
)

// linkPath is the path of the one link in the last mail to to.
func (ve *viewEnv) linkPath(t *testing.T, to string) string {
	t.Helper()
	mails := ve.sent()
	for i := len(mails) - 1; i >= 0; i-- {
		if mails[i].To == to {
			l := linkIn(mails[i].Text)
			if l == "" {
				t.Fatalf("no link in %q:\n%s", mails[i].Subject, mails[i].Text)
			}
			return strings.TrimPrefix(l, "https://app.example.com")
		}
	}
	t.Fatalf("no mail to %s", to)
	return ""
}

// mailsTo counts the mails to an address, by kind.
func (ve *viewEnv) mailsTo(to string) map[string]int {
	n := map[string]int{}
	for _, m := range ve.sent() {
		if m.To == to {
			n[m.Kind]++
		}
	}
	return n
}

func confirmEnv(t *testing.T, change func(c *gatehouse.Config, vc *views.Config)) *viewEnv {
	return newViewEnv(t, func(c *gatehouse.Config, vc *views.Config) {
		vc.Registerable, vc.Confirmable = true, true
		if change != nil {
			change(c, vc)
		}
	}, nil)
}

func (c *jsonClient) me() int {
	c.t.Helper()
	status, _, _ := c.do("GET", "/me", "")
	return status
}

// register signs up over JSON and checks the answer.
func (c *jsonClient) register(email, pw string) string {
	c.t.Helper()
	if c.csrf == "" {
		c.do("GET", "/register", "")
	}
	status, _, raw := c.do("POST", "/register", `{"email":"`+email+`","password":"`+pw+`"}`)
	if status != 200 {
		c.t.Fatalf("register %s: %d %s", email, status, raw)
	}
	return raw
}

// A confirmation link opened (GET or HEAD) confirms nothing and is not
// used up; its page's POST must prove the password or choose a new one.
func TestConfirmLinkNeedsAClickAndTheMailbox(t *testing.T) {
	t.Parallel()
	ve := confirmEnv(t, nil)
	ve.web.Config.Handler = ve.m.Authenticate(withMe(ve))
	c := ve.jsonClient()
	c.register("dana@example.com", "dana's own password")
	link := ve.linkPath(t, "dana@example.com")
	for _, method := range []string{"GET", "HEAD", "GET"} {
		req, _ := http.NewRequest(method, ve.web.URL+link, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s link: %d", method, resp.StatusCode)
		}
	}
	if u, _ := ve.m.FindUser(context.Background(), "dana@example.com"); u.IsConfirmed() {
		t.Fatal("opening the link confirmed the address")
	}
	// No proof: refused, token kept.
	c.do("GET", link, "")
	if status, _, raw := c.do("POST", link, `{}`); status != 400 || !strings.Contains(raw, "password") {
		t.Errorf("POST without a password: %d %s", status, raw)
	}
	if status, _, raw := c.do("POST", link, `{"password":"a wrong guess"}`); status != 400 {
		t.Errorf("POST with a wrong password: %d %s", status, raw)
	}
	if status, _, raw := c.do("POST", link, `{"password":"dana's own password"}`); status != 200 {
		t.Fatalf("POST with the password: %d %s", status, raw)
	}
	u, _ := ve.m.FindUser(context.Background(), "dana@example.com")
	if !u.IsConfirmed() {
		t.Error("not confirmed")
	}
	if c.me() == 200 {
		t.Error("confirming logged in, with AutoLoginAfterConfirm off")
	}
	if status, _, _ := c.do("POST", link, `{"password":"dana's own password"}`); status != 400 {
		t.Errorf("the link worked twice: %d", status)
	}
}

// withMe serves ve's views plus GET /me (401 when anonymous).
func withMe(ve *viewEnv) http.Handler {
	mux := http.NewServeMux()
	ve.v.Mount(mux)
	mux.Handle("GET /me", ve.m.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := gatehouse.CurrentUser(r.Context())
		fmt.Fprint(w, u.Email)
	})))
	mux.Handle("GET /fresh", ve.m.RequireFresh(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "fresh")
	})))
	return mux
}

// Account pre-hijacking: an attacker registers the victim's address with a
// password of theirs. The victim confirms by the mailed link, which has
// them choose the password: the attacker's no longer works, and a session
// the attacker made before (LoginWithoutConfirmation) ends.
func TestPreHijackingFails(t *testing.T) {
	t.Parallel()
	ve := confirmEnv(t, func(c *gatehouse.Config, vc *views.Config) { vc.LoginWithoutConfirmation = true })
	ve.web.Config.Handler = ve.m.Authenticate(withMe(ve))
	attacker := ve.jsonClient()
	attacker.register("victim@example.com", "attacker's password")
	if attacker.me() != 200 {
		t.Fatal("the attacker is not logged in (LoginWithoutConfirmation)")
	}
	link := ve.linkPath(t, "victim@example.com")

	victim := ve.jsonClient()
	victim.do("GET", link, "")
	status, _, raw := victim.do("POST", link, `{"new_password":"the victim's choice","new_password_confirm":"the victim's choice"}`)
	if status != 200 {
		t.Fatalf("confirm with a new password: %d %s", status, raw)
	}
	if attacker.me() == 200 {
		t.Error("the attacker's session survived the confirmation")
	}
	ctx := context.Background()
	if _, err := ve.m.VerifyPassword(ctx, "victim@example.com", "attacker's password"); err == nil {
		t.Error("the attacker's password still works")
	}
	if _, err := ve.m.VerifyPassword(ctx, "victim@example.com", "the victim's choice"); err != nil {
		t.Errorf("the victim's password: %v", err)
	}
}

// With AutoLoginAfterConfirm the confirmer is logged in, after the proof;
// with ConfirmOnGet a GET confirms (Flask-Security's way), logging no one in.
func TestConfirmOptions(t *testing.T) {
	t.Parallel()
	auto := confirmEnv(t, func(c *gatehouse.Config, vc *views.Config) { vc.AutoLoginAfterConfirm = true })
	auto.web.Config.Handler = auto.m.Authenticate(withMe(auto))
	c := auto.jsonClient()
	c.register("erin@example.com", "erin's password 1")
	link := auto.linkPath(t, "erin@example.com")
	c.do("GET", link, "")
	if status, resp, raw := c.do("POST", link, `{"password":"erin's password 1"}`); status != 200 || resp["user"] == nil {
		t.Fatalf("confirm: %d %s", status, raw)
	}
	if c.me() != 200 {
		t.Error("AutoLoginAfterConfirm did not log in")
	}

	onGet := confirmEnv(t, func(c *gatehouse.Config, vc *views.Config) { vc.ConfirmOnGet = true })
	onGet.web.Config.Handler = onGet.m.Authenticate(withMe(onGet))
	g := onGet.jsonClient()
	g.register("fay@example.com", "fay's password 12")
	link = onGet.linkPath(t, "fay@example.com")
	if status, _, raw := g.do("GET", link, ""); status != 200 {
		t.Fatalf("GET with ConfirmOnGet: %d %s", status, raw)
	}
	if u, _ := onGet.m.FindUser(context.Background(), "fay@example.com"); !u.IsConfirmed() {
		t.Error("ConfirmOnGet did not confirm")
	}
	if g.me() == 200 {
		t.Error("a GET logged someone in")
	}
}

// A passwordless link opened (GET, HEAD) logs no one in and stays usable;
// the POST logs in, but asks first when the link was asked for in another
// browser, or when another user is logged in here.
func TestPasswordlessLinkNeedsAClick(t *testing.T) {
	t.Parallel()
	ve := newViewEnv(t, func(c *gatehouse.Config, vc *views.Config) { vc.Passwordless = true }, nil)
	ve.web.Config.Handler = ve.m.Authenticate(withMe(ve))
	asker := ve.jsonClient()
	asker.do("GET", "/login", "")
	if status, _, raw := asker.do("POST", "/login", `{"email":"alice@example.com"}`); status != 200 {
		t.Fatalf("ask for a link: %d %s", status, raw)
	}
	link := ve.linkPath(t, "alice@example.com")
	for _, method := range []string{"GET", "HEAD"} {
		req, _ := http.NewRequest(method, ve.web.URL+link, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s: %d", method, resp.StatusCode)
		}
	}
	// Another browser: asked first.
	other := ve.jsonClient()
	other.do("GET", link, "")
	if status, resp, raw := other.do("POST", link, `{}`); status != 400 || resp["field_errors"] == nil || !strings.Contains(raw, "other_device") {
		t.Errorf("another browser, unasked: %d %s", status, raw)
	}
	if other.me() == 200 {
		t.Fatal("logged in without confirming")
	}
	// The browser that asked: logged in with one click.
	asker.do("GET", link, "")
	if status, _, raw := asker.do("POST", link, `{}`); status != 200 {
		t.Fatalf("the asking browser: %d %s", status, raw)
	}
	if asker.me() != 200 {
		t.Error("not logged in")
	}

	// Logged in as someone else (bob): asked first, then switched.
	ve.addUser("bob@example.com", "bob's password 12")
	asker.do("POST", "/logout", "")
	asker.do("GET", "/login", "")
	asker.do("POST", "/login", `{"email":"bob@example.com","password":"bob's password 12"}`)
	if asker.me() != 200 {
		t.Fatal("bob is not logged in")
	}
	link2 := ve.issueLoginLink(t, "alice@example.com")
	asker.do("GET", link2, "")
	if status, _, raw := asker.do("POST", link2, `{"other_device":true}`); status != 400 || !strings.Contains(raw, "switch") {
		t.Errorf("switching users unasked: %d %s", status, raw)
	}
	if status, _, raw := asker.do("POST", link2, `{"other_device":true,"switch":true}`); status != 200 {
		t.Errorf("switching when asked: %d %s", status, raw)
	}
}

// issueLoginLink makes a login link for email directly (no browser binding).
func (ve *viewEnv) issueLoginLink(t *testing.T, email string) string {
	t.Helper()
	u, err := ve.m.FindUser(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := ve.m.IssueToken(context.Background(), views.TokenLogin, u, time.Hour, "")
	if err != nil {
		t.Fatal(err)
	}
	return "/login/" + tok
}

// Registration answers a taken address exactly as a new one, and mails the
// owner instead; it is for anonymous visitors, and rate-limited per client.
func TestRegisterWithoutEnumeration(t *testing.T) {
	t.Parallel()
	ve := confirmEnv(t, func(c *gatehouse.Config, vc *views.Config) {
		vc.Recoverable, vc.RegisterPerIP = true, gatehouse.Limit{Count: 4, Per: time.Hour}
	})
	c := ve.jsonClient()
	c.do("GET", "/register", "")
	newOne := c.register("new@example.com", "a fine password 9")
	taken := c.register("alice@example.com", "a fine password 9")
	if newOne != taken {
		t.Errorf("a taken address answers differently:\nnew:   %s\ntaken: %s", newOne, taken)
	}
	if n := ve.mailsTo("alice@example.com"); n["register_notice"] != 1 {
		t.Errorf("alice's mails: %v, want a register notice", n)
	}
	if got, _ := ve.m.FindUser(context.Background(), "alice@example.com"); got.ID != ve.user.ID {
		t.Error("the taken account changed")
	}
	// Unconfirmed and taken: the confirmation mail again; once more within
	// MailConfig.PerAddress, merged with that one.
	c.register("new@example.com", "another password 9")
	if n := ve.mailsTo("new@example.com"); n["welcome"] != 1 || n["confirmation_instructions"] != 1 {
		t.Errorf("mails to the unconfirmed address: %v", n)
	}
	c.register("new@example.com", "another password 9")
	if n := ve.mailsTo("new@example.com"); n["confirmation_instructions"] != 1 {
		t.Errorf("mails to the unconfirmed address, moments later: %v (want the one just sent only)", n)
	}
	// Rate-limited per client: the 5th from here is refused.
	status, _, _ := c.do("POST", "/register", `{"email":"fifth@example.com","password":"a fine password 9"}`)
	if status != http.StatusTooManyRequests {
		t.Errorf("5th registration from one client: %d, want 429", status)
	}
	// Logged in: not for you.
	li := ve.jsonClient()
	li.do("GET", "/login", "")
	li.do("POST", "/login", `{"email":"alice@example.com","password":"`+alicePassword+`"}`)
	if status, _, raw := li.do("POST", "/register", `{"email":"x@example.com","password":"a fine password 9"}`); status != 400 || !strings.Contains(raw, "not logged in") {
		t.Errorf("register while logged in: %d %s", status, raw)
	}
	if status, _, raw := li.do("POST", "/reset", `{"email":"alice@example.com"}`); status != 400 || !strings.Contains(raw, "not logged in") {
		t.Errorf("forgot while logged in: %d %s", status, raw)
	}
}

// An account left unconfirmed past the confirmation window gives way to a
// new registration of its address.
func TestUnconfirmedAccountsExpire(t *testing.T) {
	t.Parallel()
	ve := confirmEnv(t, nil)
	c := ve.jsonClient()
	c.register("late@example.com", "first password 12")
	first, _ := ve.m.FindUser(context.Background(), "late@example.com")
	ve.clock.Advance(6 * 24 * time.Hour)
	c = ve.jsonClient()
	c.register("late@example.com", "second password 12")
	second, _ := ve.m.FindUser(context.Background(), "late@example.com")
	if second.ID == first.ID {
		t.Fatal("the expired account is still there")
	}
	if _, err := ve.m.VerifyPassword(context.Background(), "late@example.com", "second password 12"); err != nil {
		t.Errorf("the new registration's password: %v", err)
	}
}

// RequireFresh sends browsers to /verify and back, without a loop; JSON
// clients get a 401 with reauth_required and POST the password.
func TestReauthentication(t *testing.T) {
	t.Parallel()
	ve := newViewEnv(t, func(c *gatehouse.Config, vc *views.Config) { c.LoginURL = "/login" }, nil)
	ve.web.Config.Handler = ve.m.Authenticate(withMe(ve))
	c := ve.jsonClient()
	c.do("GET", "/login", "")
	c.do("POST", "/login", `{"email":"alice@example.com","password":"`+alicePassword+`"}`)
	ve.clock.Advance(11 * time.Minute)
	status, resp, raw := c.do("GET", "/fresh", "")
	if status != 401 || resp["reauth_required"] != true {
		t.Errorf("JSON stale: %d %s", status, raw)
	}
	// A browser: /fresh -> /verify?next=/fresh, and the login page shows
	// the form (no redirect loop).
	hc := &http.Client{Jar: c.c.Jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("GET", ve.web.URL+"/fresh", nil)
	resp2, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if loc := resp2.Header.Get("Location"); resp2.StatusCode != 303 || loc != "/verify?next=%2Ffresh" {
		t.Fatalf("stale browser: %d to %q", resp2.StatusCode, loc)
	}
	req, _ = http.NewRequest("GET", ve.web.URL+"/login?next=%2Ffresh", nil)
	resp3, _ := hc.Do(req)
	resp3.Body.Close()
	if resp3.StatusCode != 200 {
		t.Errorf("the login page for a stale session: %d (a redirect loops)", resp3.StatusCode)
	}
	if status, _, raw := c.do("POST", "/verify", `{"password":"wrong"}`); status != 400 {
		t.Errorf("verify with a wrong password: %d %s", status, raw)
	}
	if status, _, raw := c.do("POST", "/verify", `{"password":"`+alicePassword+`"}`); status != 200 {
		t.Fatalf("verify: %d %s", status, raw)
	}
	if status, _, raw := c.do("GET", "/fresh", ""); status != 200 {
		t.Errorf("after verify: %d %s", status, raw)
	}
}
