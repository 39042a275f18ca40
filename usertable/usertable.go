// Package usertable serves Gatehouse's users from a table the application
// already has: it reads and writes only the columns it is told about (an
// ID, an email address and a password hash, and optionally an "active"
// flag) and keeps everything else a user needs in tables of its own,
// keyed by the application's user ID:
//
//   - the security stamp and the revoked sessions, without which a
//     password change would not end other sessions and a logged-out
//     session cookie could be replayed: nothing is silently weaker than
//     with Gatehouse's own user table;
//   - a case-insensitive unique key on the address (Unicode-correct, as
//     Gatehouse normalises addresses), so two accounts never share one
//     even if the application's table has no such index;
//   - confirmation, login tracking, username, roles and User.Fields.
//
// It works on SQLite (modernc.org/sqlite) and PostgreSQL (pgx's stdlib)
// through the application's *sql.DB. Use it as gatehouse.Config.Users;
// tokens, sessions, the outbox and second factors stay in sqlitestore or
// pgstore on the same database.
package usertable

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/gatehouse-auth/gatehouse"
)

// Columns names the application's table and the columns Gatehouse may
// read and write there.
type Columns struct {
	// Table is the application's table of users ("accounts").
	Table string
	// ID is its primary key: an integer, or text with TextID. New users
	// get theirs from the table (an auto-increment or a default).
	ID     string
	TextID bool
	// Email and PasswordHash are the address and the password hash
	// columns. The hashes may be any format the engine's Hasher reads
	// (password.Upgrade lets it read an app's bcrypt hashes and move
	// them to Argon2id on login).
	Email, PasswordHash string
	// Active, if set, is a boolean (or 0/1) column whose false locks a
	// user out. Without it, Gatehouse keeps the flag in its own table.
	Active string
}

// Config configures a Store.
type Config struct {
	// DB is the application's database.
	DB *sql.DB
	// Postgres says DB is PostgreSQL ($1 placeholders); else SQLite.
	Postgres bool
	// Columns maps the application's table.
	Columns Columns
	// Prefix names Gatehouse's own tables: Prefix+"_security",
	// "_roles", "_fields", "_revocations". Default: "gatehouse_account".
	Prefix string
}

// Store is a gatehouse.UserStore (and UsernameLookup, admin.UserStore)
// over an application's table. Make it with New and call Migrate once.
type Store struct {
	db       *sql.DB
	pg       bool
	c        Columns
	sec      string // table names
	roles    string
	fields   string
	revoked  string
	selectSQ string // the user query, ending in FROM ... (no WHERE)
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// New checks cfg and returns a Store. Table and column names must be
// plain SQL identifiers: they are put into statements as they are.
func New(cfg Config) (*Store, error) {
	c := cfg.Columns
	if cfg.Prefix == "" {
		cfg.Prefix = "gatehouse_account"
	}
	if cfg.DB == nil {
		return nil, errors.New("usertable: no DB")
	}
	for _, name := range []struct{ what, value string }{
		{"Table", c.Table}, {"ID", c.ID}, {"Email", c.Email}, {"PasswordHash", c.PasswordHash}, {"Prefix", cfg.Prefix},
	} {
		if !identifier.MatchString(name.value) {
			return nil, fmt.Errorf("usertable: Columns.%s %q is not a plain SQL identifier", name.what, name.value)
		}
	}
	if c.Active != "" && !identifier.MatchString(c.Active) {
		return nil, fmt.Errorf("usertable: Columns.Active %q is not a plain SQL identifier", c.Active)
	}
	s := &Store{db: cfg.DB, pg: cfg.Postgres, c: c,
		sec: cfg.Prefix + "_security", roles: cfg.Prefix + "_roles", fields: cfg.Prefix + "_fields", revoked: cfg.Prefix + "_revocations"}
	active := "CASE WHEN COALESCE(s.disabled, 0) = 0 THEN 1 ELSE 0 END"
	if c.Active != "" {
		active = "CASE WHEN a." + c.Active + " THEN 1 ELSE 0 END"
		if !s.pg {
			active = "CASE WHEN a." + c.Active + " <> 0 THEN 1 ELSE 0 END"
		}
	}
	agg := func(expr, table string) string {
		f := "group_concat(" + expr + ", char(31))"
		if s.pg {
			f = "string_agg(" + expr + ", chr(31))"
		}
		return "COALESCE((SELECT " + f + " FROM " + table + " x WHERE x.user_id = " + s.idText("a") + "), '')"
	}
	sep := "char(30)"
	if s.pg {
		sep = "chr(30)"
	}
	s.selectSQ = "SELECT " + s.idText("a") + ", a." + c.Email + ", COALESCE(s.username, ''), COALESCE(a." + c.PasswordHash + ", ''), " + active +
		", s.confirmed_at, COALESCE(s.security_stamp, ''), s.last_login_at, s.current_login_at, COALESCE(s.last_login_ip, ''), COALESCE(s.current_login_ip, '')" +
		", COALESCE(s.login_count, 0), s.created_at, s.updated_at, " +
		agg("x.role", s.roles) + ", " + agg("x.name || "+sep+" || x.value", s.fields) + ", " + agg("x.id || ' ' || x.until_us", s.revoked) +
		" FROM " + c.Table + " a LEFT JOIN " + s.sec + " s ON s.user_id = " + s.idText("a")
	return s, nil
}

// idText is the application's ID of table alias t as text.
func (s *Store) idText(t string) string { return "CAST(" + t + "." + s.c.ID + " AS TEXT)" }

// q turns ? placeholders into PostgreSQL's $n.
func (s *Store) q(query string) string {
	if !s.pg {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Migrate creates Gatehouse's own tables; the application's table is left
// as it is. It is idempotent.
func (s *Store) Migrate(ctx context.Context) error {
	stmts := []string{
		`CREATE TABLE IF NOT EXISTS ` + s.sec + ` (
			user_id TEXT PRIMARY KEY,
			email_key TEXT UNIQUE,
			security_stamp TEXT NOT NULL DEFAULT '',
			disabled INTEGER NOT NULL DEFAULT 0,
			username TEXT,
			username_key TEXT UNIQUE,
			confirmed_at BIGINT,
			last_login_at BIGINT,
			current_login_at BIGINT,
			last_login_ip TEXT NOT NULL DEFAULT '',
			current_login_ip TEXT NOT NULL DEFAULT '',
			login_count BIGINT NOT NULL DEFAULT 0,
			created_at BIGINT,
			updated_at BIGINT)`,
		`CREATE TABLE IF NOT EXISTS ` + s.roles + ` (user_id TEXT NOT NULL, role TEXT NOT NULL, PRIMARY KEY (user_id, role))`,
		`CREATE TABLE IF NOT EXISTS ` + s.fields + ` (user_id TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (user_id, name))`,
		`CREATE TABLE IF NOT EXISTS ` + s.revoked + ` (user_id TEXT NOT NULL, id TEXT NOT NULL, until_us BIGINT NOT NULL, PRIMARY KEY (user_id, id))`,
	}
	for _, st := range stmts {
		if _, err := s.db.ExecContext(ctx, st); err != nil {
			return fmt.Errorf("usertable: migrate: %w", err)
		}
	}
	return nil
}

// idArg is the application's ID as its column holds it; ok is false for
// an ID that cannot be one.
func (s *Store) idArg(id string) (any, bool) {
	if s.c.TextID {
		return id, id != ""
	}
	n, err := strconv.ParseInt(id, 10, 64)
	return n, err == nil && strconv.FormatInt(n, 10) == id
}

// wrap maps database errors to Gatehouse's.
func wrap(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("usertable: %s: %w", op, gatehouse.ErrNotFound)
	case isUnique(err):
		return fmt.Errorf("usertable: %s: %w", op, gatehouse.ErrDuplicate)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return fmt.Errorf("usertable: %s: %w: %w", op, gatehouse.ErrUnavailable, err)
	}
	return fmt.Errorf("usertable: %s: %w", op, err)
}

// isUnique reports a unique-key violation: SQLite's "UNIQUE constraint
// failed", PostgreSQL's SQLSTATE 23505.
func isUnique(err error) bool {
	var coded interface{ SQLState() string }
	if errors.As(err, &coded) {
		return coded.SQLState() == "23505"
	}
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "SQLSTATE 23505")
}
