package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/examples/internal/browsertest"
)

// The account pages in a real browser, inside the demo's own header: a
// username, the sessions page (this browser marked, another one ended),
// a change of address confirmed from the dev mailbox, and deleting the
// account.
func TestAccountPagesInTheBrowser(t *testing.T) {
	exe := browsertest.Chromium(t)
	shots := filepath.Join(browsertest.ScreenshotDir(t), "account")
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	d, base := serveDemo(t, ctx, false)
	const email, password = "ada@example.com", "analytical engine 1843"
	u := &gatehouse.User{Email: email, Active: true, ConfirmedAt: time.Now()}
	if err := d.auth.CreateUser(ctx, u, password); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}

	// Two browsers: the one doing everything, and another session to end.
	other := browsertest.Start(t, exe, base, t.TempDir())
	defer other.Cancel()
	b := browsertest.Start(t, exe, base, shots)
	defer b.Cancel()
	for _, br := range []*browsertest.Browser{other, b} {
		br.Run("login", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.CSS("#email")),
			chromedp.SendKeys(chromedp.CSS("#email"), email), chromedp.SendKeys(chromedp.CSS("#password"), password),
			chromedp.Submit(chromedp.CSS("#password")), chromedp.WaitVisible(chromedp.CSS("#who")))
	}

	// The account page, and the built-in pages inside the demo's header.
	b.Run("account", chromedp.Click(chromedp.CSS(`nav a[href="/account"]`)), chromedp.WaitVisible(chromedp.CSS("#account")))
	b.Shot("account")
	b.Run("username page", chromedp.Click(chromedp.CSS(`#account a[href="/change-username"]`)), chromedp.WaitVisible(chromedp.CSS("#username")))
	b.WantText("nav", email) // the demo's header, on a built-in page
	b.Run("set a username", chromedp.SendKeys(chromedp.CSS("#username"), "Ada1815"), chromedp.Submit(chromedp.CSS("#username")),
		chromedp.WaitVisible(chromedp.CSS(".flash")))
	b.WantText(".flash", "You successfully changed your username")

	// Sessions: two, this one marked; end the other.
	b.Run("sessions", chromedp.Navigate(base+"/sessions"), chromedp.WaitVisible(chromedp.CSS("#sessions")))
	if n := browsertest.Get(b, "count sessions", chromedp.Evaluate[int](`document.querySelectorAll("#sessions li").length`)); n != 2 {
		t.Fatalf("%d sessions listed, want 2", n)
	}
	b.WantText("#sessions", "This browser")
	b.Shot("sessions")
	b.Run("end the other", chromedp.Click(chromedp.CSS("#end-others button")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	b.WantText(".flash", "All your other sessions have ended")
	other.Run("the other browser is out", chromedp.Navigate(base+"/protected"), chromedp.WaitVisible(chromedp.CSS("#email")))
	b.Run("this one is in", chromedp.Navigate(base+"/protected"), chromedp.WaitVisible(chromedp.CSS("#who")))

	// A new address, confirmed from the dev mailbox.
	const newEmail = "ada.lovelace@example.com"
	b.Run("change email", chromedp.Navigate(base+"/change-email"), chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), newEmail), chromedp.Submit(chromedp.CSS("#email")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	b.WantText(".flash", "Instructions to confirm your new email address have been sent to "+newEmail)
	b.Shot("change-email-sent")
	link := b.MailLink("Confirm your new email address")
	b.Run("confirm page", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("main form button")))
	b.WantText("main", newEmail)
	b.Shot("change-email-confirm")
	b.Run("confirm", chromedp.Click(chromedp.CSS("main form button")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	b.WantText(".flash", "Change of email address confirmed")
	b.WantText("#who", newEmail)
	if _, err := d.auth.FindUser(ctx, newEmail); err != nil {
		t.Fatalf("the new address finds no one: %v", err)
	}
	// The notice to the old address, sent by the mail workers.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		noticed := false
		for _, m := range d.mailbox.Messages() {
			noticed = noticed || m.To == email && m.Subject == "The email address of your account was changed"
		}
		if noticed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no notice to the old address")
		}
	}

	// Delete the account: the box must be ticked.
	b.Run("delete page", chromedp.Navigate(base+"/delete-account"), chromedp.WaitVisible(chromedp.CSS(`input[name="confirm"]`)))
	b.Shot("delete-account")
	b.Run("delete", chromedp.Click(chromedp.CSS(`input[name="confirm"]`)), chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".flash")))
	b.WantText(".flash", "Your account has been deleted")
	b.Run("logged out", chromedp.WaitVisible(chromedp.CSS(`nav a[href="/login"]`)))
	b.Shot("deleted")
	if _, err := d.auth.FindUser(ctx, newEmail); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("the account is still there: %v", err)
	}
}
