// Package sqlitestore keeps gatehouse's users, roles, one-time tokens and
// server-side sessions in SQLite: the embedded default. It works on the
// application's *sql.DB and never imports a driver; use a pure-Go one such
// as modernc.org/sqlite (no cgo) with the settings [DSN] builds:
//
//	db, err := sql.Open("sqlite", sqlitestore.DSN("app.db"))
//	store := sqlitestore.New(db)
//	err = store.Migrate(ctx)
//
// The store implements gatehouse.UserStore, TokenStore, SessionStore,
// RoleStore, Outbox, Limiter, Transactor, UsernameLookup and Sweeper, and
// admin.UserStore, admin.SessionLister and mfa.Store.
//
// # User cache
//
// UserByID runs on every authenticated request, so the store keeps users in
// memory and stays as strict as a read: a deactivation, password change or
// lost role, made by this process, another one, or plain SQL, applies to
// the very next request. Each lookup first reads the WAL-index header
// from the database's -shm file (mapped into memory), which every commit
// rewrites; only when it has moved does the cache read
// gatehouse_user_changes, where triggers record the users each commit
// touched, and forget just those. Writes for other users (logins,
// sign-ups, sessions) cost the cached users nothing. (One gap in plain
// SQL: a REPLACE that deletes another user's row for a conflict fires no
// delete trigger unless the connection has recursive_triggers on, as DSN
// sets it.) The cache needs WAL
// mode (DSN sets it) and normal locking, and a pool of at least 4
// connections, as it keeps one; it is off otherwise. Store.UserCacheSize
// tunes or disables it; Store.Close releases its connection.
package sqlitestore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strings"
	"sync"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/admin"
	"github.com/gatehouse-auth/gatehouse/internal/sqlcore"
	"github.com/gatehouse-auth/gatehouse/internal/sqlmigrate"
	"github.com/gatehouse-auth/gatehouse/mfa"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a SQLite-backed gatehouse store, safe for concurrent use.
type Store struct {
	// UserCacheSize bounds the user cache (see UserByID): how many users it
	// keeps. 0 means 10,000; negative turns the cache off. Set it before the
	// first UserByID.
	UserCacheSize int

	core      *sqlcore.Store
	cacheOnce sync.Once
	cache     *userCache
}

var (
	_ gatehouse.UserStore      = (*Store)(nil)
	_ gatehouse.TokenStore     = (*Store)(nil)
	_ gatehouse.SessionStore   = (*Store)(nil)
	_ gatehouse.RoleStore      = (*Store)(nil)
	_ gatehouse.Outbox         = (*Store)(nil)
	_ gatehouse.Transactor     = (*Store)(nil)
	_ admin.UserStore          = (*Store)(nil)
	_ gatehouse.UsernameLookup = (*Store)(nil)
	_ admin.SessionLister      = (*Store)(nil)
	_ gatehouse.Sweeper        = (*Store)(nil)
	_ gatehouse.Limiter        = (*Store)(nil)
	_ mfa.Store                = (*Store)(nil)
)

// New returns a Store over db. It does nothing to the database: call
// Migrate before use.
func New(db *sql.DB) *Store {
	return &Store{core: sqlcore.New(db, sqlcore.Dialect{
		Name:          "sqlitestore",
		Placeholder:   func(int) string { return "?" },
		AggRoles:      "(SELECT group_concat(r.role, char(31)) FROM gatehouse_user_roles r WHERE r.user_id = u.id)",
		AggRevoked:    "(SELECT group_concat(r.id || ' ' || r.until_us, ',') FROM gatehouse_revoked_sessions r WHERE r.user_id = u.id)",
		AggFields:     "(SELECT group_concat(f.name || char(30) || f.value, char(31)) FROM gatehouse_user_fields f WHERE f.user_id = u.id)",
		Time:          sqlcore.MicroTime,
		IsUnique:      isUnique,
		IsUnavailable: isUnavailable,
		Greatest:      "max",
		SingleWriter:  true,
		NoLimit:       "-1",
	})}
}

// DSN returns a modernc.org/sqlite data source name for the database file
// at path with the settings gatehouse needs under concurrent requests: WAL
// journaling (readers never wait for the writer), a 5-second busy timeout
// (writers queue instead of failing with SQLITE_BUSY), and foreign keys on.
func DSN(path string) string {
	v := url.Values{}
	v.Add("_pragma", "busy_timeout(5000)")
	v.Add("_pragma", "journal_mode(WAL)")
	v.Add("_pragma", "foreign_keys(1)")
	v.Add("_pragma", "synchronous(NORMAL)")
	// A REPLACE that deletes another row for a conflict then fires its
	// delete triggers, so the user cache hears of it.
	v.Add("_pragma", "recursive_triggers(1)")
	v.Add("_txlock", "immediate")
	return "file:" + path + "?" + v.Encode()
}

// Migrations returns the embedded schema migrations, for tools such as
// goose or atlas.
func Migrations() fs.FS {
	sub, _ := fs.Sub(migrations, "migrations")
	return sub
}

// Migrate checks the connection settings and applies the migrations that
// have not been applied yet. It returns an error if the connection has no
// busy timeout: without one, concurrent writes fail. Use [DSN].
func (s *Store) Migrate(ctx context.Context) error {
	var timeout int
	if err := s.DB().QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&timeout); err != nil {
		return fmt.Errorf("sqlitestore: %w", err)
	}
	if timeout == 0 {
		return errors.New("sqlitestore: the connection has no busy timeout, so concurrent writes would fail; open the database with sqlitestore.DSN(path) or set PRAGMA busy_timeout in the DSN")
	}
	err := sqlmigrate.Apply(ctx, s.DB(), Migrations(), sqlmigrate.Options{Placeholder: func(int) string { return "?" }})
	if err != nil {
		return fmt.Errorf("sqlitestore: %w", err)
	}
	return nil
}

// isUnavailable recognises SQLite's result codes for a database that
// cannot take the work now: busy or locked past the busy timeout,
// read-only, an I/O error, a full disk, a file it cannot open, or an
// interrupted statement (a deadline ran out).
func isUnavailable(err error) bool {
	var coded interface{ Code() int }
	if !errors.As(err, &coded) {
		return false
	}
	switch coded.Code() & 0xff {
	case 5, 6, 8, 9, 10, 13, 14, 15: // BUSY LOCKED READONLY INTERRUPT IOERR FULL CANTOPEN PROTOCOL
		return true
	}
	return false
}

// isUnique recognises SQLite's SQLITE_CONSTRAINT_UNIQUE and
// SQLITE_CONSTRAINT_PRIMARYKEY without importing a driver.
func isUnique(err error) bool {
	var coded interface{ Code() int }
	if errors.As(err, &coded) {
		switch coded.Code() {
		case 2067, 1555:
			return true
		}
	}
	return strings.Contains(err.Error(), "UNIQUE constraint failed")
}
