// Package pgstore keeps gatehouse's users, roles, one-time tokens and
// server-side sessions in PostgreSQL, for applications that run on more than
// one machine. It works on the application's *sql.DB and never imports a
// driver; use pgx's database/sql driver:
//
//	db, err := sql.Open("pgx", "postgres://app@db/app")
//	store := pgstore.New(db)
//	err = store.Migrate(ctx)
//
// The store implements gatehouse.UserStore, TokenStore, SessionStore,
// RoleStore, Outbox, Limiter, Transactor, UsernameLookup and Sweeper, and
// admin.UserStore, admin.SessionLister and mfa.Store.
//
// # User cache
//
// UserByID runs on every authenticated request. With Store.WatchUsers
// running, each instance keeps users in memory and forgets one when
// PostgreSQL notifies a change to it (triggers send them, for changes from
// any instance or plain SQL): a change shows on every instance a
// millisecond or so after its commit, and always within UserCacheMaxAge
// (2 s). Without WatchUsers, or while its listener is disconnected, every
// lookup reads the database.
package pgstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/admin"
	"github.com/gatehouse-auth/gatehouse/internal/sqlcore"
	"github.com/gatehouse-auth/gatehouse/internal/sqlmigrate"
	"github.com/gatehouse-auth/gatehouse/mfa"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a PostgreSQL-backed gatehouse store, safe for concurrent use.
type Store struct {
	// UserCacheSize bounds the user cache WatchUsers keeps: how many
	// users. 0 means 10,000. Set it before WatchUsers.
	UserCacheSize int
	// UserCacheMaxAge is how long the cache keeps a user at most, the
	// bound on how late a change can show should notifications stop
	// without the listener noticing. 0 means 2 seconds.
	UserCacheMaxAge time.Duration

	core  *sqlcore.Store
	cache atomic.Pointer[userCache]
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

func placeholder(n int) string { return "$" + strconv.Itoa(n) }

// New returns a Store over db. It does nothing to the database: call
// Migrate before use.
func New(db *sql.DB) *Store {
	return &Store{core: sqlcore.New(db, sqlcore.Dialect{
		Name:          "pgstore",
		Placeholder:   placeholder,
		AggRoles:      "(SELECT string_agg(r.role, chr(31) ORDER BY r.role) FROM gatehouse_user_roles r WHERE r.user_id = u.id)",
		AggRevoked:    "(SELECT string_agg(r.id || ' ' || r.until_us, ',') FROM gatehouse_revoked_sessions r WHERE r.user_id = u.id)",
		AggFields:     "(SELECT string_agg(f.name || chr(30) || f.value, chr(31) ORDER BY f.name) FROM gatehouse_user_fields f WHERE f.user_id = u.id)",
		Time:          sqlcore.Timestamp,
		IsUnique:      isUnique,
		IsUnavailable: isUnavailable,
		Greatest:      "GREATEST",
		NoLimit:       "ALL",
		SkipLocked:    " FOR UPDATE SKIP LOCKED",
		SyncIDs:       "SELECT setval(pg_get_serial_sequence('gatehouse_users', 'id'), (SELECT max(id) FROM gatehouse_users))",
	})}
}

// Migrations returns the embedded schema migrations, for tools such as
// goose or atlas.
func Migrations() fs.FS {
	sub, _ := fs.Sub(migrations, "migrations")
	return sub
}

// Migrate applies the migrations that have not been applied yet. Several
// processes may call it at once: an advisory lock takes them in turn.
func (s *Store) Migrate(ctx context.Context) error {
	err := sqlmigrate.Apply(ctx, s.DB(), Migrations(), sqlmigrate.Options{
		Placeholder: placeholder,
		Lock:        "SELECT pg_advisory_xact_lock(74687361)", // "gate"
	})
	if err != nil {
		return fmt.Errorf("pgstore: %w", err)
	}
	return nil
}

// isUnavailable recognises the SQLSTATEs of a server that cannot take the
// work now: connection exceptions (08), insufficient resources (53: disk
// full, too many connections), operator intervention (57: shutting down,
// starting up, statement cancelled by a timeout), system errors (58),
// serialization failures and deadlocks (40001, 40P01), a read-only
// standby (25006) and a lock not available (55P03).
func isUnavailable(err error) bool {
	var st interface{ SQLState() string }
	if !errors.As(err, &st) {
		return false
	}
	code := st.SQLState()
	switch {
	case strings.HasPrefix(code, "08"), strings.HasPrefix(code, "53"), strings.HasPrefix(code, "57"), strings.HasPrefix(code, "58"):
		return true
	}
	switch code {
	case "40001", "40P01", "25006", "55P03":
		return true
	}
	return false
}

// isUnique recognises SQLSTATE 23505 (unique_violation) from pgx or lib/pq
// without importing either.
func isUnique(err error) bool {
	var st interface{ SQLState() string }
	return errors.As(err, &st) && st.SQLState() == "23505"
}
