package usertable_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/sqlitestore"
	"github.com/gatehouse-auth/gatehouse/usertable"
)

// An application's accounts table serves Gatehouse's users; what it has
// no columns for, Gatehouse keeps beside it.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "usertable")
	defer os.RemoveAll(dir)
	db, _ := sql.Open("sqlite", sqlitestore.DSN(filepath.Join(dir, "app.db")))
	defer db.Close()
	db.Exec(`CREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT NOT NULL, pw TEXT, plan TEXT NOT NULL DEFAULT 'free')`)
	db.Exec(`INSERT INTO accounts (email, pw) VALUES ('Ada@Example.com', '$2a$04$placeholder')`)

	users, err := usertable.New(usertable.Config{DB: db, Columns: usertable.Columns{
		Table: "accounts", ID: "id", Email: "email", PasswordHash: "pw",
	}})
	if err != nil {
		panic(err)
	}
	if err := users.Migrate(ctx); err != nil {
		panic(err)
	}
	u, _ := users.UserByEmail(ctx, "ada@example.com")
	fmt.Println(u.ID, u.Email, u.Active)

	// A logout elsewhere: the revocation goes to Gatehouse's own table.
	users.UpdateUser(ctx, u.ID, gatehouse.UserChange{RevokeSession: &gatehouse.SessionRevocation{ID: "a-session"}})
	u, _ = users.UserByID(ctx, u.ID)
	fmt.Println(len(u.RevokedSessions), u.RevokedSessions[0].ID)
	// Output:
	// 1 Ada@Example.com true
	// 1 a-session
}
