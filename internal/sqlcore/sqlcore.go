// Package sqlcore is the store that sqlitestore and pgstore share: every
// gatehouse store interface over database/sql, with the few differences
// between SQLite and PostgreSQL kept in a Dialect. It never imports a driver
// and never reads the clock: times come from the Manager.
package sqlcore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
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
	// Time encodes a time for a parameter; Scan of its columns goes through
	// timeCol, which reads both encodings.
	Time func(t time.Time) any
	// IsUnique reports whether err is a unique-constraint violation.
	IsUnique func(err error) bool
	// SyncIDs, if set, runs after a user is inserted with a preset ID, to
	// move the ID generator past it.
	SyncIDs string
	// NoLimit is what LIMIT takes to mean "no limit" ("-1", "ALL"), for an
	// OFFSET without a LIMIT.
	NoLimit string
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
}

// New returns a Store over db.
func New(db *sql.DB, d Dialect) *Store {
	s := &Store{db: db, d: d}
	s.userSQL = `SELECT u.id, u.email, COALESCE(u.username, ''), u.password_hash, u.active, u.confirmed_at,
		u.security_stamp, u.last_login_at, u.current_login_at, u.last_login_ip, u.current_login_ip,
		u.login_count, u.revoked_sessions, u.created_at, u.updated_at, COALESCE(` + d.AggRoles + `, '')
		FROM gatehouse_users u`
	return s
}

// DB returns the database the store works on.
func (s *Store) DB() *sql.DB { return s.db }

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

// wrap maps driver errors to gatehouse sentinels.
func (s *Store) wrap(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return s.errf(op, gatehouse.ErrNotFound)
	case s.d.IsUnique(err):
		return s.errf(op, gatehouse.ErrDuplicate)
	}
	return s.errf(op, err)
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

func scanUser(row scanner) (*gatehouse.User, error) {
	var (
		u       gatehouse.User
		id      int64
		revoked string
		roles   string
	)
	err := row.Scan(&id, &u.Email, &u.Username, &u.PasswordHash, &u.Active, timeCol{&u.ConfirmedAt},
		&u.SecurityStamp, timeCol{&u.LastLoginAt}, timeCol{&u.CurrentLoginAt}, &u.LastLoginIP, &u.CurrentLoginIP,
		&u.LoginCount, &revoked, timeCol{&u.CreatedAt}, timeCol{&u.UpdatedAt}, &roles)
	if err != nil {
		return nil, err
	}
	u.ID = strconv.FormatInt(id, 10)
	if roles != "" {
		u.Roles = strings.Split(roles, "\x1f")
		slices.Sort(u.Roles)
	}
	if revoked != "" {
		if err := json.Unmarshal([]byte(revoked), &u.RevokedSessions); err != nil {
			return nil, fmt.Errorf("revoked_sessions: %w", err)
		}
	}
	return &u, nil
}

func encodeRevoked(r []gatehouse.SessionRevocation) string {
	if len(r) == 0 {
		return ""
	}
	b, _ := json.Marshal(r)
	return string(b)
}

// UserByID implements gatehouse.UserStore.
func (s *Store) UserByID(ctx context.Context, id string) (*gatehouse.User, error) {
	n, ok := parseID(id)
	if !ok {
		return nil, s.errf("user by id", gatehouse.ErrNotFound)
	}
	s.byIDOnce.Do(func() {
		s.byID, s.byIDErr = s.db.PrepareContext(context.WithoutCancel(ctx), s.q(s.userSQL+" WHERE u.id = ?"))
	})
	if s.byIDErr != nil {
		u, err := scanUser(s.db.QueryRowContext(ctx, s.q(s.userSQL+" WHERE u.id = ?"), n))
		return u, s.wrap("user by id", err)
	}
	u, err := scanUser(s.byID.QueryRowContext(ctx, n))
	return u, s.wrap("user by id", err)
}

// UserByEmail implements gatehouse.UserStore (case-insensitive).
func (s *Store) UserByEmail(ctx context.Context, email string) (*gatehouse.User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, s.q(s.userSQL+" WHERE u.email_key = ?"), strings.ToLower(email)))
	return u, s.wrap("user by email", err)
}

// UserByUsername implements gatehouse.UsernameLookup (case-insensitive).
func (s *Store) UserByUsername(ctx context.Context, username string) (*gatehouse.User, error) {
	if username == "" {
		return nil, s.errf("user by username", gatehouse.ErrNotFound)
	}
	u, err := scanUser(s.db.QueryRowContext(ctx, s.q(s.userSQL+" WHERE u.username_key = ?"), strings.ToLower(username)))
	return u, s.wrap("user by username", err)
}

// inTx runs f in a transaction, committing if it returns nil.
func (s *Store) inTx(ctx context.Context, f func(tx *sql.Tx) error) error {
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

func (s *Store) setRoles(ctx context.Context, tx *sql.Tx, id int64, roles []string) error {
	if _, err := tx.ExecContext(ctx, s.q("DELETE FROM gatehouse_user_roles WHERE user_id = ?"), id); err != nil {
		return err
	}
	for _, r := range slices.Compact(slices.Sorted(slices.Values(roles))) {
		if _, err := tx.ExecContext(ctx, s.q("INSERT INTO gatehouse_user_roles (user_id, role) VALUES (?, ?)"), id, r); err != nil {
			return err
		}
	}
	return nil
}

// CreateUser implements gatehouse.UserStore. The database assigns the ID
// unless u.ID holds a positive integer.
func (s *Store) CreateUser(ctx context.Context, u *gatehouse.User) error {
	var preset int64
	if u.ID != "" {
		n, ok := parseID(u.ID)
		if !ok {
			return s.errf("create user", fmt.Errorf("ID %q is not a positive integer", u.ID))
		}
		preset = n
	}
	if u.CreatedAt.IsZero() || u.UpdatedAt.IsZero() {
		// Stores never read the clock; Manager.CreateUser sets both.
		return s.errf("create user", errors.New("CreatedAt and UpdatedAt must be set"))
	}
	d := s.d
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		args := []any{u.Email, strings.ToLower(u.Email), nullString(u.Username), nullString(strings.ToLower(u.Username)),
			u.PasswordHash, u.Active, d.Time(u.ConfirmedAt), u.SecurityStamp,
			d.Time(u.LastLoginAt), d.Time(u.CurrentLoginAt), u.LastLoginIP, u.CurrentLoginIP, u.LoginCount,
			encodeRevoked(u.RevokedSessions), d.Time(u.CreatedAt), d.Time(u.UpdatedAt)}
		cols := "email, email_key, username, username_key, password_hash, active, confirmed_at, security_stamp, last_login_at, current_login_at, last_login_ip, current_login_ip, login_count, revoked_sessions, created_at, updated_at"
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(args)), ", ")
		if preset != 0 {
			cols, marks = "id, "+cols, "?, "+marks
			args = append([]any{preset}, args...)
		}
		var id int64
		if err := tx.QueryRowContext(ctx, s.q("INSERT INTO gatehouse_users ("+cols+") VALUES ("+marks+") RETURNING id"), args...).Scan(&id); err != nil {
			return err
		}
		if preset != 0 && d.SyncIDs != "" {
			if _, err := tx.ExecContext(ctx, d.SyncIDs); err != nil {
				return err
			}
		}
		if err := s.setRoles(ctx, tx, id, u.Roles); err != nil {
			return err
		}
		u.ID = strconv.FormatInt(id, 10)
		return nil
	})
	if err != nil && preset == 0 {
		u.ID = ""
	}
	return s.wrap("create user", err)
}

// UpdateUser implements gatehouse.UserStore.
func (s *Store) UpdateUser(ctx context.Context, u *gatehouse.User) error {
	id, ok := parseID(u.ID)
	if !ok {
		return s.errf("update user", gatehouse.ErrNotFound)
	}
	d := s.d
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE gatehouse_users SET email = ?, email_key = ?, username = ?, username_key = ?,
			password_hash = ?, active = ?, confirmed_at = ?, security_stamp = ?, last_login_at = ?, current_login_at = ?,
			last_login_ip = ?, current_login_ip = ?, login_count = ?, revoked_sessions = ?, updated_at = ? WHERE id = ?`),
			u.Email, strings.ToLower(u.Email), nullString(u.Username), nullString(strings.ToLower(u.Username)),
			u.PasswordHash, u.Active, d.Time(u.ConfirmedAt), u.SecurityStamp, d.Time(u.LastLoginAt), d.Time(u.CurrentLoginAt),
			u.LastLoginIP, u.CurrentLoginIP, u.LoginCount, encodeRevoked(u.RevokedSessions), d.Time(u.UpdatedAt), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return sql.ErrNoRows
		}
		return s.setRoles(ctx, tx, id, u.Roles)
	})
	return s.wrap("update user", err)
}

// DeleteUser implements gatehouse.UserDeleter: the user, its roles,
// sessions and tokens go in one transaction.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	n, ok := parseID(id)
	if !ok {
		return nil
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		// Tokens and sessions key users by the ID string; the rest by integer.
		for _, d := range []struct {
			stmt string
			arg  any
		}{
			{"DELETE FROM gatehouse_user_roles WHERE user_id = ?", n},
			{"DELETE FROM gatehouse_tokens WHERE user_id = ?", id},
			{"DELETE FROM gatehouse_sessions WHERE user_id = ?", id},
			{"DELETE FROM gatehouse_users WHERE id = ?", n},
		} {
			if _, err := tx.ExecContext(ctx, s.q(d.stmt), d.arg); err != nil {
				return err
			}
		}
		return nil
	})
	return s.wrap("delete user", err)
}

// ListUsers implements gatehouse.UserLister.
func (s *Store) ListUsers(ctx context.Context, f gatehouse.UserFilter) ([]*gatehouse.User, error) {
	query := s.userSQL + " WHERE 1 = 1"
	var args []any
	if f.Email != "" {
		query += ` AND u.email_key LIKE ? ESCAPE '\'`
		esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(f.Email))
		args = append(args, "%"+esc+"%")
	}
	if f.Role != "" {
		query += " AND EXISTS (SELECT 1 FROM gatehouse_user_roles r WHERE r.user_id = u.id AND r.role = ?)"
		args = append(args, f.Role)
	}
	query += " ORDER BY u.id"
	if f.Limit > 0 {
		query += " LIMIT " + strconv.Itoa(f.Limit)
	}
	if f.Offset > 0 {
		if f.Limit <= 0 {
			query += " LIMIT " + s.d.NoLimit
		}
		query += " OFFSET " + strconv.Itoa(f.Offset)
	}
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, s.wrap("list users", err)
	}
	defer rows.Close()
	var out []*gatehouse.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, s.wrap("list users", err)
		}
		out = append(out, u)
	}
	return out, s.wrap("list users", rows.Err())
}

func (s *Store) userExists(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, id int64) error {
	var one int
	return q.QueryRowContext(ctx, s.q("SELECT 1 FROM gatehouse_users WHERE id = ?"), id).Scan(&one)
}

// AddUserRole implements gatehouse.RoleAssigner.
func (s *Store) AddUserRole(ctx context.Context, userID, role string) error {
	id, ok := parseID(userID)
	if !ok {
		return s.errf("add user role", gatehouse.ErrNotFound)
	}
	if err := s.userExists(ctx, s.db, id); err != nil {
		return s.wrap("add user role", err)
	}
	_, err := s.db.ExecContext(ctx, s.q("INSERT INTO gatehouse_user_roles (user_id, role) VALUES (?, ?) ON CONFLICT DO NOTHING"), id, role)
	return s.wrap("add user role", err)
}

// RemoveUserRole implements gatehouse.RoleAssigner.
func (s *Store) RemoveUserRole(ctx context.Context, userID, role string) error {
	id, ok := parseID(userID)
	if !ok {
		return s.errf("remove user role", gatehouse.ErrNotFound)
	}
	if err := s.userExists(ctx, s.db, id); err != nil {
		return s.wrap("remove user role", err)
	}
	_, err := s.db.ExecContext(ctx, s.q("DELETE FROM gatehouse_user_roles WHERE user_id = ? AND role = ?"), id, role)
	return s.wrap("remove user role", err)
}

// RecordLogin implements gatehouse.LoginRecorder in one statement, so
// concurrent logins all count.
func (s *Store) RecordLogin(ctx context.Context, userID string, at time.Time, ip string) error {
	id, ok := parseID(userID)
	if !ok {
		return s.errf("record login", gatehouse.ErrNotFound)
	}
	t := s.d.Time(at)
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE gatehouse_users SET
		last_login_at = COALESCE(current_login_at, ?),
		last_login_ip = CASE WHEN current_login_ip = '' THEN ? ELSE current_login_ip END,
		current_login_at = ?, current_login_ip = ?, login_count = login_count + 1
		WHERE id = ?`), t, ip, t, ip, id)
	if err != nil {
		return s.wrap("record login", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return s.errf("record login", gatehouse.ErrNotFound)
	}
	return nil
}
