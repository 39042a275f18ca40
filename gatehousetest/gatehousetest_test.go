package gatehousetest_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/gatehousetest"
	"github.com/gatehouse-auth/gatehouse/memstore"
	"github.com/gatehouse-auth/gatehouse/password"
)

// app is a Manager over memstore and a handler with a login-only route
// and a fresh-only one, each answering the user's email.
func app(t *testing.T) (*gatehouse.Manager, *gatehouse.User, http.Handler) {
	t.Helper()
	store := memstore.New()
	auth, err := gatehouse.New(gatehouse.Config{
		Users: store, Tokens: store, SecretKeys: [][]byte{gatehouse.NewSecretKey()},
		TokenAuth: true, BasicAuth: true, Cookie: gatehouse.CookieConfig{Insecure: true},
		Hasher: password.Argon2id{Memory: 64, Time: 1}, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	u := &gatehouse.User{Email: "ada@example.com", Active: true}
	if err := auth.CreateUser(context.Background(), u, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	me := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := gatehouse.CurrentUser(r.Context())
		io.WriteString(w, u.Email)
	})
	mux := http.NewServeMux()
	mux.Handle("GET /me", auth.RequireLogin(me))
	mux.Handle("GET /fresh", auth.RequireFresh(me))
	return auth, u, auth.Authenticate(mux)
}

func TestLogin(t *testing.T) {
	for _, tc := range []struct {
		name      string
		o         gatehousetest.Options
		freshWant int
	}{
		{"fresh session", gatehousetest.Options{}, 200},
		{"non-fresh session", gatehousetest.Options{NotFresh: true}, 401},
		{"remembered", gatehousetest.Options{Remember: true}, 200},
		{"token", gatehousetest.Options{Token: true}, 401},
		{"basic", gatehousetest.Options{Password: "correct horse battery"}, 401}, // Basic is never fresh
	} {
		t.Run(tc.name, func(t *testing.T) {
			auth, u, h := app(t)
			for path, want := range map[string]int{"/me": 200, "/fresh": tc.freshWant} {
				r := httptest.NewRequest("GET", path, nil)
				r.Header.Set("Accept", "application/json")
				gatehousetest.Login(t, auth, r, u, tc.o)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != want {
					t.Errorf("%s: %d %s, want %d", path, w.Code, w.Body, want)
				}
				if want == 200 && w.Body.String() != u.Email {
					t.Errorf("%s: %q, want the user's email", path, w.Body)
				}
			}
		})
	}
}

func TestClient(t *testing.T) {
	for _, o := range []gatehousetest.Options{{}, {NotFresh: true}, {Token: true}, {Password: "correct horse battery"}} {
		auth, u, h := app(t)
		srv := httptest.NewServer(h)
		c := gatehousetest.Client(t, auth, srv.URL, u, o)
		for range 2 {
			resp, err := c.Get(srv.URL + "/me")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || string(body) != u.Email {
				t.Errorf("%+v: %d %s", o, resp.StatusCode, body)
			}
		}
		// Anonymous, without the helper.
		resp, err := http.Get(srv.URL + "/me")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Errorf("an anonymous client: %d", resp.StatusCode)
		}
		srv.Close()
	}
}
