package main_test

import (
	"encoding/base64"
	"fmt"

	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/examples/internal/smtptest"
)

// Brute force, end to end over the built app with a short per-(account,
// client) throttle (3 failures, then one every 2 s): past the threshold
// the right password is refused with 429 until the wait has passed, on
// JSON login, form login and HTTP Basic alike; another client is not held
// up; an unknown account is answered byte for byte alike.
func TestBruteForceThrottled(t *testing.T) {
	db, _ := sqliteURL(t)
	ms := smtptest.Start(t)
	a := launch(t, db, ms.Addr, ms, "LOGIN_THROTTLE=3/6s")

	t.Run("JSON", func(t *testing.T) {
		attacker := a.client(t)
		for range 3 {
			if got := attacker.login("plain@example.com", "a wrong guess", nil); got.status != 400 {
				t.Fatalf("wrong password: %d %s", got.status, got.raw)
			}
		}
		known := attacker.login("plain@example.com", "plain password 1", nil)
		if known.status != http.StatusTooManyRequests || known.header.Get("Retry-After") == "" {
			t.Fatalf("right password after 3 failures: %d %q %s", known.status, known.header.Get("Retry-After"), known.raw)
		}
		// An unknown account, from a client of its own, answers the same.
		prober := a.client(t)
		for range 3 {
			prober.login("nobody@example.com", "a wrong guess", nil)
		}
		unknown := prober.login("nobody@example.com", "plain password 1", nil)
		if unknown.status != known.status || string(unknown.raw) != string(known.raw) || unknown.header.Get("Retry-After") != known.header.Get("Retry-After") {
			t.Errorf("unknown account: %d %q %s; known: %d %q %s", unknown.status, unknown.header.Get("Retry-After"), unknown.raw,
				known.status, known.header.Get("Retry-After"), known.raw)
		}
		// The owner, on another client, logs in.
		if got := a.client(t).login("plain@example.com", "plain password 1", nil); got.status != 200 {
			t.Errorf("the owner from another client: %d %s", got.status, got.raw)
		}
		wait, _ := strconv.Atoi(known.header.Get("Retry-After"))
		time.Sleep(time.Duration(wait) * time.Second)
		if got := attacker.login("plain@example.com", "plain password 1", nil); got.status != 200 {
			t.Errorf("after Retry-After: %d %s", got.status, got.raw)
		}
	})

	t.Run("form", func(t *testing.T) {
		c := a.client(t)
		c.fetchCSRF()
		token := c.csrf
		c.csrf = "" // the form carries it
		post := func(pw string) answer {
			return c.do("POST", "/login", url.Values{"email": {"plain@example.com"}, "password": {pw}, "csrf_token": {token}})
		}
		for range 3 {
			if got := post("a wrong guess"); got.status != 400 {
				t.Fatalf("wrong password: %d", got.status)
			}
		}
		got := post("plain password 1")
		if got.status != http.StatusTooManyRequests || !strings.Contains(string(got.raw), "Too many attempts") || !strings.Contains(string(got.raw), `name="password"`) {
			t.Errorf("right password after 3 failures: %d, want 429 with the form saying why:\n%s", got.status, got.raw)
		}
	})

	t.Run("Basic", func(t *testing.T) {
		c := a.client(t)
		basic := func(pw string) int {
			c.hdr.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("admin@example.com:"+pw)))
			return c.do("GET", "/api/me", nil).status
		}
		for range 3 {
			if got := basic("a wrong guess"); got != 401 {
				t.Fatalf("wrong password: %d", got)
			}
		}
		if got := basic("correct horse battery"); got != http.StatusTooManyRequests {
			t.Errorf("right password after 3 failures: %d, want 429", got)
		}
	})
}

// A real user's login while another client floods the login with 120
// concurrent wrong passwords (each at an account of its own, so the
// per-account throttle does not stop them and each would cost a hash)
// takes under twice its time on an idle server: the flood gets its share
// of the hashing, not all of it. Medians of nine rounds.
func TestLoginDuringAFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("a flood")
	}
	db, _ := sqliteURL(t)
	ms := smtptest.Start(t)
	a := launch(t, db, ms.Addr, ms)
	user := a.client(t)
	cookie, csrf := user.sessionCookie()
	from := user.hdr.Get("X-Forwarded-For")
	hc := &http.Client{Timeout: 60 * time.Second}
	login := func() time.Duration {
		status, d, err := loginJSON(hc, a.base, cookie, csrf, from, "admin@example.com", "correct horse battery")
		if err != nil || status != 200 {
			t.Fatalf("the user's login: %d %v", status, err)
		}
		return d
	}
	median := func(ds []time.Duration) time.Duration {
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	flooder := a.client(t)
	fcookie, fcsrf := flooder.sessionCookie()
	fhc := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 200}}
	statuses := map[int]int{}
	// Rounds alternate an idle login and one during a flood (from an address
	// of its own each round: one address soon gets 429s, which cost no
	// hash), so whatever else the machine does weighs on both alike.
	measure := func(attempt int) (idle, loaded time.Duration) {
		var is, ls []time.Duration
		for round := range 9 {
			is = append(is, login())
			var wg sync.WaitGroup
			var mu sync.Mutex
			start := make(chan struct{})
			for i := range 120 {
				wg.Go(func() {
					<-start
					s, _, _ := loginJSON(fhc, a.base, fcookie, fcsrf, fmt.Sprintf("10.99.%d.%d", round, attempt+1), fmt.Sprintf("victim%d-%d-%d@example.com", attempt, round, i), "a wrong guess")
					mu.Lock()
					statuses[s]++
					mu.Unlock()
				})
			}
			close(start)
			time.Sleep(20 * time.Millisecond) // the flood is in: hashing, queued, shed
			ls = append(ls, login())
			wg.Wait()
		}
		return median(is), median(ls)
	}
	// A machine busy with other work can spoil one measurement: a second
	// is taken before the test fails.
	for attempt := range 2 {
		i, l := measure(attempt)
		t.Logf("the user's login: %v idle, %v during a flood (%.2f×); the flood's answers so far %v", i, l, float64(l)/float64(i), statuses)
		if l < 2*i {
			break
		}
		if attempt == 1 {
			t.Errorf("the user's login took %v during the flood, %.2f× its idle %v: want under 2×", l, float64(l)/float64(i), i)
		}
	}
	if statuses[400] == 0 {
		t.Errorf("the flood was never hashed: %v", statuses)
	}
}
