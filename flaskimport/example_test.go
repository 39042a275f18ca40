package flaskimport_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"os"

	_ "modernc.org/sqlite"

	"github.com/gatehouse-auth/gatehouse/flaskimport"
	"github.com/gatehouse-auth/gatehouse/memstore"
)

// Import a Flask-Security app's SQLite database, then import it again:
// the second run finds nothing to change.
func Example() {
	ctx := context.Background()
	flask, err := sql.Open("sqlite", "file:../testdata/flask_security_app.db?mode=ro")
	if err != nil {
		log.Fatal(err)
	}
	defer flask.Close()
	store := memstore.New() // in an app: sqlitestore.New(db) or pgstore.New(db)

	s, err := flaskimport.Import(ctx, flaskimport.Config{Source: flask, Users: store})
	if err != nil {
		log.Fatal(err)
	}
	s.WriteTo(os.Stdout)

	s, err = flaskimport.Import(ctx, flaskimport.Config{Source: flask, Users: store})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("second import, changes:", s.Changes())
	// Output:
	// roles: 3 created, 0 updated, 0 unchanged, 0 skipped
	// users: 9 created, 0 updated, 0 unchanged, 0 skipped
	// password hashes: argon2 3, bcrypt 3, pbkdf2_sha512 3
	// role admin: created
	// role editor: created
	// role viewer: created
	// user user0@example.com: created (id 1)
	// user user1@example.com: created (id 2)
	// user user2@example.com: created (id 3)
	// user user3@example.com: created (id 4)
	// user user4@example.com: created (id 5)
	// user user5@example.com: created (id 6)
	// user user6@example.com: created (id 7)
	// user user7@example.com: created (id 8)
	// user user8@example.com: created (id 9)
	// second import, changes: 0
}

// A source whose tables and columns were renamed, described as the CLI's
// --map flags describe it.
func ExampleMapping_Set() {
	var m flaskimport.Mapping
	for _, spec := range []string{"user=auth.accounts", "user.email=mail,role=groups"} {
		if err := m.Set(spec); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println(m.User.Table, m.User.Email, m.Role.Table)
	fmt.Println(m.String())
	fmt.Println(m.Set("user.mail=x") != nil)
	// Output:
	// auth.accounts mail groups
	// user=auth.accounts,user.email=mail,role=groups
	// true
}
