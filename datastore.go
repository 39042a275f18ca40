package gatehouse

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Flask-Security's UserDatastore operations, over the configured stores.
// Optional store capabilities (UserDeleter, UserLister, UsernameLookup)
// are detected once, in New.

// ValidateEmail normalises email (see [NormalizeEmail]) and checks its
// syntax: at most 254 bytes, a local part of at most 64, no spaces or
// control characters, and a domain of letter, digit and hyphen labels with
// at least one dot. It returns the normalised address or an error wrapping
// ErrBadRequest.
func ValidateEmail(email string) (string, error) {
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("%w: invalid email address: %s", ErrBadRequest, why)
	}
	if !utf8.ValidString(email) {
		return bad("not UTF-8")
	}
	email, idnaErr := normalizeEmail(email)
	if idnaErr != nil && strings.Contains(email, "@") {
		return bad("domain is not a valid internationalised domain name")
	}
	if email == "" {
		return bad("empty")
	}
	if len(email) > 254 || !utf8.ValidString(email) {
		return bad("too long or not UTF-8")
	}
	at := strings.LastIndexByte(email, '@')
	if at <= 0 || at == len(email)-1 {
		return bad("needs a local part and a domain")
	}
	local, domain := email[:at], email[at+1:]
	if len(local) > 64 {
		return bad("local part too long")
	}
	for _, c := range local {
		if c <= ' ' || c == 0x7f || unicode.IsControl(c) || unicode.IsSpace(c) || unicode.Is(unicode.Cf, c) || strings.ContainsRune("\"(),:;<>[\\]@", c) {
			return bad("character not allowed")
		}
	}
	if strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
		return bad("misplaced dot")
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return bad("domain needs a dot")
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return bad("bad domain label")
		}
		for _, c := range l {
			if !(unicode.IsLetter(c) || unicode.IsDigit(c) || c == '-') {
				return bad("character not allowed in domain")
			}
		}
	}
	if strings.IndexFunc(labels[len(labels)-1], func(c rune) bool { return !unicode.IsDigit(c) }) < 0 {
		return bad("top-level domain is numeric")
	}
	return email, nil
}

// CreateUser validates and normalises u.Email, hashes password into
// u.PasswordHash (an empty password leaves the user without one), gives u a
// SecurityStamp if it has none, and stores u with its Roles in one step
// (each must be in the role catalog, if there is one). ErrDuplicate
// (wrapped) if the email or username is taken.
func (m *Manager) CreateUser(ctx context.Context, u *User, password string) error {
	return m.createUser(ctx, u, password, nil)
}

// createUser is CreateUser that also queues a mail, if mail is not nil, in
// the same transaction: a user is never stored without its welcome mail.
func (m *Manager) createUser(ctx context.Context, u *User, password string, mail *mailPayload) error {
	email, err := ValidateEmail(u.Email)
	if err != nil {
		return err
	}
	u.Email = email
	if err := m.checkRoles(ctx, u.Roles); err != nil {
		return err
	}
	if password != "" {
		if u.PasswordHash, err = m.hash(ctx, password); err != nil {
			return fmt.Errorf("gatehouse: create user: %w", err)
		}
	}
	if u.SecurityStamp == "" {
		u.SecurityStamp = NewSecurityStamp()
	}
	now := m.cfg.Now()
	if u.CreatedAt.IsZero() {
		u.CreatedAt = now
	}
	u.UpdatedAt = now
	err = m.inTx(ctx, func(ctx context.Context) error {
		if err := m.st.users.CreateUser(ctx, u); err != nil {
			return err
		}
		if mail != nil {
			mail.UserID = u.ID
			return m.enqueueMail(ctx, *mail)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("gatehouse: create user: %w", err)
	}
	m.log.LogAttrs(ctx, levelInfo, "gatehouse: user created", attrEvent("user_created"), attrUser(u))
	return nil
}

// checkRoles checks that roles are in the catalog, if there is one.
func (m *Manager) checkRoles(ctx context.Context, roles []string) error {
	if m.st.roles == nil {
		return nil
	}
	for _, role := range roles {
		if _, err := m.st.roles.Role(ctx, role); err != nil {
			return fmt.Errorf("gatehouse: role %q: %w", role, err)
		}
	}
	return nil
}

// FindUser finds a user by any identity attribute: an email address, or a
// username when the store supports [UsernameLookup]. ErrNotFound (wrapped)
// if nobody matches.
func (m *Manager) FindUser(ctx context.Context, identity string) (*User, error) {
	identity = strings.TrimSpace(identity)
	if strings.Contains(identity, "@") {
		return m.st.users.UserByEmail(ctx, NormalizeEmail(identity))
	}
	if ul := m.st.byUsername; ul != nil && identity != "" {
		return ul.UserByUsername(ctx, identity)
	}
	return nil, fmt.Errorf("gatehouse: find user: %w", ErrNotFound)
}

// ListUsers lists users, if the store is a [UserLister].
func (m *Manager) ListUsers(ctx context.Context, f UserFilter) ([]*User, error) {
	ul := m.st.lister
	if ul == nil {
		return nil, errors.New("gatehouse: the user store cannot list users (it is not a UserLister)")
	}
	return ul.ListUsers(ctx, f)
}

// DeleteUser deletes a user with its roles, sessions and tokens, if the
// store is a [UserDeleter]. nil if the user does not exist.
func (m *Manager) DeleteUser(ctx context.Context, id string) error {
	ud := m.st.deleter
	if ud == nil {
		return errors.New("gatehouse: the user store cannot delete users (it is not a UserDeleter)")
	}
	if err := ud.DeleteUser(ctx, id); err != nil {
		return fmt.Errorf("gatehouse: delete user: %w", err)
	}
	if m.st.sessions != nil {
		if err := m.st.sessions.DeleteUserSessions(ctx, id); err != nil {
			return fmt.Errorf("gatehouse: delete user: %w", err)
		}
	}
	if m.st.tokens != nil {
		if err := m.st.tokens.DeleteUserTokens(ctx, id); err != nil {
			return fmt.Errorf("gatehouse: delete user: %w", err)
		}
	}
	m.log.LogAttrs(ctx, levelInfo, "gatehouse: user deleted", attrEvent("user_deleted"), slogString(keyUserID, id))
	return nil
}

// SetActive activates or deactivates u and saves it. Deactivation rotates
// the SecurityStamp, so the user's sessions, remember cookies and tokens
// stop working at once (Flask-Security's deactivate_user). Only those
// fields are written: a concurrent password or role change stands, and so
// does this.
func (m *Manager) SetActive(ctx context.Context, u *User, active bool) error {
	now := m.cfg.Now()
	c := UserChange{Active: &active, UpdatedAt: now}
	var stamp string
	if !active {
		stamp = NewSecurityStamp()
		c.SecurityStamp = &stamp
	}
	if err := m.st.users.UpdateUser(ctx, u.ID, c); err != nil {
		return fmt.Errorf("gatehouse: set active: %w", err)
	}
	u.Active, u.UpdatedAt = active, now
	if !active {
		u.SecurityStamp, u.RevokedSessions = stamp, nil
		if m.st.sessions != nil {
			if err := m.st.sessions.DeleteUserSessions(ctx, u.ID); err != nil {
				return fmt.Errorf("gatehouse: set active: %w", err)
			}
		}
	}
	event := "user_activated"
	if !active {
		event = "user_deactivated"
	}
	m.log.LogAttrs(ctx, levelInfo, "gatehouse: "+strings.ReplaceAll(event, "_", " "), attrEvent(event), attrUser(u))
	return nil
}

// ToggleActive flips u's active flag (Flask-Security's toggle_active).
func (m *Manager) ToggleActive(ctx context.Context, u *User) error {
	return m.SetActive(ctx, u, !u.Active)
}

func (m *Manager) roles() (RoleStore, error) {
	if m.st.roles == nil {
		return nil, errors.New("gatehouse: no role catalog (Config.Roles)")
	}
	return m.st.roles, nil
}

// CreateRole adds a role to the catalog. ErrDuplicate (wrapped) if the name
// is taken.
func (m *Manager) CreateRole(ctx context.Context, r *Role) error {
	rs, err := m.roles()
	if err != nil {
		return err
	}
	r.Name = strings.TrimSpace(r.Name)
	if r.Name == "" || len(r.Name) > 80 || strings.ContainsFunc(r.Name, unicode.IsControl) {
		return fmt.Errorf("%w: invalid role name", ErrBadRequest)
	}
	now := m.cfg.Now()
	r.CreatedAt, r.UpdatedAt = now, now
	r.Permissions = normalizePermissions(r.Permissions)
	if err := rs.CreateRole(ctx, r); err != nil {
		return fmt.Errorf("gatehouse: create role: %w", err)
	}
	return nil
}

// FindRole returns the named role, or ErrNotFound (wrapped).
func (m *Manager) FindRole(ctx context.Context, name string) (*Role, error) {
	rs, err := m.roles()
	if err != nil {
		return nil, err
	}
	return rs.Role(ctx, name)
}

// FindOrCreateRole returns the named role, creating it if needed; safe
// when several processes do it at once.
func (m *Manager) FindOrCreateRole(ctx context.Context, name, description string) (*Role, error) {
	r, err := m.FindRole(ctx, name)
	if !errors.Is(err, ErrNotFound) {
		return r, err
	}
	r = &Role{Name: name, Description: description}
	if err := m.CreateRole(ctx, r); errors.Is(err, ErrDuplicate) {
		return m.FindRole(ctx, name)
	} else if err != nil {
		return nil, err
	}
	return r, nil
}

// AddPermissions grants permissions to a role.
func (m *Manager) AddPermissions(ctx context.Context, role string, perms ...string) error {
	return m.changePermissions(ctx, role, func(p []string) []string { return append(p, perms...) })
}

// RemovePermissions takes permissions from a role.
func (m *Manager) RemovePermissions(ctx context.Context, role string, perms ...string) error {
	return m.changePermissions(ctx, role, func(p []string) []string {
		return slices.DeleteFunc(p, func(s string) bool { return slices.Contains(perms, s) })
	})
}

func (m *Manager) changePermissions(ctx context.Context, role string, change func([]string) []string) error {
	rs, err := m.roles()
	if err != nil {
		return err
	}
	r, err := rs.Role(ctx, role)
	if err != nil {
		return fmt.Errorf("gatehouse: role %q: %w", role, err)
	}
	r.Permissions = normalizePermissions(change(r.Permissions))
	r.UpdatedAt = m.cfg.Now()
	return rs.UpdateRole(ctx, r)
}

func normalizePermissions(p []string) []string {
	out := make([]string, 0, len(p))
	for _, s := range p {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// AddRole gives u the role (it must exist in the catalog, if there is one)
// and saves it; nil if u already has it. Only the role is written.
func (m *Manager) AddRole(ctx context.Context, u *User, role string) error {
	if err := m.checkRoles(ctx, []string{role}); err != nil {
		return err
	}
	if err := m.st.users.UpdateUser(ctx, u.ID, UserChange{AddRoles: []string{role}, UpdatedAt: m.cfg.Now()}); err != nil {
		return fmt.Errorf("gatehouse: add role: %w", err)
	}
	if !slices.Contains(u.Roles, role) {
		u.Roles = append(u.Roles, role)
	}
	return nil
}

// RemoveRole takes the role from u and saves it; nil if u did not have it.
// Only the role is written.
func (m *Manager) RemoveRole(ctx context.Context, u *User, role string) error {
	if err := m.st.users.UpdateUser(ctx, u.ID, UserChange{RemoveRoles: []string{role}, UpdatedAt: m.cfg.Now()}); err != nil {
		return fmt.Errorf("gatehouse: remove role: %w", err)
	}
	u.Roles = slices.DeleteFunc(u.Roles, func(r string) bool { return r == role })
	return nil
}

// Permissions returns the union of the permissions of u's roles, sorted.
// Without a role catalog users have none.
func (m *Manager) Permissions(ctx context.Context, u *User) ([]string, error) {
	if m.st.roles == nil || u == nil {
		return nil, nil
	}
	var perms []string
	for _, name := range u.Roles {
		r, err := m.st.roles.Role(ctx, name)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("gatehouse: permissions: %w", err)
		}
		perms = append(perms, r.Permissions...)
	}
	return normalizePermissions(perms), nil
}

// RecordLogin updates u's login tracking (Flask-Security's trackable) with
// the request's time and client IP (see Config.ClientIP), atomically, so
// concurrent logins all count.
func (m *Manager) RecordLogin(ctx context.Context, u *User, r *http.Request) error {
	now := m.cfg.Now()
	ip := ""
	if a := m.clientIP(r); a.IsValid() {
		ip = a.String()
	}
	if err := m.st.users.UpdateUser(ctx, u.ID, UserChange{Login: &LoginRecord{At: now, IP: ip}, UpdatedAt: now}); err != nil {
		return fmt.Errorf("gatehouse: record login: %w", err)
	}
	trackLogin(u, LoginRecord{At: now, IP: ip})
	return nil
}

// trackLogin applies one login to u's tracking fields: the current login
// becomes the last one (or, for a first login, both are this one), and
// LoginCount goes up by one.
func trackLogin(u *User, l LoginRecord) {
	u.LastLoginAt, u.LastLoginIP = u.CurrentLoginAt, u.CurrentLoginIP
	if u.LastLoginAt.IsZero() {
		u.LastLoginAt = l.At
	}
	if u.LastLoginIP == "" {
		u.LastLoginIP = l.IP
	}
	u.CurrentLoginAt, u.CurrentLoginIP = l.At, l.IP
	u.LoginCount++
}
