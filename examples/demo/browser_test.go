package main

import (
	"context"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/views"
)

// chromium finds the browser: /usr/bin/chromium from Debian's package.
// Outside CI a missing browser skips the test; in CI it fails it.
func chromium(t *testing.T) string {
	for _, p := range []string{os.Getenv("GATEHOUSE_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p != "" {
			if _, err := exec.LookPath(p); err == nil {
				return p
			}
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed in CI: scripts/test.sh installs it")
	}
	t.Skip("chromium not installed (apt-get install chromium)")
	return ""
}

// screenshots are saved as test artifacts, in $GATEHOUSE_ARTIFACTS or
// artifacts/screenshots at the repository root.
func screenshotDir(t *testing.T) string {
	dir := os.Getenv("GATEHOUSE_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "artifacts")
	}
	dir = filepath.Join(dir, "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

type browser struct {
	t      *testing.T
	ctx    context.Context
	cancel func()
	base   string
	shots  string
	n      int
}

func startBrowser(t *testing.T, exe, base, shots string) *browser {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1100, 900),
	)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	b := &browser{t: t, ctx: ctx, base: base, shots: shots, cancel: func() { cancel(); acancel() }}
	// The first call starts the browser; it must have no timeout of its own.
	if err := chromedp.Do(ctx); err != nil {
		b.cancel()
		t.Fatalf("starting chromium: %v", err)
	}
	return b
}

// step bounds one action's time without bounding the browser's life.
func (b *browser) step() (context.Context, context.CancelFunc) {
	return context.WithTimeout(b.ctx, 20*time.Second)
}

func (b *browser) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		loc, _ := chromedp.Run(b.ctx, chromedp.Location())
		body, _ := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("body")))
		b.t.Fatalf("%s: %v (at %s: %.500s)", what, err, loc, body)
	}
}

func get[T any](b *browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// shot saves a screenshot of the whole page as NN-name.png.
func (b *browser) shot(name string) {
	b.t.Helper()
	png := get(b, "screenshot "+name, chromedp.FullScreenshot(100))
	b.n++
	path := filepath.Join(b.shots, strings.Join([]string{twoDigits(b.n), name}, "-")+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

func twoDigits(n int) string { return string(rune('0'+n/10)) + string(rune('0'+n%10)) }

func (b *browser) text(sel string) string {
	b.t.Helper()
	return get(b, "read "+sel, chromedp.Text(chromedp.CSS(sel)))
}

func (b *browser) wantText(sel, want string) {
	b.t.Helper()
	if got := b.text(sel); !strings.Contains(got, want) {
		b.t.Fatalf("%s: %q does not contain %q", sel, got, want)
	}
}

// mailLink opens the dev mailbox and returns the first link of the newest
// mail whose subject contains subject.
func (b *browser) mailLink(subject string) string {
	b.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b.run("open mailbox", chromedp.Navigate(b.base+"/dev/mail"))
		href := get(b, "find mail", chromedp.Evaluate[string](`(() => {
			for (const m of document.querySelectorAll("article.mail")) {
				if (m.querySelector("h2").textContent.includes(`+"`"+subject+"`"+`)) { return m.querySelector("a").href }
			}
			return ""
		})()`))
		if href != "" {
			return href
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("no mail %q in the dev mailbox", subject)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

const (
	userEmail = "grace@example.com"
	pw1       = "first example password"
	pw2       = "second example password"
	pw3       = "third example password"
)

func TestBrowserJourney(t *testing.T) {
	exe := chromium(t)
	shots := screenshotDir(t)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	d, err := newDemo(ctx, filepath.Join(t.TempDir(), "demo.db"), base, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	go d.views.Run(ctx)
	srv := httptest.NewUnstartedServer(d.handler)
	srv.Listener = ln
	srv.Start()
	defer srv.Close()

	b := startBrowser(t, exe, base, shots)
	defer func() { b.cancel() }()

	b.run("home", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("h1")))
	b.wantText("main", "You are not logged in")
	b.shot("home-anonymous")

	// Sign up: first with mismatched passwords (errors next to fields).
	b.run("register page", chromedp.Navigate(base+"/register"), chromedp.WaitVisible(chromedp.CSS("#email")))
	b.shot("register")
	b.run("register with errors",
		chromedp.SendKeys(chromedp.CSS("#email"), userEmail),
		chromedp.SendKeys(chromedp.CSS("#password"), pw1),
		chromedp.SendKeys(chromedp.CSS("#password_confirm"), "something else"),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("#password_confirm-error")))
	b.wantText("#password_confirm-error", "Passwords do not match")
	described := get(b, "aria", chromedp.AttributeValue(chromedp.CSS("#password_confirm"), "aria-describedby")).Value
	if described != "password_confirm-error" {
		t.Errorf("error text not tied to its field: aria-describedby=%q", described)
	}
	b.shot("register-errors")
	b.run("register",
		chromedp.SendKeys(chromedp.CSS("#password"), pw1), // the page never echoes passwords
		chromedp.SendKeys(chromedp.CSS("#password_confirm"), pw1),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS(".flash")))
	b.wantText(".flash", "Confirmation instructions have been sent")
	b.shot("registered")

	// Confirm from the dev mailbox.
	link := b.mailLink("Welcome")
	b.shot("dev-mailbox")
	// Opening the link confirms nothing: its page asks for the password
	// chosen at sign-up (or a new one), and its button confirms.
	b.run("confirm link", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("#password")))
	b.shot("confirm-page")
	b.run("confirm",
		chromedp.SendKeys(chromedp.CSS("#password"), pw1),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("#who")))
	b.wantText(".flash", "Your email has been confirmed")
	b.wantText("#who", userEmail)
	b.shot("confirmed")

	// Log out, then in: a wrong password first, then with remember me.
	b.run("logout", chromedp.Click(chromedp.CSS("nav form button")), chromedp.WaitVisible(chromedp.CSS(`a[href="/login"]`)))
	b.run("login page", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.CSS("#email")))
	b.shot("login")
	b.run("wrong password",
		chromedp.SendKeys(chromedp.CSS("#email"), userEmail),
		chromedp.SendKeys(chromedp.CSS("#password"), "not my password"),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("#password-error")))
	b.wantText("#password-error", "Invalid username or password")
	b.shot("login-errors")
	b.run("login with remember me",
		chromedp.SendKeys(chromedp.CSS("#password"), pw1),
		chromedp.Click(chromedp.CSS(`input[name="remember"]`)),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("#who")))
	b.shot("logged-in")

	// Restart the browser: only persistent cookies survive, as in a real
	// browser; the remember cookie brings the session back.
	got, err := chromedp.Call(b.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{base}})
	if err != nil {
		t.Fatal(err)
	}
	cookies := got.Cookies
	b.cancel()
	var keep []*network.CookieParam
	for _, c := range cookies {
		if c.Session {
			continue // a browser drops these when it closes
		}
		exp := cdp.TimeSinceEpoch(c.Expires)
		keep = append(keep, &network.CookieParam{Name: c.Name, Value: c.Value, URL: base, Path: c.Path, HTTPOnly: c.HTTPOnly, SameSite: c.SameSite, Expires: exp})
	}
	if len(keep) != 1 || keep[0].Name != "remember_token" {
		t.Fatalf("persistent cookies after login: %v (want only remember_token)", keep)
	}
	b = startBrowser(t, exe, base, shots)
	b.n = 9
	if _, err := chromedp.Call(b.ctx, network.SetCookies, network.SetCookiesParams{Cookies: keep}); err != nil {
		t.Fatal(err)
	}
	b.run("protected after restart", chromedp.Navigate(base+"/protected"), chromedp.WaitVisible(chromedp.CSS("#who")))
	b.wantText("h1", "Protected")
	b.wantText("#who", userEmail)
	b.shot("restored-by-remember-cookie")

	// Not an admin: refused.
	b.run("admin", chromedp.Navigate(base+"/admin"), chromedp.WaitVisible(chromedp.CSS("body")))
	b.wantText("body", "You do not have permission")
	b.shot("admin-refused")

	// Change password.
	b.run("change page", chromedp.Navigate(base+"/change"), chromedp.WaitVisible(chromedp.CSS("#new_password")))
	b.shot("change")
	b.run("change",
		chromedp.SendKeys(chromedp.CSS("#password"), pw1),
		chromedp.SendKeys(chromedp.CSS("#new_password"), pw2),
		chromedp.SendKeys(chromedp.CSS("#new_password_confirm"), pw2),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS(".flash")))
	b.wantText(".flash", "You successfully changed your password")
	b.shot("changed")

	// Forgot, then reset from the mailed link.
	b.run("logout", chromedp.Click(chromedp.CSS("nav form button")), chromedp.WaitVisible(chromedp.CSS(`a[href="/login"]`)))
	b.run("forgot page", chromedp.Navigate(base+"/reset"), chromedp.WaitVisible(chromedp.CSS("#email")))
	b.shot("forgot")
	b.run("forgot",
		chromedp.SendKeys(chromedp.CSS("#email"), userEmail),
		chromedp.Submit(chromedp.CSS("#email")),
		chromedp.WaitVisible(chromedp.CSS(".flash")))
	b.wantText(".flash", "If that email address is in our system")
	link = b.mailLink("Password reset")
	b.run("reset page", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("#password_confirm")))
	b.shot("reset")
	b.run("reset",
		chromedp.SendKeys(chromedp.CSS("#password"), pw3),
		chromedp.SendKeys(chromedp.CSS("#password_confirm"), pw3),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("#who")))
	b.wantText(".flash", "You successfully reset your password")
	b.shot("reset-done")
	// The used link is refused.
	b.run("used link", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(".flash")))
	b.wantText(".flash", "Invalid reset password token")

	// Log in as the admin: the admin page opens.
	b.run("logout", chromedp.Navigate(base+"/"), chromedp.Click(chromedp.CSS("nav form button")), chromedp.WaitVisible(chromedp.CSS(`a[href="/login"]`)))
	b.run("admin login", chromedp.Navigate(base+"/login?next=/admin"),
		chromedp.SendKeys(chromedp.CSS("#email"), adminEmail),
		chromedp.SendKeys(chromedp.CSS("#password"), adminPassword),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("table")))
	b.wantText("table", userEmail)
	b.shot("admin")

	// Dark mode and a phone-sized screen, for the built-in pages.
	if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}},
	}); err != nil {
		t.Fatal(err)
	}
	b.run("logout", chromedp.Click(chromedp.CSS("nav form button")), chromedp.WaitVisible(chromedp.CSS(`a[href="/login"]`)))
	b.run("dark login", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.CSS("#email")))
	b.shot("login-dark")
	if _, err := chromedp.Call(b.ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
		Width: 390, Height: 844, DeviceScaleFactor: 1, Mobile: true,
	}); err != nil {
		t.Fatal(err)
	}
	b.run("phone register", chromedp.Navigate(base+"/register"), chromedp.WaitVisible(chromedp.CSS("#email")))
	b.shot("register-dark-phone")
	t.Logf("screenshots in %s", shots)
}

// An attacker's page on another site sends the victim's browser to a
// mailed link of the attacker's account: by navigation (GET), and by an
// auto-submitted form (POST). Neither logs the victim in (login CSRF) nor
// uses the link up.
func TestCrossSiteLinks(t *testing.T) {
	exe := chromium(t)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	d, err := newDemo(ctx, filepath.Join(t.TempDir(), "demo.db"), base, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	srv := httptest.NewUnstartedServer(d.handler)
	srv.Listener = ln
	srv.Start()
	defer srv.Close()

	// The attacker's account: confirmed, and one not yet confirmed.
	attacker := &gatehouse.User{Email: "mallory@example.com", Active: true, ConfirmedAt: time.Now()}
	if err := d.auth.CreateUser(ctx, attacker, "mallory's password"); err != nil {
		t.Fatal(err)
	}
	pending := &gatehouse.User{Email: "mallory2@example.com", Active: true}
	if err := d.auth.CreateUser(ctx, pending, "mallory's password"); err != nil {
		t.Fatal(err)
	}
	loginTok, _ := d.auth.IssueToken(ctx, views.TokenLogin, attacker, time.Hour, "")
	confirmTok, _ := d.auth.IssueToken(ctx, views.TokenConfirm, pending, time.Hour, "")
	links := map[string]string{"login": base + "/login/" + loginTok, "confirm": base + "/confirm/" + confirmTok}

	// The attacker's site: "localhost" is another site than 127.0.0.1.
	evil := http.NewServeMux()
	evil.HandleFunc("/go", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<!doctype html><script>location.href = %q</script>`, r.URL.Query().Get("to"))
	})
	evil.HandleFunc("/post", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<!doctype html><form method="post" action="%s"><input name="password" value="mallory's password"><input name="switch" value="true"><input name="other_device" value="true"></form><script>document.forms[0].submit()</script>`, html.EscapeString(r.URL.Query().Get("to")))
	})
	evilSrv := httptest.NewServer(evil)
	defer evilSrv.Close()
	evilBase := strings.Replace(evilSrv.URL, "127.0.0.1", "localhost", 1)

	b := startBrowser(t, exe, base, screenshotDir(t))
	defer b.cancel()
	b.n = 30 // after the journey's screenshots
	for name, link := range links {
		for _, how := range []string{"go", "post"} {
			b.run(name+" by "+how, chromedp.Navigate(evilBase+"/"+how+"?to="+url.QueryEscape(link)), chromedp.Sleep(time.Second))
			b.run("home", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("main")))
			b.wantText("main", "You are not logged in")
		}
	}
	if _, _, err := d.auth.PeekToken(ctx, views.TokenLogin, loginTok); err != nil {
		t.Errorf("the login link was used up: %v", err)
	}
	if _, u, err := d.auth.PeekToken(ctx, views.TokenConfirm, confirmTok); err != nil || u.IsConfirmed() {
		t.Errorf("the confirmation link was used: %v", err)
	}
	// The link still works, for whoever clicks its own page's button.
	b.run("login link", chromedp.Navigate(links["login"]), chromedp.WaitVisible(chromedp.CSS("form button")))
	b.shot("login-link-page")
	b.run("click", chromedp.Click(chromedp.CSS("form button")), chromedp.WaitVisible(chromedp.CSS("#who")))
	b.wantText("#who", "mallory@example.com")
}
