package main

import (
	"context"
	"database/sql"
	"fmt"
	neturl "net/url"
	"os"
	"strings"

	"github.com/gatehouse-auth/gatehouse/internal/dburl"
)

// importTo returns the --to URL of an "import" command line: the database
// the Manager must work on, in place of --database.
func importTo(args []string) (string, bool) {
	if len(args) == 0 || args[0] != "import" {
		return "", false
	}
	for i := 1; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "to" {
			continue
		}
		if hasValue {
			return value, true
		}
		if i+1 < len(args) {
			return args[i+1], true
		}
	}
	return "", false
}

// openSource opens the database "import flask-security --from" copies
// from: a SQLite file read-only (it must exist, and its journal mode is
// left as the Flask app set it), or PostgreSQL.
func openSource(ctx context.Context, url string) (*sql.DB, error) {
	if path, ok := dburl.SQLitePath(url); ok {
		if path == "" {
			return nil, fmt.Errorf("database URL %q names no file", url)
		}
		if _, err := os.Stat(path); err != nil {
			return nil, err
		}
		q := neturl.Values{}
		q.Add("mode", "ro")
		q.Add("_pragma", "busy_timeout(5000)")
		db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
		if err != nil {
			return nil, err
		}
		if err := db.PingContext(ctx); err != nil {
			db.Close()
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return db, nil
	}
	if !strings.HasPrefix(url, "postgres://") && !strings.HasPrefix(url, "postgresql://") {
		return nil, fmt.Errorf("unsupported database URL %q: use sqlite:///path.db, a file path, or postgres://", redact(url))
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", redact(url), err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("%s: %w", redact(url), err)
	}
	return db, nil
}

// redact drops the password from a URL for messages.
func redact(url string) string {
	u, err := neturl.Parse(url)
	if err != nil {
		return "(a URL that does not parse)"
	}
	return u.Redacted()
}
