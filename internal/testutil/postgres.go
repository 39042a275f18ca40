package testutil

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// ServerURL is the address of a real server the tests need, from the
// environment variable name (scripts/test.sh starts PostgreSQL, Redis and
// FerretDB and sets GATEHOUSE_POSTGRES_DSN, GATEHOUSE_REDIS_URL and
// GATEHOUSE_MONGO_URL). Without it the test is skipped, except in CI
// (CI=true), where a skip would hide a missing suite: that fails.
func ServerURL(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal(name + " is not set in CI: scripts/test.sh starts the server and sets it")
		}
		t.Skip(name + " not set")
	}
	return v
}

// PostgresDB opens GATEHOUSE_POSTGRES_DSN with a schema of its own (named
// prefix and random hex) as the search path, dropped at cleanup, and
// returns it with that DSN, for opening it again as another instance
// would. Without the variable the test is skipped, as ServerURL says.
func PostgresDB(t testing.TB, prefix string) (*sql.DB, string) {
	t.Helper()
	dsn := ServerURL(t, "GATEHOUSE_POSTGRES_DSN")
	root, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := prefix + hex.EncodeToString(b)
	if _, err := root.Exec("CREATE SCHEMA " + schema); err != nil {
		root.Close()
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
		root.Exec("DROP SCHEMA " + schema + " CASCADE")
		root.Close()
	})
	return db, u.String()
}
