package storetest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/admin"
	"github.com/gatehouse-auth/gatehouse/password"
)

// The race cases drive a gatehouse.Manager over the stores, the way the
// flows do, and change one user from several goroutines at once, many
// times over: every change must stand.

func needRoles(s Stores) bool { return s.Users != nil && s.Roles != nil }

func raceManager(t *testing.T, s Stores) *gatehouse.Manager {
	t.Helper()
	m, err := gatehouse.New(gatehouse.Config{
		Users: s.Users, Tokens: s.Tokens, Roles: s.Roles,
		SecretKeys: [][]byte{gatehouse.NewSecretKey()},
		Cookie:     gatehouse.CookieConfig{Insecure: true},
		Hasher:     password.Bcrypt{Cost: 4}, // fast: the races are about stores
		Logger:     slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// raceServer serves POST /login?id=ID (logs the user in), POST /logout and
// GET /me (the user's ID, or 401).
func raceServer(t *testing.T, m *gatehouse.Manager, s Stores) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		u, err := s.Users.UserByID(r.Context(), r.URL.Query().Get("id"))
		if err == nil {
			err = m.Login(w, r, u, gatehouse.LoginOptions{})
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		if err := m.Logout(w, r); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	mux.Handle("GET /me", m.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := gatehouse.CurrentUser(r.Context())
		io.WriteString(w, u.ID)
	})))
	srv := httptest.NewServer(m.Authenticate(mux))
	t.Cleanup(srv.Close)
	return srv
}

// call sends a request with cookie (name=value, or none) and returns the
// status and the session cookie the answer set.
func call(t *testing.T, method, u, cookie string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, u, nil)
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, u, err)
		return 0, ""
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == "gatehouse" && c.Value != "" {
			return resp.StatusCode, c.Name + "=" + c.Value
		}
	}
	return resp.StatusCode, ""
}

func login(t *testing.T, srv *httptest.Server, id string) string {
	t.Helper()
	status, cookie := call(t, "POST", srv.URL+"/login?id="+url.QueryEscape(id), "")
	if status != 200 || cookie == "" {
		t.Fatalf("login: %d, cookie %q", status, cookie)
	}
	return cookie
}

// An admin deactivates a user while the user changes password: both
// changes stand, every time.
func testRaceDeactivateVsPassword(t *testing.T, s Stores) {
	ctx := context.Background()
	m := raceManager(t, s)
	for round := range 20 {
		u := &gatehouse.User{Email: "race" + string(rune('a'+round)) + "@example.com", Active: true}
		if err := m.CreateUser(ctx, u, "old password 1"); err != nil {
			t.Fatal(err)
		}
		operator, self := u.Clone(), u.Clone()
		var wg sync.WaitGroup
		wg.Go(func() {
			if err := admin.New(m).SetActive(ctx, operator, false); err != nil {
				t.Errorf("SetActive = %v", err)
			}
		})
		wg.Go(func() {
			if err := m.SetPassword(ctx, self, "new password 2"); err != nil {
				t.Errorf("SetPassword = %v", err)
			}
		})
		wg.Wait()
		got, err := s.Users.UserByID(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Active {
			t.Fatalf("round %d: the password change undid the deactivation", round)
		}
		if _, err := m.VerifyPassword(ctx, u.Email, "new password 2"); !errors.Is(err, gatehouse.ErrInactive) {
			t.Fatalf("round %d: the deactivation undid the password change (VerifyPassword = %v)", round, err)
		}
		if got.SecurityStamp == u.SecurityStamp {
			t.Fatalf("round %d: the security stamp did not change", round)
		}
	}
}

// An admin removes a role while the user logs out: the role is gone and
// the logged-out cookie is refused, every time.
func testRaceRoleRemovalVsLogout(t *testing.T, s Stores) {
	ctx := context.Background()
	m := raceManager(t, s)
	srv := raceServer(t, m, s)
	if _, err := admin.New(m).FindOrCreateRole(ctx, "admin", ""); err != nil {
		t.Fatal(err)
	}
	for round := range 15 {
		u := &gatehouse.User{Email: "role" + string(rune('a'+round)) + "@example.com", Active: true, Roles: []string{"admin"}}
		if err := m.CreateUser(ctx, u, ""); err != nil {
			t.Fatal(err)
		}
		cookie := login(t, srv, u.ID)
		var wg sync.WaitGroup
		wg.Go(func() {
			if err := admin.New(m).RemoveRole(ctx, u.Clone(), "admin"); err != nil {
				t.Errorf("RemoveRole = %v", err)
			}
		})
		wg.Go(func() {
			if status, _ := call(t, "POST", srv.URL+"/logout", cookie); status != 200 {
				t.Errorf("logout: %d", status)
			}
		})
		wg.Wait()
		got, _ := s.Users.UserByID(ctx, u.ID)
		if got.HasRole("admin") {
			t.Fatalf("round %d: the logout undid the role removal", round)
		}
		if status, _ := call(t, "GET", srv.URL+"/me", cookie); status != http.StatusUnauthorized {
			t.Fatalf("round %d: the role removal undid the logout: the old cookie gets %d", round, status)
		}
	}
}

// 24 sessions of one user log out at once: every one of those cookies is
// refused afterwards (with stateless cookie sessions, each logout is
// recorded with the user).
func testRaceParallelLogouts(t *testing.T, s Stores) {
	ctx := context.Background()
	m := raceManager(t, s)
	srv := raceServer(t, m, s)
	for round := range 3 {
		u := &gatehouse.User{Email: "many" + string(rune('a'+round)) + "@example.com", Active: true}
		if err := m.CreateUser(ctx, u, ""); err != nil {
			t.Fatal(err)
		}
		cookies := make([]string, 24)
		for i := range cookies {
			cookies[i] = login(t, srv, u.ID)
		}
		var wg sync.WaitGroup
		for _, c := range cookies {
			wg.Go(func() {
				if status, _ := call(t, "POST", srv.URL+"/logout", c); status != 200 {
					t.Errorf("logout: %d", status)
				}
			})
		}
		wg.Wait()
		alive := 0
		for _, c := range cookies {
			if status, _ := call(t, "GET", srv.URL+"/me", c); status != http.StatusUnauthorized {
				alive++
			}
		}
		if alive > 0 {
			t.Fatalf("round %d: %d of 24 logged-out cookies still work", round, alive)
		}
	}
}
