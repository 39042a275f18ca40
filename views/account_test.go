package views_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/internal/testutil"
	"github.com/gatehouse-auth/gatehouse/memstore"
	"github.com/gatehouse-auth/gatehouse/views"
)

// accountEnv serves the views with every account page on, plus GET
// /private for logged-in users; hooks record what they hear.
func accountEnv(t *testing.T, change func(c *gatehouse.Config, v *views.Config)) (*viewEnv, *hookLog) {
	t.Helper()
	log := &hookLog{}
	ve := newViewEnv(t, func(c *gatehouse.Config, v *views.Config) {
		c.IdentityAttributes = []string{"email", "username"}
		c.Sessions = c.Users.(*memstore.Store)
		v.ChangeEmail, v.Sessions, v.DeleteAccount = true, true, true
		v.Username = views.UsernameConfig{Enabled: true, Changeable: true, Recovery: true}
		v.Mail.PerAddress = gatehouse.Limit{Count: 1000, Per: time.Second}
		v.Hooks = views.Hooks{
			ChangeEmailSent: func(_ context.Context, u *gatehouse.User, to string) {
				log.add("change_email_sent " + u.Email + " " + to)
			},
			EmailChanged: func(_ context.Context, u *gatehouse.User, old string) {
				log.add("email_changed " + old + " " + u.Email)
			},
			UsernameChanged: func(_ context.Context, u *gatehouse.User, old string) {
				log.add("username_changed " + old + " " + u.Username)
			},
			UsernameRecoverySent: func(_ context.Context, u *gatehouse.User) { log.add("username_recovery " + u.Email) },
			AccountDeleted:       func(_ context.Context, u *gatehouse.User) { log.add("deleted " + u.Email) },
		}
		if change != nil {
			change(c, v)
		}
	}, func(m *gatehouse.Manager, _ *views.Views, mux *http.ServeMux) {
		mux.Handle("GET /private", m.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u, _ := gatehouse.CurrentUser(r.Context())
			w.Write([]byte(u.Email))
		})))
	})
	return ve, log
}

type hookLog struct {
	mu     sync.Mutex
	events []string
}

func (l *hookLog) add(e string) { l.mu.Lock(); l.events = append(l.events, e); l.mu.Unlock() }

func (l *hookLog) has(e string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, x := range l.events {
		if x == e {
			return true
		}
	}
	return false
}

// mailTo is the last mail of kind to an address, or nil.
func (ve *viewEnv) mailTo(to, kind string) *views.Message {
	mails := ve.sent()
	for i := len(mails) - 1; i >= 0; i-- {
		if mails[i].To == to && mails[i].Kind == kind {
			return mails[i]
		}
	}
	return nil
}

func (ve *viewEnv) loggedInClient(t *testing.T, email, password string) *jsonClient {
	t.Helper()
	c := ve.jsonClient()
	if status, _, raw := c.login(email, password); status != 200 {
		t.Fatalf("login %s: %d %s", email, status, raw)
	}
	return c
}

// CHANGE_EMAIL: a fresh login asks, a link to the new address confirms,
// the old address is told; the link works once, dies with the address it
// was made for and with its time, and a taken address is answered as a
// free one without a mail.
func TestChangeEmail(t *testing.T) {
	t.Parallel()
	ve, hooks := accountEnv(t, nil)
	ve.addUser("bob@example.com", "bob's passphrase 1")
	c := ve.loggedInClient(t, "alice@example.com", alicePassword)
	if status, resp, _ := c.do("GET", "/change-email", ""); status != 200 || resp["current_email"] != "alice@example.com" {
		t.Fatalf("GET /change-email: %d %v", status, resp)
	}
	for _, tc := range []struct{ email, field string }{
		{"", "Email not provided"}, {"not an address", "Invalid email address"}, {"ALICE@example.com", "already the address"},
	} {
		if status, _, raw := c.do("POST", "/change-email", `{"email":"`+tc.email+`"}`); status != 400 || !strings.Contains(raw, tc.field) {
			t.Errorf("change to %q: %d %s", tc.email, status, raw)
		}
	}
	// A taken address: the same answer, and nothing mailed to anyone.
	before := len(ve.sent())
	if status, _, raw := c.do("POST", "/change-email", `{"email":"bob@example.com"}`); status != 200 {
		t.Fatalf("change to a taken address: %d %s", status, raw)
	}
	if n := len(ve.sent()); n != before {
		t.Errorf("a change to a taken address mailed %d", n-before)
	}

	if status, _, raw := c.do("POST", "/change-email", `{"email":"alice.new@example.com"}`); status != 200 {
		t.Fatalf("change: %d %s", status, raw)
	}
	m := ve.mailTo("alice.new@example.com", "change_email_instructions")
	if m == nil || !strings.Contains(m.Text, "alice@example.com") || !strings.Contains(m.Text, "2 hours") {
		t.Fatalf("no confirmation mail to the new address: %+v", m)
	}
	link := strings.TrimPrefix(linkIn(m.Text), "https://app.example.com")
	if !strings.HasPrefix(link, "/change-email-confirm/") {
		t.Fatalf("link %q", link)
	}
	if !hooks.has("change_email_sent alice@example.com alice.new@example.com") {
		t.Errorf("ChangeEmailSent not heard: %v", hooks.events)
	}
	// Opening the link changes nothing; the owner of the new mailbox
	// confirms from any browser.
	other := ve.jsonClient()
	if status, resp, _ := other.do("GET", link, ""); status != 200 || resp["new_email"] != "alice.new@example.com" {
		t.Fatalf("GET link: %d %v", status, resp)
	}
	if _, err := ve.m.FindUser(context.Background(), "alice@example.com"); err != nil {
		t.Fatalf("the GET changed the address: %v", err)
	}
	if status, _, raw := other.do("POST", link, `{}`); status != 200 {
		t.Fatalf("POST link: %d %s", status, raw)
	}
	u, err := ve.m.FindUser(context.Background(), "alice.new@example.com")
	if err != nil || u.ID != ve.user.ID || !u.IsConfirmed() {
		t.Fatalf("after the change: %+v, %v", u, err)
	}
	if _, err := ve.m.FindUser(context.Background(), "alice@example.com"); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("the old address still finds the user: %v", err)
	}
	if n := ve.mailTo("alice@example.com", "change_email_notice"); n == nil || !strings.Contains(n.Text, "alice.new@example.com") {
		t.Errorf("no notice to the old address: %+v", n)
	}
	if !hooks.has("email_changed alice@example.com alice.new@example.com") {
		t.Errorf("EmailChanged not heard: %v", hooks.events)
	}
	if status, _, raw := other.do("POST", link, `{}`); status != 400 || !strings.Contains(raw, "Invalid link to confirm a new email address") {
		t.Errorf("the link again: %d %s", status, raw)
	}
	if !c.loggedIn() {
		t.Errorf("the change logged the user out")
	}

	// A link dies when the address changes by another route, and with time.
	c.do("POST", "/change-email", `{"email":"alice.third@example.com"}`)
	stale := strings.TrimPrefix(linkIn(ve.mailTo("alice.third@example.com", "change_email_instructions").Text), "https://app.example.com")
	c.do("POST", "/change-email", `{"email":"alice.fourth@example.com"}`)
	fourth := strings.TrimPrefix(linkIn(ve.mailTo("alice.fourth@example.com", "change_email_instructions").Text), "https://app.example.com")
	if status, _, _ := other.do("POST", stale, `{}`); status != 400 {
		t.Errorf("a link superseded by a newer one: %d", status)
	}
	ve.clock.Advance(3 * time.Hour)
	if status, _, raw := other.do("POST", fourth, `{}`); status != 400 || !strings.Contains(raw, "within 2 hours") {
		t.Errorf("an expired link: %d %s", status, raw)
	}

	// A link to an address taken since it was mailed.
	ve.clock.Advance(time.Minute)
	c = ve.loggedInClient(t, "alice.new@example.com", alicePassword)
	c.do("POST", "/change-email", `{"email":"carol@example.com"}`)
	carolLink := strings.TrimPrefix(linkIn(ve.mailTo("carol@example.com", "change_email_instructions").Text), "https://app.example.com")
	ve.addUser("carol@example.com", "carol's passphrase 1")
	if status, _, raw := other.do("POST", carolLink, `{}`); status != 400 || !strings.Contains(raw, "already associated") {
		t.Errorf("a link to an address taken since: %d %s", status, raw)
	}

	// Not fresh: re-authenticate first.
	ve.clock.Advance(24 * time.Hour)
	if status, _, _ := c.do("POST", "/change-email", `{"email":"dave@example.com"}`); status != http.StatusUnauthorized {
		t.Errorf("change without a fresh login: %d", status)
	}
}

// In a browser: the link's page has a button; its POST goes on to
// PostChangeEmailURL with the message.
func TestChangeEmailInABrowser(t *testing.T) {
	t.Parallel()
	ve, _ := accountEnv(t, func(_ *gatehouse.Config, v *views.Config) { v.PostChangeEmailURL = "/account" })
	b := ve.browser()
	b.post("/login", map[string]string{"email": "alice@example.com", "password": alicePassword})
	if got := b.get("/change-email"); got.status != 200 || !strings.Contains(got.body, "alice@example.com") {
		t.Fatalf("change-email page: %d", got.status)
	}
	if got := b.post("/change-email", map[string]string{"email": "alice.b@example.com"}); got.status != http.StatusSeeOther || got.location != "/change-email" {
		t.Fatalf("change-email POST: %d to %q", got.status, got.location)
	}
	if page := b.get("/change-email"); !strings.Contains(page.body, "Instructions to confirm your new email address have been sent to alice.b@example.com.") {
		t.Errorf("no flash: %s", page.body)
	}
	link := strings.TrimPrefix(linkIn(ve.mailTo("alice.b@example.com", "change_email_instructions").Text), "https://app.example.com")
	page := b.get(link)
	if page.status != 200 || !strings.Contains(page.body, "alice.b@example.com") || !strings.Contains(page.body, "<form method=\"post\"") {
		t.Fatalf("link page: %d %s", page.status, page.body)
	}
	if got := b.post(link, nil); got.status != http.StatusSeeOther || got.location != "/account" {
		t.Fatalf("link POST: %d to %q", got.status, got.location)
	}
}

// USERNAME_ENABLE, CHANGE_USERNAME and USERNAME_RECOVERY.
func TestUsernames(t *testing.T) {
	t.Parallel()
	ve, hooks := accountEnv(t, func(_ *gatehouse.Config, v *views.Config) { v.Registerable = true })
	c := ve.jsonClient()
	c.do("GET", "/register", "")
	for _, tc := range []struct{ name, want string }{
		{"ab", "at least 4 characters and less than 32"},
		{"ada lovelace", "only letters and numbers"},
		{"ada<b>", "illegal characters"},
		{strings.Repeat("a", 33), "at least 4"},
	} {
		if status, _, raw := c.do("POST", "/register", `{"email":"ada@example.com","password":"ada's passphrase 1","username":"`+tc.name+`"}`); status != 400 || !strings.Contains(raw, tc.want) {
			t.Errorf("register with username %q: %d %s", tc.name, status, raw)
		}
	}
	if status, _, raw := c.do("POST", "/register", `{"email":"ada@example.com","password":"ada's passphrase 1","username":"Ada１８１５"}`); status != 200 {
		t.Fatalf("register: %d %s", status, raw)
	}
	u, err := ve.m.FindUser(context.Background(), "ada@example.com")
	if err != nil || u.Username != "Ada1815" { // NFKC: fullwidth digits
		t.Fatalf("registered user: %+v, %v", u, err)
	}
	c2 := ve.jsonClient()
	c2.do("GET", "/register", "")
	if status, _, raw := c2.do("POST", "/register", `{"email":"other@example.com","password":"other's passphrase 1","username":"ADA1815"}`); status != 400 || !strings.Contains(raw, "already associated") {
		t.Errorf("register with a taken username: %d %s", status, raw)
	}
	// Log in with it, change it, log in with the new one.
	a := ve.loggedInClient(t, "Ada1815", "ada's passphrase 1")
	if status, resp, _ := a.do("GET", "/change-username", ""); status != 200 || resp["current_username"] != "Ada1815" {
		t.Fatalf("GET /change-username: %d %v", status, resp)
	}
	ve.addUser("grace@example.com", "grace's passphrase 1")
	ve.store.UpdateUser(context.Background(), mustFind(t, ve, "grace@example.com").ID, gatehouse.UserChange{Username: ptr("grace")})
	if status, _, raw := a.do("POST", "/change-username", `{"username":"Grace"}`); status != 400 || !strings.Contains(raw, "already associated") {
		t.Errorf("change to a taken username: %d %s", status, raw)
	}
	if status, _, raw := a.do("POST", "/change-username", `{"username":"Countess"}`); status != 200 {
		t.Fatalf("change username: %d %s", status, raw)
	}
	if n := ve.mailTo("ada@example.com", "change_username_notice"); n == nil || !strings.Contains(n.Text, "Countess") {
		t.Errorf("no notice of the change: %+v", n)
	}
	if !hooks.has("username_changed Ada1815 Countess") {
		t.Errorf("UsernameChanged not heard: %v", hooks.events)
	}
	ve.loggedInClient(t, "countess", "ada's passphrase 1")
	if status, _, _ := ve.jsonClient().login("Ada1815", "ada's passphrase 1"); status == 200 {
		t.Errorf("the old username still logs in")
	}

	// Recovery: the same answer for every address; a mail only to one
	// with a username.
	r := ve.jsonClient()
	r.do("GET", "/recover-username", "")
	var answers []string
	for _, email := range []string{"ada@example.com", "nobody@example.com", "alice@example.com"} {
		status, _, raw := r.do("POST", "/recover-username", `{"email":"`+email+`"}`)
		if status != 200 {
			t.Errorf("recover %s: %d %s", email, status, raw)
		}
		answers = append(answers, strings.ReplaceAll(raw, email, ""))
	}
	if answers[0] != answers[1] || answers[1] != answers[2] {
		t.Errorf("recovery answers differ: %q", answers)
	}
	br := ve.browser()
	if got := br.post("/recover-username", map[string]string{"email": "nobody@example.com"}); got.status != http.StatusSeeOther {
		t.Errorf("recover in a browser: %d", got.status)
	}
	if page := br.get("/recover-username"); !strings.Contains(page.body, "If registered, your username will be sent to your email.") {
		t.Errorf("recover page after a request: %s", page.body)
	}
	if m := ve.mailTo("ada@example.com", "username_recovery"); m == nil || !strings.Contains(m.Text, "Countess") {
		t.Errorf("no recovery mail: %+v", m)
	}
	if ve.mailTo("alice@example.com", "username_recovery") != nil {
		t.Errorf("a recovery mail to an account without a username")
	}
	if !hooks.has("username_recovery ada@example.com") {
		t.Errorf("UsernameRecoverySent not heard: %v", hooks.events)
	}
}

func mustFind(t *testing.T, ve *viewEnv, identity string) *gatehouse.User {
	t.Helper()
	u, err := ve.m.FindUser(context.Background(), identity)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func ptr[T any](v T) *T { return &v }

// Sessions: a user sees where they are signed in, this browser marked,
// and ends one, this one (a logout) or all others.
func TestSessions(t *testing.T) {
	t.Parallel()
	ve, _ := accountEnv(t, nil)
	a := ve.loggedInClient(t, "alice@example.com", alicePassword)
	b := ve.loggedInClient(t, "alice@example.com", alicePassword)
	c := ve.loggedInClient(t, "alice@example.com", alicePassword)
	status, resp, raw := a.do("GET", "/sessions", "")
	list, _ := resp["sessions"].([]any)
	if status != 200 || len(list) != 3 {
		t.Fatalf("GET /sessions: %d %s", status, raw)
	}
	current := 0
	for _, s := range list {
		m := s.(map[string]any)
		if m["current"] == true {
			current++
		}
		if m["ip"] != "127.0.0.1" || m["device"] != "Go" || m["last_seen"] == "" {
			t.Errorf("session %v", m)
		}
	}
	if current != 1 {
		t.Fatalf("%d sessions marked current", current)
	}
	// End b's: find it from b's own list.
	_, bresp, _ := b.do("GET", "/sessions", "")
	bID := ""
	for _, s := range bresp["sessions"].([]any) {
		if m := s.(map[string]any); m["current"] == true {
			bID = m["id"].(string)
		}
	}
	if status, _, raw := a.do("POST", "/sessions", `{"end":"`+bID+`"}`); status != 200 {
		t.Fatalf("end b: %d %s", status, raw)
	}
	if b.loggedIn() || !c.loggedIn() || !a.loggedIn() {
		t.Errorf("after ending b: a %v b %v c %v", a.loggedIn(), b.loggedIn(), c.loggedIn())
	}
	if status, _, raw := a.do("POST", "/sessions", `{"end":"`+bID+`"}`); status != 400 || !strings.Contains(raw, "no such session") {
		t.Errorf("end b again: %d %s", status, raw)
	}
	// Another user's session is not alice's to end.
	ve.addUser("bob@example.com", "bob's passphrase 1")
	bob := ve.loggedInClient(t, "bob@example.com", "bob's passphrase 1")
	_, bobResp, _ := bob.do("GET", "/sessions", "")
	bobID := bobResp["sessions"].([]any)[0].(map[string]any)["id"].(string)
	if status, _, _ := a.do("POST", "/sessions", `{"end":"`+bobID+`"}`); status != 400 || !bob.loggedIn() {
		t.Errorf("alice ended bob's session: %d", status)
	}
	// All others: c ends, a stays.
	if status, _, raw := a.do("POST", "/sessions", `{"end_others":true}`); status != 200 {
		t.Fatalf("end others: %d %s", status, raw)
	}
	if c.loggedIn() || !a.loggedIn() {
		t.Errorf("after ending the others: a %v c %v", a.loggedIn(), c.loggedIn())
	}
	if _, resp, _ := a.do("GET", "/sessions", ""); len(resp["sessions"].([]any)) != 1 {
		t.Errorf("sessions after ending the others: %v", resp["sessions"])
	}
	// This one: a logout.
	_, resp, _ = a.do("GET", "/sessions", "")
	mine := resp["sessions"].([]any)[0].(map[string]any)["id"].(string)
	if status, _, _ := a.do("POST", "/sessions", `{"end":"`+mine+`"}`); status != 200 || a.loggedIn() {
		t.Errorf("ending this session: %d, still logged in %v", status, a.loggedIn())
	}
	// The page, in a browser.
	br := ve.browser()
	br.c.Transport = uaTransport{"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"}
	br.post("/login", map[string]string{"email": "alice@example.com", "password": alicePassword})
	if page := br.get("/sessions"); page.status != 200 || !strings.Contains(page.body, "Firefox on Linux") || !strings.Contains(page.body, "This browser") {
		t.Errorf("sessions page: %d %s", page.status, page.body)
	}
}

type uaTransport struct{ ua string }

func (t uaTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("User-Agent", t.ua)
	return http.DefaultTransport.RoundTrip(r)
}

// Delete account: a fresh login and a ticked box; the user and all that
// is theirs go, the browser is logged out, the address is told.
func TestDeleteAccount(t *testing.T) {
	t.Parallel()
	ve, hooks := accountEnv(t, nil)
	c := ve.loggedInClient(t, "alice@example.com", alicePassword)
	other := ve.loggedInClient(t, "alice@example.com", alicePassword)
	if status, resp, _ := c.do("GET", "/delete-account", ""); status != 200 || resp["email"] != "alice@example.com" {
		t.Fatalf("GET /delete-account: %d %v", status, resp)
	}
	if status, _, raw := c.do("POST", "/delete-account", `{}`); status != 400 || !strings.Contains(raw, "Tick the box") {
		t.Errorf("delete without confirming: %d %s", status, raw)
	}
	if status, _, raw := c.do("POST", "/delete-account", `{"confirm":true}`); status != 200 {
		t.Fatalf("delete: %d %s", status, raw)
	}
	if _, err := ve.m.FindUser(context.Background(), "alice@example.com"); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("the user is still there: %v", err)
	}
	if c.loggedIn() || other.loggedIn() {
		t.Errorf("sessions outlived the account")
	}
	if m := ve.mailTo("alice@example.com", "account_deleted_notice"); m == nil || !strings.Contains(m.Text, "alice@example.com") {
		t.Errorf("no notice: %+v", m)
	}
	if !hooks.has("deleted alice@example.com") {
		t.Errorf("AccountDeleted not heard: %v", hooks.events)
	}
	// Not fresh: re-authenticate first.
	ve.addUser("bob@example.com", "bob's passphrase 1")
	bob := ve.loggedInClient(t, "bob@example.com", "bob's passphrase 1")
	ve.clock.Advance(24 * time.Hour)
	if status, _, _ := bob.do("POST", "/delete-account", `{"confirm":true}`); status != http.StatusUnauthorized {
		t.Errorf("delete without a fresh login: %d", status)
	}
}

// New says what the account pages need.
func TestAccountConfigChecked(t *testing.T) {
	t.Parallel()
	m, err := gatehouse.New(engineConfig(memstore.New(), testutil.NewClock()))
	if err != nil {
		t.Fatal(err)
	}
	_, err = views.New(m, views.Config{Sessions: true, Username: views.UsernameConfig{Enabled: true, Recovery: true}, ChangeEmail: true,
		BaseURL: "https://app.example.com", Mail: views.MailConfig{Mailer: views.MailerFunc(nil)}})
	for _, want := range []string{"Sessions needs a session store", `"username" in the engine's Config.IdentityAttributes`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New: %v; want %q", err, want)
		}
	}
}

// Ending the other sessions proves nothing: a stale session stays stale
// (it cannot then change the address or delete the account), and a
// session restored from a remember cookie stays not fresh.
func TestEndOthersKeepsFreshness(t *testing.T) {
	t.Parallel()
	ve, _ := accountEnv(t, nil)
	c := ve.loggedInClient(t, "alice@example.com", alicePassword)
	ve.clock.Advance(time.Hour)
	if status, _, _ := c.do("POST", "/change-email", `{"email":"attacker@example.com"}`); status != http.StatusUnauthorized {
		t.Fatalf("stale change-email: %d", status)
	}
	if status, _, raw := c.do("POST", "/sessions", `{"end_others":true}`); status != 200 {
		t.Fatalf("end others: %d %s", status, raw)
	}
	if !c.loggedIn() {
		t.Fatal("end others logged this session out")
	}
	if status, _, _ := c.do("POST", "/change-email", `{"email":"attacker@example.com"}`); status != http.StatusUnauthorized {
		t.Errorf("end others made a stale session fresh: change-email %d", status)
	}
	if status, _, _ := c.do("POST", "/delete-account", `{"confirm":true}`); status != http.StatusUnauthorized {
		t.Errorf("end others made a stale session fresh: delete-account %d", status)
	}
}

// Ending one session also ends the remember cookie of the browser that
// held it, and a logout revokes a copy of the remember cookie: with a
// SessionStore, as without.
func TestEndedSessionsStayEnded(t *testing.T) {
	t.Parallel()
	ve, _ := accountEnv(t, nil)
	alice := ve.loggedInClient(t, "alice@example.com", alicePassword)
	thief := ve.jsonClient()
	thief.do("GET", "/login", "")
	if status, _, raw := thief.do("POST", "/login", `{"email":"alice@example.com","password":"`+alicePassword+`","remember":true}`); status != 200 {
		t.Fatalf("thief login: %d %s", status, raw)
	}
	if thief.cookie("remember_token") == "" {
		t.Fatalf("no remember cookie: %v", thief.cookieNames())
	}
	_, resp, _ := thief.do("GET", "/sessions", "")
	thiefID := ""
	for _, s := range resp["sessions"].([]any) {
		if m := s.(map[string]any); m["current"] == true {
			thiefID = m["id"].(string)
		}
	}
	if status, _, raw := alice.do("POST", "/sessions", `{"end":"`+thiefID+`"}`); status != 200 {
		t.Fatalf("end the thief's session: %d %s", status, raw)
	}
	if thief.loggedIn() {
		t.Errorf("the thief's remember cookie restored an ended session")
	}

	// A copy of the remember cookie, taken before a logout, restores nothing.
	r := ve.jsonClient()
	r.do("GET", "/login", "")
	r.do("POST", "/login", `{"email":"alice@example.com","password":"`+alicePassword+`","remember":true}`)
	ve.clock.Advance(time.Minute)
	if !r.loggedIn() {
		t.Fatal("remembered client not logged in")
	}
	copied := r.cookie("remember_token")
	if status, _, _ := r.do("POST", "/logout", `{}`); status != 200 {
		t.Fatalf("logout: %d", status)
	}
	replay := ve.jsonClient()
	replay.setCookie("remember_token", copied)
	if replay.loggedIn() {
		t.Errorf("a remember cookie copied before logout still logs in")
	}
}

// Change-email answers and works alike for a free and a taken address:
// each request voids the earlier link, and the worker mails one only to a
// free address, only while the account is as it was when asked; an
// address held by a registration that expired unconfirmed gives way.
func TestChangeEmailSaysNothingAboutAddresses(t *testing.T) {
	t.Parallel()
	ve, _ := accountEnv(t, func(_ *gatehouse.Config, v *views.Config) { v.Confirmable, v.Registerable = true, true })
	ve.addUser("bob@example.com", "bob's passphrase 1")
	c := ve.loggedInClient(t, "alice@example.com", alicePassword)
	c.do("POST", "/change-email", `{"email":"mine@example.com"}`)
	mine := strings.TrimPrefix(linkIn(ve.mailTo("mine@example.com", "change_email_instructions").Text), "https://app.example.com")
	if status, _, _ := c.do("POST", "/change-email", `{"email":"bob@example.com"}`); status != 200 {
		t.Fatalf("change to a taken address: %d", status)
	}
	ve.sent()
	if status, _, _ := ve.jsonClient().do("GET", mine, ""); status != 400 {
		t.Errorf("a request for a taken address left the earlier link working (%d): that tells the address is taken", status)
	}

	// Asked, then the password changed before the mail went: nothing.
	c.do("POST", "/change-email", `{"email":"later@example.com"}`)
	if err := ve.m.EndSessions(context.Background(), mustFind(t, ve, "alice@example.com"), gatehouse.UserChange{}); err != nil {
		t.Fatal(err)
	}
	if m := ve.mailTo("later@example.com", "change_email_instructions"); m != nil {
		t.Errorf("a link was mailed for a request the account outlived")
	}

	// An address held by a sign-up never confirmed, past its window.
	squat := &gatehouse.User{Email: "carol@example.com", Active: true}
	if err := ve.m.CreateUser(context.Background(), squat, "squatter's passphrase 1"); err != nil {
		t.Fatal(err)
	}
	ve.clock.Advance(6 * 24 * time.Hour)
	c = ve.loggedInClient(t, "alice@example.com", alicePassword)
	c.do("POST", "/change-email", `{"email":"carol@example.com"}`)
	m := ve.mailTo("carol@example.com", "change_email_instructions")
	if m == nil {
		t.Fatal("no link to an address held by an expired sign-up")
	}
	link := strings.TrimPrefix(linkIn(m.Text), "https://app.example.com")
	holder := ve.jsonClient()
	holder.do("GET", link, "")
	if status, _, raw := holder.do("POST", link, `{}`); status != 200 {
		t.Fatalf("confirm: %d %s", status, raw)
	}
	if u := mustFind(t, ve, "carol@example.com"); u.ID != ve.user.ID {
		t.Errorf("carol@example.com belongs to %s, want alice's account", u.ID)
	}
}

// A username is checked in its normal form, and saying one is taken costs
// the client a registration.
func TestUsernameChecksAndCost(t *testing.T) {
	t.Parallel()
	ve, _ := accountEnv(t, func(_ *gatehouse.Config, v *views.Config) { v.Registerable = true })
	ve.store.UpdateUser(context.Background(), ve.user.ID, gatehouse.UserChange{Username: ptr("alice")})
	c := ve.jsonClient()
	c.do("GET", "/register", "")
	if status, _, raw := c.do("POST", "/register", `{"email":"half@example.com","password":"a fine passphrase 1","username":"½½½½"}`); status != 400 || !strings.Contains(raw, "only letters and numbers") {
		t.Errorf("a username whose normal form has punctuation: %d %s", status, raw)
	}
	limited := false
	for i := range 15 {
		status, _, _ := c.do("POST", "/register", `{"email":"n`+strconv.Itoa(i)+`@example.com","password":"a fine passphrase 1","username":"alice"}`)
		if status == http.StatusTooManyRequests {
			limited = true
			break
		}
	}
	if !limited {
		t.Errorf("15 registrations with a taken username were never rate-limited")
	}
}
