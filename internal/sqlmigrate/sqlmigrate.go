// Package sqlmigrate applies a store's embedded SQL migrations, in order,
// each once, recording them in a gatehouse_migrations table.
package sqlmigrate

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Options tune Apply for one database.
type Options struct {
	// Lock, if set, runs inside the migration transaction before anything
	// else, to keep concurrent migrators apart (PostgreSQL's advisory lock).
	Lock string
	// Placeholder formats the nth (1-based) query parameter.
	Placeholder func(n int) string
}

// Apply runs, in one transaction each, the NNNN_name.sql files of migrations
// that are not yet recorded as applied.
func Apply(ctx context.Context, db *sql.DB, migrations fs.FS, o Options) error {
	files, err := fs.Glob(migrations, "*.sql")
	if err != nil {
		return err
	}
	sort.Strings(files)
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS gatehouse_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("migrations table: %w", err)
	}
	for _, f := range files {
		name := path.Base(f)
		num, _, ok := strings.Cut(name, "_")
		version, err := strconv.Atoi(num)
		if !ok || err != nil {
			return fmt.Errorf("migration %s: name must be NNNN_name.sql", name)
		}
		body, err := fs.ReadFile(migrations, f)
		if err != nil {
			return err
		}
		if err := applyOne(ctx, db, version, name, string(body), o); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

func applyOne(ctx context.Context, db *sql.DB, version int, name, body string, o Options) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if o.Lock != "" {
		if _, err := tx.ExecContext(ctx, o.Lock); err != nil {
			return err
		}
	}
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM gatehouse_migrations WHERE version = "+o.Placeholder(1), version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	for _, stmt := range strings.Split(body, ";\n") {
		if strings.TrimSpace(stripComments(stmt)) == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO gatehouse_migrations (version, name) VALUES ("+o.Placeholder(1)+", "+o.Placeholder(2)+")", version, name); err != nil {
		return err
	}
	return tx.Commit()
}

func stripComments(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}
