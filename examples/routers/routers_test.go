package routers_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/examples/routers"
	"github.com/gatehouse-auth/gatehouse/gatehousetest"
	"github.com/gatehouse-auth/gatehouse/memstore"
)

// Each recipe: a visitor gets 401, a logged-in user their account and 403
// at the admin page, an admin both.
func TestRecipes(t *testing.T) {
	store := memstore.New()
	auth, err := gatehouse.New(gatehouse.Config{Users: store, SecretKeys: [][]byte{gatehouse.NewSecretKey()}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ada := &gatehouse.User{Email: "ada@example.com", Active: true}
	root := &gatehouse.User{Email: "root@example.com", Active: true, Roles: []string{"admin"}}
	for _, u := range []*gatehouse.User{ada, root} {
		if err := store.CreateUser(context.Background(), u); err != nil {
			t.Fatal(err)
		}
	}
	account := func(w http.ResponseWriter, r *http.Request) {
		u, _ := gatehouse.CurrentUser(r.Context())
		io.WriteString(w, u.Email)
	}
	admin := func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "admin") }
	for name, h := range map[string]http.Handler{
		"chi":  routers.Chi(auth, account, admin),
		"gin":  routers.Gin(auth, account, admin),
		"echo": routers.Echo(auth, account, admin),
	} {
		t.Run(name, func(t *testing.T) {
			for _, tc := range []struct {
				user   *gatehouse.User
				path   string
				status int
				body   string
			}{
				{nil, "/account", 401, ""}, {ada, "/account", 200, "ada@example.com"}, {ada, "/admin", 403, ""},
				{root, "/admin", 200, "admin"},
			} {
				r := httptest.NewRequest("GET", "https://example.com"+tc.path, nil)
				r.Header.Set("Accept", "application/json")
				if tc.user != nil {
					gatehousetest.Login(t, auth, r, tc.user, gatehousetest.Options{})
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != tc.status || tc.body != "" && w.Body.String() != tc.body {
					t.Errorf("%v at %s: %d %q, want %d %q", tc.user != nil, tc.path, w.Code, w.Body, tc.status, tc.body)
				}
			}
		})
	}
}
