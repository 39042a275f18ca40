package gatehouse_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/memstore"
)

// The README quick start: a login form, a protected page, and Authenticate
// outermost.
func Example() {
	store := memstore.New()
	auth, err := gatehouse.New(gatehouse.Config{
		Users:      store,
		SecretKeys: [][]byte{gatehouse.NewSecretKey()}, // in production: the same key on every start
		LoginURL:   "/login",
		Cookie:     gatehouse.CookieConfig{Insecure: true}, // plain-HTTP test server
		Logger:     slog.New(slog.DiscardHandler),
	})
	if err != nil {
		panic(err)
	}
	auth.CreateUser(context.Background(), &gatehouse.User{Email: "ada@example.com", Active: true}, "correct horse battery")

	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		u, err := auth.VerifyPassword(r.Context(), r.FormValue("email"), r.FormValue("password"))
		if err != nil {
			auth.WriteError(w, r, err)
			return
		}
		if err := auth.Login(w, r, u, gatehouse.LoginOptions{}); err != nil {
			auth.WriteError(w, r, err)
			return
		}
		http.Redirect(w, r, auth.NextURL(w, r), http.StatusSeeOther)
	})
	mux.Handle("GET /account", auth.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := gatehouse.CurrentUser(r.Context())
		fmt.Fprintf(w, "hello %s", u.Email)
	})))
	srv := httptest.NewServer(auth.Authenticate(mux))
	defer srv.Close()

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	resp, _ := browser.PostForm(srv.URL+"/login?next=/account", url.Values{
		"email": {"ada@example.com"}, "password": {"correct horse battery"},
	})
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(string(body))
	// Output: hello ada@example.com
}

func ExampleIsSafeRedirect() {
	for _, next := range []string{"/dashboard?tab=2", "//evil.com", "/\\evil.com", "https://evil.com"} {
		fmt.Println(next, gatehouse.IsSafeRedirect(next, nil))
	}
	// Output:
	// /dashboard?tab=2 true
	// //evil.com false
	// /\evil.com false
	// https://evil.com false
}

func ExampleManager_Require() {
	auth, _ := gatehouse.New(gatehouse.Config{Users: memstore.New(), SecretKeys: [][]byte{gatehouse.NewSecretKey()}})
	// Editors or admins, logged in with a password in the last five minutes.
	guard := auth.Require(gatehouse.Policy{AnyRoles: []string{"editor", "admin"}, FreshWithin: 5 * time.Minute})
	_ = guard(http.NotFoundHandler())
}
