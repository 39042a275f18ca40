package flaskimport

import (
	"fmt"
	"strings"
	"unicode"
)

// Mapping says how the source names Flask-Security's tables and columns,
// for an application that renamed them (Flask-Security's set_db_info, or
// models of its own). Every field left empty means Flask-Security's name,
// given in its comment, so the zero Mapping reads Flask-Security's
// fsqla models as they are.
//
// A table name may be qualified by a PostgreSQL schema ("auth.accounts").
// Names are quoted when the source is queried, so they are matched as
// written (SQLite matches them case-insensitively anyway); only letters,
// digits, "_" and "$" are allowed.
type Mapping struct {
	User       UserNames
	Role       RoleNames
	RolesUsers RolesUsersNames
}

// UserNames names the user table and its columns. ID, Email, Password and
// Active must exist; the import reads every other column that exists and
// reports the ones that do not.
type UserNames struct {
	Table          string // "user"
	ID             string // "id"
	Email          string // "email"
	Username       string // "username"
	Password       string // "password"
	Active         string // "active"
	FsUniquifier   string // "fs_uniquifier"
	ConfirmedAt    string // "confirmed_at"
	LastLoginAt    string // "last_login_at"
	CurrentLoginAt string // "current_login_at"
	LastLoginIP    string // "last_login_ip"
	CurrentLoginIP string // "current_login_ip"
	LoginCount     string // "login_count"
	CreateDatetime string // "create_datetime"
	// TfPrimaryMethod is read only to report users who had two-factor
	// authentication, which is not imported.
	TfPrimaryMethod string // "tf_primary_method"
}

// RoleNames names the role table and its columns. ID and Name must exist.
type RoleNames struct {
	Table       string // "role"
	ID          string // "id"
	Name        string // "name"
	Description string // "description"
	// Permissions holds a role's permissions separated by commas, as
	// Flask-Security's AsaList stores them.
	Permissions string // "permissions"
}

// RolesUsersNames names the table that links users to roles. All of it
// must exist.
type RolesUsersNames struct {
	Table  string // "roles_users"
	UserID string // "user_id"
	RoleID string // "role_id"
}

// mapEntry is one name of a Mapping: its key for Set ("user.email"),
// Flask-Security's name, and where it is kept.
type mapEntry struct {
	key, def string
	p        *string
	required bool
}

// entries lists m's names in the order of Keys. The pointers point into m.
func (m *Mapping) entries() []mapEntry {
	u, r, ru := &m.User, &m.Role, &m.RolesUsers
	return []mapEntry{
		{"user", "user", &u.Table, true},
		{"user.id", "id", &u.ID, true},
		{"user.email", "email", &u.Email, true},
		{"user.username", "username", &u.Username, false},
		{"user.password", "password", &u.Password, true},
		{"user.active", "active", &u.Active, true},
		{"user.fs_uniquifier", "fs_uniquifier", &u.FsUniquifier, false},
		{"user.confirmed_at", "confirmed_at", &u.ConfirmedAt, false},
		{"user.last_login_at", "last_login_at", &u.LastLoginAt, false},
		{"user.current_login_at", "current_login_at", &u.CurrentLoginAt, false},
		{"user.last_login_ip", "last_login_ip", &u.LastLoginIP, false},
		{"user.current_login_ip", "current_login_ip", &u.CurrentLoginIP, false},
		{"user.login_count", "login_count", &u.LoginCount, false},
		{"user.create_datetime", "create_datetime", &u.CreateDatetime, false},
		{"user.tf_primary_method", "tf_primary_method", &u.TfPrimaryMethod, false},
		{"role", "role", &r.Table, true},
		{"role.id", "id", &r.ID, true},
		{"role.name", "name", &r.Name, true},
		{"role.description", "description", &r.Description, false},
		{"role.permissions", "permissions", &r.Permissions, false},
		{"roles_users", "roles_users", &ru.Table, true},
		{"roles_users.user_id", "user_id", &ru.UserID, true},
		{"roles_users.role_id", "role_id", &ru.RoleID, true},
	}
}

// Keys lists the keys [Mapping.Set] takes, in order: a table by its
// Flask-Security name ("user"), a column as table.column ("user.email").
func Keys() []string {
	var m Mapping
	es := m.entries()
	keys := make([]string, len(es))
	for i, e := range es {
		keys[i] = e.key
	}
	return keys
}

// Set renames one or more tables or columns: "key=name", several separated
// by commas, where key is one of [Keys] ("user=accounts",
// "user.email=mail,role=groups"). A later Set of a key wins. It makes a
// *Mapping a flag.Value, for a repeatable --map flag.
func (m *Mapping) Set(spec string) error {
	if strings.TrimSpace(spec) == "" {
		return fmt.Errorf("flaskimport: empty mapping: want key=name, such as user=accounts or user.email=mail")
	}
	type set struct {
		p    *string
		name string
	}
	var sets []set
	es := m.entries()
	for part := range strings.SplitSeq(spec, ",") {
		key, name, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return fmt.Errorf("flaskimport: mapping %q: want key=name, such as user=accounts or user.email=mail", part)
		}
		key, name = strings.TrimSpace(key), strings.TrimSpace(name)
		var e *mapEntry
		for i := range es {
			if es[i].key == key {
				e = &es[i]
			}
		}
		if e == nil {
			return fmt.Errorf("flaskimport: mapping %q: unknown key %q (keys: %s)", part, key, strings.Join(Keys(), ", "))
		}
		if err := checkName(name, !strings.Contains(key, ".")); err != nil {
			return fmt.Errorf("flaskimport: mapping %q: %w", part, err)
		}
		sets = append(sets, set{e.p, name})
	}
	// All or nothing: a bad part leaves m as it was.
	for _, s := range sets {
		*s.p = s.name
	}
	return nil
}

// String returns the names that differ from Flask-Security's, in the
// form Set takes ("user=accounts,user.email=mail"); empty for the zero
// Mapping.
func (m *Mapping) String() string {
	if m == nil {
		return ""
	}
	var parts []string
	for _, e := range m.entries() {
		if *e.p != "" && *e.p != e.def {
			parts = append(parts, e.key+"="+*e.p)
		}
	}
	return strings.Join(parts, ",")
}

// checkName checks a table or column name: letters, digits, "_" and "$",
// not starting with a digit or "$"; a table name may have one schema
// qualifier ("auth.accounts").
func checkName(name string, table bool) error {
	if name == "" {
		return fmt.Errorf("empty name")
	}
	parts := []string{name}
	if table {
		if schema, rest, ok := strings.Cut(name, "."); ok {
			parts = []string{schema, rest}
		}
	}
	for _, p := range parts {
		if p == "" || len(p) > 128 {
			return fmt.Errorf("name %q: empty or too long", name)
		}
		for i, c := range p {
			ok := c == '_' || unicode.IsLetter(c) || i > 0 && (c == '$' || unicode.IsDigit(c))
			if !ok {
				return fmt.Errorf("name %q: only letters, digits, _ and $ are allowed (and no digit or $ first)", name)
			}
		}
	}
	return nil
}

// name returns the name m gives the entry: its own, or Flask-Security's.
func (e mapEntry) name() string {
	if *e.p != "" {
		return *e.p
	}
	return e.def
}

// quote quotes a table or column name for SQLite and PostgreSQL alike:
// "auth"."accounts". Names passed checkName, so they hold no quotes; any
// would be doubled anyway.
func quote(name string) string {
	parts := strings.Split(name, ".")
	for i, p := range parts {
		parts[i] = `"` + strings.ReplaceAll(p, `"`, `""`) + `"`
	}
	return strings.Join(parts, ".")
}
