package main_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/examples/internal/smtptest"
	"github.com/gatehouse-auth/gatehouse/mfa"
	"github.com/gatehouse-auth/gatehouse/sqlitestore"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "conformance")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "conformance")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		panic("building the conformance app: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type app struct {
	base string
	mail *smtptest.Server
	db   string
	cmd  *exec.Cmd
	logs *lockedBuffer
	// exited is closed when the process has exited, with exitErr.
	exited  chan struct{}
	exitErr error
}

// lockedBuffer collects a process's output while tests read it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startApp runs the conformance binary on a free port against a real SMTP
// server, and waits until it answers.
func startApp(t *testing.T, databaseURL string) *app {
	t.Helper()
	ms := smtptest.Start(t)
	return launch(t, databaseURL, ms.Addr, ms)
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// launch runs the conformance binary with mail to smtpAddr (ms, if not
// nil, is the server there) and extra environment, on a free port (or the
// PORT=n of env), and waits until it answers. It is stopped with SIGTERM
// at cleanup.
func launch(t *testing.T, databaseURL, smtpAddr string, ms *smtptest.Server, env ...string) *app {
	t.Helper()
	port := freePort(t)
	for _, e := range env {
		if p, ok := strings.CutPrefix(e, "PORT="); ok {
			port = p
		}
	}
	smtpHost, smtpPort, _ := net.SplitHostPort(smtpAddr)
	logs := &lockedBuffer{}
	cmd := exec.Command(binary)
	// The tests' clients each come from an address of their own
	// (X-Forwarded-For, through the loopback "proxy"), as real users do.
	cmd.Env = append(os.Environ(), "DATABASE_URL="+databaseURL, "SMTP_HOST="+smtpHost, "SMTP_PORT="+smtpPort, "TRUSTED_PROXIES=127.0.0.1/32",
		"MAIL_PER_ADDRESS=100/1s") // Flask-Security's contract: a mail per request (views tests cover the merging)
	cmd.Env = append(cmd.Env, env...)
	cmd.Env = append(cmd.Env, "PORT="+port)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	a := &app{base: "http://127.0.0.1:" + port, mail: ms, db: databaseURL, cmd: cmd, logs: logs, exited: make(chan struct{})}
	go func() { a.exitErr = cmd.Wait(); close(a.exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-a.exited:
		case <-time.After(90 * time.Second):
			cmd.Process.Kill()
			<-a.exited
		}
		if t.Failed() {
			t.Logf("app log:\n%s", logs.String())
		}
	})
	for deadline := time.Now().Add(20 * time.Second); ; {
		resp, err := http.Get(a.base + "/")
		if err == nil {
			resp.Body.Close()
			return a
		}
		select {
		case <-a.exited:
			t.Fatalf("app exited: %v\n%s", a.exitErr, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("app did not start: %v\n%s", err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// client is a JSON client with a cookie jar, like a Flask-Security SPA.
type client struct {
	t    *testing.T
	a    *app
	http *http.Client
	csrf string
	hdr  http.Header
	// spread, if set, are instances of one site the client's requests go
	// to in turn, as a load balancer would send them.
	spread []*app
	next   int
}

// base is where the next request goes.
func (c *client) base() string {
	if len(c.spread) == 0 {
		return c.a.base
	}
	a := c.spread[c.next%len(c.spread)]
	c.next++
	return a.base
}

func (a *app) client(t *testing.T) *client {
	jar, _ := cookiejar.New(nil)
	n := clients.Add(1)
	hdr := http.Header{"X-Forwarded-For": {fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255)}}
	return &client{t: t, a: a, hdr: hdr, http: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// clients numbers the test clients, each of which gets an address.
var clients atomic.Int64

type answer struct {
	status int
	raw    []byte
	resp   map[string]any // the envelope's response
	header http.Header
}

func (a answer) errors() string {
	b, _ := json.Marshal(a.resp["errors"])
	return string(b)
}

// do sends body (JSON if a map or string, raw if []byte) and checks that
// every JSON answer is the contract's envelope and no answer is a 5xx.
func (c *client) do(method, path string, body any) answer {
	c.t.Helper()
	var rd io.Reader
	ct := "application/json"
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case url.Values:
		rd, ct = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, c.base()+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", ct)
	}
	if ct == "application/json" {
		req.Header.Set("Accept", "application/json")
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	for k, v := range c.hdr {
		req.Header[k] = v
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, raw: raw, header: resp.Header}
	if resp.StatusCode >= 500 {
		c.t.Errorf("%s %s: status %d: %s", method, path, resp.StatusCode, raw)
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") && !strings.HasPrefix(path, "/api/") {
		var env struct {
			Meta     map[string]any  `json:"meta"`
			Response json.RawMessage `json:"response"`
		}
		if err := json.Unmarshal(raw, &env); err != nil || env.Meta == nil || env.Response == nil {
			c.t.Errorf("%s %s: not the envelope: %s", method, path, raw)
		} else if code, _ := env.Meta["code"].(float64); int(code) != resp.StatusCode {
			c.t.Errorf("%s %s: meta.code %v, status %d", method, path, env.Meta["code"], resp.StatusCode)
		} else if err := json.Unmarshal(env.Response, &a.resp); err != nil {
			c.t.Errorf("%s %s: response is not an object: %s", method, path, env.Response)
		}
		if tok, ok := a.resp["csrf_token"].(string); ok {
			c.csrf = tok
		}
	}
	return a
}

func (c *client) fetchCSRF() {
	c.t.Helper()
	if a := c.do("GET", "/login", nil); a.status != 200 || c.csrf == "" {
		c.t.Fatalf("GET /login: %d %s", a.status, a.raw)
	}
}

func (c *client) login(email, pw string, extra map[string]any) answer {
	c.t.Helper()
	if c.csrf == "" {
		c.fetchCSRF()
	}
	body := map[string]any{"email": email, "password": pw}
	for k, v := range extra {
		body[k] = v
	}
	return c.do("POST", "/login", body)
}

func (c *client) mustLogin(email, pw string) {
	c.t.Helper()
	if a := c.login(email, pw, nil); a.status != 200 {
		c.t.Fatalf("login %s: %d %s", email, a.status, a.raw)
	}
}

func want(t *testing.T, what string, a answer, status int) {
	t.Helper()
	if a.status != status {
		t.Fatalf("%s: status %d, want %d: %s", what, a.status, status, a.raw)
	}
}

// path strips the app's base from a mailed link.
func (a *app) path(link string) string { return strings.TrimPrefix(link, a.base) }

func TestConformanceSQLite(t *testing.T) {
	runContract(t, startApp(t, "sqlite:///"+strings.TrimPrefix(filepath.Join(t.TempDir(), "app.db"), "/")))
}

func TestConformancePostgres(t *testing.T) {
	runContract(t, startApp(t, pgSchema(t)))
}

func runContract(t *testing.T, a *app) {
	t.Run("register, confirm by link, login", func(t *testing.T) { testRegister(t, a) })
	t.Run("token and basic auth, roles", func(t *testing.T) { testMechanismsAndRoles(t, a) })
	t.Run("forgot and reset, single use", func(t *testing.T) { testReset(t, a) })
	t.Run("change password kills old token", func(t *testing.T) { testChange(t, a) })
	t.Run("passwordless", func(t *testing.T) { testPasswordless(t, a) })
	t.Run("logout, remember cookie, tampering", func(t *testing.T) { testSessions(t, a) })
	t.Run("CSRF", func(t *testing.T) { testCSRF(t, a) })
	t.Run("open redirects on login next", func(t *testing.T) { testOpenRedirects(t, a) })
	t.Run("malformed bodies", func(t *testing.T) { testMalformed(t, a) })
	t.Run("no user enumeration", func(t *testing.T) { testNoEnumeration(t, a) })
	t.Run("48 concurrent logins", func(t *testing.T) { testConcurrentLogins(t, a) })
	t.Run("mailed links need a click; pre-hijacking", func(t *testing.T) { testLinks(t, a) })
	t.Run("re-authentication", func(t *testing.T) { testVerify(t, a) })
	t.Run("HTML pages", func(t *testing.T) { testHTML(t, a) })
	t.Run("two-factor", func(t *testing.T) { testTwoFactor(t, a) })
}

// testTwoFactor sets up an authenticator app over the JSON API, then logs
// in with a code from it, with a mailed code (through the real SMTP
// server), and with a recovery code, against the real store.
func testTwoFactor(t *testing.T, a *app) {
	const email, pw = "tf@example.com", "a long two-factor password"
	c := a.client(t)
	c.fetchCSRF()
	want(t, "register", c.do("POST", "/register", map[string]any{"email": email, "password": pw, "password_confirm": pw}), 200)
	confirm(t, a, email, pw)
	login := c.login(email, pw, nil)
	want(t, "login", login, 200)
	if login.resp["tf_required"] != false {
		t.Fatalf("login without a factor: %s", login.raw)
	}
	setup := c.do("POST", "/tf-setup", map[string]any{"setup": "authenticator"})
	want(t, "tf-setup", setup, 200)
	secret, _ := setup.resp["tf_authr_b32key"].(string)
	token, _ := setup.resp["tf_state_token"].(string)
	now := time.Now()
	first, _ := mfa.TOTPCode(secret, now)
	done := c.do("POST", "/tf-setup/"+token, map[string]any{"code": first})
	want(t, "tf-setup/{token}", done, 200)
	recovery, _ := done.resp["recovery_codes"].([]any)
	if len(recovery) != 10 {
		t.Fatalf("recovery codes: %s", done.raw)
	}
	a.mail.WaitFor(t, email, "How you sign in has changed")

	// The password alone no longer logs in; the next code does, once.
	b := a.client(t)
	second := b.login(email, pw, nil)
	want(t, "login with a factor", second, 200)
	if second.resp["tf_required"] != true || second.resp["tf_state"] != "ready" {
		t.Fatalf("login with a factor: %s", second.raw)
	}
	want(t, "/api/me before the code", b.do("GET", "/api/me", nil), 401)
	want(t, "the setup's code again", b.do("POST", "/tf-validate", map[string]any{"code": first}), 400)
	next, _ := mfa.TOTPCode(secret, now.Add(30*time.Second)) // the window takes the next step's
	want(t, "next code", b.do("POST", "/tf-validate", map[string]any{"code": next}), 200)
	want(t, "/api/me after the code", b.do("GET", "/api/me", nil), 200)

	// Without the phone: a code by mail, then a recovery code, once.
	m := a.client(t)
	want(t, "login", m.login(email, pw, nil), 200)
	want(t, "rescue by mail", m.do("POST", "/tf-rescue", map[string]any{"help_setup": "email"}), 200)
	mailed := regexp.MustCompile(`\b\d{6}\b`).FindString(a.mail.WaitFor(t, email, "Your sign-in code").Text)
	want(t, "mailed code", m.do("POST", "/tf-validate", map[string]any{"code": mailed}), 200)
	r := a.client(t)
	want(t, "login", r.login(email, pw, nil), 200)
	want(t, "recovery code", r.do("POST", "/mf-recovery", map[string]any{"code": recovery[0]}), 200)
	a.mail.WaitFor(t, email, "How you sign in has changed")
	again := a.client(t)
	want(t, "login", again.login(email, pw, nil), 200)
	want(t, "recovery code again", again.do("POST", "/mf-recovery", map[string]any{"code": recovery[0]}), 400)

	// A passwordless link and a reset link are one factor each: both stop
	// at the second.
	p := a.client(t)
	p.fetchCSRF()
	want(t, "passwordless request", p.do("POST", "/login", map[string]any{"email": email}), 200)
	link := a.path(a.mail.WaitFor(t, email, "Login instructions").Link(t))
	if got := p.do("POST", link, map[string]any{}); got.status != 200 || got.resp["tf_required"] != true {
		t.Fatalf("passwordless link: %d %s", got.status, got.raw)
	}
	want(t, "/api/me after the passwordless link", p.do("GET", "/api/me", nil), 401)
	x := a.client(t)
	x.fetchCSRF()
	want(t, "forgot", x.do("POST", "/reset", map[string]any{"email": email}), 200)
	link = a.path(a.mail.WaitFor(t, email, "Password reset instructions").Link(t))
	const newPw = "a newer two-factor password"
	if got := x.do("POST", link, map[string]any{"password": newPw, "password_confirm": newPw}); got.status != 200 || got.resp["tf_required"] != true {
		t.Fatalf("reset: %d %s", got.status, got.raw)
	}
	want(t, "/api/me after the reset", x.do("GET", "/api/me", nil), 401)

	// A role that requires a second factor sends its members to set one
	// up before they are logged in.
	s := a.client(t)
	if got := s.login("secure@example.com", "secure password 1", nil); got.status != 200 || got.resp["tf_state"] != "setup_from_login" {
		t.Fatalf("login with the role: %d %s", got.status, got.raw)
	}
	want(t, "/api/me before setting up", s.do("GET", "/api/me", nil), 401)
	want(t, "tf-setup email", s.do("POST", "/tf-setup", map[string]any{"setup": "email"}), 200)
	mailed = regexp.MustCompile(`\b\d{6}\b`).FindString(a.mail.WaitFor(t, "secure@example.com", "Your sign-in code").Text)
	got := s.do("POST", "/tf-validate", map[string]any{"code": mailed})
	if codes, _ := got.resp["recovery_codes"].([]any); got.status != 200 || len(codes) != 10 {
		t.Fatalf("first mailed code: %d %s", got.status, got.raw)
	}
	want(t, "/api/me after setting up", s.do("GET", "/api/me", nil), 200)
}

func testRegister(t *testing.T, a *app) {
	c := a.client(t)
	c.fetchCSRF()
	first := c.do("POST", "/register", map[string]any{
		"email": "newbie@example.com", "password": "a long new password", "password_confirm": "a long new password",
	})
	want(t, "register", first, 200)
	// A taken address answers exactly as a new one; its owner is mailed.
	again := c.do("POST", "/register", map[string]any{"email": "NEWBIE@example.com", "password": "another long password"})
	want(t, "register again", again, 200)
	if !bytes.Equal(first.raw, again.raw) {
		t.Errorf("a taken address answers differently:\n%s\n%s", first.raw, again.raw)
	}
	// Not confirmed yet: the confirmation again, whose link supersedes the
	// welcome mail's.
	latest := a.mail.WaitFor(t, "newbie@example.com", "Please confirm").Link(t)
	taken := c.do("POST", "/register", map[string]any{"email": "plain@example.com", "password": "another long password"})
	if !bytes.Equal(first.raw, taken.raw) {
		t.Errorf("a confirmed, taken address answers differently:\n%s\n%s", first.raw, taken.raw)
	}
	a.mail.WaitFor(t, "plain@example.com", "tried to sign up")
	for _, bad := range []map[string]any{
		{"email": "not-an-email", "password": "a long new password"},
		{"email": "x@example.com", "password": "short"},
		{"email": "x@example.com", "password": "password123"},
		{"email": "x@example.com", "password": "a long new password", "password_confirm": "different"},
	} {
		if got := c.do("POST", "/register", bad); got.status != 400 || got.resp["field_errors"] == nil {
			t.Errorf("register %v: %d %s", bad, got.status, got.raw)
		}
	}
	// Not confirmed yet: the right password says so; a wrong one does not.
	c2 := a.client(t)
	if got := c2.login("newbie@example.com", "a long new password", nil); got.status != 400 || !strings.Contains(got.errors(), "confirmation") {
		t.Errorf("unconfirmed login: %d %s", got.status, got.raw)
	}
	if got := c2.login("newbie@example.com", "wrong password!!", nil); strings.Contains(got.errors(), "confirmation") {
		t.Errorf("unconfirmed login with a wrong password revealed the state: %s", got.raw)
	}
	if welcome := a.mail.WaitFor(t, "newbie@example.com", "Welcome").Link(t); !strings.Contains(welcome, "/confirm/") {
		t.Fatalf("welcome link %s", welcome)
	}
	link := latest
	// Opening the link confirms nothing; its POST proves the password.
	got := c2.do("GET", a.path(link), nil)
	want(t, "confirm link", got, 200)
	if got.resp["password_required"] != true {
		t.Errorf("confirm link page: %s", got.raw)
	}
	want(t, "confirm without the password", c2.do("POST", a.path(link), map[string]any{}), 400)
	want(t, "confirm", c2.do("POST", a.path(link), map[string]any{"password": "a long new password"}), 200)
	want(t, "confirm link again", c2.do("POST", a.path(link), map[string]any{"password": "a long new password"}), 400)
	want(t, "login after confirm", c2.login("newbie@example.com", "a long new password", nil), 200)
	want(t, "/api/me", c2.do("GET", "/api/me", nil), 200)
	// Resend asks answer 200 alike (for visitors who are not logged in).
	want(t, "resend while logged in", c2.do("POST", "/confirm", map[string]any{"email": "newbie@example.com"}), 400)
	anon := a.client(t)
	anon.fetchCSRF()
	want(t, "resend for a confirmed address", anon.do("POST", "/confirm", map[string]any{"email": "newbie@example.com"}), 200)
}

func testMechanismsAndRoles(t *testing.T, a *app) {
	c := a.client(t)
	got := c.login("admin@example.com", "correct horse battery", nil)
	want(t, "login", got, 200)
	if user, _ := got.resp["user"].(map[string]any); user["email"] != "admin@example.com" || user["authentication_token"] != nil {
		t.Errorf("login user payload %v", got.resp["user"])
	}
	got = c.do("POST", "/login?include_auth_token", map[string]any{"email": "admin@example.com", "password": "correct horse battery"})
	want(t, "login with include_auth_token", got, 200)
	user, _ := got.resp["user"].(map[string]any)
	tok, _ := user["authentication_token"].(string)
	if tok == "" {
		t.Fatalf("no authentication_token: %s", got.raw)
	}
	bare := a.client(t) // no cookies
	bare.hdr.Set("Authentication-Token", tok)
	want(t, "/api/me with token header", bare.do("GET", "/api/me", nil), 200)
	want(t, "/api/admin with admin token", bare.do("GET", "/api/admin", nil), 200)
	bare.hdr.Del("Authentication-Token")
	want(t, "/api/me with auth_token query", bare.do("GET", "/api/me?auth_token="+url.QueryEscape(tok), nil), 200)
	want(t, "/api/me with a tampered token", bare.do("GET", "/api/me?auth_token="+url.QueryEscape(tok+"x"), nil), 401)

	basic := a.client(t)
	basic.hdr.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("plain@example.com:plain password 1")))
	want(t, "/api/me with Basic", basic.do("GET", "/api/me", nil), 200)
	want(t, "/api/admin as plain", basic.do("GET", "/api/admin", nil), 403)
	want(t, "/api/editors as plain", basic.do("GET", "/api/editors", nil), 403)
	want(t, "/api/editors as admin", c.do("GET", "/api/editors", nil), 200)
	wrong := a.client(t)
	wrong.hdr.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("plain@example.com:nope")))
	got = wrong.do("GET", "/api/me", nil)
	want(t, "/api/me with wrong Basic", got, 401)
	if got.header.Get("WWW-Authenticate") != `Basic realm="Login Required"` {
		t.Errorf("WWW-Authenticate = %q", got.header.Get("WWW-Authenticate"))
	}
	want(t, "anonymous /api/me", a.client(t).do("GET", "/api/me", nil), 401)
}

func testReset(t *testing.T, a *app) {
	c := a.client(t)
	c.fetchCSRF()
	known := c.do("POST", "/reset", map[string]any{"email": "plain@example.com"})
	want(t, "forgot (known)", known, 200)
	unknown := c.do("POST", "/reset", map[string]any{"email": "ghost@example.com"})
	want(t, "forgot (unknown)", unknown, 200)
	if !bytes.Equal(known.raw, unknown.raw) {
		t.Errorf("forgot answers differ:\n%s\n%s", known.raw, unknown.raw)
	}
	m := a.mail.WaitFor(t, "plain@example.com", "reset")
	link := a.path(m.Link(t))
	got := c.do("GET", link, nil)
	want(t, "GET reset link", got, 200)
	if got.header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("reset page Referrer-Policy %q", got.header.Get("Referrer-Policy"))
	}
	want(t, "reset with a weak password", c.do("POST", link, map[string]any{"password": "password", "password_confirm": "password"}), 400)
	want(t, "reset", c.do("POST", link, map[string]any{"password": "plain password 2", "password_confirm": "plain password 2"}), 200)
	want(t, "reset link again", c.do("POST", link, map[string]any{"password": "plain password 3", "password_confirm": "plain password 3"}), 400)
	want(t, "GET used link", c.do("GET", link, nil), 400)
	a.mail.WaitFor(t, "plain@example.com", "has been reset")
	fresh := a.client(t)
	want(t, "old password", fresh.login("plain@example.com", "plain password 1", nil), 400)
	want(t, "new password", fresh.login("plain@example.com", "plain password 2", nil), 200)
	// A superseded link fails: ask twice, use the first. (The reset logged
	// c in, and asking for a reset is for visitors who are not.)
	want(t, "forgot while logged in", c.do("POST", "/reset", map[string]any{"email": "plain@example.com"}), 400)
	c = a.client(t)
	c.fetchCSRF()
	c.do("POST", "/reset", map[string]any{"email": "plain@example.com"})
	first := a.path(a.mail.WaitFor(t, "plain@example.com", "reset").Link(t))
	c.do("POST", "/reset", map[string]any{"email": "plain@example.com"})
	second := a.path(a.mail.WaitFor(t, "plain@example.com", "reset").Link(t))
	want(t, "superseded link", c.do("POST", first, map[string]any{"password": "plain password 9", "password_confirm": "plain password 9"}), 400)
	want(t, "newest link", c.do("POST", second, map[string]any{"password": "plain password 1", "password_confirm": "plain password 1"}), 200)
	a.mail.WaitFor(t, "plain@example.com", "has been reset")
	// The forged Host header does not make links point elsewhere.
	c = a.client(t)
	c.fetchCSRF()
	c.hdr.Set("X-Forwarded-Host", "evil.example")
	req, _ := http.NewRequest("POST", a.base+"/reset", strings.NewReader(`{"email":"plain@example.com"}`))
	req.Host = "evil.example"
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", c.csrf)
	for _, ck := range c.http.Jar.Cookies(mustURL(a.base)) {
		req.AddCookie(ck)
	}
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
		if l := a.mail.WaitFor(t, "plain@example.com", "reset").Link(t); !strings.HasPrefix(l, a.base) {
			t.Errorf("link built from the Host header: %s", l)
		}
	}
}

func mustURL(s string) *url.URL { u, _ := url.Parse(s); return u }

func testChange(t *testing.T, a *app) {
	c := a.client(t)
	c.fetchCSRF()
	c.do("POST", "/register", map[string]any{"email": "changer@example.com", "password": "first password 1"})
	confirm(t, a, "changer@example.com", "first password 1")
	got := c.do("POST", "/login?include_auth_token", map[string]any{"email": "changer@example.com", "password": "first password 1"})
	want(t, "login", got, 200)
	tok := got.resp["user"].(map[string]any)["authentication_token"].(string)
	other := a.client(t)
	other.mustLogin("changer@example.com", "first password 1")

	got = c.do("GET", "/change", nil)
	if got.status != 200 || got.resp["active_password"] != true {
		t.Errorf("GET /change: %d %s", got.status, got.raw)
	}
	want(t, "wrong current password", c.do("POST", "/change", map[string]any{"password": "nope nope nope", "new_password": "second password 2"}), 400)
	want(t, "same password", c.do("POST", "/change", map[string]any{"password": "first password 1", "new_password": "first password 1"}), 400)
	want(t, "change", c.do("POST", "/change", map[string]any{"password": "first password 1", "new_password": "second password 2", "new_password_confirm": "second password 2"}), 200)
	a.mail.WaitFor(t, "changer@example.com", "changed")
	want(t, "this session goes on", c.do("GET", "/api/me", nil), 200)
	want(t, "the other session ended", other.do("GET", "/api/me", nil), 401)
	bare := a.client(t)
	bare.hdr.Set("Authentication-Token", tok)
	want(t, "old auth token", bare.do("GET", "/api/me", nil), 401)
	want(t, "anonymous /change", a.client(t).do("GET", "/change", nil), 401)
}

// confirm follows the welcome mail's link for email: its page's POST,
// with the password chosen at sign-up.
func confirm(t *testing.T, a *app, email, password string) {
	t.Helper()
	link := a.mail.WaitFor(t, email, "Welcome").Link(t)
	c := a.client(t)
	want(t, "open the link for "+email, c.do("GET", a.path(link), nil), 200)
	want(t, "confirm "+email, c.do("POST", a.path(link), map[string]any{"password": password}), 200)
}

func testPasswordless(t *testing.T, a *app) {
	c := a.client(t)
	c.fetchCSRF()
	want(t, "passwordless request", c.do("POST", "/login", map[string]any{"email": "admin@example.com"}), 200)
	link := a.path(a.mail.WaitFor(t, "admin@example.com", "Login instructions").Link(t))
	// Opening the link logs no one in; its page's POST does, once.
	want(t, "login link", c.do("GET", link, nil), 200)
	want(t, "/api/admin after opening the link", c.do("GET", "/api/admin", nil), 401)
	elsewhere := a.client(t)
	elsewhere.fetchCSRF()
	want(t, "the link in another browser, unconfirmed", elsewhere.do("POST", link, map[string]any{}), 400)
	want(t, "the link's POST", c.do("POST", link, map[string]any{}), 200)
	want(t, "/api/admin after the link", c.do("GET", "/api/admin", nil), 200)
	want(t, "login link again", a.client(t).do("GET", link, nil), 400)
}

func testSessions(t *testing.T, a *app) {
	c := a.client(t)
	c.fetchCSRF()
	want(t, "login with remember", c.login("admin@example.com", "correct horse battery", map[string]any{"remember": true}), 200)
	var remember, session *http.Cookie
	for _, ck := range c.http.Jar.Cookies(mustURL(a.base)) {
		switch ck.Name {
		case "remember_token":
			remember = ck
		case "gatehouse":
			session = ck
		}
	}
	if remember == nil || session == nil {
		t.Fatal("no remember or session cookie")
	}
	// The remember cookie alone restores a session.
	alone := a.client(t)
	alone.http.Jar.SetCookies(mustURL(a.base), []*http.Cookie{{Name: "remember_token", Value: remember.Value}})
	want(t, "/api/me with the remember cookie only", alone.do("GET", "/api/me", nil), 200)
	// Tampered cookies are ignored.
	for name, value := range map[string]string{
		"gatehouse":      session.Value[:len(session.Value)-4] + "AAAA",
		"remember_token": remember.Value[:len(remember.Value)-4] + "AAAA",
	} {
		tc := a.client(t)
		tc.http.Jar.SetCookies(mustURL(a.base), []*http.Cookie{{Name: name, Value: value}})
		want(t, "tampered "+name, tc.do("GET", "/api/me", nil), 401)
	}
	want(t, "logout", c.do("POST", "/logout", map[string]any{}), 200)
	want(t, "/api/me after logout", c.do("GET", "/api/me", nil), 401)
	replay := a.client(t)
	replay.http.Jar.SetCookies(mustURL(a.base), []*http.Cookie{{Name: "gatehouse", Value: session.Value}})
	want(t, "session cookie replayed after logout", replay.do("GET", "/api/me", nil), 401)
	// /protected redirects browsers to the login page.
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(a.base + "/protected")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/login?next=%2Fprotected" {
		t.Errorf("/protected: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func testCSRF(t *testing.T, a *app) {
	c := a.client(t)
	c.fetchCSRF()
	good := c.csrf
	c.csrf = ""
	got := c.do("POST", "/login", map[string]any{"email": "admin@example.com", "password": "correct horse battery"})
	if got.status != 400 || !strings.Contains(got.errors(), "CSRF") {
		t.Errorf("login without a CSRF token: %d %s", got.status, got.raw)
	}
	c.csrf = good[:len(good)-2] + "xx"
	want(t, "login with a bad CSRF token", c.do("POST", "/login", map[string]any{"email": "admin@example.com", "password": "correct horse battery"}), 400)
	// Another session's token is no good either.
	other := a.client(t)
	other.fetchCSRF()
	c.csrf = other.csrf
	want(t, "login with another session's token", c.do("POST", "/login", map[string]any{"email": "admin@example.com", "password": "correct horse battery"}), 400)
	// The token may come as a form field, and as X-CSRFToken.
	c.csrf = ""
	got = c.do("POST", "/login", url.Values{"email": {"admin@example.com"}, "password": {"correct horse battery"}, "csrf_token": {good}})
	if got.status != 303 {
		t.Errorf("form login with csrf_token field: %d %s", got.status, got.raw)
	}
	c.hdr.Set("X-CSRFToken", c.freshToken())
	want(t, "X-CSRFToken header", c.do("POST", "/logout", map[string]any{}), 200)
	c.hdr.Del("X-CSRFToken")
	// A cross-site browser POST is refused even with a token.
	c.fetchCSRF()
	c.hdr.Set("Sec-Fetch-Site", "cross-site")
	got = c.do("POST", "/login", map[string]any{"email": "admin@example.com", "password": "correct horse battery"})
	if got.status != 400 && got.status != 403 {
		t.Errorf("cross-site POST: %d", got.status)
	}
}

func (c *client) freshToken() string {
	c.fetchCSRF()
	tok := c.csrf
	c.csrf = ""
	return tok
}

func testOpenRedirects(t *testing.T, a *app) {
	for _, next := range []string{
		"//evil.com", "/\\evil.com", "\\\\evil.com", "https://evil.com", "http:/evil.com", "/%2f%2fevil.com",
		"/%5cevil.com", "javascript:alert(1)", "//evil.com@127.0.0.1", " //evil.com", "/\t/evil.com", "https:evil.com",
	} {
		c := a.client(t)
		c.fetchCSRF()
		got := c.do("POST", "/login?next="+url.QueryEscape(next), url.Values{
			"email": {"admin@example.com"}, "password": {"correct horse battery"}, "csrf_token": {c.csrf},
		})
		if got.status != 303 || got.header.Get("Location") != "/" {
			t.Errorf("next=%q: %d Location %q", next, got.status, got.header.Get("Location"))
		}
	}
	c := a.client(t)
	c.fetchCSRF()
	got := c.do("POST", "/login?next=%2Fprotected%3Fx%3D1", url.Values{
		"email": {"admin@example.com"}, "password": {"correct horse battery"}, "csrf_token": {c.csrf},
	})
	if got.header.Get("Location") != "/protected?x=1" {
		t.Errorf("safe next: Location %q", got.header.Get("Location"))
	}
}

func testMalformed(t *testing.T, a *app) {
	c := a.client(t)
	c.fetchCSRF()
	for name, body := range map[string][]byte{
		"a JSON string": []byte(`"str"`),
		"a JSON array":  []byte(`[1,2]`),
		"a number":      []byte(`42`),
		"not JSON":      []byte(`{"email":`),
		"wrong types":   []byte(`{"email": 5, "password": ["x"]}`),
		"invalid UTF-8": []byte("{\"email\": \"a\xff@example.com\", \"password\": \"x\"}"),
		"null":          []byte(`null`),
		"nested object": []byte(`{"email": {"$ne": 1}, "password": "x"}`),
		"huge":          bytes.Repeat([]byte("a"), 1<<20),
		"deeply nested": []byte(strings.Repeat("[", 10000)),
	} {
		for _, path := range []string{"/login", "/register", "/reset", "/confirm"} {
			got := c.do("POST", path, body)
			if got.status != 400 && got.status != 413 {
				t.Errorf("%s to %s: status %d: %.200s", name, path, got.status, got.raw)
			}
		}
	}
	// A 1 MB password is refused before any hashing: quickly.
	start := time.Now()
	got := c.do("POST", "/login", map[string]any{"email": "admin@example.com", "password": strings.Repeat("p", 1<<20)})
	if got.status != 413 && got.status != 400 {
		t.Errorf("1 MB password: %d", got.status)
	}
	got = c.do("POST", "/login", map[string]any{"email": "admin@example.com", "password": strings.Repeat("p", 60<<10)})
	if got.status != 400 {
		t.Errorf("60 KB password: %d", got.status)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("huge passwords took %v", d)
	}
}

func testNoEnumeration(t *testing.T, a *app) {
	c := a.client(t)
	c.fetchCSRF()
	c.do("POST", "/register", map[string]any{"email": "sleeper@example.com", "password": "sleeper password 1"})
	confirm(t, a, "sleeper@example.com", "sleeper password 1")
	deactivate(t, a, "sleeper@example.com")
	bodies := map[string][]byte{}
	for name, creds := range map[string][2]string{
		"unknown":        {"nobody@example.com", "some password 1"},
		"wrong password": {"admin@example.com", "some password 1"},
		"inactive":       {"sleeper@example.com", "sleeper password 1"},
	} {
		got := c.login(creds[0], creds[1], nil)
		want(t, name, got, 400)
		bodies[name] = got.raw
	}
	if !bytes.Equal(bodies["unknown"], bodies["wrong password"]) || !bytes.Equal(bodies["unknown"], bodies["inactive"]) {
		t.Errorf("login answers differ:\n%s\n%s\n%s", bodies["unknown"], bodies["wrong password"], bodies["inactive"])
	}
	for _, path := range []string{"/reset", "/confirm"} {
		known := c.do("POST", path, map[string]any{"email": "admin@example.com"})
		unknown := c.do("POST", path, map[string]any{"email": "nobody@example.com"})
		if known.status != unknown.status || !bytes.Equal(known.raw, unknown.raw) {
			t.Errorf("%s answers differ: %s / %s", path, known.raw, unknown.raw)
		}
	}
	passwordless := c.do("POST", "/login", map[string]any{"email": "nobody@example.com"})
	want(t, "passwordless for an unknown address", passwordless, 200)
	// The per-address mail limit answers alike for known and unknown.
	var last [2]int
	for range 7 {
		last[0] = c.do("POST", "/reset", map[string]any{"email": "limit-unknown@example.com"}).status
		last[1] = c.do("POST", "/reset", map[string]any{"email": "plain@example.com"}).status
	}
	if last[0] != 429 || last[1] != 429 {
		t.Errorf("after 7 requests: statuses %v, want 429 for both", last)
	}
}

// deactivate reaches into the app's database, as an admin would with the
// CLI.
func deactivate(t *testing.T, a *app, email string) {
	t.Helper()
	if !strings.HasPrefix(a.db, "sqlite") {
		db, err := sql.Open("pgx", a.db)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec("UPDATE gatehouse_users SET active = false WHERE email_key = $1", email); err != nil {
			t.Fatal(err)
		}
		return
	}
	db, err := sql.Open("sqlite", sqlitestore.DSN("/"+strings.TrimPrefix(a.db, "sqlite:///")))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := sqlitestore.New(db)
	u, err := s.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	off := false
	if err := s.UpdateUser(context.Background(), u.ID, gatehouse.UserChange{Active: &off, UpdatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
}

func testConcurrentLogins(t *testing.T, a *app) {
	var wg sync.WaitGroup
	errs := make(chan string, 48)
	for i := range 48 {
		wg.Go(func() {
			c := a.client(t)
			if got := c.do("GET", "/login", nil); got.status != 200 {
				errs <- fmt.Sprintf("client %d: GET /login %d", i, got.status)
				return
			}
			email, pw := "admin@example.com", "correct horse battery"
			if i%2 == 1 {
				email, pw = "plain@example.com", "plain password 1"
			}
			if got := c.do("POST", "/login", map[string]any{"email": email, "password": pw}); got.status != 200 {
				errs <- fmt.Sprintf("client %d: login %d %s", i, got.status, got.raw)
				return
			}
			if got := c.do("GET", "/api/me", nil); got.status != 200 {
				errs <- fmt.Sprintf("client %d: /api/me %d", i, got.status)
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func testHTML(t *testing.T, a *app) {
	for _, path := range []string{"/login", "/register", "/reset", "/confirm"} {
		resp, err := http.Get(a.base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), `name="csrf_token"`) || !strings.Contains(string(body), "<label for=") {
			t.Errorf("GET %s: %d, page lacks a CSRF field or labels", path, resp.StatusCode)
		}
	}
	req, _ := http.NewRequest("GET", a.base+"/login", nil)
	req.Header.Set("Accept-Language", "de-DE,de;q=0.9,en;q=0.5")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "Passwort") || !strings.Contains(string(body), `lang="de"`) {
		t.Errorf("German login page not German")
	}
}

// Mailed links: HEAD (a mail scanner) and GET spend nothing and log no
// one in; the account pre-hijacking sequence fails.
func testLinks(t *testing.T, a *app) {
	// The attacker signs the victim's address up with a password of theirs.
	attacker := a.client(t)
	attacker.fetchCSRF()
	want(t, "register the victim's address", attacker.do("POST", "/register", map[string]any{"email": "victim@example.com", "password": "the attacker's password"}), 200)
	link := a.path(a.mail.WaitFor(t, "victim@example.com", "Welcome").Link(t))
	for range 2 {
		req, _ := http.NewRequest("HEAD", a.base+link, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		want(t, "GET the link", a.client(t).do("GET", link, nil), 200)
	}
	// The victim confirms, and the page has them choose the password.
	victim := a.client(t)
	want(t, "open the link", victim.do("GET", link, nil), 200)
	want(t, "confirm with a new password", victim.do("POST", link, map[string]any{"new_password": "the victim's own choice", "new_password_confirm": "the victim's own choice"}), 200)
	want(t, "the attacker's password", a.client(t).login("victim@example.com", "the attacker's password", nil), 400)
	want(t, "the victim's password", a.client(t).login("victim@example.com", "the victim's own choice", nil), 200)

	// A passwordless link opened (HEAD, GET) stays usable and logs no one in.
	c := a.client(t)
	c.fetchCSRF()
	want(t, "ask for a link", c.do("POST", "/login", map[string]any{"email": "plain@example.com"}), 200)
	login := a.path(a.mail.WaitFor(t, "plain@example.com", "Login instructions").Link(t))
	req, _ := http.NewRequest("HEAD", a.base+login, nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	want(t, "GET the login link", c.do("GET", login, nil), 200)
	want(t, "not logged in by opening it", c.do("GET", "/api/me", nil), 401)
	want(t, "the link's button", c.do("POST", login, map[string]any{}), 200)
	want(t, "logged in by the button", c.do("GET", "/api/me", nil), 200)
}

// RequireFresh reaches /verify and back, without a loop: a browser by
// redirects, a JSON client by a 401 with reauth_required.
func testVerify(t *testing.T, a *app) {
	c := a.client(t)
	want(t, "login with remember", c.login("admin@example.com", "correct horse battery", map[string]any{"remember": true}), 200)
	want(t, "fresh just after login", c.do("GET", "/api/fresh", nil), 200)
	// A new browser session restored from the remember cookie is not fresh.
	var remember *http.Cookie
	for _, ck := range c.http.Jar.Cookies(mustURL(a.base)) {
		if ck.Name == "remember_token" {
			remember = ck
		}
	}
	if remember == nil {
		t.Fatal("no remember cookie")
	}
	restored := a.client(t)
	restored.http.Jar.SetCookies(mustURL(a.base), []*http.Cookie{{Name: "remember_token", Value: remember.Value}})
	got := restored.do("GET", "/api/fresh", nil)
	want(t, "JSON, not fresh", got, 401)
	if !bytes.Contains(got.raw, []byte(`"reauth_required":true`)) {
		t.Errorf("no reauth_required: %s", got.raw)
	}
	restored.fetchCSRF()
	want(t, "verify with a wrong password", restored.do("POST", "/verify", map[string]any{"password": "wrong"}), 400)
	want(t, "verify", restored.do("POST", "/verify", map[string]any{"password": "correct horse battery"}), 200)
	want(t, "JSON, fresh again", restored.do("GET", "/api/fresh", nil), 200)

	// A browser: /fresh -> /verify?next=/fresh -> (password) -> /fresh.
	b := a.client(t)
	b.http.Jar.SetCookies(mustURL(a.base), []*http.Cookie{{Name: "remember_token", Value: remember.Value}})
	html := func(method, path string, form url.Values) answer {
		t.Helper()
		req, _ := http.NewRequest(method, a.base+path, nil)
		if form != nil {
			req, _ = http.NewRequest(method, a.base+path, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		req.Header.Set("Accept", "text/html")
		resp, err := b.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return answer{status: resp.StatusCode, raw: raw, header: resp.Header}
	}
	got = html("GET", "/fresh", nil)
	if got.status != 303 || got.header.Get("Location") != "/verify?next=%2Ffresh" {
		t.Fatalf("stale browser at /fresh: %d to %q", got.status, got.header.Get("Location"))
	}
	page := html("GET", "/verify?next=%2Ffresh", nil)
	want(t, "the verify page", page, 200)
	token := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindSubmatch(page.raw)
	if token == nil {
		t.Fatalf("no CSRF token on the verify page: %s", page.raw)
	}
	got = html("POST", "/verify?next=%2Ffresh", url.Values{"csrf_token": {string(token[1])}, "password": {"correct horse battery"}})
	if got.status != 303 || got.header.Get("Location") != "/fresh" {
		t.Fatalf("after verify: %d to %q: %s", got.status, got.header.Get("Location"), got.raw)
	}
	want(t, "fresh after verify", html("GET", "/fresh", nil), 200)
}
