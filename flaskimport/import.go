package flaskimport

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/password"
)

// Config configures an [Import].
type Config struct {
	// Source is the Flask-Security database, SQLite or PostgreSQL, opened
	// with the driver of the caller's choice. It is only read, in one
	// read-only transaction. Required.
	Source *sql.DB
	// Map names the source's tables and columns. Default: Flask-Security's
	// names.
	Map Mapping
	// Users receives the users. Required. If it is a [gatehouse.Transactor]
	// (the SQL stores are), the whole import runs in one of its
	// transactions: all or nothing.
	Users gatehouse.UserStore
	// Roles receives the role catalog. Default: Users, if it is a
	// [gatehouse.RoleStore] (the SQL stores and memstore are); without a
	// role store Import refuses to run, as permissions would be lost.
	Roles gatehouse.RoleStore
	// DryRun computes and reports everything as a real import would, and
	// writes nothing.
	DryRun bool
	// Now is the clock, for CreatedAt and UpdatedAt. Default: time.Now.
	Now func() time.Time
}

// Import copies the users and roles of a Flask-Security database into
// Gatehouse stores, and reports what it did.
//
// Users are matched by email address, normalised as Gatehouse does
// ([gatehouse.ValidateEmail]) and compared case-insensitively, as the
// stores compare them. A user not in Gatehouse is created with everything
// the source has: password hash as is (never rehashed: configure the
// Manager's hasher to verify it, and it is rehashed at the user's next
// login), fs_uniquifier as SecurityStamp, active, confirmed_at, username,
// login tracking, create_datetime as CreatedAt, its roles, and the source's
// integer ID when no Gatehouse user has it. A user already in Gatehouse is
// updated where it differs, through [gatehouse.UserChange]: email spelling,
// username, password hash, active, confirmed_at, security stamp, and roles
// (roles the user has in Gatehouse but not in the source are taken away
// only if the source's catalog has them, so roles given in Gatehouse
// alone stay). Login tracking cannot be set by UpdateUser, so an existing
// user's is left as it is ([UserResult.TrackingDiffers] says where it
// differs). Roles are created, or updated where their description or
// permissions differ; roles in Gatehouse that the source lacks are left.
//
// So importing again updates what changed in the source and nothing else,
// and importing an unchanged source changes nothing ([Summary.Changes] is
// 0). Rows that cannot be imported are skipped and reported: an invalid
// address, a username another Gatehouse user has, and rows that
// collide (see [Collision]). Importing again after users have started to
// use Gatehouse makes the source win for what it copies: a password changed
// in Gatehouse since is set back. Import for the last time before traffic
// moves to Gatehouse, with the Flask app stopped.
//
// On error nothing is written if the destination is a Transactor, and
// the summary is nil.
func Import(ctx context.Context, cfg Config) (*Summary, error) {
	if cfg.Source == nil {
		return nil, errors.New("flaskimport: no source database (Config.Source)")
	}
	if cfg.Users == nil {
		return nil, errors.New("flaskimport: no user store (Config.Users)")
	}
	rolesFromUsers := false
	if cfg.Roles == nil {
		rs, ok := cfg.Users.(gatehouse.RoleStore)
		if !ok {
			return nil, errors.New("flaskimport: no role store: set Config.Roles (the user store is not a gatehouse.RoleStore)")
		}
		cfg.Roles, rolesFromUsers = rs, true
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	src, err := readSource(ctx, cfg.Source, cfg.Map)
	if err != nil {
		return nil, err
	}
	im := &importer{cfg: cfg, src: src, now: cfg.Now().UTC()}
	tx, ok := cfg.Users.(gatehouse.Transactor)
	if cfg.DryRun || !ok {
		return im.run(ctx)
	}
	var s *Summary
	err = tx.InTx(ctx, func(ctx context.Context) error {
		var err error
		s, err = im.run(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.Atomic = rolesFromUsers || sameStore(cfg.Users, cfg.Roles)
	return s, nil
}

// sameStore reports whether a and b are one store. A store type that
// cannot be compared is taken as two.
func sameStore(a, b any) (same bool) {
	defer func() {
		if recover() != nil {
			same = false
		}
	}()
	return a == b
}

type importer struct {
	cfg Config
	src *source
	now time.Time
}

// userPlan is the write one source user needs: a create or an update.
type userPlan struct {
	res    int // index in Summary.Users
	create *gatehouse.User
	keepID bool // create under the source's ID
	id     string
	change gatehouse.UserChange
}

// rolePlan is the write one source role needs.
type rolePlan struct {
	create bool
	role   *gatehouse.Role
}

// run plans every write, then makes them unless this is a dry run. All
// store calls use ctx, so within InTx they are one transaction.
func (im *importer) run(ctx context.Context) (*Summary, error) {
	s := &Summary{DryRun: im.cfg.DryRun, PasswordSchemes: map[string]int{}, Notes: slices.Clone(im.src.notes)}
	roles, catalog, err := im.planRoles(ctx, s)
	if err != nil {
		return nil, err
	}
	users, err := im.planUsers(ctx, s, catalog)
	if err != nil {
		return nil, err
	}
	if im.cfg.DryRun {
		return s, nil
	}
	for _, p := range roles {
		if p.create {
			err = im.cfg.Roles.CreateRole(ctx, p.role)
		} else {
			err = im.cfg.Roles.UpdateRole(ctx, p.role)
		}
		if err != nil {
			return nil, fmt.Errorf("flaskimport: role %q: %w", p.role.Name, err)
		}
	}
	// Users that keep their source ID first, so an ID the store assigns
	// to another can never be one of theirs.
	slices.SortStableFunc(users, func(a, b userPlan) int {
		switch {
		case a.keepID == b.keepID:
			return 0
		case a.keepID:
			return -1
		}
		return 1
	})
	for _, p := range users {
		r := &s.Users[p.res]
		if p.create != nil {
			if err := im.cfg.Users.CreateUser(ctx, p.create); err != nil {
				return nil, fmt.Errorf("flaskimport: create user %s (source id %s): %w", r.Email, r.SourceID, err)
			}
			r.ID = p.create.ID
			continue
		}
		if err := im.cfg.Users.UpdateUser(ctx, p.id, p.change); err != nil {
			return nil, fmt.Errorf("flaskimport: update user %s (source id %s): %w", r.Email, r.SourceID, err)
		}
	}
	return s, nil
}

// planRoles compares the source's roles with the destination's catalog.
// It returns the writes needed and the source's role names by source ID
// (valid roles only).
func (im *importer) planRoles(ctx context.Context, s *Summary) ([]rolePlan, map[string]string, error) {
	var plans []rolePlan
	names := map[string]string{}
	seen := map[string]string{}
	for _, sr := range im.src.roles {
		name := strings.TrimSpace(sr.name)
		res := RoleResult{Name: name}
		perms := normalizePermissions(sr.permissions)
		if why := checkRoleName(name); why != "" {
			res.Name, res.Action, res.Reason = sr.name, Skipped, why
		} else if other, dup := seen[name]; dup {
			res.Action, res.Reason = Skipped, fmt.Sprintf("source role id %s has the same name", other)
		} else {
			seen[name], names[sr.id] = sr.id, name
			have, err := im.cfg.Roles.Role(ctx, name)
			switch {
			case errors.Is(err, gatehouse.ErrNotFound):
				res.Action = Created
				plans = append(plans, rolePlan{create: true, role: &gatehouse.Role{
					Name: name, Description: sr.description, Permissions: perms, CreatedAt: im.now, UpdatedAt: im.now}})
			case err != nil:
				return nil, nil, fmt.Errorf("flaskimport: role %q: %w", name, err)
			default:
				if have.Description != sr.description {
					res.Changes = append(res.Changes, "description")
				}
				if d := diff("permissions", normalizePermissions(have.Permissions), perms); d != "" {
					res.Changes = append(res.Changes, d)
				}
				res.Action = Unchanged
				if len(res.Changes) > 0 {
					res.Action = Updated
					r := *have
					r.Description, r.Permissions, r.UpdatedAt = sr.description, perms, im.now
					plans = append(plans, rolePlan{role: &r})
				}
			}
		}
		s.Roles = append(s.Roles, res)
	}
	return plans, names, nil
}

// candidate is a source user with a valid address, before collisions are
// settled.
type candidate struct {
	su  *srcUser
	res int
}

// planUsers compares the source's users with the destination's.
func (im *importer) planUsers(ctx context.Context, s *Summary, roleNames map[string]string) ([]userPlan, error) {
	schemes := password.Migration(nil).Legacy
	var cands []candidate
	byEmail, byName := map[string][]candidate{}, map[string][]candidate{}
	twoFactor, unreadable := 0, 0
	for i := range im.src.users {
		su := &im.src.users[i]
		scheme := schemeOf(schemes, su.password)
		s.PasswordSchemes[scheme]++
		if scheme == "unknown" {
			unreadable++
		}
		if su.tfMethod != "" {
			twoFactor++
		}
		res := UserResult{SourceID: su.id, Email: su.email}
		email, err := gatehouse.ValidateEmail(su.email)
		if err != nil {
			res.Action, res.Reason = Skipped, strings.TrimPrefix(err.Error(), gatehouse.ErrBadRequest.Error()+": ")
			s.Users = append(s.Users, res)
			continue
		}
		res.Email = email
		s.Users = append(s.Users, res)
		c := candidate{su: su, res: len(s.Users) - 1}
		cands = append(cands, c)
		key := strings.ToLower(email)
		byEmail[key] = append(byEmail[key], c)
		if su.username != "" {
			key := strings.ToLower(su.username)
			byName[key] = append(byName[key], c)
		}
	}
	collide := func(field string, groups map[string][]candidate) {
		keys := make([]string, 0, len(groups))
		for k, g := range groups {
			if len(g) > 1 {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			col := Collision{Field: field, Value: k}
			for _, c := range groups[k] {
				col.SourceIDs = append(col.SourceIDs, c.su.id)
				if field == "email" {
					col.Spellings = append(col.Spellings, c.su.email)
				} else {
					col.Spellings = append(col.Spellings, c.su.username)
				}
			}
			for _, c := range groups[k] {
				r := &s.Users[c.res]
				if r.Action == Skipped {
					continue
				}
				var others []string
				for _, id := range col.SourceIDs {
					if id != c.su.id {
						others = append(others, id)
					}
				}
				r.Action = Skipped
				r.Reason = fmt.Sprintf("its %s is the same to Gatehouse as that of source id %s (collision)", field, strings.Join(others, ", "))
			}
			s.Collisions = append(s.Collisions, col)
		}
	}
	collide("email", byEmail)
	collide("username", byName)

	var plans []userPlan
	tracking := 0
	for _, c := range cands {
		r := &s.Users[c.res]
		if r.Action == Skipped {
			continue
		}
		p, err := im.planUser(ctx, c.su, r, roleNames)
		if err != nil {
			return nil, err
		}
		if r.TrackingDiffers {
			tracking++
		}
		if p != nil {
			p.res = c.res
			plans = append(plans, *p)
		}
	}
	if tracking > 0 {
		s.Notes = append(s.Notes, fmt.Sprintf("the login tracking of %s already in Gatehouse differs from the source; "+
			"UserStore.UpdateUser cannot set it, so it was left as it was", nUsers(tracking)))
	}
	if twoFactor > 0 {
		s.Notes = append(s.Notes, fmt.Sprintf("%s had two-factor authentication in Flask-Security (tf_primary_method); "+
			"it is not imported: they log in with their password alone", nUsers(twoFactor)))
	}
	if unreadable > 0 {
		s.Notes = append(s.Notes, fmt.Sprintf("%s: a password value that no scheme of password.Migration reads; "+
			"it was copied as it is, but they cannot log in with it until they reset their password", nUsers(unreadable)))
	}
	return plans, nil
}

// planUser decides what to do with one source user whose address is valid
// and collides with none: r says what, and the plan says how (nil when
// nothing is to be written).
func (im *importer) planUser(ctx context.Context, su *srcUser, r *UserResult, roleNames map[string]string) (*userPlan, error) {
	users, has := im.cfg.Users, im.src.has
	have, err := users.UserByEmail(ctx, r.Email)
	if errors.Is(err, gatehouse.ErrNotFound) {
		have = nil
	} else if err != nil {
		return nil, fmt.Errorf("flaskimport: user %s: %w", r.Email, err)
	}
	if ul, ok := users.(gatehouse.UsernameLookup); ok && su.username != "" {
		other, err := ul.UserByUsername(ctx, su.username)
		switch {
		case errors.Is(err, gatehouse.ErrNotFound):
		case err != nil:
			return nil, fmt.Errorf("flaskimport: user %s: %w", r.Email, err)
		case have == nil || other.ID != have.ID:
			r.Action = Skipped
			r.Reason = fmt.Sprintf("username %q belongs to another Gatehouse user (id %s)", su.username, other.ID)
			return nil, nil
		}
	}
	var roles []string
	for _, id := range su.roleIDs {
		if name, ok := roleNames[id]; ok && !slices.Contains(roles, name) {
			roles = append(roles, name)
		}
	}
	slices.Sort(roles)

	if have == nil {
		u := &gatehouse.User{
			Email: r.Email, Username: su.username, PasswordHash: su.password, Active: su.active,
			ConfirmedAt: su.confirmed, Roles: roles, SecurityStamp: su.stamp,
			LastLoginAt: su.lastAt, CurrentLoginAt: su.currentAt, LastLoginIP: su.lastIP, CurrentLoginIP: su.currentIP,
			LoginCount: su.loginCount, CreatedAt: su.createdAt, UpdatedAt: im.now,
		}
		if u.SecurityStamp == "" {
			u.SecurityStamp = rand.Text()
		}
		if u.CreatedAt.IsZero() {
			u.CreatedAt = im.now
		}
		p := &userPlan{create: u}
		if n, err := strconv.ParseInt(su.id, 10, 64); err == nil && n > 0 {
			_, err := users.UserByID(ctx, su.id)
			switch {
			case errors.Is(err, gatehouse.ErrNotFound):
				u.ID, p.keepID = su.id, true
				r.ID = su.id
			case err != nil:
				return nil, fmt.Errorf("flaskimport: user %s: %w", r.Email, err)
			default:
				r.Changes = append(r.Changes, fmt.Sprintf("Gatehouse ID %s is taken: the store assigns another", su.id))
			}
		}
		r.Action = Created
		return p, nil
	}

	r.ID = have.ID
	c := gatehouse.UserChange{UpdatedAt: im.now}
	note := func(what string) { r.Changes = append(r.Changes, what) }
	if have.Email != r.Email {
		c.Email = &r.Email
		note("email " + have.Email + " -> " + r.Email)
	}
	if has["user.username"] && have.Username != su.username {
		c.Username = &su.username
		note("username")
	}
	if have.PasswordHash != su.password {
		c.PasswordHash = &su.password
		note("password hash")
	}
	if have.Active != su.active {
		c.Active = &su.active
		if su.active {
			note("activated")
		} else {
			note("deactivated")
		}
	}
	if has["user.confirmed_at"] && !sameTime(have.ConfirmedAt, su.confirmed) {
		c.ConfirmedAt = &su.confirmed
		note("confirmed_at")
	}
	if has["user.fs_uniquifier"] && su.stamp != "" && have.SecurityStamp != su.stamp {
		c.SecurityStamp = &su.stamp
		note("security stamp (fs_uniquifier)")
	}
	for _, role := range roles {
		if !slices.Contains(have.Roles, role) {
			c.AddRoles = append(c.AddRoles, role)
		}
	}
	for _, role := range have.Roles {
		if !slices.Contains(roles, role) && isIn(roleNames, role) {
			c.RemoveRoles = append(c.RemoveRoles, role)
		}
	}
	if len(c.AddRoles)+len(c.RemoveRoles) > 0 {
		parts := []string{"roles"}
		for _, a := range c.AddRoles {
			parts = append(parts, "+"+a)
		}
		for _, d := range c.RemoveRoles {
			parts = append(parts, "-"+d)
		}
		note(strings.Join(parts, " "))
	}
	r.TrackingDiffers = has["user.last_login_at"] && !sameTime(have.LastLoginAt, su.lastAt) ||
		has["user.current_login_at"] && !sameTime(have.CurrentLoginAt, su.currentAt) ||
		has["user.last_login_ip"] && have.LastLoginIP != su.lastIP ||
		has["user.current_login_ip"] && have.CurrentLoginIP != su.currentIP ||
		has["user.login_count"] && have.LoginCount != su.loginCount
	if len(r.Changes) == 0 {
		r.Action = Unchanged
		return nil, nil
	}
	r.Action = Updated
	return &userPlan{id: have.ID, change: c}, nil
}

// nUsers says "1 user" or "n users".
func nUsers(n int) string {
	if n == 1 {
		return "1 user"
	}
	return strconv.Itoa(n) + " users"
}

func isIn(m map[string]string, v string) bool {
	for _, x := range m {
		if x == v {
			return true
		}
	}
	return false
}

// sameTime compares at the microsecond, the precision SQL stores keep.
func sameTime(a, b time.Time) bool {
	return a.Truncate(time.Microsecond).Equal(b.Truncate(time.Microsecond))
}

// diff describes how want differs from have as "what +added -removed", or
// "" if they hold the same values.
func diff(what string, have, want []string) string {
	parts := []string{what}
	for _, w := range want {
		if !slices.Contains(have, w) {
			parts = append(parts, "+"+w)
		}
	}
	for _, h := range have {
		if !slices.Contains(want, h) {
			parts = append(parts, "-"+h)
		}
	}
	if len(parts) == 1 {
		return ""
	}
	return strings.Join(parts, " ")
}

// schemeOf names the scheme of a password hash as package password does,
// "none" for no password and "unknown" for a value no scheme reads.
func schemeOf(schemes []password.Scheme, hash string) string {
	if hash == "" {
		return "none"
	}
	for _, s := range schemes {
		if s.Identify(hash) {
			return s.Name()
		}
	}
	return "unknown"
}

// checkRoleName applies Manager.CreateRole's rule: 1 to 80 bytes, no
// control characters. It returns why a name fails, or "".
func checkRoleName(name string) string {
	if name == "" || len(name) > 80 || strings.ContainsFunc(name, unicode.IsControl) {
		return "a role name must be 1 to 80 bytes without control characters"
	}
	return ""
}

// normalizePermissions is what Manager.CreateRole does to permissions:
// trimmed, no empty ones, sorted, each once.
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
