package main_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/mfa"
	"github.com/gatehouse-auth/gatehouse/sqlitestore"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gatehouse-cli")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "gatehouse")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		panic("building the CLI: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type run struct {
	code     int
	out, err string
}

func gh(t *testing.T, db, stdin string, args ...string) run {
	t.Helper()
	if db != "" {
		args = append([]string{"--database", db}, args...)
	}
	cmd := exec.Command(binary, args...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = append(os.Environ(), "GATEHOUSE_DATABASE=")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return run{code, out.String(), errb.String()}
}

func want(t *testing.T, r run, code int, contains string) {
	t.Helper()
	if r.code != code || !strings.Contains(r.out+r.err, contains) {
		t.Fatalf("exit %d, want %d, output containing %q:\nstdout: %s\nstderr: %s", r.code, code, contains, r.out, r.err)
	}
}

func openDB(t *testing.T, path string) (*gatehouse.Manager, *sqlitestore.Store) {
	t.Helper()
	db, err := sql.Open("sqlite", sqlitestore.DSN(path))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s := sqlitestore.New(db)
	m, err := gatehouse.New(gatehouse.Config{Users: s, Roles: s, SecretKeys: [][]byte{gatehouse.NewSecretKey()}})
	if err != nil {
		t.Fatal(err)
	}
	return m, s
}

func TestHelpAndUsage(t *testing.T) {
	t.Parallel()
	want(t, gh(t, "", "", "--help"), 0, "users create EMAIL")
	want(t, gh(t, "", "", "help"), 0, "roles add IDENTITY ROLE")
	want(t, gh(t, "", "", "users", "--help"), 0, "change-password")
	want(t, gh(t, "", "", "users", "create", "--help"), 0, "-password-stdin")
	want(t, gh(t, "", "", "roles", "create", "-h"), 0, "-description")
	want(t, gh(t, "", ""), 2, "missing command")
	want(t, gh(t, "", "", "frobnicate"), 2, "unknown command")
	want(t, gh(t, "", "", "users", "explode"), 2, "unknown command")
	want(t, gh(t, "", "", "--verbose", "users", "list"), 2, "unknown flag")
	want(t, gh(t, "", "", "--help"), 0, "$GATEHOUSE_DATABASE")
}

// A mistyped path is an error, not a new empty database; the commands
// that create make one.
func TestMissingDatabase(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "typo.db")
	want(t, gh(t, path, "", "users", "list"), 1, "no database at "+path)
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("users list made a database: %v", err)
	}
	want(t, gh(t, path, "", "roles", "create", "editor"), 0, "")
	want(t, gh(t, path, "", "roles", "list"), 0, "editor")
}

func TestUsersAndRoles(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "app.db")
	db := "sqlite:///" + strings.TrimPrefix(path, "/")

	want(t, gh(t, db, "correct horse battery\n", "users", "create", "Ada@Example.com", "--password-stdin", "--username", "ada", "--confirmed"), 0, "created user Ada@example.com")
	want(t, gh(t, db, "another good password\n", "users", "create", "ada@EXAMPLE.com", "--password-stdin"), 1, "already exists")
	want(t, gh(t, db, "another good password\n", "users", "create", "not-an-email", "--password-stdin"), 2, "invalid email")
	want(t, gh(t, db, "password\n", "users", "create", "weak@example.com", "--password-stdin"), 1, "too common")
	want(t, gh(t, db, "short\n", "users", "create", "weak@example.com", "--password-stdin"), 1, "too short")
	want(t, gh(t, db, "", "users", "create", "tty@example.com"), 2, "--password-stdin")
	want(t, gh(t, db, "", "users", "create", "nopw@example.com", "--no-password", "--inactive"), 0, "created user")
	want(t, gh(t, db, "", "users", "create", "a@example.com", "extra-arg", "--no-password"), 2, "takes 1 argument")

	// Roles.
	want(t, gh(t, db, "", "roles", "create", "admin", "--description", "Administrators", "--permissions", "users:read,users:write"), 0, "created role admin")
	want(t, gh(t, db, "", "roles", "create", "admin"), 1, "already exists")
	want(t, gh(t, db, "", "roles", "list"), 0, "users:read,users:write")
	want(t, gh(t, db, "", "roles", "add", "ada", "admin"), 0, "gave Ada@example.com the role admin")
	want(t, gh(t, db, "", "roles", "add", "ada@example.com", "ghost"), 1, "no role \"ghost\"")
	want(t, gh(t, db, "", "roles", "add", "nobody@example.com", "admin"), 1, "no user")
	// List, as a table and as JSON.
	want(t, gh(t, db, "", "users", "list"), 0, "Ada@example.com")
	r := gh(t, db, "", "users", "list", "--json", "--role", "admin")
	want(t, r, 0, "")
	var got map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(r.out)), &got); err != nil || got["email"] != "Ada@example.com" || got["confirmed"] != true {
		t.Fatalf("users list --json --role admin: %q (%v)", r.out, err)
	}

	// Activate, deactivate.
	want(t, gh(t, db, "", "users", "deactivate", "ada"), 0, "deactivated Ada@example.com")
	want(t, gh(t, db, "", "users", "list", "--json", "--email", "ada"), 0, `"active":false`)
	want(t, gh(t, db, "", "users", "activate", "ada@example.com"), 0, "activated")

	// A user is created with its roles in one step, or not at all.
	want(t, gh(t, db, "", "users", "create", "grace@example.com", "--no-password", "--role", "admin", "--role", "ghost"), 1, "user not created")
	want(t, gh(t, db, "", "users", "list", "--email", "grace"), 0, "")
	if r := gh(t, db, "", "users", "list", "--email", "grace"); strings.Contains(r.out, "grace") {
		t.Errorf("a user whose role failed was created: %q", r.out)
	}
	want(t, gh(t, db, "", "users", "create", "grace@example.com", "--no-password", "--role", "admin"), 0, "created user")
	want(t, gh(t, db, "", "users", "list", "--role", "admin", "--email", "grace"), 0, "grace@example.com")

	// Change password, reset access: checked against the database itself.
	m, s := openDB(t, path)
	ctx := context.Background()
	before, _ := s.UserByEmail(ctx, "ada@example.com")
	want(t, gh(t, db, "a whole new password\n", "users", "change-password", "ada", "--password-stdin"), 0, "password changed")
	if _, err := m.VerifyPassword(ctx, "ada@example.com", "a whole new password"); err != nil {
		t.Errorf("new password does not verify: %v", err)
	}
	if _, err := m.VerifyPassword(ctx, "ada@example.com", "correct horse battery"); err == nil {
		t.Error("old password still verifies")
	}
	mid, _ := s.UserByEmail(ctx, "ada@example.com")
	want(t, gh(t, db, "", "users", "reset-access", "ada"), 0, "reset access")
	after, _ := s.UserByEmail(ctx, "ada@example.com")
	if before.SecurityStamp == mid.SecurityStamp || mid.SecurityStamp == after.SecurityStamp {
		t.Error("SecurityStamp not rotated by change-password and reset-access")
	}

	// Reset factors: a user locked out of their second factor.
	fstore := mfa.Store(s)
	for _, kind := range []string{mfa.KindAuthenticator, mfa.KindRecovery} {
		if err := fstore.AddFactor(ctx, &mfa.Factor{UserID: after.ID, Kind: kind, Data: []byte("x"), CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	want(t, gh(t, db, "", "users", "reset-factors", "ada"), 0, "removed 2 second factor(s)")
	if left, err := fstore.Factors(ctx, after.ID); err != nil || len(left) != 0 {
		t.Errorf("factors after reset-factors: %v (%v)", left, err)
	}
	want(t, gh(t, db, "", "users", "reset-factors", "nobody"), 1, "no user")

	// Sessions: list them, end one, end all.
	for _, id := range []string{"session-one", "session-two"} {
		now := time.Now()
		if err := s.SaveSession(ctx, &gatehouse.Session{ID: id, UserID: after.ID, Data: []byte("x"), CreatedAt: now, UpdatedAt: now,
			ExpiresAt: now.Add(time.Hour), IP: "192.0.2.7", UserAgent: "Firefox/128.0"}); err != nil {
			t.Fatal(err)
		}
	}
	r = gh(t, db, "", "users", "sessions", "ada")
	want(t, r, 0, "session-one")
	if !strings.Contains(r.out, "session-two") || !strings.Contains(r.out, "192.0.2.7") {
		t.Errorf("users sessions: %q", r.out)
	}
	want(t, gh(t, db, "", "users", "revoke-sessions", "ada", "--id", "session-one"), 0, "ended session session-one")
	want(t, gh(t, db, "", "users", "revoke-sessions", "ada", "--id", "session-one"), 1, "has no session session-one")
	if r := gh(t, db, "", "users", "sessions", "ada", "--json"); strings.Count(r.out, `"id"`) != 1 || !strings.Contains(r.out, "session-two") {
		t.Errorf("users sessions --json after ending one: %q", r.out)
	}
	want(t, gh(t, db, "", "users", "revoke-sessions", "ada"), 0, "ended every session")
	if r := gh(t, db, "", "users", "sessions", "ada", "--json"); strings.TrimSpace(r.out) != "" {
		t.Errorf("sessions after revoking all: %q", r.out)
	}

	want(t, gh(t, db, "", "roles", "remove", "ada", "admin"), 0, "took the role admin")
	want(t, gh(t, db, "", "roles", "remove", "ada", "admin"), 1, "does not have")
	want(t, gh(t, db, "", "users", "delete", "nopw@example.com"), 0, "deleted")
	want(t, gh(t, db, "", "users", "delete", "nopw@example.com"), 1, "no user")
}

func TestDatabaseURLs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain.db")
	want(t, gh(t, plain, "", "users", "create", "p@example.com", "--no-password"), 0, "created")
	want(t, gh(t, "sqlite:///"+strings.TrimPrefix(plain, "/"), "", "users", "list"), 0, "p@example.com")
	cmd := exec.Command(binary, "users", "list")
	cmd.Env = append(os.Environ(), "GATEHOUSE_DATABASE="+plain)
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "p@example.com") {
		t.Errorf("GATEHOUSE_DATABASE: %v %s", err, out)
	}
	// The default is gatehouse.db in the working directory.
	cmd = exec.Command(binary, "users", "create", "d@example.com", "--no-password")
	cmd.Dir, cmd.Env = dir, append(os.Environ(), "GATEHOUSE_DATABASE=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("default database: %v %s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "gatehouse.db")); err != nil {
		t.Errorf("default database not created: %v", err)
	}
	want(t, gh(t, "mysql://x", "", "users", "list"), 1, "unsupported database URL")
	r := gh(t, "postgres://u:secret@127.0.0.1:1/x?connect_timeout=2", "", "users", "list")
	want(t, r, 1, "u:***@")
	if strings.Contains(r.out+r.err, "secret") {
		t.Errorf("the database password leaked into the output: %s", r.err)
	}
}
