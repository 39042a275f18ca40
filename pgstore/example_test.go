package pgstore_test

import (
	"context"
	"database/sql"
	"log"

	_ "github.com/jackc/pgx/v5/stdlib" // the app picks the driver

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/pgstore"
)

// Wiring PostgreSQL in (it needs a server, so this example is compiled but
// not run).
func Example() {
	ctx := context.Background()
	db, err := sql.Open("pgx", "postgres://app@localhost/app")
	if err != nil {
		log.Fatal(err)
	}
	store := pgstore.New(db)
	if err := store.Migrate(ctx); err != nil { // safe from several processes at once
		log.Fatal(err)
	}
	_, err = gatehouse.New(gatehouse.Config{
		Users: store, Tokens: store, Roles: store,
		Sessions:   store, // server-side sessions: list and revoke them one by one
		SecretKeys: [][]byte{[]byte("load 32+ secret bytes from your secret store")},
	})
	if err != nil {
		log.Fatal(err)
	}
}
