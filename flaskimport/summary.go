package flaskimport

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// Action is what an import did, or in a dry run would do, with one user
// or role.
type Action string

// The actions.
const (
	// Created: it was not in Gatehouse and was added.
	Created Action = "created"
	// Updated: it was in Gatehouse and differed; Changes lists how.
	Updated Action = "updated"
	// Unchanged: it was in Gatehouse as in the source.
	Unchanged Action = "unchanged"
	// Skipped: it cannot be imported; Reason says why.
	Skipped Action = "skipped"
)

// UserResult is what became of one row of the source's user table.
type UserResult struct {
	// SourceID is the row's ID in the source.
	SourceID string
	// Email is the address as Gatehouse keeps it (normalised), or as the
	// source has it when it is not a valid address.
	Email  string
	Action Action
	// ID is the user's Gatehouse ID: the source's when it was free, else
	// one the store assigned. Empty for a user skipped, or one a dry run
	// would create under an ID the store picks.
	ID string
	// Changes lists what an update wrote, or a dry run would write:
	// "password hash", "roles +admin -viewer", ...; for a created user,
	// why it did not keep its source ID, if it did not.
	Changes []string
	// Reason says why the row was skipped.
	Reason string
	// TrackingDiffers is set for a user already in Gatehouse whose login
	// tracking (last and current login time and IP, login count) differs
	// from the source's. UserStore.UpdateUser cannot set those fields, so
	// they are left as they are.
	TrackingDiffers bool
}

// RoleResult is what became of one row of the source's role table.
type RoleResult struct {
	Name    string
	Action  Action
	Changes []string
	Reason  string
}

// Collision is a set of source rows that Gatehouse cannot tell apart: their
// email addresses are one after normalisation (Unicode NFKC, IDNA domain,
// case-insensitive comparison), or their usernames differ only in case. None
// of them is imported: neither overwrites the other. Merge or rename them in
// the source and import again.
type Collision struct {
	// Field is "email" or "username".
	Field string
	// Value is the value they share, as Gatehouse compares it (lower case).
	Value string
	// SourceIDs are the rows' IDs; Spellings their values as the source
	// has them, in the same order.
	SourceIDs []string
	Spellings []string
}

// Summary reports an import.
type Summary struct {
	// DryRun is set when nothing was written.
	DryRun bool
	// Atomic is set when every write went into one transaction of the
	// destination (it is a gatehouse.Transactor, and the role store is the
	// user store), so a failure wrote nothing.
	Atomic bool
	// Users has one entry per row of the source's user table, in source ID
	// order; Roles one per row of its role table.
	Users []UserResult
	Roles []RoleResult
	// Collisions lists the rows skipped because Gatehouse cannot tell them
	// apart.
	Collisions []Collision
	// PasswordSchemes counts the source's password hashes by scheme, as
	// package password names them ("bcrypt", "argon2", "pbkdf2_sha512",
	// ...; "none" for users without a password, "unknown" for values no
	// scheme of password.Migration reads). Configure Gatehouse's hasher to
	// verify every scheme listed.
	PasswordSchemes map[string]int
	// Notes are things worth knowing that are not per row: columns the
	// source lacks, users with two-factor authentication, tracking left
	// as it was.
	Notes []string
}

// UserCount returns how many users had action a.
func (s *Summary) UserCount(a Action) int {
	n := 0
	for _, u := range s.Users {
		if u.Action == a {
			n++
		}
	}
	return n
}

// RoleCount returns how many roles had action a.
func (s *Summary) RoleCount(a Action) int {
	n := 0
	for _, r := range s.Roles {
		if r.Action == a {
			n++
		}
	}
	return n
}

// Changes returns how many users and roles were created or updated (or, in
// a dry run, would be): 0 when Gatehouse already matched the source.
func (s *Summary) Changes() int {
	return s.UserCount(Created) + s.UserCount(Updated) + s.RoleCount(Created) + s.RoleCount(Updated)
}

// WriteTo writes s as the CLI prints it: totals, then a line per role and
// user that was created, updated or skipped, then collisions and notes.
// Unchanged rows are counted, not listed.
func (s *Summary) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	if s.DryRun {
		p("dry run: nothing was written\n")
	}
	p("roles: %d created, %d updated, %d unchanged, %d skipped\n",
		s.RoleCount(Created), s.RoleCount(Updated), s.RoleCount(Unchanged), s.RoleCount(Skipped))
	p("users: %d created, %d updated, %d unchanged, %d skipped\n",
		s.UserCount(Created), s.UserCount(Updated), s.UserCount(Unchanged), s.UserCount(Skipped))
	if len(s.PasswordSchemes) > 0 {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(s.PasswordSchemes)) {
			parts = append(parts, fmt.Sprintf("%s %d", k, s.PasswordSchemes[k]))
		}
		p("password hashes: %s\n", strings.Join(parts, ", "))
	}
	for _, r := range s.Roles {
		switch r.Action {
		case Created:
			p("role %s: created\n", r.Name)
		case Updated:
			p("role %s: updated (%s)\n", r.Name, strings.Join(r.Changes, ", "))
		case Skipped:
			p("role %q: skipped: %s\n", r.Name, r.Reason)
		}
	}
	for _, u := range s.Users {
		switch u.Action {
		case Created:
			id := u.ID
			if id == "" {
				id = "assigned by the store"
			}
			if len(u.Changes) > 0 {
				id += "; " + strings.Join(u.Changes, "; ")
			}
			p("user %s: created (id %s)\n", u.Email, id)
		case Updated:
			p("user %s: updated (%s)\n", u.Email, strings.Join(u.Changes, ", "))
		case Skipped:
			p("user %q (source id %s): skipped: %s\n", u.Email, u.SourceID, u.Reason)
		}
	}
	for _, c := range s.Collisions {
		var rows []string
		for i, id := range c.SourceIDs {
			rows = append(rows, fmt.Sprintf("%q (source id %s)", c.Spellings[i], id))
		}
		p("collision: %s %s: %s are one to Gatehouse; none was imported\n", c.Field, c.Value, strings.Join(rows, ", "))
	}
	for _, n := range s.Notes {
		p("note: %s\n", n)
	}
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}
