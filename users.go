package gatehouse

import (
	"context"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// CreateUser validates and normalises u.Email, hashes password into
// u.PasswordHash (an empty password keeps u.PasswordHash as it is: none,
// or a hash the caller made with HashPassword), gives u a SecurityStamp if
// it has none, and stores u with its Roles in one step (each must be in
// the role catalog, if there is one). ErrDuplicate (wrapped) if the email
// or username is taken. Called inside InTx, it joins the transaction (hash
// the password before, then).
func (m *Manager) CreateUser(ctx context.Context, u *User, password string) error {
	email, err := ValidateEmail(u.Email)
	if err != nil {
		return err
	}
	u.Email = email
	// Usernames are looked up in NFKC (canonicalIdentity): store them so.
	u.Username = norm.NFKC.String(strings.TrimSpace(u.Username))
	if m.st.roles != nil {
		for _, role := range u.Roles {
			if _, err := m.st.roles.Role(ctx, role); err != nil {
				return fmt.Errorf("gatehouse: role %q: %w", role, err)
			}
		}
	}
	if password != "" {
		if u.PasswordHash, err = m.hash(ctx, password); err != nil {
			return fmt.Errorf("gatehouse: create user: %w", err)
		}
	}
	if u.SecurityStamp == "" {
		u.SecurityStamp = newSecurityStamp()
	}
	now := m.cfg.Now()
	if u.CreatedAt.IsZero() {
		u.CreatedAt = now
	}
	u.UpdatedAt = now
	if err := m.st.users.CreateUser(ctx, u); err != nil {
		return fmt.Errorf("gatehouse: create user: %w", err)
	}
	m.log.LogAttrs(ctx, levelInfo, "gatehouse: user created", attrEvent("user_created"), attrUser(u))
	return nil
}

// FindUser finds a user by an email address, or by a username when the
// store is a [UsernameLookup]. ErrNotFound (wrapped) if nobody matches.
func (m *Manager) FindUser(ctx context.Context, identity string) (*User, error) {
	return m.lookup(ctx, identity, []string{"email", "username"})
}

// EndSessions writes c for u together with a new SecurityStamp, so no
// session, remember cookie, auth token or one-time link made before
// survives it (with a SessionStore, u's server-side sessions are deleted
// too); the request's own session ends with them. c says what else
// changes in the same write: nothing ("log out everywhere"), Active false
// (Flask-Security's deactivate_user), a PasswordHash from HashPassword (a
// password change: see SetPassword), ConfirmedAt (confirming an address,
// when the views let whoever proves the mailbox settle the password).
// Only what c sets is written: a concurrent change of anything else
// stands, and so does this. Hooks.PasswordChanged and Hooks.Confirmed are
// called for such changes. Inside InTx it joins the transaction.
func (m *Manager) EndSessions(ctx context.Context, u *User, c UserChange) error {
	stamp := newSecurityStamp()
	c.SecurityStamp, c.UpdatedAt = &stamp, m.cfg.Now()
	if err := m.st.users.UpdateUser(ctx, u.ID, c); err != nil {
		return fmt.Errorf("gatehouse: end sessions: %w", err)
	}
	confirmed := c.ConfirmedAt != nil && !u.IsConfirmed()
	c.Apply(u)
	if m.st.sessions != nil {
		if err := m.st.sessions.DeleteUserSessions(ctx, u.ID); err != nil {
			return fmt.Errorf("gatehouse: end sessions: %w", err)
		}
	}
	m.log.LogAttrs(ctx, levelInfo, "gatehouse: sessions ended", attrEvent("sessions_ended"), attrUser(u))
	if c.PasswordHash != nil {
		m.unlock(ctx, u) // the old guesses are moot
		m.log.LogAttrs(ctx, levelInfo, "gatehouse: password set", attrEvent("password_set"), attrUser(u))
		if h := m.cfg.Hooks.PasswordChanged; h != nil {
			h(ctx, u)
		}
	}
	if confirmed {
		m.log.LogAttrs(ctx, levelInfo, "gatehouse: email confirmed", attrEvent("confirmed"), attrUser(u))
		if h := m.cfg.Hooks.Confirmed; h != nil {
			h(ctx, u)
		}
	}
	return nil
}

// newSecurityStamp returns a fresh random SecurityStamp.
func newSecurityStamp() string { return randomID(16) }

// ValidateEmail puts an address in the one form gatehouse stores and
// compares, and checks its syntax. The form: spaces trimmed, the whole
// address in Unicode NFKC (a full-width or other compatibility spelling is
// the same address), the domain mapped as IDNA lookups map it (UTS #46:
// lower case, "xn--" labels decoded), so "Ada@BÜCHER.example" and
// "Ada@xn--bcher-kva.example" are both "Ada@bücher.example"; stores then
// compare addresses case-insensitively. The syntax: at most 254 bytes, a
// local part of at most 64, no spaces or control characters, and a domain
// of letter, digit and hyphen labels with at least one dot. It returns the
// address or an error wrapping ErrBadRequest.
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
