package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/gatehouse-auth/gatehouse/examples/internal/browsertest"
	"github.com/gatehouse-auth/gatehouse/mfa"
)

// Passkeys and two-factor in a real browser: Chromium's virtual
// authenticator (a platform passkey that verifies its user) stands in for
// a fingerprint reader, so the views' script, the ceremonies and the
// server's checks all run as they do for a person.
func TestPasskeysAndTwoFactorInTheBrowser(t *testing.T) {
	exe := browsertest.Chromium(t)
	shots := filepath.Join(browsertest.ScreenshotDir(t), "second-factors")
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	_, base := serveDemo(t, ctx, true) // localhost: passkeys need a domain

	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	b := browsertest.Start(t, exe, base, shots)
	defer func() { b.Cancel() }()
	if _, err := chromedp.Call(b.Ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	added, err := chromedp.Call(b.Ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
		Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21,
			Transport: webauthn.AuthenticatorTransportInternal, HasResidentKey: true, HasUserVerification: true,
			IsUserVerified: true, AutomaticPresenceSimulation: true,
		},
	})
	if err != nil {
		t.Fatal(err)
	}

	logout := func() {
		b.Run("logout", chromedp.Navigate(base+"/"), chromedp.Click(chromedp.CSS("nav form button")),
			chromedp.WaitVisible(chromedp.CSS(`a[href="/login"]`)))
	}

	// Log in with the password, and add a passkey.
	b.Run("login", chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.CSS("#email"), adminEmail),
		chromedp.SendKeys(chromedp.CSS("#password"), adminPassword),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("#security")))
	b.Run("passkeys page", chromedp.Click(chromedp.CSS(`#security a[href="/wan-register"]`)), chromedp.WaitVisible(chromedp.CSS("#name")))
	b.Shot("passkeys-none")
	b.Run("add a passkey",
		chromedp.SendKeys(chromedp.CSS("#name"), "Laptop"),
		chromedp.Click(chromedp.CSS(`#wan-register button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#passkeys")))
	b.WantText(".flash", "A passkey was added")
	b.WantText("#passkeys", "Laptop")
	b.Shot("passkey-added")
	creds, err := chromedp.Call(b.Ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams(added))
	if err != nil || len(creds.Credentials) != 1 || !creds.Credentials[0].IsResidentCredential {
		t.Fatalf("the authenticator holds %v (%v): want one discoverable credential", creds, err)
	}

	// Sign in with the passkey alone: no email, no password.
	logout()
	b.Run("login page", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.CSS(`a[href="/wan-signin"]`)))
	b.Run("passkey sign-in page", chromedp.Click(chromedp.CSS(`a[href="/wan-signin"]`)), chromedp.WaitVisible(chromedp.CSS("#wan-signin button")))
	b.Shot("passkey-signin")
	b.Run("sign in with the passkey", chromedp.Click(chromedp.CSS("#wan-signin button")), chromedp.WaitVisible(chromedp.CSS("#who")))
	b.WantText("#who", adminEmail)
	b.Shot("signed-in-with-passkey")

	// Set up an authenticator app: the page shows its key; a code from it
	// completes the setup, and the recovery codes are shown once.
	b.Run("two-factor page", chromedp.Click(chromedp.CSS(`#security a[href="/tf-setup"]`)), chromedp.WaitVisible(chromedp.CSS(`input[value="authenticator"]`)))
	b.Shot("tf-setup")
	b.Run("choose the app", chromedp.Click(chromedp.CSS(`input[value="authenticator"]`)),
		chromedp.Submit(chromedp.CSS(`input[value="authenticator"]`)), chromedp.WaitVisible(chromedp.CSS("#tf-key")))
	b.Shot("tf-setup-qr")
	key := strings.ReplaceAll(b.Text("#tf-key"), "-", "")
	code, err := mfa.TOTPCode(key, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b.Run("first code", chromedp.SendKeys(chromedp.CSS("#code"), code), chromedp.Submit(chromedp.CSS("#code")),
		chromedp.WaitVisible(chromedp.CSS("#recovery-codes")))
	b.Shot("recovery-codes")
	recovery := strings.Fields(b.Text("#recovery-codes"))
	if len(recovery) != 10 {
		t.Fatalf("recovery codes: %q", recovery)
	}

	// The password now leads to the code page; a recovery code stands in
	// for a lost phone, once.
	logout()
	b.Run("password login", chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.CSS("#email"), adminEmail),
		chromedp.SendKeys(chromedp.CSS("#password"), adminPassword),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("#code")))
	b.WantText("h1", "Two-factor")
	b.Shot("tf-validate")
	b.Run("recovery page", chromedp.Click(chromedp.CSS(`a[href="/mf-recovery"]`)), chromedp.WaitVisible(chromedp.CSS("#code")))
	b.Run("recovery code", chromedp.SendKeys(chromedp.CSS("#code"), recovery[0]), chromedp.Submit(chromedp.CSS("#code")),
		chromedp.WaitVisible(chromedp.CSS("#who")))
	b.WantText("#who", adminEmail)
	b.Shot("signed-in-with-recovery-code")
	t.Logf("screenshots in %s", shots)
}
