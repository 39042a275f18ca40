package sqlitestore_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/gatehouse-auth/gatehouse/sqlitestore"
	"github.com/gatehouse-auth/gatehouse/storetest"
)

func openStore(t testing.TB) *sqlitestore.Store {
	t.Helper()
	db, err := sql.Open("sqlite", sqlitestore.DSN(filepath.Join(t.TempDir(), "gatehouse.db")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	// A pool as an application would size it: hundreds of concurrent
	// goroutines share it rather than wait on SQLite's busy timeout.
	db.SetMaxOpenConns(8)
	s := sqlitestore.New(db)
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Stores {
		s := openStore(t)
		return storetest.Stores{Users: s, Tokens: s, Sessions: s, Roles: s, Outbox: s, Limiter: s, Factors: s}
	})
}

func TestMigrateTwiceAndSettings(t *testing.T) {
	s := openStore(t)
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	var mode string
	s.DB().QueryRow("PRAGMA journal_mode").Scan(&mode)
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
	// A connection without a busy timeout is refused with a clear error.
	db, _ := sql.Open("sqlite", filepath.Join(t.TempDir(), "plain.db"))
	defer db.Close()
	err := sqlitestore.New(db).Migrate(context.Background())
	if err == nil || !strings.Contains(err.Error(), "busy timeout") {
		t.Errorf("Migrate without busy timeout = %v", err)
	}
}
