package flaskimport_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/admin"
	"github.com/gatehouse-auth/gatehouse/internal/testutil"
	"github.com/gatehouse-auth/gatehouse/memstore"
	"github.com/gatehouse-auth/gatehouse/pgstore"
	"github.com/gatehouse-auth/gatehouse/sqlitestore"
)

const fixture = "../testdata/flask_security_app.db"

// manifest is testdata/flask_security_app.json: what the Flask app that
// made the fixture was told.
type manifest struct {
	SecretKey    string `json:"secret_key"`
	PasswordSalt string `json:"password_salt"`
	Users        []struct {
		Email        string   `json:"email"`
		Username     string   `json:"username"`
		Password     string   `json:"password"`
		Scheme       string   `json:"scheme"`
		Roles        []string `json:"roles"`
		Active       bool     `json:"active"`
		Confirmed    bool     `json:"confirmed"`
		FsUniquifier string   `json:"fs_uniquifier"`
		LoginCount   int      `json:"login_count"`
	} `json:"users"`
	Roles []struct {
		Name        string   `json:"name"`
		Permissions []string `json:"permissions"`
	} `json:"roles"`
}

func loadManifest(t *testing.T) manifest {
	t.Helper()
	b, err := os.ReadFile("../testdata/flask_security_app.json")
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// store is what every destination store here is.
type store interface {
	gatehouse.UserStore
	gatehouse.RoleStore
	gatehouse.TokenStore
	admin.UserStore
}

// copyFixture copies the Flask-Security database to a temporary file and
// returns its path, for tests that change it.
func copyFixture(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "flask.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// openSQLite opens a SQLite file as a Flask app would have it: no
// Gatehouse settings.
func openSQLite(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func exec(t *testing.T, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// pgDB returns a connection whose search_path is a schema of its own,
// dropped at cleanup. It needs GATEHOUSE_POSTGRES_DSN; without it the test
// is skipped, except in CI (CI=true), where that is a failure.
func pgDB(t *testing.T) *sql.DB {
	t.Helper()
	db, _ := testutil.PostgresDB(t, "gh_flask_")
	return db
}

// destination is a store imports are tested into.
type destination struct {
	name string
	open func(t *testing.T) store
	// atomic: the store is a Transactor, so the import is one transaction.
	atomic bool
}

// destinations returns every destination store.
func destinations() []destination {
	return []destination{
		{"sqlite", func(t *testing.T) store {
			db, err := sql.Open("sqlite", sqlitestore.DSN(filepath.Join(t.TempDir(), "gatehouse.db")))
			if err != nil {
				t.Fatal(err)
			}
			s := sqlitestore.New(db)
			t.Cleanup(func() { s.Close(); db.Close() })
			if err := s.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			return s
		}, true},
		{"postgres", func(t *testing.T) store {
			s := pgstore.New(pgDB(t))
			if err := s.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			return s
		}, true},
		{"memstore", func(t *testing.T) store { return memstore.New() }, false},
	}
}

// source is the fixture as a database of one kind.
type source struct {
	name string
	open func(t *testing.T) *sql.DB
}

// sources returns the fixture as SQLite, and copied into PostgreSQL with
// the column types SQLAlchemy gives Flask-Security's models there.
func sources() []source {
	return []source{
		{"sqlite", func(t *testing.T) *sql.DB { return openSQLite(t, copyFixture(t)) }},
		{"postgres", func(t *testing.T) *sql.DB { return pgFixture(t) }},
	}
}

// pgFixture copies the fixture into a PostgreSQL schema created as
// Flask-Security 5.1's fsqla_v3 models create it there.
func pgFixture(t *testing.T) *sql.DB {
	t.Helper()
	db := pgDB(t)
	exec(t, db,
		`CREATE TABLE role (id SERIAL PRIMARY KEY, name VARCHAR(80) NOT NULL UNIQUE, description VARCHAR(255),
			permissions TEXT, update_datetime TIMESTAMP WITHOUT TIME ZONE NOT NULL DEFAULT now())`,
		`CREATE TABLE "user" (id SERIAL PRIMARY KEY, email VARCHAR(255) NOT NULL UNIQUE, active BOOLEAN NOT NULL,
			fs_uniquifier VARCHAR(64) NOT NULL UNIQUE, confirmed_at TIMESTAMP WITHOUT TIME ZONE,
			last_login_at TIMESTAMP WITHOUT TIME ZONE, current_login_at TIMESTAMP WITHOUT TIME ZONE,
			last_login_ip VARCHAR(64), current_login_ip VARCHAR(64), login_count INTEGER,
			tf_primary_method VARCHAR(64), tf_totp_secret VARCHAR(255), tf_phone_number VARCHAR(128),
			create_datetime TIMESTAMP WITHOUT TIME ZONE NOT NULL DEFAULT now(),
			update_datetime TIMESTAMP WITHOUT TIME ZONE NOT NULL DEFAULT now(), username VARCHAR(255) UNIQUE,
			us_totp_secrets TEXT, fs_webauthn_user_handle VARCHAR(64) UNIQUE, mf_recovery_codes TEXT,
			password VARCHAR(255), us_phone_number VARCHAR(128) UNIQUE)`,
		`CREATE TABLE roles_users (user_id INTEGER REFERENCES "user" (id), role_id INTEGER REFERENCES role (id))`,
	)
	lite := openSQLite(t, fixture)
	for _, table := range []string{"role", "user", "roles_users"} {
		rows, err := lite.Query(`SELECT * FROM "` + table + `"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		var marks, quoted []string
		for i, c := range cols {
			marks = append(marks, fmt.Sprintf("$%d", i+1))
			quoted = append(quoted, `"`+c+`"`)
		}
		insert := `INSERT INTO "` + table + `" (` + strings.Join(quoted, ", ") + `) VALUES (` + strings.Join(marks, ", ") + `)`
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, c := range cols {
				if c == "active" {
					vals[i] = vals[i] != int64(0)
				}
			}
			if _, err := db.Exec(insert, vals...); err != nil {
				t.Fatalf("%s: %v", insert, err)
			}
		}
		rows.Close()
	}
	return db
}
