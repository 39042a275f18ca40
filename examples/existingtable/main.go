// Command existingtable serves Gatehouse's users from a table the
// application already has, unchanged: accounts(id, email, pw, enabled,
// plan) with bcrypt hashes. Gatehouse reads and writes just those
// columns (usertable.Columns) and keeps the rest (security stamps,
// revoked sessions, a Unicode-correct unique key on the address, login
// tracking, roles) in tables of its own keyed by accounts.id; sessions,
// tokens and mail live in sqlitestore's tables on the same database.
//
//	go run ./examples/existingtable   # then POST /login as ada@example.com
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
	"github.com/gatehouse-auth/gatehouse/password"
	"github.com/gatehouse-auth/gatehouse/sqlitestore"
	"github.com/gatehouse-auth/gatehouse/usertable"
	"github.com/gatehouse-auth/gatehouse/views"
)

// site is the application: its engine and views on its own database.
type site struct {
	auth    *gatehouse.Manager
	views   *views.Views
	handler http.Handler
}

// newSite serves db's accounts table.
func newSite(ctx context.Context, db *sql.DB, key []byte, mailer views.Mailer) (*site, error) {
	users, err := usertable.New(usertable.Config{DB: db, Columns: usertable.Columns{
		Table: "accounts", ID: "id", Email: "email", PasswordHash: "pw", Active: "enabled",
	}})
	if err != nil {
		return nil, err
	}
	store := sqlitestore.New(db) // sessions, one-time tokens, the mail outbox
	for _, m := range []interface{ Migrate(context.Context) error }{users, store} {
		if err := m.Migrate(ctx); err != nil {
			return nil, err
		}
	}
	auth, err := gatehouse.New(gatehouse.Config{
		Users: users, Tokens: store, Sessions: store, Outbox: store,
		SecretKeys: [][]byte{key},
		// The app's bcrypt hashes keep working, and move to Argon2id at
		// each user's next login.
		Hasher: password.Upgrade{Legacy: []password.Scheme{password.Bcrypt{}}},
		Cookie: gatehouse.CookieConfig{Insecure: true}, // plain HTTP on localhost only
	})
	if err != nil {
		return nil, err
	}
	v, err := views.New(auth, views.Config{
		Recoverable: true, Changeable: true, Sessions: true,
		BaseURL: "http://localhost:8082",
		Mail:    views.MailConfig{Mailer: mailer},
	})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	v.Mount(mux)
	mux.Handle("GET /{$}", auth.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := gatehouse.CurrentUser(r.Context())
		var plan string // the app's own column, read by the app
		db.QueryRowContext(r.Context(), "SELECT plan FROM accounts WHERE id = ?", u.ID).Scan(&plan)
		fmt.Fprintf(w, "%s, on the %s plan", u.Email, plan)
	})))
	return &site{auth: auth, views: v, handler: auth.Authenticate(mux)}, nil
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	db, err := sql.Open("sqlite", sqlitestore.DSN("existing.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	// The application's table, as it was before Gatehouse.
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS accounts (
		id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL, pw TEXT, enabled INTEGER NOT NULL DEFAULT 1, plan TEXT NOT NULL DEFAULT 'free')`); err != nil {
		log.Fatal(err)
	}
	key := []byte(os.Getenv("SECRET_KEY"))
	if len(key) < 32 {
		log.Fatal("set SECRET_KEY to 32 random bytes or more: export SECRET_KEY=$(head -c 32 /dev/urandom | base64)")
	}
	s, err := newSite(ctx, db, key, &mail.Mailbox{})
	if err != nil {
		log.Fatal(err)
	}
	work, stopWork := context.WithCancel(context.Background())
	worked := make(chan error, 1)
	go func() { worked <- s.views.Run(work) }()
	srv := &http.Server{Addr: "localhost:8082", Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
			log.Fatal(err)
		}
	}()
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv.Shutdown(shutdown)
	stopWork()
	<-worked
}
