package pgstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/gatehouse-auth/gatehouse/pgstore"
	"github.com/gatehouse-auth/gatehouse/storetest"
)

// openStore returns a store in a schema of its own, dropped at cleanup. It
// needs GATEHOUSE_POSTGRES_DSN; without it the test is skipped, except in CI
// (CI=true), where a skipped PostgreSQL suite is a failure.
func openStore(t testing.TB) *pgstore.Store {
	t.Helper()
	s, _ := openStoreDSN(t)
	return s
}

// openStoreDSN is openStore, and the DSN of the store's schema, to open
// it again as another instance would.
func openStoreDSN(t testing.TB) (*pgstore.Store, string) {
	t.Helper()
	dsn := os.Getenv("GATEHOUSE_POSTGRES_DSN")
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("GATEHOUSE_POSTGRES_DSN is not set in CI: scripts/test.sh starts PostgreSQL and sets it")
		}
		t.Skip("GATEHOUSE_POSTGRES_DSN not set")
	}
	ctx := context.Background()
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "gh_test_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	db, err := sql.Open("pgx", u.String())
	if err != nil {
		t.Fatal(err)
	}
	// A pool as an application would size it: hundreds of concurrent
	// goroutines share it, instead of each forking a server process.
	db.SetMaxOpenConns(20)
	t.Cleanup(func() {
		db.Close()
		admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	})
	s := pgstore.New(db)
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s, u.String()
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Stores {
		s := openStore(t)
		return storetest.Stores{Users: s, Tokens: s, Sessions: s, Roles: s, Outbox: s, Limiter: s, Factors: s}
	})
}

func TestMigrateTwice(t *testing.T) {
	s := openStore(t)
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
}
