package main

import (
	"context"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/examples/internal/browsertest"
)

// The single-page app in Chromium: it logs in and out over the JSON API
// with the CSRF token from the XSRF-TOKEN cookie; a mailed reset link and
// a mailed login link land on the app's own routes (never a server page),
// where it POSTs their tokens; a bad link lands on its error route with
// the message.
func TestSinglePageApp(t *testing.T) {
	exe := browsertest.Chromium(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	s, err := newSite(base)
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go s.views.Run(ctx)
	srv := httptest.NewUnstartedServer(s.handler)
	srv.Listener = ln
	srv.Start()
	defer srv.Close()
	const email, pw1, pw2 = "ada@example.com", "analytical engine 1843", "difference engine 1822"
	if err := s.auth.CreateUser(ctx, &gatehouse.User{Email: email, Active: true, ConfirmedAt: time.Now()}, pw1); err != nil {
		t.Fatal(err)
	}
	shots := filepath.Join(browsertest.ScreenshotDir(t), "spa")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	b := browsertest.Start(t, exe, base, shots)
	defer b.Cancel()
	ready := func(route string) chromedp.Action[chromedp.Void] {
		return chromedp.WaitVisible(chromedp.CSS(`body[data-ready="` + route + `"]`))
	}
	login := func(password string) {
		t.Helper()
		b.Run("login", chromedp.Navigate(base+"/app/login"), ready("/app/login"),
			chromedp.SendKeys(chromedp.CSS("#login-email"), email), chromedp.SendKeys(chromedp.CSS("#login-password"), password),
			chromedp.Click(chromedp.CSS("#login button")), chromedp.WaitVisible(chromedp.CSS("#who")))
		b.WantText("#who", email)
	}

	login(pw1)
	b.Run("hello", chromedp.Click(chromedp.CSS("#hello")), chromedp.WaitVisible(chromedp.CSS("#message")))
	b.WantText("#message", "Hello, "+email)
	b.Shot("logged-in")
	b.Run("logout", chromedp.Click(chromedp.CSS("#logout")), ready("/app/"))
	b.WantText("#message", "Logged out.")
	b.WantText("main", "You are not logged in")

	// A reset link lands on the app's route with its token.
	b.Run("forgot", chromedp.Navigate(base+"/app/forgot"), ready("/app/forgot"),
		chromedp.SendKeys(chromedp.CSS("#forgot-email"), email), chromedp.Click(chromedp.CSS("#forgot button")),
		chromedp.WaitVisible(chromedp.CSS("#message")))
	b.WantText("#message", "reset instructions are on their way")
	link := b.MailLink("Password reset instructions")
	b.Run("reset link", chromedp.Navigate(link), ready("/app/reset"))
	b.Shot("reset")
	b.Run("new password", chromedp.SendKeys(chromedp.CSS("#reset-password"), pw2), chromedp.SendKeys(chromedp.CSS("#reset-password_confirm"), pw2),
		chromedp.Click(chromedp.CSS("#reset button")), ready("/app/login"))
	b.WantText("#message", "Your password is changed")
	login(pw2)
	b.Run("logout", chromedp.Click(chromedp.CSS("#logout")), ready("/app/"))

	// The used link, again: the app's error route says why.
	b.Run("used reset link", chromedp.Navigate(link), ready("/app/forgot"))
	b.WantText("#message", "Invalid reset password token")

	// A login link, asked for in this browser.
	b.Run("ask for a login link", chromedp.Navigate(base+"/app/login"), ready("/app/login"),
		chromedp.SendKeys(chromedp.CSS("#magic-email"), email), chromedp.Click(chromedp.CSS("#magic button")),
		chromedp.WaitVisible(chromedp.CSS("#message")))
	magic := b.MailLink("Login instructions")
	b.Run("login link", chromedp.Navigate(magic), ready("/app/magic"))
	b.WantText("main", "Log in as "+email+"?")
	b.Shot("magic-link")
	b.Run("log in by link", chromedp.Click(chromedp.CSS("#magic-confirm button")), chromedp.WaitVisible(chromedp.CSS("#who")))
	b.WantText("#who", email)
}
