package sqlcore

import (
	"context"
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

func scanUser(row scanner) (*gatehouse.User, error) {
	var (
		u       gatehouse.User
		id      int64
		revoked string
		roles   string
		fields  string
	)
	err := row.Scan(&id, &u.Email, &u.Username, &u.PasswordHash, &u.Active, timeCol{&u.ConfirmedAt},
		&u.SecurityStamp, timeCol{&u.LastLoginAt}, timeCol{&u.CurrentLoginAt}, &u.LastLoginIP, &u.CurrentLoginIP,
		&u.LoginCount, &revoked, timeCol{&u.CreatedAt}, timeCol{&u.UpdatedAt}, &roles, &fields)
	if err != nil {
		return nil, err
	}
	for pair := range strings.SplitSeq(fields, "\x1f") {
		if name, value, ok := strings.Cut(pair, "\x1e"); ok {
			if u.Fields == nil {
				u.Fields = map[string]string{}
			}
			u.Fields[name] = value
		}
	}
	u.ID = strconv.FormatInt(id, 10)
	if roles != "" {
		u.Roles = strings.Split(roles, "\x1f")
		slices.Sort(u.Roles)
	}
	if revoked != "" {
		if u.RevokedSessions, err = parseRevoked(revoked); err != nil {
			return nil, err
		}
	}
	return &u, nil
}

// parseRevoked reads AggRevoked's "id until_us,id until_us".
func parseRevoked(s string) ([]gatehouse.SessionRevocation, error) {
	var out []gatehouse.SessionRevocation
	for part := range strings.SplitSeq(s, ",") {
		id, until, ok := strings.Cut(part, " ")
		us, err := strconv.ParseInt(until, 10, 64)
		if !ok || err != nil {
			return nil, fmt.Errorf("revoked sessions: bad entry %q", part)
		}
		out = append(out, gatehouse.SessionRevocation{ID: id, Until: time.UnixMicro(us).UTC()})
	}
	slices.SortFunc(out, func(a, b gatehouse.SessionRevocation) int { return a.Until.Compare(b.Until) })
	return out, nil
}

// UserByID implements gatehouse.UserStore.
func (s *Store) UserByID(ctx context.Context, id string) (*gatehouse.User, error) {
	n, ok := parseID(id)
	if !ok {
		return nil, s.errf("user by id", gatehouse.ErrNotFound)
	}
	if tx, ok := s.Tx(ctx); ok {
		u, err := scanUser(tx.QueryRowContext(ctx, s.q(s.userSQL+" WHERE u.id = ?"), n))
		return u, s.wrap("user by id", err)
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
	u, err := scanUser(s.conn(ctx).QueryRowContext(ctx, s.q(s.userSQL+" WHERE u.email_key = ?"), strings.ToLower(email)))
	return u, s.wrap("user by email", err)
}

// UserByUsername implements gatehouse.UsernameLookup (case-insensitive).
func (s *Store) UserByUsername(ctx context.Context, username string) (*gatehouse.User, error) {
	if username == "" {
		return nil, s.errf("user by username", gatehouse.ErrNotFound)
	}
	u, err := scanUser(s.conn(ctx).QueryRowContext(ctx, s.q(s.userSQL+" WHERE u.username_key = ?"), strings.ToLower(username)))
	return u, s.wrap("user by username", err)
}

// CreateUser implements gatehouse.UserStore: the user and its roles in one
// transaction. The database assigns the ID unless u.ID holds a positive
// integer.
func (s *Store) CreateUser(ctx context.Context, u *gatehouse.User) error {
	ctx, done, werr := s.writing(ctx)
	if werr != nil {
		return s.wrap("CreateUser", werr)
	}
	defer done()
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
	err := s.inTx(ctx, func(tx querier) error {
		args := []any{u.Email, strings.ToLower(u.Email), nullString(u.Username), nullString(strings.ToLower(u.Username)),
			u.PasswordHash, u.Active, d.Time(u.ConfirmedAt), u.SecurityStamp,
			d.Time(u.LastLoginAt), d.Time(u.CurrentLoginAt), u.LastLoginIP, u.CurrentLoginIP, u.LoginCount,
			d.Time(u.CreatedAt), d.Time(u.UpdatedAt)}
		cols := "email, email_key, username, username_key, password_hash, active, confirmed_at, security_stamp, last_login_at, current_login_at, last_login_ip, current_login_ip, login_count, created_at, updated_at"
		marks := placeholders(len(args))
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
		for _, r := range slices.Compact(slices.Sorted(slices.Values(u.Roles))) {
			if _, err := tx.ExecContext(ctx, s.q("INSERT INTO gatehouse_user_roles (user_id, role) VALUES (?, ?)"), id, r); err != nil {
				return err
			}
		}
		if err := s.setFields(ctx, tx, id, u.Fields); err != nil {
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

// UpdateUser implements gatehouse.UserStore: one transaction that writes
// only the columns c sets, beginning with the user row itself, so
// concurrent changes to other columns stand.
func (s *Store) UpdateUser(ctx context.Context, userID string, c gatehouse.UserChange) error {
	ctx, done, werr := s.writing(ctx)
	if werr != nil {
		return s.wrap("UpdateUser", werr)
	}
	defer done()
	id, ok := parseID(userID)
	if !ok {
		return s.errf("update user", gatehouse.ErrNotFound)
	}
	d := s.d
	sets := []string{"updated_at = ?"}
	args := []any{d.Time(c.UpdatedAt)}
	set := func(col string, v any) {
		sets = append(sets, col+" = ?")
		args = append(args, v)
	}
	if c.Email != nil {
		set("email", *c.Email)
		set("email_key", strings.ToLower(*c.Email))
	}
	if c.Username != nil {
		set("username", nullString(*c.Username))
		set("username_key", nullString(strings.ToLower(*c.Username)))
	}
	if c.PasswordHash != nil {
		set("password_hash", *c.PasswordHash)
	}
	if c.Active != nil {
		set("active", *c.Active)
	}
	if c.ConfirmedAt != nil {
		set("confirmed_at", d.Time(*c.ConfirmedAt))
	}
	if c.SecurityStamp != nil {
		set("security_stamp", *c.SecurityStamp)
	}
	if !c.LoginAt.IsZero() {
		t := d.Time(c.LoginAt)
		sets = append(sets, "last_login_at = COALESCE(current_login_at, ?)",
			"last_login_ip = CASE WHEN current_login_ip = '' THEN ? ELSE current_login_ip END",
			"current_login_at = ?", "current_login_ip = ?", "login_count = login_count + 1")
		args = append(args, t, c.LoginIP, t, c.LoginIP)
	}
	where := " WHERE id = ?"
	args = append(args, id)
	if c.IfPasswordHash != nil {
		where += " AND password_hash = ?"
		args = append(args, *c.IfPasswordHash)
	}
	err := s.inTx(ctx, func(tx querier) error {
		res, err := tx.ExecContext(ctx, s.q("UPDATE gatehouse_users SET "+strings.Join(sets, ", ")+where), args...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			if c.IfPasswordHash != nil && s.userExists(ctx, tx, id) == nil {
				return gatehouse.ErrConflict
			}
			return gatehouse.ErrNotFound
		}
		if c.SecurityStamp != nil {
			if _, err := tx.ExecContext(ctx, s.q("DELETE FROM gatehouse_revoked_sessions WHERE user_id = ?"), id); err != nil {
				return err
			}
		}
		if err := s.setFields(ctx, tx, id, c.Fields); err != nil {
			return err
		}
		if r := c.RevokeSession; r != nil {
			if _, err := tx.ExecContext(ctx, s.q("DELETE FROM gatehouse_revoked_sessions WHERE user_id = ? AND until_us < ?"), id, c.UpdatedAt.UnixMicro()); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, s.q("INSERT INTO gatehouse_revoked_sessions (user_id, id, until_us) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"),
				id, r.ID, r.Until.UnixMicro()); err != nil {
				return err
			}
		}
		for _, r := range c.AddRoles {
			if _, err := tx.ExecContext(ctx, s.q("INSERT INTO gatehouse_user_roles (user_id, role) VALUES (?, ?) ON CONFLICT DO NOTHING"), id, r); err != nil {
				return err
			}
		}
		for _, r := range c.RemoveRoles {
			if _, err := tx.ExecContext(ctx, s.q("DELETE FROM gatehouse_user_roles WHERE user_id = ? AND role = ?"), id, r); err != nil {
				return err
			}
		}
		return nil
	})
	return s.wrap("update user", err)
}

func (s *Store) userExists(ctx context.Context, q querier, id int64) error {
	var one int
	return q.QueryRowContext(ctx, s.q("SELECT 1 FROM gatehouse_users WHERE id = ?"), id).Scan(&one)
}

// DeleteUser implements admin.UserStore: the user, its roles,
// revocations, second factors, sessions and tokens go in one
// transaction.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	ctx, done, werr := s.writing(ctx)
	if werr != nil {
		return s.wrap("DeleteUser", werr)
	}
	defer done()
	n, ok := parseID(id)
	if !ok {
		return nil
	}
	err := s.inTx(ctx, func(tx querier) error {
		// Tokens and sessions key users by the ID string; the rest by integer.
		for _, d := range []struct {
			stmt string
			arg  any
		}{
			{"DELETE FROM gatehouse_user_roles WHERE user_id = ?", n},
			{"DELETE FROM gatehouse_user_fields WHERE user_id = ?", n},
			{"DELETE FROM gatehouse_factors WHERE user_id = ?", n},
			{"DELETE FROM gatehouse_revoked_sessions WHERE user_id = ?", n},
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

// ListUsers implements admin.UserStore.
func (s *Store) ListUsers(ctx context.Context, f admin.Filter) ([]*gatehouse.User, error) {
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
	if f.Username != "" {
		query += " AND u.username_key = ?"
		args = append(args, strings.ToLower(f.Username))
	}
	for _, name := range slices.Sorted(maps.Keys(f.Fields)) {
		query += " AND EXISTS (SELECT 1 FROM gatehouse_user_fields uf WHERE uf.user_id = u.id AND uf.name = ? AND uf.value = ?)"
		args = append(args, name, f.Fields[name])
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
	rows, err := s.conn(ctx).QueryContext(ctx, s.q(query), args...)
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

// setFields writes fields of user id, one row each; an empty value
// removes the field.
func (s *Store) setFields(ctx context.Context, tx querier, id int64, fields map[string]string) error {
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		value := fields[name]
		if err := checkField(name, value); err != nil {
			return err
		}
		var err error
		if value == "" {
			_, err = tx.ExecContext(ctx, s.q("DELETE FROM gatehouse_user_fields WHERE user_id = ? AND name = ?"), id, name)
		} else {
			_, err = tx.ExecContext(ctx, s.q(`INSERT INTO gatehouse_user_fields (user_id, name, value) VALUES (?, ?, ?)
				ON CONFLICT (user_id, name) DO UPDATE SET value = excluded.value`), id, name, value)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// checkField refuses a field name outside [a-z0-9_] (1 to 64 of them) and
// a value with the separators the aggregate uses.
func checkField(name, value string) error {
	if name == "" || len(name) > 64 || strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
		return fmt.Errorf("user field name %q: lower-case letters, digits and underscores only", name)
	}
	if strings.ContainsAny(value, "\x1e\x1f") {
		return fmt.Errorf("user field %s: the value holds a control character", name)
	}
	return nil
}
