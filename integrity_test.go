package gatehouse_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// hookedUsers is a UserStore whose calls can be made to fail or block.
type hookedUsers struct {
	gatehouse.UserStore
	byID    func(ctx context.Context, id string) (*gatehouse.User, error) // nil: the store's
	byEmail atomic.Int32                                                  // UserByEmail calls
}

func (h *hookedUsers) UserByID(ctx context.Context, id string) (*gatehouse.User, error) {
	if h.byID != nil {
		return h.byID(ctx, id)
	}
	return h.UserStore.UserByID(ctx, id)
}

func (h *hookedUsers) UserByEmail(ctx context.Context, email string) (*gatehouse.User, error) {
	h.byEmail.Add(1)
	return h.UserStore.UserByEmail(ctx, email)
}

// getJSON is a GET that tolerates 5xx answers, which are what these tests
// are about.
func getJSON(t *testing.T, c *client, path string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", c.e.srv.URL+path, nil)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.ua)
	resp, err := c.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// A store that cannot serve, or does not answer, makes a 503 with
// Retry-After and the envelope, within the store deadline: never a 500,
// never a hang.
func TestStoreUnavailableIs503(t *testing.T) {
	t.Parallel()
	var mode atomic.Int32 // 0 ok, 1 unavailable, 2 frozen
	e := newEnv(t, func(c *gatehouse.Config) {
		store := c.Users
		c.StoreTimeout = 100 * time.Millisecond
		c.Users = &hookedUsers{UserStore: store, byID: func(ctx context.Context, id string) (*gatehouse.User, error) {
			switch mode.Load() {
			case 1:
				return nil, fmt.Errorf("fakestore: connection refused: %w", gatehouse.ErrUnavailable)
			case 2:
				<-ctx.Done() // a frozen database: only the deadline ends it
				return nil, ctx.Err()
			}
			return store.UserByID(ctx, id)
		}}
	})
	c := e.client()
	c.mustLogin(false)
	for _, m := range []int32{1, 2} {
		mode.Store(m)
		start := time.Now()
		status, h, body := getJSON(t, c, "/me")
		if status != http.StatusServiceUnavailable || h.Get("Retry-After") == "" {
			t.Errorf("mode %d: %d, Retry-After %q: %s", m, status, h.Get("Retry-After"), body)
		}
		var env struct {
			Meta     struct{ Code int }
			Response struct{ Errors []string }
		}
		if err := json.Unmarshal([]byte(body), &env); err != nil || env.Meta.Code != 503 || len(env.Response.Errors) != 1 ||
			strings.Contains(body, "fakestore") || strings.Contains(body, "deadline") {
			t.Errorf("mode %d: body %s", m, body)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("mode %d: answered after %v, past the store deadline", m, d)
		}
	}
	mode.Store(0)
	if status, _, body := getJSON(t, c, "/me"); status != 200 {
		t.Errorf("after recovery: %d %s", status, body)
	}
}

// countingHasher counts compares, to show what was not hashed.
type countingHasher struct {
	gatehouse.PasswordHasher
	compares atomic.Int32
}

func (h *countingHasher) Compare(hash, pw string) error {
	h.compares.Add(1)
	return h.PasswordHasher.Compare(hash, pw)
}

// A request whose client has gone is not hashed for.
func TestNoHashForAGoneClient(t *testing.T) {
	t.Parallel()
	h := &countingHasher{PasswordHasher: fastHasher}
	e := newEnv(t, func(c *gatehouse.Config) { c.Hasher = h })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	before := h.compares.Load()
	if _, err := e.m.VerifyPassword(ctx, "alice@example.com", alicePassword); !errors.Is(err, context.Canceled) {
		t.Errorf("VerifyPassword(gone) = %v, want context.Canceled", err)
	}
	if _, err := e.m.VerifyPassword(ctx, "nobody@example.com", "whatever pw"); !errors.Is(err, context.Canceled) {
		t.Errorf("VerifyPassword(gone, unknown) = %v, want context.Canceled", err)
	}
	if n := h.compares.Load() - before; n != 0 {
		t.Errorf("%d hashes for gone clients", n)
	}
	if gatehouse.StatusCode(context.Canceled) != http.StatusServiceUnavailable {
		t.Errorf("StatusCode(Canceled) = %d", gatehouse.StatusCode(context.Canceled))
	}
}

// flakyMailer fails as told, and records every attempt.
type flakyMailer struct {
	mu       sync.Mutex
	attempts []*gatehouse.Message
	sent     []*gatehouse.Message
	fail     func(m *gatehouse.Message, attempt int) error
}

func (f *flakyMailer) Send(_ context.Context, m *gatehouse.Message) error {
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

func mailEnv(t *testing.T, fm *flakyMailer, change func(c *gatehouse.Config)) *viewEnv {
	return newViewEnv(t, func(c *gatehouse.Config) {
		c.Recoverable, c.Registerable = true, true
		c.Mail.Mailer = fm
		c.Mail.RetryDelay, c.Mail.MaxRetryDelay, c.Mail.GiveUpAfter = time.Second, time.Minute, time.Hour
		if change != nil {
			change(c)
		}
	}, nil)
}

func pending(t *testing.T, ve *viewEnv) int {
	t.Helper()
	n, err := ve.m.SendPending(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A failed send is retried on its own schedule, with backoff, and the mail
// finally sent carries the very link (token) the first attempt carried.
func TestOutboxRetriesWithBackoff(t *testing.T) {
	t.Parallel()
	fm := &flakyMailer{fail: func(m *gatehouse.Message, attempt int) error {
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

func linkIn(text string) string {
	for f := range strings.FieldsSeq(text) {
		if strings.HasPrefix(f, "https://") {
			return f
		}
	}
	return ""
}

// A permanent refusal is not retried and holds up no other mail; a mail
// that keeps failing is given up after GiveUpAfter.
func TestOutboxPermanentFailureAndGivingUp(t *testing.T) {
	t.Parallel()
	fm := &flakyMailer{fail: func(m *gatehouse.Message, _ int) error {
		switch m.To {
		case "bounce@example.com":
			return fmt.Errorf("550 5.1.1 <%s>: no such user: %w", m.To, gatehouse.ErrMailRejected)
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
	var users *hookedUsers
	block := make(chan struct{})
	fm := &flakyMailer{fail: func(*gatehouse.Message, int) error { <-block; return nil }}
	ve := mailEnv(t, fm, func(c *gatehouse.Config) {
		users = &hookedUsers{UserStore: c.Users}
		c.Mail.Outbox = c.Users.(gatehouse.Outbox)
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

// New refuses a configuration that would need mail and cannot send it.
func TestNewRefusesMailWithoutMailer(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	for _, tc := range []struct {
		name   string
		change func(c *gatehouse.Config)
		ok     bool
	}{
		{"registerable", func(c *gatehouse.Config) { c.Registerable = true }, false},
		{"registerable without welcome", func(c *gatehouse.Config) { c.Registerable, c.Mail.DisableWelcome = true, true }, true},
		{"changeable", func(c *gatehouse.Config) { c.Changeable = true }, false},
		{"changeable without notice", func(c *gatehouse.Config) { c.Changeable, c.Mail.DisableChangeNotice = true, true }, true},
		{"recoverable", func(c *gatehouse.Config) { c.Recoverable, c.Views.BaseURL = true, "https://x.example" }, false},
	} {
		cfg := e.cfg
		tc.change(&cfg)
		_, err := gatehouse.New(cfg)
		if (err == nil) != tc.ok || err != nil && !strings.Contains(err.Error(), "Mail.Mailer") {
			t.Errorf("%s: New = %v", tc.name, err)
		}
	}
}
