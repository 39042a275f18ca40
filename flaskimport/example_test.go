package flaskimport_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha512"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	_ "modernc.org/sqlite"

	"github.com/gatehouse-auth/gatehouse"
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

// Keeping a Flask app's remembered users logged in after the switch: a
// request with the remember cookie Flask-Login set gets a Gatehouse
// session in exchange.
func ExampleSwitchOver() {
	ctx := context.Background()
	store := memstore.New()
	ada := &gatehouse.User{Email: "ada@example.com", Active: true, SecurityStamp: "a9113d26"} // the imported fs_uniquifier
	store.CreateUser(ctx, ada)

	so := &flaskimport.SwitchOver{
		SecretKeys: []string{"the Flask app's SECRET_KEY"},
		Until:      time.Now().Add(30 * 24 * time.Hour),
		FindUser: func(ctx context.Context, uniquifier string) (*gatehouse.User, error) {
			if uniquifier == ada.SecurityStamp { // with SQL stores: flaskimport.FindByStamp(db, store)
				return ada, nil
			}
			return nil, gatehouse.ErrNotFound
		},
	}
	auth, err := gatehouse.New(gatehouse.Config{Users: store, Tokens: store, SecretKeys: [][]byte{gatehouse.NewSecretKey()},
		RequestLoader: so.LoadToken, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		log.Fatal(err)
	}
	me := auth.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := gatehouse.CurrentUser(r.Context())
		fmt.Fprint(w, u.Email)
	}))
	handler := auth.Authenticate(so.Exchange(auth, me))

	// The cookie as Flask-Login made it: "id|HMAC-SHA512(SECRET_KEY, id)".
	mac := hmac.New(sha512.New, []byte("the Flask app's SECRET_KEY"))
	mac.Write([]byte("a9113d26"))
	r := httptest.NewRequest("GET", "https://example.com/me", nil)
	r.AddCookie(&http.Cookie{Name: "remember_token", Value: "a9113d26|" + hex.EncodeToString(mac.Sum(nil))})
	w := httptest.NewRecorder()
	handler.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Body.String())
	for _, c := range w.Result().Cookies() {
		if c.Name == "remember_token" {
			fmt.Println("Flask's cookie removed:", c.MaxAge < 0)
		}
	}
	// Output:
	// 200 ada@example.com
	// Flask's cookie removed: true
}
