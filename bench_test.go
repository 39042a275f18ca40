package gatehouse_test

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/memstore"
	"github.com/gatehouse-auth/gatehouse/password"
	"github.com/gatehouse-auth/gatehouse/sqlitestore"
	_ "modernc.org/sqlite"
)

// BenchmarkLoginFailureTiming checks that a failed login costs the same
// whether the address is unknown, the password wrong, or the account
// inactive, with the default Argon2id hasher: the three are interleaved in
// one loop so machine noise hits them alike, and the ratios to the
// wrong-password case are reported (want ~1.0).
func BenchmarkLoginFailureTiming(b *testing.B) {
	store := memstore.New()
	m, err := gatehouse.New(gatehouse.Config{Users: store, SecretKeys: [][]byte{gatehouse.NewSecretKey()}, Logger: slog.New(slog.DiscardHandler),
		Throttle: gatehouse.ThrottleConfig{Off: true}}) // this measures hashing, not the throttle's refusals
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	m.CreateUser(ctx, &gatehouse.User{Email: "known@example.com", Active: true}, "correct horse battery")
	m.CreateUser(ctx, &gatehouse.User{Email: "inactive@example.com", Active: false}, "correct horse battery")
	m.VerifyPassword(ctx, "nobody@example.com", "x") // make the dummy hash outside the loop
	cases := []struct{ email, pw string }{
		{"known@example.com", "wrong password"},
		{"nobody@example.com", "wrong password"},
		{"inactive@example.com", "correct horse battery"},
	}
	var spent [3]time.Duration
	for b.Loop() {
		for i, c := range cases {
			t0 := time.Now()
			if _, err := m.VerifyPassword(ctx, c.email, c.pw); err == nil {
				b.Fatal("login succeeded")
			}
			spent[i] += time.Since(t0)
		}
	}
	b.ReportMetric(float64(spent[1])/float64(spent[0]), "unknown/wrong")
	b.ReportMetric(float64(spent[2])/float64(spent[0]), "inactive/wrong")
}

// hotPathCase is one way of making an authenticated request.
type hotPathCase struct {
	name    string
	handler http.Handler
	req     *http.Request
}

// hotPath sets up the hot path: a request through Authenticate and
// RequireLogin to a handler that reads the user, per mechanism, over
// memstore (so it measures gatehouse, not a database), and the same
// answer from a bare handler first.
func hotPath(t testing.TB) []hotPathCase {
	store := memstore.New()
	m, err := gatehouse.New(gatehouse.Config{
		Users: store, Tokens: store, SecretKeys: [][]byte{gatehouse.NewSecretKey()},
		Cookie: gatehouse.CookieConfig{Insecure: true}, TokenAuth: true,
		Hasher: password.Upgrade{Current: password.Argon2id{Memory: 64, Time: 1}},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	u := &gatehouse.User{Email: "ada@example.com", Active: true, Roles: []string{"admin"}}
	m.CreateUser(ctx, u, "correct horse battery")
	me := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := gatehouse.CurrentUser(r.Context())
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"`+u.ID+`"}`)
	})
	guarded := m.Authenticate(m.RequireLogin(me))

	// Log in once to get the cookies.
	rec := httptest.NewRecorder()
	login := httptest.NewRequest("POST", "/login", nil)
	login.RemoteAddr, login.Header["User-Agent"] = "192.0.2.1:1234", []string{"bench"}
	m.Authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.Login(w, r, u, gatehouse.LoginOptions{Remember: true})
	})).ServeHTTP(rec, login)
	cookies := map[string]string{}
	for _, c := range rec.Result().Cookies() {
		cookies[c.Name] = c.Name + "=" + c.Value
	}
	token := m.AuthToken(u)

	request := func(h http.Header) *http.Request {
		req := httptest.NewRequest("GET", "/api/me", nil)
		req.RemoteAddr = "192.0.2.1:1234"
		req.Header = h
		req.Header.Set("User-Agent", "bench")
		return req
	}
	return []hotPathCase{
		{"bare", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"id":"1"}`)
		}), request(http.Header{})},
		{"session", guarded, request(http.Header{"Cookie": {cookies["gatehouse"]}})},
		{"remember", guarded, request(http.Header{"Cookie": {cookies["remember_token"]}})},
		{"token", guarded, request(http.Header{"Authentication-Token": {token}})},
	}
}

// BenchmarkAuthenticatedRequest is the hot path (see hotPath). Compare
// with the bare handler line of the same run.
func BenchmarkAuthenticatedRequest(b *testing.B) {
	for _, c := range hotPath(b) {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				c.handler.ServeHTTP(w, c.req)
				if w.Code != 200 {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}

// BenchmarkLogin is a successful login (VerifyPassword, then Login) with
// the default Argon2id hasher, with and without the brute-force throttle,
// interleaved in one loop so machine noise hits both alike; it reports
// the throttle's cost as a ratio (want under 1.05), with the counts in
// memory (memstore) and in SQLite (sqlitestore, shared by every process).
func BenchmarkLogin(b *testing.B) {
	for _, tc := range []struct {
		name  string
		store func(b *testing.B) gatehouse.UserStore
	}{
		{"memstore", func(*testing.B) gatehouse.UserStore { return memstore.New() }},
		{"sqlite", func(b *testing.B) gatehouse.UserStore {
			db, err := sql.Open("sqlite", sqlitestore.DSN(filepath.Join(b.TempDir(), "bench.db")))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { db.Close() })
			s := sqlitestore.New(db)
			if err := s.Migrate(context.Background()); err != nil {
				b.Fatal(err)
			}
			return s
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			store := tc.store(b)
			key := gatehouse.NewSecretKey()
			mk := func(off bool) *gatehouse.Manager {
				m, err := gatehouse.New(gatehouse.Config{Users: store, SecretKeys: [][]byte{key}, Logger: slog.New(slog.DiscardHandler),
					Cookie: gatehouse.CookieConfig{Insecure: true}, Throttle: gatehouse.ThrottleConfig{Off: off}})
				if err != nil {
					b.Fatal(err)
				}
				return m
			}
			on, off := mk(false), mk(true)
			ctx := context.Background()
			if err := on.CreateUser(ctx, &gatehouse.User{Email: "ada@example.com", Active: true}, "correct horse battery"); err != nil {
				b.Fatal(err)
			}
			// Requests through Authenticate, so the client is known and
			// every per-client count is read.
			login := func(m *gatehouse.Manager) http.Handler {
				return m.Authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					u, err := m.VerifyPassword(r.Context(), "ada@example.com", "correct horse battery")
					if err == nil {
						err = m.Login(w, r, u, gatehouse.LoginOptions{})
					}
					if err != nil {
						b.Fatal(err)
					}
				}))
			}
			hOn, hOff := login(on), login(off)
			var spentOn, spentOff time.Duration
			for b.Loop() {
				for _, h := range []struct {
					h     http.Handler
					spent *time.Duration
				}{{hOn, &spentOn}, {hOff, &spentOff}} {
					r := httptest.NewRequest("POST", "/login", nil)
					r.RemoteAddr = "198.51.100.1:1234"
					t0 := time.Now()
					h.h.ServeHTTP(httptest.NewRecorder(), r)
					*h.spent += time.Since(t0)
				}
			}
			b.ReportMetric(float64(spentOn)/float64(spentOff), "throttled/off")
		})
	}
}
