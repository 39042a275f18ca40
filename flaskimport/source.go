package flaskimport

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// srcUser is one row of the source's user table, converted.
type srcUser struct {
	id         string
	email      string // as stored
	username   string
	password   string
	active     bool
	stamp      string
	confirmed  time.Time
	lastAt     time.Time
	currentAt  time.Time
	lastIP     string
	currentIP  string
	loginCount int
	createdAt  time.Time
	tfMethod   string
	roleIDs    []string
}

// srcRole is one row of the source's role table.
type srcRole struct {
	id, name, description string
	permissions           []string
}

// source is what was read: the rows, and which optional columns exist.
type source struct {
	users []srcUser
	roles []srcRole
	// has records the optional columns present, by Mapping key.
	has   map[string]bool
	notes []string
}

// table is one source table being read: its resolved name and the
// columns it has, by Mapping key.
type table struct {
	name string
	cols map[string]string // Mapping key -> column name as the source spells it
}

// readSource reads the user, role and roles_users tables in one read-only
// transaction, so the three agree with each other.
func readSource(ctx context.Context, db *sql.DB, m Mapping) (*source, error) {
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("flaskimport: source: %w", err)
	}
	defer tx.Rollback()
	src := &source{has: map[string]bool{}}
	tables := map[string]*table{}
	for _, prefix := range []string{"user", "role", "roles_users"} {
		t, err := src.describe(ctx, tx, &m, prefix)
		if err != nil {
			return nil, err
		}
		tables[prefix] = t
	}
	if err := src.readRoles(ctx, tx, tables["role"]); err != nil {
		return nil, err
	}
	if err := src.readUsers(ctx, tx, tables["user"]); err != nil {
		return nil, err
	}
	if err := src.readLinks(ctx, tx, tables["roles_users"]); err != nil {
		return nil, err
	}
	return src, nil
}

// describe finds the columns the table named by prefix ("user") has: a
// required one that is missing is an error; so is an optional one the
// mapping names explicitly. Optional Flask-Security columns that are
// missing are noted.
func (src *source) describe(ctx context.Context, tx *sql.Tx, m *Mapping, prefix string) (*table, error) {
	t := &table{cols: map[string]string{}}
	var cols []mapEntry
	for _, e := range m.entries() {
		switch {
		case e.key == prefix:
			t.name = e.name()
		case strings.HasPrefix(e.key, prefix+"."):
			cols = append(cols, e)
		}
	}
	rows, err := tx.QueryContext(ctx, "SELECT * FROM "+quote(t.name)+" WHERE 1 = 0")
	if err != nil {
		return nil, fmt.Errorf("flaskimport: source table %s (map it with --map %s=NAME): %w", quote(t.name), prefix, err)
	}
	have, err := rows.Columns()
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("flaskimport: source table %s: %w", quote(t.name), err)
	}
	for _, e := range cols {
		name := e.name()
		// Exact spelling first; SQLite, and PostgreSQL's unquoted names,
		// make case a matter of taste.
		i := slices.Index(have, name)
		if i < 0 {
			i = slices.IndexFunc(have, func(h string) bool { return strings.EqualFold(h, name) })
		}
		switch {
		case i >= 0:
			t.cols[e.key] = have[i]
			src.has[e.key] = true
		case e.required || *e.p != "":
			return nil, fmt.Errorf("flaskimport: source table %s has no column %q (map it with --map %s=NAME)", quote(t.name), name, e.key)
		default:
			src.notes = append(src.notes, fmt.Sprintf("the source has no column %s.%s: imported without it", t.name, name))
		}
	}
	return t, nil
}

// selectSQL selects the table's columns that exist, in the order of keys,
// and returns the keys it selected.
func (t *table) selectSQL(keys []string, orderBy string) (string, []string) {
	var cols, got []string
	for _, k := range keys {
		if c, ok := t.cols[k]; ok {
			cols = append(cols, quote(c))
			got = append(got, k)
		}
	}
	q := "SELECT " + strings.Join(cols, ", ") + " FROM " + quote(t.name)
	if orderBy != "" {
		q += " ORDER BY " + quote(t.cols[orderBy])
	}
	return q, got
}

// scanRows runs query and calls row with each row's values by key.
func scanRows(ctx context.Context, tx *sql.Tx, query string, keys []string, row func(v map[string]any) error) error {
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	vals := make([]any, len(keys))
	ptrs := make([]any, len(keys))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		v := make(map[string]any, len(keys))
		for i, k := range keys {
			v[k] = vals[i]
		}
		if err := row(v); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (src *source) readUsers(ctx context.Context, tx *sql.Tx, t *table) error {
	var keys []string
	for _, k := range Keys() {
		if strings.HasPrefix(k, "user.") {
			keys = append(keys, k)
		}
	}
	query, keys := t.selectSQL(keys, "user.id")
	err := scanRows(ctx, tx, query, keys, func(v map[string]any) error {
		var u srcUser
		var err error
		conv := func(key string, f func(any) error) {
			if err == nil {
				if e := f(v[key]); e != nil {
					err = fmt.Errorf("column %s: %w", t.cols[key], e)
				}
			}
		}
		conv("user.id", func(x any) (e error) { u.id, e = text(x); return })
		conv("user.email", func(x any) (e error) { u.email, e = text(x); return })
		conv("user.username", func(x any) (e error) { u.username, e = text(x); return })
		conv("user.password", func(x any) (e error) { u.password, e = text(x); return })
		conv("user.active", func(x any) (e error) { u.active, e = boolean(x); return })
		conv("user.fs_uniquifier", func(x any) (e error) { u.stamp, e = text(x); return })
		conv("user.confirmed_at", func(x any) (e error) { u.confirmed, e = timestamp(x); return })
		conv("user.last_login_at", func(x any) (e error) { u.lastAt, e = timestamp(x); return })
		conv("user.current_login_at", func(x any) (e error) { u.currentAt, e = timestamp(x); return })
		conv("user.last_login_ip", func(x any) (e error) { u.lastIP, e = text(x); return })
		conv("user.current_login_ip", func(x any) (e error) { u.currentIP, e = text(x); return })
		conv("user.login_count", func(x any) (e error) { u.loginCount, e = integer(x); return })
		conv("user.create_datetime", func(x any) (e error) { u.createdAt, e = timestamp(x); return })
		conv("user.tf_primary_method", func(x any) (e error) { u.tfMethod, e = text(x); return })
		if err != nil {
			return fmt.Errorf("user id %s: %w", u.id, err)
		}
		src.users = append(src.users, u)
		return nil
	})
	if err != nil {
		return fmt.Errorf("flaskimport: reading source users: %w", err)
	}
	return nil
}

func (src *source) readRoles(ctx context.Context, tx *sql.Tx, t *table) error {
	query, keys := t.selectSQL([]string{"role.id", "role.name", "role.description", "role.permissions"}, "role.id")
	err := scanRows(ctx, tx, query, keys, func(v map[string]any) error {
		var r srcRole
		var perms string
		var err error
		if r.id, err = text(v["role.id"]); err == nil {
			if r.name, err = text(v["role.name"]); err == nil {
				if r.description, err = text(v["role.description"]); err == nil {
					perms, err = text(v["role.permissions"])
				}
			}
		}
		if err != nil {
			return fmt.Errorf("role id %s: %w", r.id, err)
		}
		if perms != "" {
			// AsaList: comma-separated, no escaping.
			r.permissions = strings.Split(perms, ",")
		}
		src.roles = append(src.roles, r)
		return nil
	})
	if err != nil {
		return fmt.Errorf("flaskimport: reading source roles: %w", err)
	}
	return nil
}

// readLinks reads roles_users into each user's roleIDs, noting links to a
// user or role that does not exist.
func (src *source) readLinks(ctx context.Context, tx *sql.Tx, t *table) error {
	byID := make(map[string]*srcUser, len(src.users))
	for i := range src.users {
		byID[src.users[i].id] = &src.users[i]
	}
	roles := make(map[string]bool, len(src.roles))
	for _, r := range src.roles {
		roles[r.id] = true
	}
	query, keys := t.selectSQL([]string{"roles_users.user_id", "roles_users.role_id"}, "")
	dangling := 0
	err := scanRows(ctx, tx, query, keys, func(v map[string]any) error {
		uid, err := text(v["roles_users.user_id"])
		if err != nil {
			return err
		}
		rid, err := text(v["roles_users.role_id"])
		if err != nil {
			return err
		}
		u := byID[uid]
		if u == nil || !roles[rid] {
			dangling++
			return nil
		}
		if !slices.Contains(u.roleIDs, rid) {
			u.roleIDs = append(u.roleIDs, rid)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("flaskimport: reading source roles_users: %w", err)
	}
	if dangling > 0 {
		src.notes = append(src.notes, fmt.Sprintf("%d rows of %s link a user or role that does not exist: ignored", dangling, t.name))
	}
	return nil
}

// text converts a column value to a string; NULL is "".
func text(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case bool:
		return strconv.FormatBool(x), nil
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano), nil
	}
	return "", fmt.Errorf("unexpected %T", v)
}

// boolean converts a column value to a bool: SQLite keeps SQLAlchemy's
// Boolean as 0 or 1, PostgreSQL as a boolean. NULL is false.
func boolean(v any) (bool, error) {
	switch x := v.(type) {
	case nil:
		return false, nil
	case bool:
		return x, nil
	case int64:
		return x != 0, nil
	case float64:
		return x != 0, nil
	case string, []byte:
		s, _ := text(x)
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "1", "t", "true", "y", "yes", "on":
			return true, nil
		case "0", "f", "false", "n", "no", "off", "":
			return false, nil
		}
		return false, fmt.Errorf("not a boolean: %q", s)
	}
	return false, fmt.Errorf("unexpected %T", v)
}

// integer converts a column value to an int; NULL is 0.
func integer(v any) (int, error) {
	switch x := v.(type) {
	case nil:
		return 0, nil
	case int64:
		return int(x), nil
	case float64:
		return int(x), nil
	case string, []byte:
		s, _ := text(x)
		if strings.TrimSpace(s) == "" {
			return 0, nil
		}
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return 0, fmt.Errorf("not an integer: %q", s)
		}
		return n, nil
	}
	return 0, fmt.Errorf("unexpected %T", v)
}

// timestamp converts a column value to a time in UTC; NULL is the zero
// time. Flask-Security writes naive UTC times, so times without an offset
// are taken as UTC.
func timestamp(v any) (time.Time, error) {
	switch x := v.(type) {
	case nil:
		return time.Time{}, nil
	case time.Time:
		return x.UTC(), nil
	case int64:
		return time.Unix(x, 0).UTC(), nil
	case string, []byte:
		s, _ := text(x)
		s = strings.TrimSpace(s)
		if s == "" {
			return time.Time{}, nil
		}
		// The forms SQLAlchemy's DateTime takes in SQLite text columns,
		// and ISO 8601 with an offset.
		for _, l := range [...]string{
			"2006-01-02 15:04:05.999999999",
			"2006-01-02T15:04:05.999999999",
			"2006-01-02 15:04:05.999999999Z07:00",
			"2006-01-02T15:04:05.999999999Z07:00",
			"2006-01-02 15:04",
			"2006-01-02",
		} {
			if t, err := time.Parse(l, s); err == nil {
				return t.UTC(), nil
			}
		}
		return time.Time{}, fmt.Errorf("not a date and time: %q", s)
	}
	return time.Time{}, fmt.Errorf("unexpected %T", v)
}
