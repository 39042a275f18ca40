package pgstore_test

import (
	"context"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/gatehouse-auth/gatehouse/internal/testutil"
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
	db, dsn := testutil.PostgresDB(t, "gh_test_")
	s := pgstore.New(db)
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s, dsn
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
