package sqlitestore_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/internal/sqlmigrate"
	"github.com/gatehouse-auth/gatehouse/sqlitestore"
	"github.com/gatehouse-auth/gatehouse/views"
)

func newUser(email string) *gatehouse.User {
	now := time.Now()
	return &gatehouse.User{Email: email, Active: true, SecurityStamp: "s", CreatedAt: now, UpdatedAt: now}
}

// A full disk, a read-only database and a lock held past the busy timeout
// are ErrUnavailable (answered 503), not internal errors.
func TestUnavailableErrors(t *testing.T) {
	ctx := context.Background()
	t.Run("full", func(t *testing.T) {
		s := openStore(t)
		db := s.DB()
		db.SetMaxOpenConns(1) // the pragma below is per connection
		var pages int
		db.QueryRow("PRAGMA page_count").Scan(&pages)
		if _, err := db.Exec("PRAGMA max_page_count = " + itoa(pages)); err != nil {
			t.Fatal(err)
		}
		var err error
		for i := range 500 { // fill what is left of the last page
			if err = s.CreateUser(ctx, newUser("full"+itoa(i)+"@example.com")); err != nil {
				break
			}
		}
		if !errors.Is(err, gatehouse.ErrUnavailable) {
			t.Errorf("CreateUser on a full database = %v, want ErrUnavailable", err)
		}
	})
	t.Run("read-only", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "ro.db")
		rw, _ := sql.Open("sqlite", sqlitestore.DSN(path))
		if err := sqlitestore.New(rw).Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		rw.Close()
		ro, _ := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(100)")
		defer ro.Close()
		err := sqlitestore.New(ro).CreateUser(ctx, newUser("ro@example.com"))
		if !errors.Is(err, gatehouse.ErrUnavailable) {
			t.Errorf("CreateUser on a read-only database = %v, want ErrUnavailable", err)
		}
	})
	t.Run("locked", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "busy.db")
		a, _ := sql.Open("sqlite", sqlitestore.DSN(path))
		defer a.Close()
		if err := sqlitestore.New(a).Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		tx, err := a.BeginTx(ctx, nil) // holds the write lock (_txlock=immediate)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		b, _ := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(50)")
		defer b.Close()
		err = sqlitestore.New(b).CreateUser(ctx, newUser("busy@example.com"))
		if !errors.Is(err, gatehouse.ErrUnavailable) {
			t.Errorf("CreateUser while another process holds the lock = %v, want ErrUnavailable", err)
		}
	})
}

func itoa(n int) string { return strconv.Itoa(n) }

type registerClient struct {
	url string
	c   *http.Client
}

// registerServer serves v, for a client that registers users.
func registerServer(t *testing.T, m *gatehouse.Manager, v *views.Views) *registerClient {
	srv := httptest.NewServer(m.Authenticate(v.Routes()))
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	return &registerClient{url: srv.URL, c: &http.Client{Jar: jar}}
}

// register signs email up over JSON and returns the status.
func (rc *registerClient) register(t *testing.T, email string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", rc.url+"/register", nil)
	req.Header.Set("Accept", "application/json")
	resp, err := rc.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		Response struct {
			CSRF string `json:"csrf_token"`
		}
	}
	json.NewDecoder(resp.Body).Decode(&env)
	resp.Body.Close()
	req, _ = http.NewRequest("POST", rc.url+"/register", strings.NewReader(`{"email":"`+email+`","password":"a fine password 9"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", env.Response.CSRF)
	resp, err = rc.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// A user is written with its welcome mail, or not at all: when the mail
// job cannot be written, the registration leaves nothing behind.
func TestUserAndMailInOneTransaction(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	if _, err := s.DB().Exec(`CREATE TRIGGER no_mail BEFORE INSERT ON gatehouse_mail BEGIN SELECT RAISE(ABORT, 'no room for mail'); END`); err != nil {
		t.Fatal(err)
	}
	m, err := gatehouse.New(gatehouse.Config{
		Users: s, Tokens: s, SecretKeys: [][]byte{[]byte("0123456789abcdef0123456789abcdef")},
		Cookie: gatehouse.CookieConfig{Insecure: true},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	v, err := views.New(m, views.Config{
		Registerable: true,
		Mail:         views.MailConfig{Mailer: views.MailerFunc(func(context.Context, *views.Message) error { return nil })},
		Logger:       slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := registerServer(t, m, v)
	if status := srv.register(t, "tx@example.com"); status < 500 {
		t.Errorf("register with no room for its mail: %d, want an error", status)
	}
	if _, err := s.UserByEmail(ctx, "tx@example.com"); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("the user was stored without its welcome mail: %v", err)
	}
	s.DB().Exec(`DROP TRIGGER no_mail`)
	if status := srv.register(t, "tx@example.com"); status != 200 {
		t.Errorf("register: %d", status)
	}
	if _, err := s.UserByEmail(ctx, "tx@example.com"); err != nil {
		t.Errorf("user: %v", err)
	}
	if j, err := s.ClaimMail(ctx, time.Now().Add(time.Minute), time.Minute); err != nil || j.Kind != "welcome" {
		t.Errorf("welcome job: %+v %v", j, err)
	}
}

// Migration 0002 moves revoked sessions out of the users table: users who
// had some get a new security stamp (their sessions end), the others keep
// theirs, and everything else survives.
func TestMigrationRevocations(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", sqlitestore.DSN(filepath.Join(t.TempDir(), "old.db")))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	first, err := fs.ReadFile(sqlitestore.Migrations(), "0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	old := fstest.MapFS{"0001_init.sql": {Data: first}}
	if err := sqlmigrate.Apply(ctx, db, old, sqlmigrate.Options{Placeholder: func(int) string { return "?" }}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct{ email, revoked string }{
		{"revoked@example.com", `[{"ID":"abc","Until":"2030-01-01T00:00:00Z"}]`},
		{"plain@example.com", ""},
	} {
		if _, err := db.Exec(`INSERT INTO gatehouse_users (email, email_key, security_stamp, revoked_sessions, created_at, updated_at, active)
			VALUES (?, ?, 'stamp', ?, 1, 1, 1)`, u.email, u.email, u.revoked); err != nil {
			t.Fatal(err)
		}
	}
	s := sqlitestore.New(db)
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate over 0001: %v", err)
	}
	revoked, err := s.UserByEmail(ctx, "revoked@example.com")
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := s.UserByEmail(ctx, "plain@example.com")
	if revoked.SecurityStamp == "stamp" || plain.SecurityStamp != "stamp" || !revoked.Active || len(revoked.RevokedSessions) != 0 {
		t.Errorf("after migration: revoked %+v, plain %+v", revoked, plain)
	}
}
