package gatehouse_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/memstore"
	"github.com/gatehouse-auth/gatehouse/token"
)

// throttleEnv trusts the test server's loopback as a proxy, so clients are
// told apart by X-Forwarded-For.
func throttleEnv(t *testing.T, change func(c *gatehouse.Config)) *env {
	return newEnv(t, func(c *gatehouse.Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
		if change != nil {
			change(c)
		}
	})
}

func (e *env) clientFrom(ip string) *client {
	c := e.client()
	c.hdr.Set("X-Forwarded-For", ip)
	return c
}

// After the per-(account, client) threshold the right password is
// refused too, until the wait has passed; another client is not held up;
// an unknown account is throttled alike, byte for byte.
func TestThrottlePerAccountClient(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	reasons := map[string]int{}
	e := throttleEnv(t, func(c *gatehouse.Config) {
		c.Hooks.LoginFailed = func(_ context.Context, identity, reason, client string) {
			mu.Lock()
			defer mu.Unlock()
			reasons[reason+" "+identity+" "+client]++
		}
	})
	attacker := e.clientFrom("198.51.100.7")
	for range 5 {
		wantStatus(t, "wrong password", attacker.login("alice@example.com", "wrong guess", false), http.StatusBadRequest)
		wantStatus(t, "unknown account", attacker.login("nobody@example.com", "wrong guess", false), http.StatusBadRequest)
	}
	known := attacker.login("alice@example.com", alicePassword, false)
	unknown := attacker.login("nobody@example.com", alicePassword, false)
	wantStatus(t, "right password after 5 failures", known, http.StatusTooManyRequests)
	if known.header.Get("Retry-After") != "12" || unknown.status != known.status || unknown.body != known.body || unknown.header.Get("Retry-After") != known.header.Get("Retry-After") {
		t.Errorf("known and unknown accounts answered apart: %d %q %q / %d %q %q", known.status, known.header.Get("Retry-After"), known.body,
			unknown.status, unknown.header.Get("Retry-After"), unknown.body)
	}
	if reasons["wrong_password alice@example.com 198.51.100.7"] != 5 || reasons["unknown_account nobody@example.com 198.51.100.7"] != 5 {
		t.Errorf("LoginFailed hook: %v", reasons)
	}
	// The owner, elsewhere, logs in.
	owner := e.clientFrom("203.0.113.50")
	wantStatus(t, "the owner from another client", owner.login("alice@example.com", alicePassword, false), http.StatusSeeOther)
	// The wait passes.
	e.clock.Advance(12 * time.Second)
	wantStatus(t, "after the wait", attacker.login("alice@example.com", alicePassword, false), http.StatusSeeOther)
}

// HTTP Basic is throttled like a login form: past the threshold the right
// credentials get 429 on every guarded route.
func TestThrottleBasicAuth(t *testing.T) {
	t.Parallel()
	e := throttleEnv(t, func(c *gatehouse.Config) { c.BasicAuth = true })
	c := e.clientFrom("198.51.100.8")
	basic := func(pw string) int {
		req, _ := http.NewRequest("GET", e.srv.URL+"/me", nil)
		req.SetBasicAuth("alice@example.com", pw)
		req.Header.Set("X-Forwarded-For", "198.51.100.8")
		resp, err := c.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := basic(alicePassword); got != 200 {
		t.Fatalf("Basic with the right password: %d", got)
	}
	for range 5 {
		if got := basic("wrong guess"); got == 200 || got == http.StatusTooManyRequests {
			t.Fatalf("Basic with a wrong password: %d", got)
		}
	}
	if got := basic(alicePassword); got != http.StatusTooManyRequests {
		t.Errorf("Basic with the right password after 5 failures: %d, want 429", got)
	}
}

// Per client, whatever the account: credential stuffing from one address
// is cut off; per account, from every client: a ceiling on distributed
// guessing.
func TestThrottlePerClientAndPerAccount(t *testing.T) {
	t.Parallel()
	e := throttleEnv(t, func(c *gatehouse.Config) {
		c.Throttle.PerClient = []gatehouse.Limit{{Count: 8, Per: time.Hour}}
		c.Throttle.PerAccount = []gatehouse.Limit{{Count: 6, Per: time.Hour}}
	})
	stuffer := e.clientFrom("198.51.100.9")
	for i := range 8 {
		stuffer.login("user"+string(rune('a'+i))+"@example.com", "password1", false)
	}
	wantStatus(t, "a ninth account from one client", stuffer.login("alice@example.com", alicePassword, false), http.StatusTooManyRequests)
	for i := range 6 {
		e.clientFrom("192.0.2."+string(rune('1'+i))).login("alice@example.com", "wrong guess", false)
	}
	wantStatus(t, "the owner after 6 failures from 6 clients", e.clientFrom("203.0.113.9").login("alice@example.com", alicePassword, false), http.StatusTooManyRequests)
	// Setting a password clears the account's count.
	if err := e.m.SetPassword(context.Background(), e.user, "a brand new password"); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, "after a new password", e.clientFrom("203.0.113.9").login("alice@example.com", "a brand new password", false), http.StatusSeeOther)
}

// With Lockout, the account locks after Lockout.Count failures (the hook
// is told once), and a new password unlocks it.
func TestThrottleLockout(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var locked []string
	e := throttleEnv(t, func(c *gatehouse.Config) {
		c.Throttle.Lockout = gatehouse.Limit{Count: 3, Per: time.Hour}
		c.Throttle.PerAccountClient = []gatehouse.Limit{{Count: 100, Per: time.Hour}}
		c.Hooks.LockedOut = func(_ context.Context, u *gatehouse.User) {
			mu.Lock()
			defer mu.Unlock()
			locked = append(locked, u.Email)
		}
	})
	var wg sync.WaitGroup
	for i := range 20 { // concurrently: one lock, one hook call
		wg.Go(func() {
			e.clientFrom(fmt.Sprintf("198.51.100.%d", i+1)).login("alice@example.com", "wrong guess", false)
		})
	}
	wg.Wait()
	if len(locked) != 1 || locked[0] != "alice@example.com" {
		t.Errorf("LockedOut hook: %v, want alice once", locked)
	}
	r := e.clientFrom("203.0.113.10").login("alice@example.com", alicePassword, false)
	wantStatus(t, "the right password on a locked account", r, http.StatusTooManyRequests)
	if r.header.Get("Retry-After") != "3600" {
		t.Errorf("Retry-After %q, want 3600", r.header.Get("Retry-After"))
	}
	if err := e.m.SetPassword(context.Background(), e.user, "a brand new password"); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, "unlocked by a new password", e.clientFrom("203.0.113.10").login("alice@example.com", "a brand new password", false), http.StatusSeeOther)
}

// Throttle.Off turns it off: for tests.
func TestThrottleOff(t *testing.T) {
	t.Parallel()
	e := throttleEnv(t, func(c *gatehouse.Config) { c.Throttle.Off = true })
	c := e.clientFrom("198.51.100.10")
	for range 20 {
		c.login("alice@example.com", "wrong guess", false)
	}
	wantStatus(t, "after 20 failures, throttling off", c.login("alice@example.com", alicePassword, false), http.StatusSeeOther)
}

// A burst of parallel guesses from one client gets the limit's worth
// checked, no more: an attempt takes its place before the hash.
func TestThrottleBurst(t *testing.T) {
	t.Parallel()
	e := throttleEnv(t, nil)
	var mu sync.Mutex
	got := map[int]int{}
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() {
			r := e.clientFrom("198.51.100.40").login("alice@example.com", "wrong guess", false)
			mu.Lock()
			got[r.status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if got[http.StatusBadRequest] != 5 || got[http.StatusTooManyRequests] != 35 {
		t.Errorf("40 parallel guesses: %v, want 5 checked (400) and 35 refused (429)", got)
	}
}

// No spelling of an address tells a known account from an unknown one:
// the throttle keys an unknown account by what the store looks up.
func TestThrottleNoEnumerationBySpelling(t *testing.T) {
	t.Parallel()
	e := throttleEnv(t, nil)
	probe := func(user string) result {
		c := e.clientFrom("198.51.100.41")
		for range 5 {
			c.login(strings.Replace(user, "@", "＠", 1), "wrong guess", false) // full-width @
		}
		return c.login(strings.ToUpper(user), "wrong guess", false)
	}
	known, unknown := probe("alice@example.com"), probe("nobody@example.com")
	if known.status != http.StatusTooManyRequests || unknown.status != known.status || unknown.body != known.body {
		t.Errorf("after 5 guesses spelled with a full-width @: known %d %q, unknown %d %q; want both 429 alike",
			known.status, known.body, unknown.status, unknown.body)
	}
}

// Malformed links cost nothing and count for nothing; guesses at links
// are limited per client only, so no one can shut off everyone's links.
func TestThrottleLinks(t *testing.T) {
	t.Parallel()
	e := throttleEnv(t, func(c *gatehouse.Config) { c.Throttle.PerClient = []gatehouse.Limit{{Count: 3, Per: time.Hour}} })
	tok, err := e.m.IssueToken(context.Background(), "reset", e.user, time.Hour, "")
	if err != nil {
		t.Fatal(err)
	}
	// peek checks a link in a request from a client, through Authenticate.
	peek := func(raw string) (err error) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = "198.51.100.42:1234"
		e.m.Authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _, err = e.m.PeekToken(r.Context(), "reset", raw)
		})).ServeHTTP(httptest.NewRecorder(), r)
		return err
	}
	for range 100 {
		if err := peek("garbage"); !errors.Is(err, gatehouse.ErrTokenInvalid) {
			t.Fatalf("malformed: %v", err)
		}
	}
	if err := peek(tok); err != nil {
		t.Fatalf("the real link after 100 malformed ones: %v", err)
	}
	for range 3 {
		if err := peek(token.NewOneTime().Token); !errors.Is(err, gatehouse.ErrTokenInvalid) {
			t.Fatalf("a well-formed wrong link: %v", err)
		}
	}
	if err := peek(tok); !errors.Is(err, gatehouse.ErrRateLimited) {
		t.Errorf("the real link after 3 guesses from this client: %v, want ErrRateLimited", err)
	}
}

// A check outside Authenticate does not know its client: the
// per-account-and-client limit still applies, to all such callers.
func TestThrottleUnknownClient(t *testing.T) {
	t.Parallel()
	e := throttleEnv(t, nil)
	ctx := context.Background()
	for range 5 {
		if _, err := e.m.VerifyPassword(ctx, "alice@example.com", "wrong guess"); !errors.Is(err, gatehouse.ErrInvalidCredentials) {
			t.Fatal(err)
		}
	}
	if _, err := e.m.VerifyPassword(ctx, "alice@example.com", alicePassword); !errors.Is(err, gatehouse.ErrRateLimited) {
		t.Errorf("after 5 failures with no client known: %v, want ErrRateLimited", err)
	}
}

// failingLimiter cannot record anything.
type failingLimiter struct{ gatehouse.Limiter }

func (failingLimiter) Allow(context.Context, string, gatehouse.Limit, time.Time) (bool, time.Duration, error) {
	return false, 0, errors.New("disk full")
}

// A throttle that cannot count fails closed: 503, no hash.
func TestThrottleFailsClosed(t *testing.T) {
	t.Parallel()
	e := throttleEnv(t, func(c *gatehouse.Config) { c.Limiter = failingLimiter{memstore.New()} })
	if _, err := e.m.VerifyPassword(context.Background(), "alice@example.com", alicePassword); !errors.Is(err, gatehouse.ErrUnavailable) {
		t.Errorf("with a Limiter that cannot count: %v, want ErrUnavailable", err)
	}
}

// cancelingHasher stands for a client that hangs up while its password
// is hashed: the request's context ends during the check.
type cancelingHasher struct {
	gatehouse.PasswordHasher
	cancel *context.CancelFunc
}

func (h cancelingHasher) Compare(hash, password string) error {
	(*h.cancel)()
	return h.PasswordHasher.Compare(hash, password)
}

// ctxLimiter, like a database, refuses work on an ended context.
type ctxLimiter struct{ gatehouse.Limiter }

func (l ctxLimiter) Undo(ctx context.Context, key string, limit gatehouse.Limit) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return l.Limiter.Undo(ctx, key, limit)
}

// A client that hangs up mid-check has not failed: its place in the count
// is given back though its request's context has ended, or a few
// impatient clients (or a load test's last requests) would throttle the
// account's owner.
func TestThrottleGivesBackWhenTheClientLeaves(t *testing.T) {
	t.Parallel()
	cancel := context.CancelFunc(func() {})
	e := throttleEnv(t, func(c *gatehouse.Config) {
		c.Limiter = ctxLimiter{memstore.New()}
		c.Hasher = cancelingHasher{c.Hasher, &cancel}
	})
	for i := range 8 {
		ctx, leave := context.WithCancel(context.Background())
		cancel = leave
		_, err := e.m.VerifyPassword(ctx, "alice@example.com", alicePassword)
		leave()
		if err != nil {
			t.Fatalf("check %d, whose client left after sending the right password: %v", i, err)
		}
	}
}
