package views_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/internal/testutil"
	"github.com/gatehouse-auth/gatehouse/memstore"
	"github.com/gatehouse-auth/gatehouse/views"
)

// flakyMailer fails as told, and records every attempt.
type flakyMailer struct {
	mu       sync.Mutex
	attempts []*views.Message
	sent     []*views.Message
	fail     func(m *views.Message, attempt int) error
}

func (f *flakyMailer) Send(_ context.Context, m *views.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, a := range f.attempts {
		if a.To == m.To && a.Kind == m.Kind {
			n++
		}
	}
	f.attempts = append(f.attempts, m)
	if f.fail != nil {
		if err := f.fail(m, n+1); err != nil {
			return err
		}
	}
	f.sent = append(f.sent, m)
	return nil
}

func (f *flakyMailer) counts(to string) (attempts, sent int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, a := range f.attempts {
		if a.To == to {
			attempts++
		}
	}
	for _, s := range f.sent {
		if s.To == to {
			sent++
		}
	}
	return
}

func mailEnv(t *testing.T, fm *flakyMailer, change func(c *gatehouse.Config, vc *views.Config)) *viewEnv {
	return newViewEnv(t, func(c *gatehouse.Config, vc *views.Config) {
		vc.Recoverable, vc.Registerable = true, true
		vc.Mail.Mailer = fm
		vc.Mail.RetryDelay, vc.Mail.MaxRetryDelay, vc.Mail.GiveUpAfter = time.Second, time.Minute, time.Hour
		if change != nil {
			change(c, vc)
		}
	}, nil)
}

func pending(t *testing.T, ve *viewEnv) int {
	t.Helper()
	n, err := ve.v.SendPending(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A failed send is retried on its own schedule, with backoff, and the mail
// finally sent carries the very link (token) the first attempt carried.
func TestOutboxRetriesWithBackoff(t *testing.T) {
	t.Parallel()
	fm := &flakyMailer{fail: func(m *views.Message, attempt int) error {
		if attempt <= 2 {
			return errors.New("dial tcp: connection refused")
		}
		return nil
	}}
	ve := mailEnv(t, fm, nil)
	c := ve.jsonClient()
	c.do("GET", "/reset", "")
	if status, _, raw := c.do("POST", "/reset", `{"email":"alice@example.com"}`); status != 200 {
		t.Fatalf("forgot: %d %s", status, raw)
	}
	pending(t, ve) // attempt 1 fails
	if a, s := fm.counts("alice@example.com"); a != 1 || s != 0 {
		t.Fatalf("after the first pass: %d attempts, %d sent", a, s)
	}
	pending(t, ve) // not due yet: nothing happens
	if a, _ := fm.counts("alice@example.com"); a != 1 {
		t.Fatalf("retried before its time: %d attempts", a)
	}
	ve.clock.Advance(1300 * time.Millisecond) // first retry: 1s (+ up to 20% jitter)
	pending(t, ve)
	if a, _ := fm.counts("alice@example.com"); a != 2 {
		t.Fatalf("after the first retry delay: %d attempts", a)
	}
	ve.clock.Advance(1300 * time.Millisecond) // the delay doubles
	pending(t, ve)
	if a, _ := fm.counts("alice@example.com"); a != 2 {
		t.Fatalf("retried before the doubled delay: %d attempts", a)
	}
	ve.clock.Advance(1300 * time.Millisecond)
	pending(t, ve)
	a, s := fm.counts("alice@example.com")
	if a != 3 || s != 1 {
		t.Fatalf("after the second retry: %d attempts, %d sent", a, s)
	}
	links := map[string]bool{}
	for _, m := range fm.attempts {
		links[linkIn(m.Text)] = true
	}
	if len(links) != 1 {
		t.Errorf("attempts carried %d different links, want one: %v", len(links), links)
	}
	var link string
	for l := range links {
		link = l
	}
	if status, _, raw := c.do("GET", strings.TrimPrefix(link, "https://app.example.com"), ""); status != 200 {
		t.Errorf("the link from the mail: %d %s", status, raw)
	}
	ve.clock.Advance(time.Hour)
	if n := pending(t, ve); n != 0 {
		t.Errorf("a sent mail came back: %d jobs", n)
	}
}

// A permanent refusal is not retried and holds up no other mail; a mail
// that keeps failing is given up after GiveUpAfter.
func TestOutboxPermanentFailureAndGivingUp(t *testing.T) {
	t.Parallel()
	fm := &flakyMailer{fail: func(m *views.Message, _ int) error {
		switch m.To {
		case "bounce@example.com":
			return fmt.Errorf("550 5.1.1 <%s>: no such user: %w", m.To, views.ErrMailRejected)
		case "flaky@example.com":
			return errors.New("421 try again later")
		}
		return nil
	}}
	ve := mailEnv(t, fm, nil)
	for _, email := range []string{"bounce@example.com", "flaky@example.com", "bob@example.com"} {
		ve.addUser(email, "a password 123")
	}
	c := ve.jsonClient()
	c.do("GET", "/reset", "")
	for _, email := range []string{"bounce@example.com", "flaky@example.com", "bob@example.com"} {
		if status, _, raw := c.do("POST", "/reset", `{"email":"`+email+`"}`); status != 200 {
			t.Fatalf("forgot %s: %d %s", email, status, raw)
		}
	}
	if n := pending(t, ve); n != 3 {
		t.Errorf("first pass handled %d jobs, want 3", n)
	}
	if _, s := fm.counts("bob@example.com"); s != 1 {
		t.Errorf("bob's mail was held up: sent %d", s)
	}
	for range 12 { // well past GiveUpAfter, in steps past each backoff
		ve.clock.Advance(10 * time.Minute)
		pending(t, ve)
	}
	if a, _ := fm.counts("bounce@example.com"); a != 1 {
		t.Errorf("a permanent refusal was tried %d times", a)
	}
	a, _ := fm.counts("flaky@example.com")
	ve.clock.Advance(24 * time.Hour)
	pending(t, ve)
	if again, _ := fm.counts("flaky@example.com"); again != a || a < 3 {
		t.Errorf("flaky mail: %d attempts, then %d after giving up", a, again)
	}
	for _, m := range fm.attempts {
		if strings.Contains(m.Text, "bounce@") && m.To != "bounce@example.com" {
			t.Errorf("address leaked into another mail: %+v", m)
		}
	}
}

// A "mail me a link" request writes a job and nothing else: it never looks
// the address up, so a known and an unknown address cost it the same, and
// whatever SMTP does, it never waits for it.
func TestMailRequestDoesNotLookUp(t *testing.T) {
	t.Parallel()
	var users *countingUsers
	block := make(chan struct{})
	fm := &flakyMailer{fail: func(*views.Message, int) error { <-block; return nil }}
	ve := mailEnv(t, fm, func(c *gatehouse.Config, vc *views.Config) {
		users = &countingUsers{UserStore: c.Users}
		c.Outbox = c.Users.(gatehouse.Outbox)
		c.Users = users
	})
	c := ve.jsonClient()
	c.do("GET", "/reset", "")
	before := users.byEmail.Load()
	for _, email := range []string{"alice@example.com", "nobody@example.com"} {
		if status, _, raw := c.do("POST", "/reset", `{"email":"`+email+`"}`); status != 200 {
			t.Fatalf("forgot %s: %d %s", email, status, raw)
		}
	}
	if n := users.byEmail.Load() - before; n != 0 {
		t.Errorf("the requests looked up %d addresses", n)
	}
	close(block)
	pending(t, ve)
	if _, s := fm.counts("alice@example.com"); s != 1 {
		t.Errorf("alice's mail: %d", s)
	}
	if _, s := fm.counts("nobody@example.com"); s != 0 {
		t.Errorf("a mail went to an unknown address")
	}
}

// countingUsers is a UserStore that counts UserByEmail calls.
type countingUsers struct {
	gatehouse.UserStore
	byEmail atomic.Int32
}

func (c *countingUsers) UserByEmail(ctx context.Context, email string) (*gatehouse.User, error) {
	c.byEmail.Add(1)
	return c.UserStore.UserByEmail(ctx, email)
}

// New refuses a configuration that would need mail and cannot send it.
func TestNewRefusesMailWithoutMailer(t *testing.T) {
	t.Parallel()
	store := memstore.New()
	auth, err := gatehouse.New(engineConfig(store, testutil.NewClock()))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		change func(c *gatehouse.Config, vc *views.Config)
		ok     bool
	}{
		{"registerable", func(c *gatehouse.Config, vc *views.Config) { vc.Registerable = true }, false},
		{"registerable without welcome", func(c *gatehouse.Config, vc *views.Config) { vc.Registerable, vc.Mail.DisableWelcome = true, true }, true},
		{"changeable", func(c *gatehouse.Config, vc *views.Config) { vc.Changeable = true }, false},
		{"changeable without notice", func(c *gatehouse.Config, vc *views.Config) { vc.Changeable, vc.Mail.DisableChangeNotice = true, true }, true},
		{"recoverable", func(c *gatehouse.Config, vc *views.Config) { vc.Recoverable, vc.BaseURL = true, "https://x.example" }, false},
	} {
		var cfg views.Config
		tc.change(nil, &cfg)
		_, err := views.New(auth, cfg)
		if (err == nil) != tc.ok || err != nil && !strings.Contains(err.Error(), "Mail.Mailer") {
			t.Errorf("%s: New = %v", tc.name, err)
		}
	}
}
