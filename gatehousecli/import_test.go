package gatehousecli_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/gatehousecli"
	"github.com/gatehouse-auth/gatehouse/memstore"
)

// TestImportHelpMatchesGuide: the guide quotes "import flask-security
// --help" in full, so the two cannot drift apart.
func TestImportHelpMatchesGuide(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	err := gatehousecli.Run(context.Background(), nil, []string{"import", "flask-security", "--help"}, gatehousecli.IO{Out: &out, Err: &out})
	if !errors.Is(err, gatehousecli.ErrHelp) {
		t.Fatalf("--help: %v", err)
	}
	guide, err := os.ReadFile("../docs/migration.md")
	if err != nil {
		t.Fatal(err)
	}
	squash := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	if !strings.Contains(squash(string(guide)), squash(out.String())) {
		t.Fatalf("docs/migration.md does not quote the --help output, which is now:\n%s", out.String())
	}
	for _, flag := range []string{"-from URL", "-to URL", "-map KEY=NAME", "-dry-run"} {
		if !strings.Contains(out.String(), flag) {
			t.Errorf("--help does not document %s", flag)
		}
	}
}

// TestImportEmbedded runs the import in an application's own binary: into
// the Manager's stores, from a database IO.OpenSource opens.
func TestImportEmbedded(t *testing.T) {
	t.Parallel()
	store := memstore.New()
	m, err := gatehouse.New(gatehouse.Config{Users: store, Roles: store, SecretKeys: [][]byte{gatehouse.NewSecretKey()}})
	if err != nil {
		t.Fatal(err)
	}
	open := func(_ context.Context, url string) (*sql.DB, error) {
		return sql.Open("sqlite", "file:"+url+"?mode=ro")
	}
	tests := []struct {
		name string
		args []string
		open func(context.Context, string) (*sql.DB, error)
		out  string // in stdout, or the error
		err  bool
	}{
		{"no opener", []string{"--from", "x.db"}, nil, "IO.OpenSource is not set", true},
		{"no --from", nil, open, "needs --from", true},
		{"--to elsewhere", []string{"--from", "x.db", "--to", "other.db"}, open, "imports into the database its Manager works on", true},
		{"dry run", []string{"--from", "../testdata/flask_security_app.db", "--dry-run"}, open, "users: 9 created", false},
		{"import", []string{"--from", "../testdata/flask_security_app.db"}, open, "users: 9 created", false},
		{"again", []string{"--from", "../testdata/flask_security_app.db"}, open, "users: 0 created, 0 updated, 9 unchanged", false},
	}
	for _, tt := range tests { // in order: they share the store
		var out, errb bytes.Buffer
		err := gatehousecli.Run(context.Background(), m, append([]string{"import", "flask-security"}, tt.args...),
			gatehousecli.IO{Out: &out, Err: &errb, OpenSource: tt.open})
		switch {
		case tt.err && (err == nil || !strings.Contains(err.Error(), tt.out)):
			t.Errorf("%s: %v, want an error containing %q", tt.name, err, tt.out)
		case !tt.err && (err != nil || !strings.Contains(out.String(), tt.out)):
			t.Errorf("%s: %v, output %q, want %q", tt.name, err, out.String(), tt.out)
		}
	}
	if u, err := store.UserByEmail(context.Background(), "user1@example.com"); err != nil || len(u.Roles) != 2 {
		t.Fatalf("user1: %+v, %v", u, err)
	}
}
