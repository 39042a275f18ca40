package main_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse-auth/gatehouse/admin"
	"github.com/gatehouse-auth/gatehouse/internal/testutil"
	_ "github.com/jackc/pgx/v5/stdlib"
)

// flaskCopy copies the Flask-Security fixture and returns the path.
func flaskCopy(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../testdata/flask_security_app.db")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "flask.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestImportFlaskSecurity(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	flask := flaskCopy(t)
	before, _ := os.ReadFile(flask)
	dest := filepath.Join(dir, "gatehouse.db")

	want(t, gh(t, "", "", "import", "--help"), 0, "flask-security")
	want(t, gh(t, "", "", "import", "flask-security", "--help"), 0, "-map KEY=NAME")
	want(t, gh(t, "", "", "--help"), 0, "import flask-security")
	want(t, gh(t, dest, "", "import", "flask-security"), 2, "needs --from")
	want(t, gh(t, dest, "", "import", "flask-security", "--from", flask, "--map", "users=x"), 2, `unknown key "users"`)
	want(t, gh(t, dest, "", "import", "flask-security", "--from", filepath.Join(dir, "missing.db")), 1, "no such file")
	want(t, gh(t, dest, "", "import", "flask-security", "--from", "mysql://x"), 1, "unsupported database URL")
	r := gh(t, dest, "", "import", "flask-security", "--from", "postgres://u:secret@127.0.0.1:1/x?connect_timeout=2")
	want(t, r, 1, "u:xxxxx@")
	if strings.Contains(r.out+r.err, "secret") {
		t.Errorf("the source's password leaked: %s", r.err)
	}

	// A dry run reports and writes nothing; --to names the destination.
	to := "sqlite:///" + strings.TrimPrefix(dest, "/")
	want(t, gh(t, "", "", "import", "flask-security", "--from", flask, "--to", to, "--dry-run"), 0, "dry run: nothing was written")
	_, s := openDB(t, dest)
	if users, _ := s.ListUsers(context.Background(), admin.Filter{}); len(users) != 0 {
		t.Fatalf("the dry run wrote %d users", len(users))
	}

	// The import, then again: nothing to change.
	want(t, gh(t, "", "", "import", "flask-security", "--from", "sqlite:///"+strings.TrimPrefix(flask, "/"), "--to", to), 0,
		"users: 9 created, 0 updated, 0 unchanged, 0 skipped")
	want(t, gh(t, to, "", "import", "flask-security", "--from", flask), 0, "users: 0 created, 0 updated, 9 unchanged, 0 skipped")
	ctx := context.Background()
	u, err := s.UserByEmail(ctx, "user4@example.com")
	if err != nil || u.ID != "5" || !slices.Equal(u.Roles, []string{"admin"}) || u.SecurityStamp != "75803b7f10b9482dbc2ad256e3dded28" {
		t.Fatalf("user4: %+v, %v", u, err)
	}
	want(t, gh(t, to, "", "roles", "list"), 0, "users-read,users-write")
	if after, _ := os.ReadFile(flask); !slices.Equal(before, after) {
		t.Error("the import changed the source database file")
	}

	// --to must be the database the command works on; --from may not be it.
	want(t, gh(t, to, "", "import", "flask-security", "--from", to), 2, "same database")
}

func TestImportSkippedRowsAndMapping(t *testing.T) {
	t.Parallel()
	flask := flaskCopy(t)
	db, err := sql.Open("sqlite", flask)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`ALTER TABLE "user" RENAME TO accounts`,
		`ALTER TABLE accounts RENAME COLUMN email TO mail`,
		`INSERT INTO accounts (id, mail, active, fs_uniquifier, password) VALUES (30, 'USER0@example.com', 1, 'x', '')`,
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	dest := filepath.Join(t.TempDir(), "gatehouse.db")
	want(t, gh(t, dest, "", "import", "flask-security", "--from", flask), 1, "--map user=NAME") // no table "user"
	r := gh(t, dest, "", "import", "flask-security", "--from", flask, "--map", "user=accounts", "--map", "user.email=mail")
	want(t, r, 0, "users: 8 created, 0 updated, 0 unchanged, 2 skipped")
	want(t, r, 0, "collision: email user0@example.com")
	if !strings.Contains(r.err, "2 rows were not imported") {
		t.Errorf("no warning on stderr: %q", r.err)
	}
}

func TestImportIntoPostgres(t *testing.T) {
	t.Parallel()
	_, dsn := testutil.PostgresDB(t, "gh_cli_")
	flask := flaskCopy(t)
	want(t, gh(t, "", "", "import", "flask-security", "--from", flask, "--to", dsn), 0, "users: 9 created")
	want(t, gh(t, "", "", "import", "flask-security", "--from", flask, "--to="+dsn), 0, "users: 0 created, 0 updated, 9 unchanged")
	want(t, gh(t, dsn, "", "users", "list", "--role", "editor"), 0, "user5@example.com")
}
