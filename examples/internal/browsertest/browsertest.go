// Package browsertest drives headless Chromium (Debian's package) for the
// examples' browser tests, with screenshots saved as test artifacts.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Chromium finds the browser: /usr/bin/chromium from Debian's package.
// Outside CI a missing browser skips the test; in CI it fails it.
func Chromium(t *testing.T) string {
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

// ScreenshotDir is where screenshots are saved as test artifacts:, in $GATEHOUSE_ARTIFACTS or
// artifacts/screenshots at the repository root.
func ScreenshotDir(t *testing.T) string {
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

// Browser is one headless Chromium, driven step by step; a failed step
// fails the test with where the browser was and what it showed.
type Browser struct {
	t *testing.T
	// Ctx is the browser's context, for chromedp.Call.
	Ctx context.Context
	// Cancel closes the browser.
	Cancel func()
	base   string
	shots  string
	// N numbers the screenshots: the next one is N+1.
	N int
}

// Start starts Chromium at exe for a site at base, saving screenshots in
// shots.
func Start(t *testing.T, exe, base, shots string) *Browser {
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
	b := &Browser{t: t, Ctx: ctx, base: base, shots: shots, Cancel: func() { cancel(); acancel() }}
	// The first call starts the browser; it must have no timeout of its own.
	if err := chromedp.Do(ctx); err != nil {
		b.Cancel()
		t.Fatalf("starting chromium: %v", err)
	}
	return b
}

// step bounds one action's time without bounding the browser's life.
func (b *Browser) step() (context.Context, context.CancelFunc) {
	return context.WithTimeout(b.Ctx, 20*time.Second)
}

// Run does actions as one step, what naming it.
func (b *Browser) Run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		loc, _ := chromedp.Run(b.Ctx, chromedp.Location())
		body, _ := chromedp.Run(b.Ctx, chromedp.Text(chromedp.CSS("body")))
		b.t.Fatalf("%s: %v (at %s: %.500s)", what, err, loc, body)
	}
}

// Get runs an action that returns a value.
func Get[T any](b *Browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// Shot saves a screenshot of the whole page as NN-name.png.
func (b *Browser) Shot(name string) {
	b.t.Helper()
	png := Get(b, "screenshot "+name, chromedp.FullScreenshot(100))
	b.N++
	path := filepath.Join(b.shots, strings.Join([]string{twoDigits(b.N), name}, "-")+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

func twoDigits(n int) string { return string(rune('0'+n/10)) + string(rune('0'+n%10)) }

// Text is the text of the element sel selects.
func (b *Browser) Text(sel string) string {
	b.t.Helper()
	return Get(b, "read "+sel, chromedp.Text(chromedp.CSS(sel)))
}

// WantText fails the test unless sel's text contains want.
func (b *Browser) WantText(sel, want string) {
	b.t.Helper()
	if got := b.Text(sel); !strings.Contains(got, want) {
		b.t.Fatalf("%s: %q does not contain %q", sel, got, want)
	}
}

// MailLink opens the dev mailbox (/dev/mail: article.mail elements, each
// with an h2 subject and links) and returns the first link of the newest
// mail whose subject contains subject.
func (b *Browser) MailLink(subject string) string {
	b.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b.Run("open mailbox", chromedp.Navigate(b.base+"/dev/mail"))
		href := Get(b, "find mail", chromedp.Evaluate[string](`(() => {
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
