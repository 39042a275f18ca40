package usertable

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/admin"
)

var (
	_ gatehouse.UserStore      = (*Store)(nil)
	_ gatehouse.UsernameLookup = (*Store)(nil)
	_ admin.UserStore          = (*Store)(nil)
)

type scanner interface{ Scan(dest ...any) error }

// micros is a time as the tables keep it: Unix microseconds, NULL for
// the zero time.
func micros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

func fromMicros(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMicro(v.Int64).UTC()
}

func (s *Store) scan(row scanner) (*gatehouse.User, error) {
	var (
		u                                      gatehouse.User
		active                                 int
		confirmed, last, current, created, upd sql.NullInt64
		roles, fields, revoked                 string
	)
	err := row.Scan(&u.ID, &u.Email, &u.Username, &u.PasswordHash, &active, &confirmed, &u.SecurityStamp,
		&last, &current, &u.LastLoginIP, &u.CurrentLoginIP, &u.LoginCount, &created, &upd, &roles, &fields, &revoked)
	if err != nil {
		return nil, err
	}
	u.Active = active == 1
	u.ConfirmedAt, u.LastLoginAt, u.CurrentLoginAt = fromMicros(confirmed), fromMicros(last), fromMicros(current)
	u.CreatedAt, u.UpdatedAt = fromMicros(created), fromMicros(upd)
	if roles != "" {
		u.Roles = strings.Split(roles, "\x1f")
		slices.Sort(u.Roles)
	}
	for pair := range strings.SplitSeq(fields, "\x1f") {
		if name, value, ok := strings.Cut(pair, "\x1e"); ok {
			if u.Fields == nil {
				u.Fields = map[string]string{}
			}
			u.Fields[name] = value
		}
	}
	for part := range strings.SplitSeq(revoked, "\x1f") {
		id, until, ok := strings.Cut(part, " ")
		if !ok {
			continue
		}
		us, err := strconv.ParseInt(until, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("revocation %q: %w", part, err)
		}
		u.RevokedSessions = append(u.RevokedSessions, gatehouse.SessionRevocation{ID: id, Until: time.UnixMicro(us).UTC()})
	}
	return &u, nil
}

func (s *Store) one(ctx context.Context, op, where string, args ...any) (*gatehouse.User, error) {
	u, err := s.scan(s.db.QueryRowContext(ctx, s.q(s.selectSQ+" WHERE "+where), args...))
	return u, wrap(op, err)
}

// UserByID implements gatehouse.UserStore.
func (s *Store) UserByID(ctx context.Context, id string) (*gatehouse.User, error) {
	arg, ok := s.idArg(id)
	if !ok {
		return nil, wrap("user by id", sql.ErrNoRows)
	}
	return s.one(ctx, "user by id", "a."+s.c.ID+" = ?", arg)
}

// UserByEmail implements gatehouse.UserStore: by the key Gatehouse keeps
// for addresses it has stored, else by the application's column,
// case-insensitively (on SQLite, lower() folds ASCII letters only: give
// the application's column a lower(email) index for large tables).
func (s *Store) UserByEmail(ctx context.Context, email string) (*gatehouse.User, error) {
	key := strings.ToLower(email)
	u, err := s.one(ctx, "user by email", "s.email_key = ?", key)
	if errors.Is(err, gatehouse.ErrNotFound) {
		u, err = s.one(ctx, "user by email", "lower(a."+s.c.Email+") = ? ORDER BY a."+s.c.ID+" LIMIT 1", key)
	}
	return u, err
}

// UserByUsername implements gatehouse.UsernameLookup.
func (s *Store) UserByUsername(ctx context.Context, username string) (*gatehouse.User, error) {
	if username == "" {
		return nil, wrap("user by username", sql.ErrNoRows)
	}
	return s.one(ctx, "user by username", "s.username_key = ?", strings.ToLower(username))
}

// inTx runs fn in a transaction.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// CreateUser implements gatehouse.UserStore: a row in the application's
// table (its other columns take their defaults), and Gatehouse's own rows
// for it, in one transaction.
func (s *Store) CreateUser(ctx context.Context, u *gatehouse.User) error {
	key := strings.ToLower(u.Email)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var taken int
		err := tx.QueryRowContext(ctx, s.q("SELECT COUNT(*) FROM "+s.c.Table+" WHERE lower("+s.c.Email+") = ?"), key).Scan(&taken)
		if err != nil {
			return err
		}
		if taken > 0 {
			return gatehouse.ErrDuplicate
		}
		cols, vals, args := s.c.Email+", "+s.c.PasswordHash, "?, ?", []any{u.Email, u.PasswordHash}
		if s.c.Active != "" {
			cols, vals, args = cols+", "+s.c.Active, vals+", ?", append(args, u.Active)
		}
		if u.ID != "" {
			arg, ok := s.idArg(u.ID)
			if !ok {
				return fmt.Errorf("ID %q does not fit the ID column", u.ID)
			}
			cols, vals, args = s.c.ID+", "+cols, "?, "+vals, append([]any{arg}, args...)
		}
		var id string
		err = tx.QueryRowContext(ctx, s.q("INSERT INTO "+s.c.Table+" ("+cols+") VALUES ("+vals+") RETURNING "+s.idText(s.c.Table)), args...).Scan(&id)
		if err != nil {
			return err
		}
		var username, usernameKey any
		if u.Username != "" {
			username, usernameKey = u.Username, strings.ToLower(u.Username)
		}
		disabled := 0
		if !u.Active && s.c.Active == "" {
			disabled = 1
		}
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO `+s.sec+` (user_id, email_key, security_stamp, disabled, username, username_key,
			confirmed_at, last_login_at, current_login_at, last_login_ip, current_login_ip, login_count, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			id, key, u.SecurityStamp, disabled, username, usernameKey, micros(u.ConfirmedAt), micros(u.LastLoginAt), micros(u.CurrentLoginAt),
			u.LastLoginIP, u.CurrentLoginIP, u.LoginCount, micros(u.CreatedAt), micros(u.UpdatedAt))
		if err != nil {
			return err
		}
		if err := s.addRoles(ctx, tx, id, u.Roles); err != nil {
			return err
		}
		if err := s.setFields(ctx, tx, id, u.Fields); err != nil {
			return err
		}
		u.ID = id
		return nil
	})
	if errors.Is(err, gatehouse.ErrDuplicate) {
		return fmt.Errorf("usertable: create user: %w", err)
	}
	return wrap("create user", err)
}

func (s *Store) addRoles(ctx context.Context, tx *sql.Tx, id string, roles []string) error {
	for _, r := range roles {
		if _, err := tx.ExecContext(ctx, s.q("INSERT INTO "+s.roles+" (user_id, role) VALUES (?, ?) ON CONFLICT DO NOTHING"), id, r); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) setFields(ctx context.Context, tx *sql.Tx, id string, fields map[string]string) error {
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		value := fields[name]
		if name == "" || len(name) > 64 || strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" || strings.ContainsAny(value, "\x1e\x1f") {
			return fmt.Errorf("user field %q: lower-case letters, digits and underscores, and a value without control characters", name)
		}
		var err error
		if value == "" {
			_, err = tx.ExecContext(ctx, s.q("DELETE FROM "+s.fields+" WHERE user_id = ? AND name = ?"), id, name)
		} else {
			_, err = tx.ExecContext(ctx, s.q("INSERT INTO "+s.fields+" (user_id, name, value) VALUES (?, ?, ?) ON CONFLICT (user_id, name) DO UPDATE SET value = excluded.value"), id, name, value)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// UpdateUser implements gatehouse.UserStore: the application's columns
// and Gatehouse's rows change in one transaction, each a targeted write,
// so concurrent changes of different things all stand.
func (s *Store) UpdateUser(ctx context.Context, id string, c gatehouse.UserChange) error {
	arg, ok := s.idArg(id)
	if !ok {
		return wrap("update user", sql.ErrNoRows)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		// The application's columns: also the existence check, and on
		// PostgreSQL the row lock that orders concurrent changes.
		set, args := []string{s.c.ID + " = " + s.c.ID}, []any{}
		if c.Email != nil {
			set, args = append(set, s.c.Email+" = ?"), append(args, *c.Email)
		}
		if c.PasswordHash != nil {
			set, args = append(set, s.c.PasswordHash+" = ?"), append(args, *c.PasswordHash)
		}
		if c.Active != nil && s.c.Active != "" {
			set, args = append(set, s.c.Active+" = ?"), append(args, *c.Active)
		}
		where := " WHERE " + s.c.ID + " = ?"
		args = append(args, arg)
		if c.IfPasswordHash != nil {
			where += " AND " + s.c.PasswordHash + " = ?"
			args = append(args, *c.IfPasswordHash)
		}
		res, err := tx.ExecContext(ctx, s.q("UPDATE "+s.c.Table+" SET "+strings.Join(set, ", ")+where), args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if c.IfPasswordHash != nil {
				var one int
				if tx.QueryRowContext(ctx, s.q("SELECT 1 FROM "+s.c.Table+" WHERE "+s.c.ID+" = ?"), arg).Scan(&one) == nil {
					return gatehouse.ErrConflict
				}
			}
			return sql.ErrNoRows
		}
		if c.Email != nil {
			var taken int
			err := tx.QueryRowContext(ctx, s.q("SELECT COUNT(*) FROM "+s.c.Table+" WHERE lower("+s.c.Email+") = ? AND "+s.c.ID+" <> ?"), strings.ToLower(*c.Email), arg).Scan(&taken)
			if err != nil {
				return err
			}
			if taken > 0 {
				return gatehouse.ErrDuplicate
			}
		}
		return s.updateSecurity(ctx, tx, id, c)
	})
	switch {
	case errors.Is(err, gatehouse.ErrConflict), errors.Is(err, gatehouse.ErrDuplicate):
		return fmt.Errorf("usertable: update user: %w", err)
	}
	return wrap("update user", err)
}

// updateSecurity writes c's part in Gatehouse's own tables.
func (s *Store) updateSecurity(ctx context.Context, tx *sql.Tx, id string, c gatehouse.UserChange) error {
	if _, err := tx.ExecContext(ctx, s.q("INSERT INTO "+s.sec+" (user_id) VALUES (?) ON CONFLICT DO NOTHING"), id); err != nil {
		return err
	}
	set, args := []string{"updated_at = ?"}, []any{micros(c.UpdatedAt)}
	if c.UpdatedAt.IsZero() {
		set, args = []string{"updated_at = updated_at"}, nil
	}
	if c.Email != nil {
		set, args = append(set, "email_key = ?"), append(args, strings.ToLower(*c.Email))
	}
	if c.Username != nil {
		var name, key any
		if *c.Username != "" {
			name, key = *c.Username, strings.ToLower(*c.Username)
		}
		set, args = append(set, "username = ?", "username_key = ?"), append(args, name, key)
	}
	if c.Active != nil && s.c.Active == "" {
		disabled := 0
		if !*c.Active {
			disabled = 1
		}
		set, args = append(set, "disabled = ?"), append(args, disabled)
	}
	if c.ConfirmedAt != nil {
		set, args = append(set, "confirmed_at = ?"), append(args, micros(*c.ConfirmedAt))
	}
	if c.SecurityStamp != nil {
		set, args = append(set, "security_stamp = ?"), append(args, *c.SecurityStamp)
	}
	if !c.LoginAt.IsZero() {
		set = append(set, "last_login_at = COALESCE(current_login_at, ?)", "last_login_ip = CASE WHEN current_login_at IS NULL THEN ? ELSE current_login_ip END",
			"current_login_at = ?", "current_login_ip = ?", "login_count = login_count + 1")
		args = append(args, c.LoginAt.UnixMicro(), c.LoginIP, c.LoginAt.UnixMicro(), c.LoginIP)
	}
	if _, err := tx.ExecContext(ctx, s.q("UPDATE "+s.sec+" SET "+strings.Join(set, ", ")+" WHERE user_id = ?"), append(args, id)...); err != nil {
		return err
	}
	if c.SecurityStamp != nil {
		if _, err := tx.ExecContext(ctx, s.q("DELETE FROM "+s.revoked+" WHERE user_id = ?"), id); err != nil {
			return err
		}
	}
	if rev := c.RevokeSession; rev != nil {
		if !c.UpdatedAt.IsZero() {
			if _, err := tx.ExecContext(ctx, s.q("DELETE FROM "+s.revoked+" WHERE user_id = ? AND until_us < ?"), id, c.UpdatedAt.UnixMicro()); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, s.q("INSERT INTO "+s.revoked+" (user_id, id, until_us) VALUES (?, ?, ?) ON CONFLICT (user_id, id) DO UPDATE SET until_us = excluded.until_us"),
			id, rev.ID, rev.Until.UnixMicro())
		if err != nil {
			return err
		}
	}
	if err := s.addRoles(ctx, tx, id, c.AddRoles); err != nil {
		return err
	}
	for _, r := range c.RemoveRoles {
		if _, err := tx.ExecContext(ctx, s.q("DELETE FROM "+s.roles+" WHERE user_id = ? AND role = ?"), id, r); err != nil {
			return err
		}
	}
	return s.setFields(ctx, tx, id, c.Fields)
}

// ListUsers implements admin.UserStore.
func (s *Store) ListUsers(ctx context.Context, f admin.Filter) ([]*gatehouse.User, error) {
	where, args := []string{"1 = 1"}, []any{}
	if f.Email != "" {
		esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(f.Email))
		where, args = append(where, "lower(a."+s.c.Email+`) LIKE ? ESCAPE '\'`), append(args, "%"+esc+"%")
	}
	if f.Role != "" {
		where, args = append(where, "EXISTS (SELECT 1 FROM "+s.roles+" r WHERE r.user_id = "+s.idText("a")+" AND r.role = ?)"), append(args, f.Role)
	}
	if f.Username != "" {
		where, args = append(where, "s.username_key = ?"), append(args, strings.ToLower(f.Username))
	}
	for _, name := range slices.Sorted(maps.Keys(f.Fields)) {
		where = append(where, "EXISTS (SELECT 1 FROM "+s.fields+" uf WHERE uf.user_id = "+s.idText("a")+" AND uf.name = ? AND uf.value = ?)")
		args = append(args, name, f.Fields[name])
	}
	query := s.selectSQ + " WHERE " + strings.Join(where, " AND ") + " ORDER BY a." + s.c.ID
	if f.Limit > 0 || f.Offset > 0 {
		limit := f.Limit
		if limit <= 0 {
			limit = 1 << 62
		}
		query += " LIMIT " + strconv.Itoa(limit) + " OFFSET " + strconv.Itoa(max(f.Offset, 0))
	}
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, wrap("list users", err)
	}
	defer rows.Close()
	var out []*gatehouse.User
	for rows.Next() {
		u, err := s.scan(rows)
		if err != nil {
			return nil, wrap("list users", err)
		}
		out = append(out, u)
	}
	return out, wrap("list users", rows.Err())
}

// DeleteUser implements admin.UserStore: the application's row and
// Gatehouse's, in one transaction. Sessions and tokens live in the other
// store: admin.DeleteUser ends them.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	arg, ok := s.idArg(id)
	if !ok {
		return nil
	}
	return wrap("delete user", s.inTx(ctx, func(tx *sql.Tx) error {
		for _, t := range []string{s.roles, s.fields, s.revoked, s.sec} {
			if _, err := tx.ExecContext(ctx, s.q("DELETE FROM "+t+" WHERE user_id = ?"), id); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, s.q("DELETE FROM "+s.c.Table+" WHERE "+s.c.ID+" = ?"), arg)
		return err
	}))
}
