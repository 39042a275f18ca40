package sqlitestore_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // the app picks the driver: pure Go, no cgo

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/sqlitestore"
)

func Example() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	ctx := context.Background()

	db, err := sql.Open("sqlite", sqlitestore.DSN(filepath.Join(dir, "app.db")))
	if err != nil {
		panic(err)
	}
	defer db.Close()
	store := sqlitestore.New(db)
	if err := store.Migrate(ctx); err != nil {
		panic(err)
	}
	auth, err := gatehouse.New(gatehouse.Config{
		Users: store, Tokens: store, Roles: store,
		SecretKeys: [][]byte{gatehouse.NewSecretKey()}, // in production: the same key on every start
	})
	if err != nil {
		panic(err)
	}
	u := &gatehouse.User{Email: "ada@example.com", Active: true}
	if err := auth.CreateUser(ctx, u, "correct horse battery"); err != nil {
		panic(err)
	}
	found, err := auth.VerifyPassword(ctx, "ADA@example.com", "correct horse battery")
	fmt.Println(found.ID, err)
	// Output: 1 <nil>
}
