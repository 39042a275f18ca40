// Command quickstart is the README's quick start as a program that
// compiles: a site with sign-up, login, password reset and change, an
// account page, a fresh-login-only action and an admin area. Its test
// checks that every line of the README's quick start is here.
//
//	export SECRET_KEYS=$(head -c 32 /dev/urandom | base64)
//	go run ./examples/quickstart
package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	_ "modernc.org/sqlite"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/mail"
	"github.com/gatehouse-auth/gatehouse/sqlitestore"
	"github.com/gatehouse-auth/gatehouse/token"
	"github.com/gatehouse-auth/gatehouse/views"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	home := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, ok := gatehouse.CurrentUser(r.Context()); ok {
			fmt.Fprintf(w, "Hello, %s. <a href=\"/account\">Your account</a>", u.Email)
			return
		}
		fmt.Fprint(w, `<a href="/login">Log in</a> or <a href="/register">sign up</a>`)
	})
	account := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := gatehouse.CurrentUser(r.Context())
		fmt.Fprintf(w, "%s, member since %s", u.Email, u.CreatedAt.Format("2 January 2006"))
	})
	exportData := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := gatehouse.CurrentUser(r.Context())
		fmt.Fprintf(w, "everything we keep about %s", u.Email)
	})
	adminPages := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "admins only")
	})

	db, _ := sql.Open("sqlite", sqlitestore.DSN("app.db")) // modernc.org/sqlite
	store := sqlitestore.New(db)                           // or pgstore.New(db)
	if err := store.Migrate(ctx); err != nil {
		log.Fatal(err)
	}
	// Secret keys: export SECRET_KEYS=$(head -c 32 /dev/urandom | base64)
	keys, err := token.KeysFromEnv("SECRET_KEYS") // newest first: rotate by prepending
	if err != nil {
		log.Fatal(err) // it says how to make one
	}
	// The engine: who is making each request, sessions, guards.
	auth, err := gatehouse.New(gatehouse.Config{
		Users: store, Tokens: store, Roles: store,
		SecretKeys: keys,
	})
	if err != nil {
		log.Fatal(err)
	}
	// The Flask-Security product on it: pages, JSON API, mails.
	v, err := views.New(auth, views.Config{
		Registerable: true, Recoverable: true, Changeable: true,
		BaseURL: "https://example.com", // links in mail
		Mail:    views.MailConfig{Mailer: &mail.SMTP{Host: "smtp.example.com", From: "no-reply@example.com"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	work, stopWork := context.WithCancel(context.Background())
	worked := make(chan error, 1)
	go func() { worked <- v.Run(work) }() // the outbox workers send mail, with retries
	mux := http.NewServeMux()
	v.Mount(mux)                 // /login, /logout, /register, /reset, /change, /verify, /session: HTML and JSON
	mux.Handle("GET /{$}", home) // where logins and sign-ups land (PostLoginURL)
	mux.Handle("GET /account", auth.RequireLogin(account))
	mux.Handle("GET /account/export", auth.RequireFresh(exportData)) // a recent password only
	mux.Handle("/admin/", auth.RequireRoles("admin")(adminPages))
	srv := &http.Server{Addr: ":8080", Handler: auth.Authenticate(mux)} // outermost
	go func() {
		if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
			log.Fatal(err) // the port is taken, say
		}
	}()
	<-ctx.Done() // SIGTERM: stop in this order, and nothing accepted is lost
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv.Shutdown(shutdownCtx) // 1. stop accepting, answer every request in flight
	stopWork()                // 2. the workers finish the mail in hand
	<-worked
	db.Close() // 3. only then close the database
}
