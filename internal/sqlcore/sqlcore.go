// Package sqlcore is the store that sqlitestore and pgstore share: every
// gatehouse store interface over database/sql, with the few differences
// between SQLite and PostgreSQL kept in a Dialect. It never imports a driver
// and never reads the clock: times come from the Manager.
package sqlcore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// Dialect holds what differs between databases.
type Dialect struct {
	// Name prefixes errors ("sqlitestore", "pgstore").
	Name string
	// Placeholder formats the nth (1-based) parameter: "?" or "$n".
	Placeholder func(n int) string
	// AggRoles is a scalar subquery that aggregates the roles of the user
	// row u into one string separated by char 31.
	AggRoles string
	// AggFields is a scalar subquery that aggregates the fields of the
	// user row u as name, char 30, value, separated by char 31.
	AggFields string
	// AggRevoked is a scalar subquery that aggregates the revoked sessions
	// of the user row u as "id until_us" pairs separated by commas.
	AggRevoked string
	// Time encodes a time for a parameter; Scan of its columns goes through
	// timeCol, which reads both encodings.
	Time func(t time.Time) any
	// IsUnique reports whether err is a unique-constraint violation.
	IsUnique func(err error) bool
	// IsUnavailable reports whether err means the database cannot serve
	// now (down, busy, full, read-only, shutting down), beyond the network
	// and connection errors every dialect shares.
	IsUnavailable func(err error) bool
	// SyncIDs, if set, runs after a user is inserted with a preset ID, to
	// move the ID generator past it.
	SyncIDs string
	// NoLimit is what LIMIT takes to mean "no limit" ("-1", "ALL"), for an
	// OFFSET without a LIMIT.
	NoLimit string
	// SkipLocked follows the subquery that picks a mail job to claim
	// (" FOR UPDATE SKIP LOCKED" in PostgreSQL; SQLite needs nothing, as
	// it has one writer at a time).
	SkipLocked string
	// Greatest is the function that returns the greater of two values
	// ("max" in SQLite, "GREATEST" in PostgreSQL).
	Greatest string
	// SingleWriter queues the store's writes in the process, one at a
	// time, for a database that takes one writer at a time (SQLite):
	// writers then wait their turn in order, instead of polling the
	// database's lock with back-off sleeps.
	SingleWriter bool
}

// Store implements the gatehouse store interfaces over db.
type Store struct {
	db      *sql.DB
	d       Dialect
	userSQL string // SELECT ... FROM gatehouse_users u

	// byID is UserByID's statement, prepared on first use: it runs once per
	// authenticated request, and parsing its SQL each time cost more than
	// running it. database/sql re-prepares it per connection as needed.
	byIDOnce sync.Once
	byID     *sql.Stmt
	byIDErr  error

	writer chan struct{} // with SingleWriter: held by the one writing
}

// New returns a Store over db.
func New(db *sql.DB, d Dialect) *Store {
	s := &Store{db: db, d: d, writer: make(chan struct{}, 1)}
	s.userSQL = `SELECT u.id, u.email, COALESCE(u.username, ''), u.password_hash, u.active, u.confirmed_at,
		u.security_stamp, u.last_login_at, u.current_login_at, u.last_login_ip, u.current_login_ip,
		u.login_count, COALESCE(` + d.AggRevoked + `, ''), u.created_at, u.updated_at, COALESCE(` + d.AggRoles + `, ''), COALESCE(` + d.AggFields + `, '')
		FROM gatehouse_users u`
	return s
}

// DB returns the database the store works on.
func (s *Store) DB() *sql.DB { return s.db }

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// writerKey marks a context whose goroutine holds the store's writer
// turn (SingleWriter).
type writerKey struct{ s *Store }

// writing takes the store's writer turn, with SingleWriter, unless ctx
// holds it already (or a transaction, which does), and returns a context
// that says so, and the function that gives it back.
func (s *Store) writing(ctx context.Context) (context.Context, func(), error) {
	if !s.d.SingleWriter || ctx.Value(writerKey{s}) != nil {
		return ctx, func() {}, nil
	}
	if _, ok := s.Tx(ctx); ok {
		return ctx, func() {}, nil
	}
	select {
	case s.writer <- struct{}{}:
		return context.WithValue(ctx, writerKey{s}, true), func() { <-s.writer }, nil
	case <-ctx.Done():
		return ctx, nil, ctx.Err()
	}
}

// txKey carries a store's transaction in a context (see InTx).
type txKey struct{ s *Store }

// Tx returns the transaction ctx carries for s, if any.
func (s *Store) Tx(ctx context.Context) (*sql.Tx, bool) {
	tx, ok := ctx.Value(txKey{s}).(*sql.Tx)
	return tx, ok
}

// conn is what a store method runs its statements on: the transaction ctx
// carries, or the database.
func (s *Store) conn(ctx context.Context) querier {
	if tx, ok := s.Tx(ctx); ok {
		return tx
	}
	return s.db
}

// InTx implements gatehouse.Transactor: fn's store calls, made with the
// context it is given, run in one transaction, committed if fn returns
// nil. A nested call joins the outer transaction.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := s.Tx(ctx); ok {
		return fn(ctx)
	}
	ctx, done, werr := s.writing(ctx)
	if werr != nil {
		return s.wrap("begin", werr)
	}
	defer done()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.wrap("begin", err)
	}
	defer tx.Rollback()
	if err := fn(context.WithValue(ctx, txKey{s}, tx)); err != nil {
		return err
	}
	return s.wrap("commit", tx.Commit())
}

// inTx runs f in a transaction (joining one ctx carries), committing if it
// returns nil.
func (s *Store) inTx(ctx context.Context, f func(tx querier) error) error {
	if tx, ok := s.Tx(ctx); ok {
		return f(tx)
	}
	ctx, done, err := s.writing(ctx)
	if err != nil {
		return err
	}
	defer done()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := f(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// q rewrites "?" placeholders into the dialect's form.
func (s *Store) q(query string) string {
	if s.d.Placeholder(1) == "?" {
		return query
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteString(s.d.Placeholder(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

func (s *Store) errf(op string, err error) error {
	return fmt.Errorf("%s: %s: %w", s.d.Name, op, err)
}

// wrap maps driver errors to gatehouse sentinels: ErrNotFound, ErrDuplicate,
// and ErrUnavailable for a database that cannot serve now.
func (s *Store) wrap(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return s.errf(op, gatehouse.ErrNotFound)
	case errors.Is(err, gatehouse.ErrNotFound), errors.Is(err, gatehouse.ErrConflict),
		errors.Is(err, gatehouse.ErrDuplicate), errors.Is(err, gatehouse.ErrUnavailable):
		return s.errf(op, err)
	case s.d.IsUnique(err):
		return s.errf(op, gatehouse.ErrDuplicate)
	case s.unavailable(err):
		return s.errf(op, fmt.Errorf("%w: %w", gatehouse.ErrUnavailable, err))
	}
	return s.errf(op, err)
}

// unavailable reports whether err means the database is out of reach or
// cannot take the work now, so the request is worth retrying later.
func (s *Store) unavailable(err error) bool {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.As(err, &ne):
		return true
	case s.d.IsUnavailable != nil && s.d.IsUnavailable(err):
		return true
	}
	// pgx reports a connection it has given up on only in words.
	msg := err.Error()
	return strings.Contains(msg, "conn closed") || strings.Contains(msg, "connection reset") || strings.Contains(msg, "broken pipe")
}

// parseID turns a user ID into the integer key; anything else matches no
// row, so a forged ID is "not found", never an error.
func parseID(id string) (int64, bool) {
	n, err := strconv.ParseInt(id, 10, 64)
	return n, err == nil && n > 0
}

// timeCol scans a time stored as unix microseconds (SQLite) or a timestamp
// (PostgreSQL); NULL is the zero time.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.t = time.Time{}
	case int64:
		*c.t = time.UnixMicro(v).UTC()
	case time.Time:
		*c.t = v.UTC()
	default:
		return fmt.Errorf("time column: unexpected %T", src)
	}
	return nil
}

// MicroTime encodes t as unix microseconds, NULL for the zero time.
func MicroTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// Timestamp encodes t for a timestamp column, NULL for the zero time.
func Timestamp(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Truncate(time.Microsecond)
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

type scanner interface{ Scan(dest ...any) error }

// placeholders returns n comma-separated "?".
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
