// Command demo is a small site on gatehouse: a home page that shows who is
// logged in, a login form with "remember me", a protected page, a page that
// needs a fresh login, and an admin page behind a role.
//
//	go run ./examples/demo
//
// It keeps its users in a SQLite file (gatehouse-demo.db in the working
// directory, or -db), the embedded default, and prints the URL to open and
// the accounts it created.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/internal/dburl"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	database := flag.String("db", "gatehouse-demo.db", "SQLite file (or sqlite:// or postgres:// URL)")
	flag.Parse()
	if err := run(*addr, *database); err != nil {
		log.Fatal(err)
	}
}

type account struct{ email, password string }

func run(addr, database string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	db, err := dburl.Open(ctx, database)
	if err != nil {
		return err
	}
	defer db.Close()
	store := db.Store
	key, err := secretKey(database + ".key")
	if err != nil {
		return err
	}
	auth, err := gatehouse.New(gatehouse.Config{
		Users:      store,
		Tokens:     store,
		Roles:      store,
		SecretKeys: [][]byte{key},
		LoginURL:   "/login",
		// The demo serves plain HTTP on localhost; the library default is Secure.
		Cookie: gatehouse.CookieConfig{Insecure: true},
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})),
	})
	if err != nil {
		return err
	}
	accounts := []account{{"admin@example.com", "correct horse battery"}, {"user@example.com", "plain password 1"}}
	if _, err := auth.FindOrCreateRole(ctx, "admin", "Administrators"); err != nil {
		return err
	}
	for i, a := range accounts {
		if _, err := auth.FindUser(ctx, a.email); err == nil {
			continue // made by an earlier run
		}
		u := &gatehouse.User{Email: a.email, Active: true, ConfirmedAt: time.Now()}
		if err := auth.CreateUser(ctx, u, a.password); err != nil {
			return err
		}
		if i == 0 {
			if err := auth.AddRole(ctx, u, "admin"); err != nil {
				return err
			}
		}
	}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: auth.Authenticate(routes(auth)), ReadHeaderTimeout: 10 * time.Second}
	fmt.Printf("Gatehouse demo (%s %s): open http://%s/\n", db.Kind, db.Where, ln.Addr())
	for _, a := range accounts {
		fmt.Printf("  log in as %s / %s\n", a.email, a.password)
	}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// secretKey reads the key sessions are sealed with from path, making it on
// first run, so logins survive a restart of the demo.
func secretKey(path string) ([]byte, error) {
	if key, err := os.ReadFile(path); err == nil && len(key) >= 32 {
		return key, nil
	}
	key := make([]byte, 32)
	rand.Read(key)
	return key, os.WriteFile(path, key, 0o600)
}

func routes(auth *gatehouse.Manager) http.Handler {
	page := template.Must(template.New("page").Funcs(auth.FuncMap()).Parse(pageHTML))
	render := func(w http.ResponseWriter, r *http.Request, title, body string, status int) {
		flashes := auth.Flashes(w, r)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		page.Execute(w, map[string]any{"R": r, "Title": title, "Body": body, "Flashes": flashes})
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		render(w, r, "Home", "home", http.StatusOK)
	})
	mux.Handle("GET /login", auth.RequireAnonymous(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		render(w, r, "Log in", "login", http.StatusOK)
	})))
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		u, err := auth.VerifyPassword(r.Context(), r.PostFormValue("email"), r.PostFormValue("password"))
		if err != nil {
			msg := "Invalid email or password."
			if errors.Is(err, gatehouse.ErrInactive) {
				msg = "This account is disabled."
			}
			auth.Flash(w, r, "error", msg)
			render(w, r, "Log in", "login", http.StatusBadRequest)
			return
		}
		if err := auth.Login(w, r, u, gatehouse.LoginOptions{Remember: r.PostFormValue("remember") == "on"}); err != nil {
			auth.WriteError(w, r, err)
			return
		}
		auth.Flash(w, r, "success", "You are logged in.")
		http.Redirect(w, r, auth.NextURL(w, r), http.StatusSeeOther)
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		if err := auth.Logout(w, r); err != nil {
			auth.WriteError(w, r, err)
			return
		}
		auth.Flash(w, r, "success", "You are logged out.")
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	mux.Handle("GET /protected", auth.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		render(w, r, "Protected", "protected", http.StatusOK)
	})))
	mux.Handle("GET /fresh", auth.RequireFresh(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		render(w, r, "Fresh login", "fresh", http.StatusOK)
	})))
	mux.Handle("GET /admin", auth.RequireRoles("admin")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		render(w, r, "Admin", "admin", http.StatusOK)
	})))
	return mux
}

const pageHTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · Gatehouse demo</title>
<style>
:root{color-scheme:light dark;--fg:#1b1f24;--bg:#fff;--muted:#5b6470;--accent:#2457d6;--line:#d8dde3}
@media (prefers-color-scheme:dark){:root{--fg:#e7eaee;--bg:#15181c;--muted:#9aa3ad;--accent:#7aa2ff;--line:#30363d}}
body{font:16px/1.5 system-ui,sans-serif;color:var(--fg);background:var(--bg);max-width:40rem;margin:2rem auto;padding:0 1rem}
nav{display:flex;gap:1rem;align-items:center;border-bottom:1px solid var(--line);padding-bottom:.75rem;flex-wrap:wrap}
nav .who{margin-left:auto;color:var(--muted)}
a{color:var(--accent)} label{display:block;margin-top:.75rem}
input[type=email],input[type=password]{width:100%;padding:.5rem;border:1px solid var(--line);border-radius:6px;background:transparent;color:inherit;box-sizing:border-box}
button{margin-top:1rem;padding:.5rem 1rem;border:0;border-radius:6px;background:var(--accent);color:#fff;font:inherit;cursor:pointer}
.flash{padding:.5rem .75rem;border-radius:6px;border:1px solid var(--line);margin:1rem 0}
.flash.error{border-color:#d64545}
form.inline{display:inline}
</style></head><body>
<nav><a href="/">Home</a><a href="/protected">Protected</a><a href="/fresh">Fresh only</a><a href="/admin">Admin</a>
<span class="who">{{with currentUser .R}}{{.Email}} <form class="inline" method="post" action="/logout"><button>Log out</button></form>{{else}}<a href="/login">Log in</a>{{end}}</span></nav>
{{range .Flashes}}<p class="flash {{.Category}}" role="status">{{.Message}}</p>{{end}}
<main>
{{if eq .Body "home"}}<h1>Gatehouse demo</h1>
  {{if isAuthenticated .R}}<p>You are logged in as <strong>{{(currentUser .R).Email}}</strong>{{if isFresh .R}} (fresh login){{end}}.</p>
  {{else}}<p>You are not logged in. <a href="/login">Log in</a> with one of the accounts printed in the terminal.</p>{{end}}
{{else if eq .Body "login"}}<h1>Log in</h1>
  <form method="post" action="/login{{with .R.URL.Query.Get "next"}}?next={{.}}{{end}}">
  <label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" required autofocus>
  <label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
  <label><input type="checkbox" name="remember"> Remember me</label>
  <button type="submit">Log in</button></form>
{{else if eq .Body "protected"}}<h1>Protected</h1><p>Only logged-in users see this page.</p>
{{else if eq .Body "fresh"}}<h1>Fresh login</h1><p>This page needs a password login in the last 10 minutes; a remember-me cookie is not enough.</p>
{{else if eq .Body "admin"}}<h1>Admin</h1><p>Only users with the <code>admin</code> role see this page.</p>{{end}}
</main></body></html>`
