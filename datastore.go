package gatehouse

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Flask-Security's UserDatastore operations, over the configured stores.
// Optional store capabilities (RoleAssigner, LoginRecorder, UserDeleter,
// UserLister, UsernameLookup) are detected once, in New.

// ValidateEmail normalises email (see [NormalizeEmail]) and checks its
// syntax: at most 254 bytes, a local part of at most 64, no spaces or
// control characters, and a domain of letter, digit and hyphen labels with
// at least one dot. It returns the normalised address or an error wrapping
// ErrBadRequest.
func ValidateEmail(email string) (string, error) {
	email = NormalizeEmail(email)
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("%w: invalid email address: %s", ErrBadRequest, why)
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
// SecurityStamp if it has none, and stores u. ErrDuplicate (wrapped) if the
// email or username is taken.
func (m *Manager) CreateUser(ctx context.Context, u *User, password string) error {
	email, err := ValidateEmail(u.Email)
	if err != nil {
		return err
	}
	u.Email = email
	if password != "" {
		if u.PasswordHash, err = m.hasher.Hash(password); err != nil {
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
	if err := m.cfg.Users.CreateUser(ctx, u); err != nil {
		return fmt.Errorf("gatehouse: create user: %w", err)
	}
	m.log.LogAttrs(ctx, levelInfo, "gatehouse: user created", attrEvent("user_created"), attrUser(u))
	return nil
}

// FindUser finds a user by any identity attribute: an email address, or a
// username when the store supports [UsernameLookup]. ErrNotFound (wrapped)
// if nobody matches.
func (m *Manager) FindUser(ctx context.Context, identity string) (*User, error) {
	identity = strings.TrimSpace(identity)
	if strings.Contains(identity, "@") {
		return m.cfg.Users.UserByEmail(ctx, NormalizeEmail(identity))
	}
	if ul, ok := m.cfg.Users.(UsernameLookup); ok && identity != "" {
		return ul.UserByUsername(ctx, identity)
	}
	return nil, fmt.Errorf("gatehouse: find user: %w", ErrNotFound)
}

// ListUsers lists users, if the store is a [UserLister].
func (m *Manager) ListUsers(ctx context.Context, f UserFilter) ([]*User, error) {
	ul, ok := m.cfg.Users.(UserLister)
	if !ok {
		return nil, errors.New("gatehouse: the user store cannot list users (it is not a UserLister)")
	}
	return ul.ListUsers(ctx, f)
}

// DeleteUser deletes a user with its roles, sessions and tokens, if the
// store is a [UserDeleter]. nil if the user does not exist.
func (m *Manager) DeleteUser(ctx context.Context, id string) error {
	ud, ok := m.cfg.Users.(UserDeleter)
	if !ok {
		return errors.New("gatehouse: the user store cannot delete users (it is not a UserDeleter)")
	}
	if err := ud.DeleteUser(ctx, id); err != nil {
		return fmt.Errorf("gatehouse: delete user: %w", err)
	}
	if m.cfg.Sessions != nil {
		if err := m.cfg.Sessions.DeleteUserSessions(ctx, id); err != nil {
			return fmt.Errorf("gatehouse: delete user: %w", err)
		}
	}
	if m.cfg.Tokens != nil {
		if err := m.cfg.Tokens.DeleteUserTokens(ctx, id); err != nil {
			return fmt.Errorf("gatehouse: delete user: %w", err)
		}
	}
	m.log.LogAttrs(ctx, levelInfo, "gatehouse: user deleted", attrEvent("user_deleted"), slogString(keyUserID, id))
	return nil
}

// SetActive activates or deactivates u and saves it. Deactivation rotates
// the SecurityStamp, so the user's sessions, remember cookies and tokens
// stop working at once (Flask-Security's deactivate_user).
func (m *Manager) SetActive(ctx context.Context, u *User, active bool) error {
	if u.Active == active {
		return nil
	}
	u.Active = active
	u.UpdatedAt = m.cfg.Now()
	if !active {
		u.SecurityStamp = NewSecurityStamp()
		u.RevokedSessions = nil
	}
	if err := m.cfg.Users.UpdateUser(ctx, u); err != nil {
		return fmt.Errorf("gatehouse: set active: %w", err)
	}
	if !active && m.cfg.Sessions != nil {
		if err := m.cfg.Sessions.DeleteUserSessions(ctx, u.ID); err != nil {
			return fmt.Errorf("gatehouse: set active: %w", err)
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
	if m.cfg.Roles == nil {
		return nil, errors.New("gatehouse: no role catalog (Config.Roles)")
	}
	return m.cfg.Roles, nil
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
// and saves it; nil if u already has it.
func (m *Manager) AddRole(ctx context.Context, u *User, role string) error {
	if m.cfg.Roles != nil {
		if _, err := m.cfg.Roles.Role(ctx, role); err != nil {
			return fmt.Errorf("gatehouse: role %q: %w", role, err)
		}
	}
	if ra, ok := m.cfg.Users.(RoleAssigner); ok {
		if err := ra.AddUserRole(ctx, u.ID, role); err != nil {
			return fmt.Errorf("gatehouse: add role: %w", err)
		}
		if !slices.Contains(u.Roles, role) {
			u.Roles = append(u.Roles, role)
		}
		return nil
	}
	return m.updateRoles(ctx, u, func(r []string) []string {
		if slices.Contains(r, role) {
			return r
		}
		return append(r, role)
	})
}

// RemoveRole takes the role from u and saves it; nil if u did not have it.
func (m *Manager) RemoveRole(ctx context.Context, u *User, role string) error {
	if ra, ok := m.cfg.Users.(RoleAssigner); ok {
		if err := ra.RemoveUserRole(ctx, u.ID, role); err != nil {
			return fmt.Errorf("gatehouse: remove role: %w", err)
		}
		u.Roles = slices.DeleteFunc(u.Roles, func(r string) bool { return r == role })
		return nil
	}
	return m.updateRoles(ctx, u, func(r []string) []string {
		return slices.DeleteFunc(r, func(s string) bool { return s == role })
	})
}

func (m *Manager) updateRoles(ctx context.Context, u *User, change func([]string) []string) error {
	fresh, err := m.cfg.Users.UserByID(ctx, u.ID)
	if err != nil {
		return fmt.Errorf("gatehouse: roles: %w", err)
	}
	fresh.Roles = change(fresh.Roles)
	fresh.UpdatedAt = m.cfg.Now()
	if err := m.cfg.Users.UpdateUser(ctx, fresh); err != nil {
		return fmt.Errorf("gatehouse: roles: %w", err)
	}
	*u = *fresh
	return nil
}

// Permissions returns the union of the permissions of u's roles, sorted.
// Without a role catalog users have none.
func (m *Manager) Permissions(ctx context.Context, u *User) ([]string, error) {
	if m.cfg.Roles == nil || u == nil {
		return nil, nil
	}
	var perms []string
	for _, name := range u.Roles {
		r, err := m.cfg.Roles.Role(ctx, name)
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
// the request's time and client IP (see Config.ClientIP).
func (m *Manager) RecordLogin(ctx context.Context, u *User, r *http.Request) error {
	now := m.cfg.Now()
	ip := ""
	if a := m.clientIP(r); a.IsValid() {
		ip = a.String()
	}
	if lr, ok := m.cfg.Users.(LoginRecorder); ok {
		if err := lr.RecordLogin(ctx, u.ID, now, ip); err != nil {
			return fmt.Errorf("gatehouse: record login: %w", err)
		}
	} else {
		fresh, err := m.cfg.Users.UserByID(ctx, u.ID)
		if err != nil {
			return fmt.Errorf("gatehouse: record login: %w", err)
		}
		trackLogin(fresh, now, ip)
		if err := m.cfg.Users.UpdateUser(ctx, fresh); err != nil {
			return fmt.Errorf("gatehouse: record login: %w", err)
		}
	}
	trackLogin(u, now, ip)
	return nil
}

// trackLogin applies one login to u's tracking fields.
func trackLogin(u *User, at time.Time, ip string) {
	u.LastLoginAt, u.LastLoginIP = u.CurrentLoginAt, u.CurrentLoginIP
	if u.LastLoginAt.IsZero() {
		u.LastLoginAt = at
	}
	if u.LastLoginIP == "" {
		u.LastLoginIP = ip
	}
	u.CurrentLoginAt, u.CurrentLoginIP = at, ip
	u.LoginCount++
}
