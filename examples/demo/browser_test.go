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
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/examples/internal/browsertest"
	"github.com/gatehouse-auth/gatehouse/views"
)

// serveDemo serves a new demo on a database of its own until the test
// ends, at localhost (passkeys need a domain) or at 127.0.0.1, with its
// mail workers running; it returns the demo and its address.
func serveDemo(t *testing.T, ctx context.Context, byName bool) (*demo, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	if byName {
		base = siteURL(ln.Addr().(*net.TCPAddr))
	}
	d, err := newDemo(ctx, filepath.Join(t.TempDir(), "demo.db"), base, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	go d.views.Run(ctx)
	srv := httptest.NewUnstartedServer(d.handler)
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return d, base
}

const (
	userEmail = "grace@example.com"
	pw1       = "first example password"
	pw2       = "second example password"
	pw3       = "third example password"
)

func TestBrowserJourney(t *testing.T) {
	exe := browsertest.Chromium(t)
	shots := browsertest.ScreenshotDir(t)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	_, base := serveDemo(t, ctx, false)

	b := browsertest.Start(t, exe, base, shots)
	defer func() { b.Cancel() }()

	b.Run("home", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("h1")))
	b.WantText("main", "You are not logged in")
	b.Shot("home-anonymous")

	// Sign up: first with mismatched passwords (errors next to fields).
	b.Run("register page", chromedp.Navigate(base+"/register"), chromedp.WaitVisible(chromedp.CSS("#email")))
	b.Shot("register")
	b.Run("register with errors",
		chromedp.SendKeys(chromedp.CSS("#email"), userEmail),
		chromedp.SendKeys(chromedp.CSS("#password"), pw1),
		chromedp.SendKeys(chromedp.CSS("#password_confirm"), "something else"),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("#password_confirm-error")))
	b.WantText("#password_confirm-error", "Passwords do not match")
	described := browsertest.Get(b, "aria", chromedp.AttributeValue(chromedp.CSS("#password_confirm"), "aria-describedby")).Value
	if described != "password_confirm-error" {
		t.Errorf("error text not tied to its field: aria-describedby=%q", described)
	}
	b.Shot("register-errors")
	b.Run("register",
		chromedp.SendKeys(chromedp.CSS("#password"), pw1), // the page never echoes passwords
		chromedp.SendKeys(chromedp.CSS("#password_confirm"), pw1),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS(".flash")))
	b.WantText(".flash", "Confirmation instructions have been sent")
	b.Shot("registered")

	// Confirm from the dev mailbox.
	link := b.MailLink("Welcome")
	b.Shot("dev-mailbox")
	// Opening the link confirms nothing: its page asks for the password
	// chosen at sign-up (or a new one), and its button confirms.
	b.Run("confirm link", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("#password")))
	b.Shot("confirm-page")
	b.Run("confirm",
		chromedp.SendKeys(chromedp.CSS("#password"), pw1),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("#who")))
	b.WantText(".flash", "Your email has been confirmed")
	b.WantText("#who", userEmail)
	b.Shot("confirmed")

	// Log out, then in: a wrong password first, then with remember me.
	b.Run("logout", chromedp.Click(chromedp.CSS("nav form button")), chromedp.WaitVisible(chromedp.CSS(`a[href="/login"]`)))
	b.Run("login page", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.CSS("#email")))
	b.Shot("login")
	b.Run("wrong password",
		chromedp.SendKeys(chromedp.CSS("#email"), userEmail),
		chromedp.SendKeys(chromedp.CSS("#password"), "not my password"),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("#password-error")))
	b.WantText("#password-error", "Invalid username or password")
	b.Shot("login-errors")
	b.Run("login with remember me",
		chromedp.SendKeys(chromedp.CSS("#password"), pw1),
		chromedp.Click(chromedp.CSS(`input[name="remember"]`)),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("#who")))
	b.Shot("logged-in")

	// Restart the browser: only persistent cookies survive, as in a real
	// browser; the remember cookie brings the session back.
	got, err := chromedp.Call(b.Ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{base}})
	if err != nil {
		t.Fatal(err)
	}
	cookies := got.Cookies
	b.Cancel()
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
	b = browsertest.Start(t, exe, base, shots)
	b.N = 9
	if _, err := chromedp.Call(b.Ctx, network.SetCookies, network.SetCookiesParams{Cookies: keep}); err != nil {
		t.Fatal(err)
	}
	b.Run("protected after restart", chromedp.Navigate(base+"/protected"), chromedp.WaitVisible(chromedp.CSS("#who")))
	b.WantText("h1", "Protected")
	b.WantText("#who", userEmail)
	b.Shot("restored-by-remember-cookie")

	// Not an admin: refused.
	b.Run("admin", chromedp.Navigate(base+"/admin"), chromedp.WaitVisible(chromedp.CSS("body")))
	b.WantText("body", "You do not have permission")
	b.Shot("admin-refused")

	// Change password.
	b.Run("change page", chromedp.Navigate(base+"/change"), chromedp.WaitVisible(chromedp.CSS("#new_password")))
	b.Shot("change")
	b.Run("change",
		chromedp.SendKeys(chromedp.CSS("#password"), pw1),
		chromedp.SendKeys(chromedp.CSS("#new_password"), pw2),
		chromedp.SendKeys(chromedp.CSS("#new_password_confirm"), pw2),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS(".flash")))
	b.WantText(".flash", "You successfully changed your password")
	b.Shot("changed")

	// Forgot, then reset from the mailed link.
	b.Run("logout", chromedp.Click(chromedp.CSS("nav form button")), chromedp.WaitVisible(chromedp.CSS(`a[href="/login"]`)))
	b.Run("forgot page", chromedp.Navigate(base+"/reset"), chromedp.WaitVisible(chromedp.CSS("#email")))
	b.Shot("forgot")
	b.Run("forgot",
		chromedp.SendKeys(chromedp.CSS("#email"), userEmail),
		chromedp.Submit(chromedp.CSS("#email")),
		chromedp.WaitVisible(chromedp.CSS(".flash")))
	b.WantText(".flash", "If that email address is in our system")
	link = b.MailLink("Password reset")
	b.Run("reset page", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("#password_confirm")))
	b.Shot("reset")
	b.Run("reset",
		chromedp.SendKeys(chromedp.CSS("#password"), pw3),
		chromedp.SendKeys(chromedp.CSS("#password_confirm"), pw3),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("#who")))
	b.WantText(".flash", "You successfully reset your password")
	b.Shot("reset-done")
	// The used link is refused.
	b.Run("used link", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(".flash")))
	b.WantText(".flash", "Invalid reset password token")

	// Log in as the admin: the admin page opens.
	b.Run("logout", chromedp.Navigate(base+"/"), chromedp.Click(chromedp.CSS("nav form button")), chromedp.WaitVisible(chromedp.CSS(`a[href="/login"]`)))
	b.Run("admin login", chromedp.Navigate(base+"/login?next=/admin"),
		chromedp.SendKeys(chromedp.CSS("#email"), adminEmail),
		chromedp.SendKeys(chromedp.CSS("#password"), adminPassword),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("table")))
	b.WantText("table", userEmail)
	b.Shot("admin")

	// Dark mode and a phone-sized screen, for the built-in pages.
	if _, err := chromedp.Call(b.Ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}},
	}); err != nil {
		t.Fatal(err)
	}
	b.Run("logout", chromedp.Click(chromedp.CSS("nav form button")), chromedp.WaitVisible(chromedp.CSS(`a[href="/login"]`)))
	b.Run("dark login", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.CSS("#email")))
	b.Shot("login-dark")
	if _, err := chromedp.Call(b.Ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
		Width: 390, Height: 844, DeviceScaleFactor: 1, Mobile: true,
	}); err != nil {
		t.Fatal(err)
	}
	b.Run("phone register", chromedp.Navigate(base+"/register"), chromedp.WaitVisible(chromedp.CSS("#email")))
	b.Shot("register-dark-phone")
	t.Logf("screenshots in %s", shots)
}

// An attacker's page on another site sends the victim's browser to a
// mailed link of the attacker's account: by navigation (GET), and by an
// auto-submitted form (POST). Neither logs the victim in (login CSRF) nor
// uses the link up.
func TestCrossSiteLinks(t *testing.T) {
	exe := browsertest.Chromium(t)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	d, base := serveDemo(t, ctx, false)

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

	b := browsertest.Start(t, exe, base, browsertest.ScreenshotDir(t))
	defer b.Cancel()
	b.N = 30 // after the journey's screenshots
	for name, link := range links {
		for _, how := range []string{"go", "post"} {
			b.Run(name+" by "+how, chromedp.Navigate(evilBase+"/"+how+"?to="+url.QueryEscape(link)), chromedp.Sleep(time.Second))
			b.Run("home", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("main")))
			b.WantText("main", "You are not logged in")
		}
	}
	if _, _, err := d.auth.PeekToken(ctx, views.TokenLogin, loginTok); err != nil {
		t.Errorf("the login link was used up: %v", err)
	}
	if _, u, err := d.auth.PeekToken(ctx, views.TokenConfirm, confirmTok); err != nil || u.IsConfirmed() {
		t.Errorf("the confirmation link was used: %v", err)
	}
	// The link still works, for whoever clicks its own page's button.
	b.Run("login link", chromedp.Navigate(links["login"]), chromedp.WaitVisible(chromedp.CSS("main form button")))
	b.Shot("login-link-page")
	b.Run("click", chromedp.Click(chromedp.CSS("main form button")), chromedp.WaitVisible(chromedp.CSS("#who")))
	b.WantText("#who", "mallory@example.com")
}
