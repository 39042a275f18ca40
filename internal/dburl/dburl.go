// Package dburl opens the database a command or example is pointed at with
// a URL: "sqlite:///abs/path.db", "sqlite://relative.db", a plain file path,
// or "postgres://...". It is the one place outside tests that imports the
// SQL drivers (modernc.org/sqlite, pure Go; pgx).
package dburl

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/pgstore"
	"github.com/gatehouse-auth/gatehouse/pgstore/pgxlisten"
	"github.com/gatehouse-auth/gatehouse/sqlitestore"
)

// Store is what both SQL stores are: every store interface, and the
// database under it.
type Store interface {
	gatehouse.UserStore
	gatehouse.TokenStore
	gatehouse.SessionStore
	gatehouse.RoleStore
	DB() *sql.DB
}

// DB is an opened, migrated store.
type DB struct {
	Store Store
	// Kind is "sqlite" or "postgres"; Where is the file or host, for
	// messages (never the password).
	Kind, Where string
	db          *sql.DB
	url         string // PostgreSQL's, for the listener
	close       func() error
}

// Close closes the store and the database.
func (d *DB) Close() error {
	if d.close != nil {
		d.close()
	}
	return d.db.Close()
}

// SQLitePath returns the file a SQLite URL or path names, and whether the
// URL is a SQLite one at all.
func SQLitePath(url string) (string, bool) {
	switch {
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return "", false
	case strings.HasPrefix(url, "sqlite:///"):
		return "/" + strings.TrimPrefix(url, "sqlite:///"), true
	case strings.HasPrefix(url, "sqlite://"):
		return strings.TrimPrefix(url, "sqlite://"), true
	case strings.HasPrefix(url, "sqlite:"):
		return strings.TrimPrefix(url, "sqlite:"), true
	}
	return url, !strings.Contains(url, "://")
}

// Pool sizes: database/sql keeps only 2 idle connections by default, so a
// server under concurrent load would open and close connections all the
// time (for PostgreSQL, a new backend process each).
const (
	maxOpen = 32
	maxIdle = 32
)

// Open opens and migrates the database at url.
func Open(ctx context.Context, url string) (*DB, error) {
	if path, ok := SQLitePath(url); ok {
		if path == "" {
			return nil, fmt.Errorf("database URL %q names no file", url)
		}
		db, err := sql.Open("sqlite", sqlitestore.DSN(path))
		if err != nil {
			return nil, err
		}
		db.SetMaxOpenConns(maxOpen)
		db.SetMaxIdleConns(maxIdle)
		s := sqlitestore.New(db)
		if err := s.Migrate(ctx); err != nil {
			db.Close()
			return nil, fmt.Errorf("opening %s: %w", path, err)
		}
		return &DB{Store: s, Kind: "sqlite", Where: path, db: db, close: s.Close}, nil
	}
	if !strings.HasPrefix(url, "postgres://") && !strings.HasPrefix(url, "postgresql://") {
		return nil, fmt.Errorf("unsupported database URL %q: use sqlite:///path.db, a file path, or postgres://", redact(url))
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", redact(url), err)
	}
	db.SetMaxOpenConns(maxOpen)
	db.SetMaxIdleConns(maxIdle)
	s := pgstore.New(db)
	if err := s.Migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("opening %s: %w", redact(url), err)
	}
	return &DB{Store: s, Kind: "postgres", Where: redact(url), db: db, url: url}, nil
}

// WatchUsers starts, on PostgreSQL, the user cache that notifications keep
// current (pgstore.Store.WatchUsers), until ctx ends or Close; on SQLite,
// whose store keeps its cache by itself, it does nothing. Servers call
// it; one-shot commands need not.
func (d *DB) WatchUsers(ctx context.Context) {
	pg, ok := d.Store.(*pgstore.Store)
	if !ok {
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { pg.WatchUsers(ctx, pgxlisten.New(d.url)); close(done) }()
	d.close = func() error { cancel(); <-done; return nil }
}

// redact drops the password from a URL for messages.
func redact(url string) string {
	scheme, rest, ok := strings.Cut(url, "://")
	if !ok {
		return url
	}
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		return url
	}
	user, _, hasPassword := strings.Cut(rest[:at], ":")
	if !hasPassword {
		return url
	}
	return scheme + "://" + user + ":***" + rest[at:]
}
