package usertable_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/gatehouse-auth/gatehouse/internal/testutil"
	"github.com/gatehouse-auth/gatehouse/sqlitestore"
	"github.com/gatehouse-auth/gatehouse/storetest"
	"github.com/gatehouse-auth/gatehouse/usertable"
)

// An application's own table of users, as it was before Gatehouse: an
// ID, an address, a password hash, a column of its own with a default,
// and, in one variant, an "enabled" flag.
const (
	accountsSQLite = `CREATE TABLE accounts (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL, pw TEXT, plan TEXT NOT NULL DEFAULT 'free'%s)`
	accountsPG     = `CREATE TABLE accounts (id BIGSERIAL PRIMARY KEY, email TEXT NOT NULL, pw TEXT, plan TEXT NOT NULL DEFAULT 'free'%s)`
)

func columns(active bool) usertable.Columns {
	c := usertable.Columns{Table: "accounts", ID: "id", Email: "email", PasswordHash: "pw"}
	if active {
		c.Active = "enabled"
	}
	return c
}

func openSQLite(t *testing.T, active bool) *usertable.Store {
	t.Helper()
	db, err := sql.Open("sqlite", sqlitestore.DSN(filepath.Join(t.TempDir(), "app.db")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	extra := ""
	if active {
		extra = ", enabled INTEGER NOT NULL DEFAULT 1"
	}
	if _, err := db.Exec(strings.Replace(accountsSQLite, "%s", extra, 1)); err != nil {
		t.Fatal(err)
	}
	return newStore(t, usertable.Config{DB: db, Columns: columns(active)})
}

func newStore(t *testing.T, cfg usertable.Config) *usertable.Store {
	t.Helper()
	s, err := usertable.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("Migrate again: %v", err)
	}
	return s
}

// openPG opens a schema of its own on GATEHOUSE_POSTGRES_DSN; skipped
// without it, except in CI.
func openPG(t *testing.T, active bool) *usertable.Store {
	t.Helper()
	db, _ := testutil.PostgresDB(t, "gh_usertable_")
	extra := ""
	if active {
		extra = ", enabled BOOLEAN NOT NULL DEFAULT TRUE"
	}
	if _, err := db.Exec(strings.Replace(accountsPG, "%s", extra, 1)); err != nil {
		t.Fatal(err)
	}
	return newStore(t, usertable.Config{DB: db, Postgres: true, Columns: columns(active)})
}

// The user store contract every Gatehouse store meets, on the
// application's table: with its own active flag and without one, on
// SQLite and PostgreSQL.
func TestConformance(t *testing.T) {
	for _, db := range []struct {
		name string
		open func(*testing.T, bool) *usertable.Store
	}{{"sqlite", openSQLite}, {"postgres", openPG}} {
		for _, active := range []bool{true, false} {
			name := db.name + "/own-flag"
			if !active {
				name = db.name + "/no-flag"
			}
			t.Run(name, func(t *testing.T) {
				storetest.Run(t, func(t *testing.T) storetest.Stores { return storetest.Stores{Users: db.open(t, active)} })
			})
		}
	}
}
