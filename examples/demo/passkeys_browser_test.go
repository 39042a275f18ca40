package main

import (
	"context"
	"io"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/gatehouse-auth/gatehouse/mfa"
)

// Passkeys and two-factor in a real browser: Chromium's virtual
// authenticator (a platform passkey that verifies its user) stands in for
// a fingerprint reader, so the views' script, the ceremonies and the
// server's checks all run as they do for a person.
func TestPasskeysAndTwoFactorInTheBrowser(t *testing.T) {
	exe := chromium(t)
	shots := filepath.Join(screenshotDir(t), "second-factors")
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := siteURL(ln.Addr().(*net.TCPAddr)) // localhost: passkeys need a domain
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

	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	b := startBrowser(t, exe, base, shots)
	defer func() { b.cancel() }()
	if _, err := chromedp.Call(b.ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	added, err := chromedp.Call(b.ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
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
		b.run("logout", chromedp.Navigate(base+"/"), chromedp.Click(chromedp.CSS("nav form button")),
			chromedp.WaitVisible(chromedp.CSS(`a[href="/login"]`)))
	}

	// Log in with the password, and add a passkey.
	b.run("login", chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.CSS("#email"), adminEmail),
		chromedp.SendKeys(chromedp.CSS("#password"), adminPassword),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("#security")))
	b.run("passkeys page", chromedp.Click(chromedp.CSS(`#security a[href="/wan-register"]`)), chromedp.WaitVisible(chromedp.CSS("#name")))
	b.shot("passkeys-none")
	b.run("add a passkey",
		chromedp.SendKeys(chromedp.CSS("#name"), "Laptop"),
		chromedp.Click(chromedp.CSS(`#wan-register button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#passkeys")))
	b.wantText(".flash", "A passkey was added")
	b.wantText("#passkeys", "Laptop")
	b.shot("passkey-added")
	creds, err := chromedp.Call(b.ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams(added))
	if err != nil || len(creds.Credentials) != 1 || !creds.Credentials[0].IsResidentCredential {
		t.Fatalf("the authenticator holds %v (%v): want one discoverable credential", creds, err)
	}

	// Sign in with the passkey alone: no email, no password.
	logout()
	b.run("login page", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.CSS(`a[href="/wan-signin"]`)))
	b.run("passkey sign-in page", chromedp.Click(chromedp.CSS(`a[href="/wan-signin"]`)), chromedp.WaitVisible(chromedp.CSS("#wan-signin button")))
	b.shot("passkey-signin")
	b.run("sign in with the passkey", chromedp.Click(chromedp.CSS("#wan-signin button")), chromedp.WaitVisible(chromedp.CSS("#who")))
	b.wantText("#who", adminEmail)
	b.shot("signed-in-with-passkey")

	// Set up an authenticator app: the page shows its key; a code from it
	// completes the setup, and the recovery codes are shown once.
	b.run("two-factor page", chromedp.Click(chromedp.CSS(`#security a[href="/tf-setup"]`)), chromedp.WaitVisible(chromedp.CSS(`input[value="authenticator"]`)))
	b.shot("tf-setup")
	b.run("choose the app", chromedp.Click(chromedp.CSS(`input[value="authenticator"]`)),
		chromedp.Submit(chromedp.CSS(`input[value="authenticator"]`)), chromedp.WaitVisible(chromedp.CSS("#tf-key")))
	b.shot("tf-setup-qr")
	key := strings.ReplaceAll(b.text("#tf-key"), "-", "")
	code, err := mfa.TOTPCode(key, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b.run("first code", chromedp.SendKeys(chromedp.CSS("#code"), code), chromedp.Submit(chromedp.CSS("#code")),
		chromedp.WaitVisible(chromedp.CSS("#recovery-codes")))
	b.shot("recovery-codes")
	recovery := strings.Fields(b.text("#recovery-codes"))
	if len(recovery) != 10 {
		t.Fatalf("recovery codes: %q", recovery)
	}

	// The password now leads to the code page; a recovery code stands in
	// for a lost phone, once.
	logout()
	b.run("password login", chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(chromedp.CSS("#email"), adminEmail),
		chromedp.SendKeys(chromedp.CSS("#password"), adminPassword),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("#code")))
	b.wantText("h1", "Two-factor")
	b.shot("tf-validate")
	b.run("recovery page", chromedp.Click(chromedp.CSS(`a[href="/mf-recovery"]`)), chromedp.WaitVisible(chromedp.CSS("#code")))
	b.run("recovery code", chromedp.SendKeys(chromedp.CSS("#code"), recovery[0]), chromedp.Submit(chromedp.CSS("#code")),
		chromedp.WaitVisible(chromedp.CSS("#who")))
	b.wantText("#who", adminEmail)
	b.shot("signed-in-with-recovery-code")
	t.Logf("screenshots in %s", shots)
}
