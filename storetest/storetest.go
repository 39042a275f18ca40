// Package storetest is the conformance suite for gatehouse stores. Every
// store in this module passes it, and a third-party store can prove itself
// the same way:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) storetest.Stores {
//			s := mystore.New(openTestDB(t))
//			return storetest.Stores{Users: s, Tokens: s, Sessions: s, Roles: s, Outbox: s}
//		})
//	}
//
// open is called once per test and must return empty stores. Optional
// capabilities (admin.UserStore and admin.SessionLister, UsernameLookup,
// Sweeper, Transactor) are tested when the store implements them. The race cases
// run a gatehouse.Manager over the stores and change one user from many
// goroutines at once, repeatedly: no change may undo another.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/admin"
	"github.com/gatehouse-auth/gatehouse/mfa"
)

// Stores are the stores under test; nil ones are skipped.
type Stores struct {
	Users    gatehouse.UserStore
	Tokens   gatehouse.TokenStore
	Sessions gatehouse.SessionStore
	Roles    gatehouse.RoleStore
	Outbox   gatehouse.Outbox
	Limiter  gatehouse.Limiter
	Factors  mfa.Store
}

// Run runs every contract against the stores open returns.
func Run(t *testing.T, open func(t *testing.T) Stores) {
	t.Helper()
	tests := []struct {
		name string
		need func(Stores) bool
		run  func(t *testing.T, s Stores)
	}{
		{"UserRoundTrip", needUsers, testUserRoundTrip},
		{"UserNotFound", needUsers, testUserNotFound},
		{"EmailUniqueCaseInsensitive", needUsers, testEmailUnique},
		{"UpdateUser", needUsers, testUpdateUser},
		{"ConcurrentCreateSameEmail", needUsers, testConcurrentCreate},
		{"Username", needUsers, testUsername},
		{"DeleteUser", needUsers, testDeleteUser},
		{"ListUsers", needUsers, testListUsers},
		{"ConcurrentRoleChanges", needUsers, testConcurrentRoles},
		{"RecordLogin", needUsers, testRecordLogin},
		{"Revocations", needUsers, testRevocations},
		{"UserFields", needUsers, testUserFields},
		{"Roles", func(s Stores) bool { return s.Roles != nil }, testRoles},
		{"Tokens", func(s Stores) bool { return s.Tokens != nil && s.Users != nil }, testTokens},
		{"TakeTokenOnce", func(s Stores) bool { return s.Tokens != nil && s.Users != nil }, testTakeTokenOnce},
		{"Sessions", func(s Stores) bool { return s.Sessions != nil }, testSessions},
		{"Outbox", needOutbox, testOutbox},
		{"OutboxLease", needOutbox, testOutboxLease},
		{"OutboxClaimOnce", needOutbox, testOutboxClaimOnce},
		{"Transactor", needTransactor, testTransactor},
		{"Limiter", needLimiter, testLimiter},
		{"LimiterConcurrent", needLimiter, testLimiterConcurrent},
		{"Factors", needFactors, testFactors},
		{"FactorUsedOnce", needFactors, testFactorUsedOnce},
		{"RaceDeactivateVsPasswordChange", needUsers, testRaceDeactivateVsPassword},
		{"RaceRoleRemovalVsLogout", needRoles, testRaceRoleRemovalVsLogout},
		{"RaceParallelLogouts", needUsers, testRaceParallelLogouts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			if !tt.need(s) {
				t.Skip("store not provided")
			}
			tt.run(t, s)
		})
	}
}

func needUsers(s Stores) bool { return s.Users != nil }

// t0 has microsecond precision, as SQL databases keep.
var t0 = time.Date(2026, 4, 5, 6, 7, 8, 123456000, time.UTC)

func newUser(email string) *gatehouse.User {
	return &gatehouse.User{Email: email, PasswordHash: "$argon2id$fake", Active: true,
		SecurityStamp: "stamp-" + email, CreatedAt: t0, UpdatedAt: t0}
}

func mustCreate(t *testing.T, s gatehouse.UserStore, u *gatehouse.User) *gatehouse.User {
	t.Helper()
	if err := s.CreateUser(context.Background(), u); err != nil {
		t.Fatalf("CreateUser(%s) = %v", u.Email, err)
	}
	if u.ID == "" {
		t.Fatalf("CreateUser(%s) assigned no ID", u.Email)
	}
	return u
}

func sameTime(a, b time.Time) bool { return a.Equal(b) || (a.IsZero() && b.IsZero()) }

func compareUsers(t *testing.T, what string, got, want *gatehouse.User) {
	t.Helper()
	g, w := *got, *want
	for _, p := range []struct {
		name string
		a, b time.Time
	}{
		{"ConfirmedAt", g.ConfirmedAt, w.ConfirmedAt}, {"LastLoginAt", g.LastLoginAt, w.LastLoginAt},
		{"CurrentLoginAt", g.CurrentLoginAt, w.CurrentLoginAt}, {"CreatedAt", g.CreatedAt, w.CreatedAt},
		{"UpdatedAt", g.UpdatedAt, w.UpdatedAt},
	} {
		if !sameTime(p.a, p.b) {
			t.Errorf("%s: %s = %v, want %v", what, p.name, p.a, p.b)
		}
	}
	if len(g.RevokedSessions) != len(w.RevokedSessions) {
		t.Errorf("%s: RevokedSessions = %v, want %v", what, g.RevokedSessions, w.RevokedSessions)
	} else {
		for i := range g.RevokedSessions {
			if g.RevokedSessions[i].ID != w.RevokedSessions[i].ID || !g.RevokedSessions[i].Until.Equal(w.RevokedSessions[i].Until) {
				t.Errorf("%s: RevokedSessions[%d] = %v, want %v", what, i, g.RevokedSessions[i], w.RevokedSessions[i])
			}
		}
	}
	gr, wr := slices.Sorted(slices.Values(g.Roles)), slices.Sorted(slices.Values(w.Roles))
	if !slices.Equal(gr, wr) {
		t.Errorf("%s: Roles = %v, want %v", what, g.Roles, w.Roles)
	}
	if g.ID != w.ID || g.Email != w.Email || g.Username != w.Username || g.PasswordHash != w.PasswordHash ||
		g.Active != w.Active || g.SecurityStamp != w.SecurityStamp || g.LastLoginIP != w.LastLoginIP ||
		g.CurrentLoginIP != w.CurrentLoginIP || g.LoginCount != w.LoginCount {
		t.Errorf("%s:\n got %+v\nwant %+v", what, g, w)
	}
}

func testUserRoundTrip(t *testing.T, s Stores) {
	ctx := context.Background()
	u := newUser("Ada.Lovelace@Example.com")
	u.Username = "ada"
	u.ConfirmedAt = t0.Add(time.Hour)
	u.Roles = []string{"editor", "admin"}
	u.LastLoginAt, u.CurrentLoginAt = t0.Add(2*time.Hour), t0.Add(3*time.Hour)
	u.LastLoginIP, u.CurrentLoginIP, u.LoginCount = "192.0.2.1", "2001:db8::1", 7
	mustCreate(t, s.Users, u)
	byID, err := s.Users.UserByID(ctx, u.ID)
	if err != nil {
		t.Fatalf("UserByID = %v", err)
	}
	compareUsers(t, "UserByID", byID, u)
	byEmail, err := s.Users.UserByEmail(ctx, "ada.lovelace@example.com")
	if err != nil {
		t.Fatalf("UserByEmail(lower case) = %v", err)
	}
	compareUsers(t, "UserByEmail", byEmail, u)
	// Returned users are copies: changing one changes nothing stored.
	byID.Roles[0] = "changed"
	again, _ := s.Users.UserByID(ctx, u.ID)
	if slices.Contains(again.Roles, "changed") {
		t.Error("a returned user shares memory with the store")
	}
	// A user with zero times and no roles survives too.
	bare := &gatehouse.User{Email: "bare@example.com", SecurityStamp: "s", CreatedAt: t0, UpdatedAt: t0}
	mustCreate(t, s.Users, bare)
	got, err := s.Users.UserByID(ctx, bare.ID)
	if err != nil {
		t.Fatal(err)
	}
	compareUsers(t, "bare user", got, bare)
}

func testUserNotFound(t *testing.T, s Stores) {
	ctx := context.Background()
	mustCreate(t, s.Users, newUser("someone@example.com"))
	for _, id := range []string{"", "0", "-1", "999999", "abc", "1 OR 1=1", "99999999999999999999999", "１"} {
		if _, err := s.Users.UserByID(ctx, id); !errors.Is(err, gatehouse.ErrNotFound) {
			t.Errorf("UserByID(%q) = %v, want ErrNotFound", id, err)
		}
	}
	if _, err := s.Users.UserByEmail(ctx, "nobody@example.com"); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("UserByEmail(unknown) = %v, want ErrNotFound", err)
	}
	for _, id := range []string{"424242", "junk", ""} {
		if err := s.Users.UpdateUser(ctx, id, gatehouse.UserChange{Active: ptr(true), UpdatedAt: t0}); !errors.Is(err, gatehouse.ErrNotFound) {
			t.Errorf("UpdateUser(%q) = %v, want ErrNotFound", id, err)
		}
	}
}

func testEmailUnique(t *testing.T, s Stores) {
	ctx := context.Background()
	mustCreate(t, s.Users, newUser("dup@example.com"))
	for _, email := range []string{"dup@example.com", "DUP@example.com", "Dup@Example.COM"} {
		if err := s.Users.CreateUser(ctx, newUser(email)); !errors.Is(err, gatehouse.ErrDuplicate) {
			t.Errorf("CreateUser(%q) = %v, want ErrDuplicate", email, err)
		}
	}
	// Unicode case folding too.
	mustCreate(t, s.Users, newUser("ÄNNE@example.com"))
	if err := s.Users.CreateUser(ctx, newUser("änne@example.com")); !errors.Is(err, gatehouse.ErrDuplicate) {
		t.Errorf("CreateUser(änne) after ÄNNE = %v, want ErrDuplicate", err)
	}
	if _, err := s.Users.UserByEmail(ctx, "änne@EXAMPLE.com"); err != nil {
		t.Errorf("UserByEmail(änne) = %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

func testUpdateUser(t *testing.T, s Stores) {
	ctx := context.Background()
	u := mustCreate(t, s.Users, newUser("up@example.com"))
	other := mustCreate(t, s.Users, newUser("other@example.com"))
	t1 := t0.Add(time.Minute)
	change := gatehouse.UserChange{
		Email: ptr("Up2@example.com"), Username: ptr("upper"), PasswordHash: ptr("$new"), Active: ptr(false),
		ConfirmedAt: ptr(t0.Add(time.Hour)), SecurityStamp: ptr("rotated"), AddRoles: []string{"a", "b"}, UpdatedAt: t1,
	}
	if err := s.Users.UpdateUser(ctx, u.ID, change); err != nil {
		t.Fatalf("UpdateUser = %v", err)
	}
	want := u.Clone()
	change.Apply(want)
	got, _ := s.Users.UserByID(ctx, u.ID)
	compareUsers(t, "after update", got, want)
	if _, err := s.Users.UserByEmail(ctx, "up@example.com"); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("old email still finds the user: %v", err)
	}
	// Only what a change sets is written.
	if err := s.Users.UpdateUser(ctx, u.ID, gatehouse.UserChange{RemoveRoles: []string{"a", "never"}, AddRoles: []string{"b", "c"}, UpdatedAt: t1}); err != nil {
		t.Fatal(err)
	}
	want.Roles = []string{"b", "c"}
	got, _ = s.Users.UserByID(ctx, u.ID)
	compareUsers(t, "roles changed", got, want)
	// Taking another user's email is a duplicate, and changes nothing.
	if err := s.Users.UpdateUser(ctx, u.ID, gatehouse.UserChange{Email: ptr("OTHER@example.com"), AddRoles: []string{"z"}, UpdatedAt: t1}); !errors.Is(err, gatehouse.ErrDuplicate) {
		t.Errorf("UpdateUser(taken email) = %v, want ErrDuplicate", err)
	}
	if got, _ := s.Users.UserByEmail(ctx, "other@example.com"); got == nil || got.ID != other.ID {
		t.Errorf("the clash changed the other user: %v", got)
	}
	if got, _ := s.Users.UserByID(ctx, u.ID); got.Email != "Up2@example.com" || !slices.Equal(got.Roles, []string{"b", "c"}) {
		t.Errorf("a failed update was partly applied: %+v", got)
	}
	// A conditional change applies only while its condition holds.
	if err := s.Users.UpdateUser(ctx, u.ID, gatehouse.UserChange{PasswordHash: ptr("$rehash"), IfPasswordHash: ptr("$old"), UpdatedAt: t1}); !errors.Is(err, gatehouse.ErrConflict) {
		t.Errorf("UpdateUser(stale condition) = %v, want ErrConflict", err)
	}
	if err := s.Users.UpdateUser(ctx, u.ID, gatehouse.UserChange{PasswordHash: ptr("$rehash"), IfPasswordHash: ptr("$new"), UpdatedAt: t1}); err != nil {
		t.Errorf("UpdateUser(condition holds) = %v", err)
	}
	if got, _ := s.Users.UserByID(ctx, u.ID); got.PasswordHash != "$rehash" {
		t.Errorf("PasswordHash = %q after the conditional change", got.PasswordHash)
	}
	if err := s.Users.UpdateUser(ctx, "999999", gatehouse.UserChange{PasswordHash: ptr("x"), IfPasswordHash: ptr("y"), UpdatedAt: t1}); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("UpdateUser(absent, conditional) = %v, want ErrNotFound", err)
	}
}

// Revocations are appended one by one, concurrently, and all stand;
// expired ones may go; a new stamp clears them.
func testRevocations(t *testing.T, s Stores) {
	ctx := context.Background()
	u := mustCreate(t, s.Users, newUser("revoke@example.com"))
	var wg sync.WaitGroup
	for i := range 24 {
		wg.Go(func() {
			rev := gatehouse.SessionRevocation{ID: fmt.Sprintf("session-%02d", i), Until: t0.Add(time.Hour)}
			if err := s.Users.UpdateUser(ctx, u.ID, gatehouse.UserChange{RevokeSession: &rev, UpdatedAt: t0}); err != nil {
				t.Errorf("UpdateUser(revoke) = %v", err)
			}
		})
	}
	wg.Wait()
	got, _ := s.Users.UserByID(ctx, u.ID)
	if len(got.RevokedSessions) != 24 {
		t.Fatalf("after 24 concurrent revocations the user has %d", len(got.RevokedSessions))
	}
	for _, r := range got.RevokedSessions {
		if !r.Until.Equal(t0.Add(time.Hour)) || !strings.HasPrefix(r.ID, "session-") {
			t.Errorf("revocation %+v", r)
		}
	}
	// Later, the expired ones may be dropped when another is added.
	later := gatehouse.SessionRevocation{ID: "later", Until: t0.Add(3 * time.Hour)}
	s.Users.UpdateUser(ctx, u.ID, gatehouse.UserChange{RevokeSession: &later, UpdatedAt: t0.Add(2 * time.Hour)})
	got, _ = s.Users.UserByID(ctx, u.ID)
	if !slices.ContainsFunc(got.RevokedSessions, func(r gatehouse.SessionRevocation) bool { return r.ID == "later" }) {
		t.Errorf("the new revocation is missing: %v", got.RevokedSessions)
	}
	s.Users.UpdateUser(ctx, u.ID, gatehouse.UserChange{SecurityStamp: ptr("new stamp"), UpdatedAt: t0.Add(2 * time.Hour)})
	if got, _ = s.Users.UserByID(ctx, u.ID); len(got.RevokedSessions) != 0 || got.SecurityStamp != "new stamp" {
		t.Errorf("after a new stamp: %q %v", got.SecurityStamp, got.RevokedSessions)
	}
}

// 50 concurrent creates of one email: exactly one wins, the rest get
// ErrDuplicate (never another error).
func testConcurrentCreate(t *testing.T, s Stores) {
	var wins, dups atomic.Int32
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			email := "race@example.com"
			if i%2 == 1 {
				email = "RACE@example.com"
			}
			err := s.Users.CreateUser(context.Background(), newUser(email))
			switch {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, gatehouse.ErrDuplicate):
				dups.Add(1)
			default:
				t.Errorf("CreateUser = %v, want nil or ErrDuplicate", err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 || dups.Load() != 49 {
		t.Errorf("%d wins, %d duplicates; want 1 and 49", wins.Load(), dups.Load())
	}
}

func testUsername(t *testing.T, s Stores) {
	ctx := context.Background()
	a := newUser("a@example.com")
	a.Username = "Grace"
	mustCreate(t, s.Users, a)
	// Many users without a username are fine.
	mustCreate(t, s.Users, newUser("b@example.com"))
	mustCreate(t, s.Users, newUser("c@example.com"))
	d := newUser("d@example.com")
	d.Username = "grace"
	if err := s.Users.CreateUser(ctx, d); !errors.Is(err, gatehouse.ErrDuplicate) {
		t.Errorf("CreateUser(username grace after Grace) = %v, want ErrDuplicate", err)
	}
	ul, ok := s.Users.(gatehouse.UsernameLookup)
	if !ok {
		return
	}
	if got, err := ul.UserByUsername(ctx, "GRACE"); err != nil || got.ID != a.ID {
		t.Errorf("UserByUsername(GRACE) = %v, %v", got, err)
	}
	for _, name := range []string{"", "nobody"} {
		if _, err := ul.UserByUsername(ctx, name); !errors.Is(err, gatehouse.ErrNotFound) {
			t.Errorf("UserByUsername(%q) = %v, want ErrNotFound", name, err)
		}
	}
}

func testDeleteUser(t *testing.T, s Stores) {
	ud, ok := s.Users.(admin.UserStore)
	if !ok {
		t.Skip("not an admin.UserStore")
	}
	ctx := context.Background()
	u := newUser("gone@example.com")
	u.Roles = []string{"admin"}
	mustCreate(t, s.Users, u)
	if s.Tokens != nil {
		s.Tokens.CreateToken(ctx, &gatehouse.Token{Kind: "reset", Selector: "sel-gone", VerifierHash: []byte{1}, UserID: u.ID, Stamp: "s", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)})
	}
	if err := ud.DeleteUser(ctx, u.ID); err != nil {
		t.Fatalf("DeleteUser = %v", err)
	}
	if _, err := s.Users.UserByID(ctx, u.ID); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("UserByID(deleted) = %v", err)
	}
	if s.Tokens != nil {
		if _, err := s.Tokens.TakeToken(ctx, "reset", "sel-gone"); !errors.Is(err, gatehouse.ErrNotFound) {
			t.Errorf("token of a deleted user survived: %v", err)
		}
	}
	for _, id := range []string{u.ID, "999999", "junk"} {
		if err := ud.DeleteUser(ctx, id); err != nil {
			t.Errorf("DeleteUser(%q) again = %v, want nil", id, err)
		}
	}
	// The email is free again.
	mustCreate(t, s.Users, newUser("gone@example.com"))
}

func testListUsers(t *testing.T, s Stores) {
	ul, ok := s.Users.(admin.UserStore)
	if !ok {
		t.Skip("not an admin.UserStore")
	}
	ctx := context.Background()
	for i := range 5 {
		u := newUser(fmt.Sprintf("list%d@example.com", i))
		if i%2 == 0 {
			u.Roles = []string{"even"}
		}
		u.Username = fmt.Sprintf("Lister%d", i)
		u.Fields = map[string]string{"team": []string{"red", "blue"}[i%2], "n": strconv.Itoa(i)}
		mustCreate(t, s.Users, u)
	}
	mustCreate(t, s.Users, newUser("odd_one%@other.org"))
	all, err := ul.ListUsers(ctx, admin.Filter{})
	if err != nil || len(all) != 6 {
		t.Fatalf("ListUsers() = %d users, %v; want 6", len(all), err)
	}
	for i := 1; i < len(all); i++ {
		a, _ := strconv.Atoi(all[i-1].ID)
		b, _ := strconv.Atoi(all[i].ID)
		if a != 0 && b != 0 && a >= b {
			t.Errorf("ListUsers not ordered by ID: %s before %s", all[i-1].ID, all[i].ID)
		}
	}
	check := func(f admin.Filter, want int) {
		t.Helper()
		got, err := ul.ListUsers(ctx, f)
		if err != nil || len(got) != want {
			t.Errorf("ListUsers(%+v) = %d users, %v; want %d", f, len(got), err, want)
		}
	}
	check(admin.Filter{Role: "even"}, 3)
	check(admin.Filter{Email: "LIST"}, 5)
	check(admin.Filter{Email: "_one%"}, 1) // LIKE wildcards are literal
	check(admin.Filter{Email: "%"}, 1)
	check(admin.Filter{Limit: 2}, 2)
	check(admin.Filter{Limit: 2, Offset: 5}, 1)
	check(admin.Filter{Offset: 4}, 2)
	check(admin.Filter{Username: "lister3"}, 1)
	check(admin.Filter{Username: "lister"}, 0)
	check(admin.Filter{Fields: map[string]string{"team": "red"}}, 3)
	check(admin.Filter{Fields: map[string]string{"team": "red", "n": "2"}}, 1)
	check(admin.Filter{Fields: map[string]string{"team": "red", "n": "1"}}, 0)
	check(admin.Filter{Fields: map[string]string{"team": "RED"}}, 0)
	check(admin.Filter{Fields: map[string]string{"nope": "red"}}, 0)
	check(admin.Filter{Fields: map[string]string{"team": "blue"}, Role: "even"}, 0)
	got, err := ul.ListUsers(ctx, admin.Filter{Fields: map[string]string{"n": "3"}})
	if err != nil || len(got) != 1 || got[0].Email != "list3@example.com" || got[0].Username != "Lister3" {
		t.Errorf("ListUsers(n=3) = %v, %v", got, err)
	}
}

func testConcurrentRoles(t *testing.T, s Stores) {
	ctx := context.Background()
	u := newUser("roles@example.com")
	u.Roles = []string{"keep", "drop0", "drop1", "drop2", "drop3"}
	mustCreate(t, s.Users, u)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if err := s.Users.UpdateUser(ctx, u.ID, gatehouse.UserChange{AddRoles: []string{fmt.Sprintf("r%02d", i)}, UpdatedAt: t0}); err != nil {
				t.Errorf("UpdateUser(add role) = %v", err)
			}
		})
	}
	for i := range 4 {
		wg.Go(func() {
			if err := s.Users.UpdateUser(ctx, u.ID, gatehouse.UserChange{RemoveRoles: []string{fmt.Sprintf("drop%d", i)}, UpdatedAt: t0}); err != nil {
				t.Errorf("UpdateUser(remove role) = %v", err)
			}
		})
	}
	// Other concerns change at the same time and lose nothing either.
	wg.Go(func() {
		s.Users.UpdateUser(ctx, u.ID, gatehouse.UserChange{PasswordHash: ptr("$concurrent"), SecurityStamp: ptr("s2"), UpdatedAt: t0})
	})
	wg.Go(func() { s.Users.UpdateUser(ctx, u.ID, gatehouse.UserChange{Active: ptr(false), UpdatedAt: t0}) })
	wg.Wait()
	got, _ := s.Users.UserByID(ctx, u.ID)
	want := []string{"keep"}
	for i := range 20 {
		want = append(want, fmt.Sprintf("r%02d", i))
	}
	if !slices.Equal(slices.Sorted(slices.Values(got.Roles)), slices.Sorted(slices.Values(want))) {
		t.Errorf("after concurrent changes Roles = %v, want %v", got.Roles, want)
	}
	if got.PasswordHash != "$concurrent" || got.Active || got.SecurityStamp != "s2" {
		t.Errorf("a concurrent change was lost: hash %q active %v stamp %q", got.PasswordHash, got.Active, got.SecurityStamp)
	}
}

func testRecordLogin(t *testing.T, s Stores) {
	ctx := context.Background()
	u := mustCreate(t, s.Users, newUser("track@example.com"))
	login := func(at time.Time, ip string) error {
		return s.Users.UpdateUser(ctx, u.ID, gatehouse.UserChange{LoginAt: at, LoginIP: ip, UpdatedAt: at})
	}
	if err := login(t0, "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Users.UserByID(ctx, u.ID)
	if got.LoginCount != 1 || !got.CurrentLoginAt.Equal(t0) || !got.LastLoginAt.Equal(t0) || got.CurrentLoginIP != "192.0.2.1" || got.LastLoginIP != "192.0.2.1" {
		t.Errorf("after one login: %+v", got)
	}
	t1 := t0.Add(time.Hour)
	login(t1, "198.51.100.2")
	got, _ = s.Users.UserByID(ctx, u.ID)
	if got.LoginCount != 2 || !got.LastLoginAt.Equal(t0) || !got.CurrentLoginAt.Equal(t1) || got.LastLoginIP != "192.0.2.1" || got.CurrentLoginIP != "198.51.100.2" {
		t.Errorf("after two logins: %+v", got)
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() { login(t1, "203.0.113.3") })
	}
	wg.Wait()
	if got, _ = s.Users.UserByID(ctx, u.ID); got.LoginCount != 22 {
		t.Errorf("after 20 concurrent logins LoginCount = %d, want 22", got.LoginCount)
	}
}

func testRoles(t *testing.T, s Stores) {
	ctx := context.Background()
	admin := &gatehouse.Role{Name: "admin", Description: "Administrators", Permissions: []string{"users:write", "users:read"}, CreatedAt: t0, UpdatedAt: t0}
	if err := s.Roles.CreateRole(ctx, admin); err != nil {
		t.Fatal(err)
	}
	if err := s.Roles.CreateRole(ctx, &gatehouse.Role{Name: "admin", CreatedAt: t0, UpdatedAt: t0}); !errors.Is(err, gatehouse.ErrDuplicate) {
		t.Errorf("CreateRole(dup) = %v, want ErrDuplicate", err)
	}
	s.Roles.CreateRole(ctx, &gatehouse.Role{Name: "editor", CreatedAt: t0, UpdatedAt: t0})
	got, err := s.Roles.Role(ctx, "admin")
	if err != nil || got.Description != "Administrators" || !slices.Equal(got.Permissions, admin.Permissions) || !got.CreatedAt.Equal(t0) {
		t.Errorf("Role(admin) = %+v, %v", got, err)
	}
	if _, err := s.Roles.Role(ctx, "Admin"); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("Role(Admin) = %v: role names are case-sensitive", err)
	}
	all, err := s.Roles.Roles(ctx)
	if err != nil || len(all) != 2 || all[0].Name != "admin" || all[1].Name != "editor" {
		t.Errorf("Roles() = %v, %v", all, err)
	}
	got.Permissions = []string{"posts:write"}
	got.Description = "Admins"
	if err := s.Roles.UpdateRole(ctx, got); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.Roles.Role(ctx, "admin"); again.Description != "Admins" || !slices.Equal(again.Permissions, []string{"posts:write"}) {
		t.Errorf("after UpdateRole: %+v", again)
	}
	if err := s.Roles.UpdateRole(ctx, &gatehouse.Role{Name: "nope"}); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("UpdateRole(absent) = %v, want ErrNotFound", err)
	}
}

func newToken(kind string, sel, userID string, expires time.Time) *gatehouse.Token {
	return &gatehouse.Token{Kind: kind, Selector: sel, VerifierHash: []byte("hash-" + sel), UserID: userID,
		Stamp: "stamp", Email: "t@example.com", Binding: "bind-" + sel, CreatedAt: t0, ExpiresAt: expires}
}

func testTokens(t *testing.T, s Stores) {
	ctx := context.Background()
	u := mustCreate(t, s.Users, newUser("tok@example.com"))
	in := newToken("reset", "sel1", u.ID, t0.Add(time.Hour))
	if err := s.Tokens.CreateToken(ctx, in); err != nil {
		t.Fatal(err)
	}
	if err := s.Tokens.CreateToken(ctx, newToken("reset", "sel1", u.ID, t0)); !errors.Is(err, gatehouse.ErrDuplicate) {
		t.Errorf("CreateToken(same selector) = %v, want ErrDuplicate", err)
	}
	// The same selector under another kind is another token.
	if err := s.Tokens.CreateToken(ctx, newToken("confirm", "sel1", u.ID, t0.Add(time.Hour))); err != nil {
		t.Errorf("CreateToken(other kind) = %v", err)
	}
	if _, err := s.Tokens.TakeToken(ctx, "login", "sel1"); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("TakeToken(wrong kind) = %v, want ErrNotFound", err)
	}
	// Token reads without taking.
	for range 2 {
		peek, err := s.Tokens.Token(ctx, "reset", "sel1")
		if err != nil || peek.UserID != u.ID || string(peek.VerifierHash) != string(in.VerifierHash) || !peek.ExpiresAt.Equal(in.ExpiresAt) ||
			peek.Binding != in.Binding || peek.Email != in.Email || peek.Stamp != in.Stamp {
			t.Fatalf("Token = %+v, %v", peek, err)
		}
	}
	if _, err := s.Tokens.Token(ctx, "login", "sel1"); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("Token(wrong kind) = %v, want ErrNotFound", err)
	}
	got, err := s.Tokens.TakeToken(ctx, "reset", "sel1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Kind != in.Kind || got.Selector != in.Selector || string(got.VerifierHash) != string(in.VerifierHash) ||
		got.UserID != in.UserID || got.Stamp != in.Stamp || got.Email != in.Email || !got.CreatedAt.Equal(in.CreatedAt) || !got.ExpiresAt.Equal(in.ExpiresAt) {
		t.Errorf("TakeToken = %+v, want %+v", got, in)
	}
	if _, err := s.Tokens.TakeToken(ctx, "reset", "sel1"); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("second TakeToken = %v, want ErrNotFound", err)
	}
	// DeleteUserTokens by kind, then all.
	s.Tokens.CreateToken(ctx, newToken("reset", "sel2", u.ID, t0.Add(time.Hour)))
	s.Tokens.CreateToken(ctx, newToken("login", "sel3", u.ID, t0.Add(time.Hour)))
	if err := s.Tokens.DeleteUserTokens(ctx, u.ID, "reset"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Tokens.TakeToken(ctx, "reset", "sel2"); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("reset token survived DeleteUserTokens(reset): %v", err)
	}
	if _, err := s.Tokens.TakeToken(ctx, "login", "sel3"); err != nil {
		t.Errorf("login token lost to DeleteUserTokens(reset): %v", err)
	}
	s.Tokens.CreateToken(ctx, newToken("login", "sel4", u.ID, t0.Add(time.Hour)))
	s.Tokens.DeleteUserTokens(ctx, u.ID)
	for _, k := range []struct {
		kind string
		sel  string
	}{{"confirm", "sel1"}, {"login", "sel4"}} {
		if _, err := s.Tokens.TakeToken(ctx, k.kind, k.sel); !errors.Is(err, gatehouse.ErrNotFound) {
			t.Errorf("token %s survived DeleteUserTokens(all): %v", k.sel, err)
		}
	}
	if err := s.Tokens.DeleteUserTokens(ctx, "999999"); err != nil {
		t.Errorf("DeleteUserTokens(nobody) = %v", err)
	}
	// Expiry is the caller's decision; DeleteExpired only sweeps.
	sweeper, ok := s.Tokens.(gatehouse.Sweeper)
	if !ok {
		return
	}
	s.Tokens.CreateToken(ctx, newToken("login", "old", u.ID, t0.Add(-time.Hour)))
	s.Tokens.CreateToken(ctx, newToken("login", "new", u.ID, t0.Add(time.Hour)))
	n, err := sweeper.DeleteExpired(ctx, t0)
	if err != nil || n != 1 {
		t.Errorf("DeleteExpired = %d, %v; want 1", n, err)
	}
	if _, err := s.Tokens.TakeToken(ctx, "login", "new"); err != nil {
		t.Errorf("unexpired token swept: %v", err)
	}
}

// 100 parallel takes of one token: exactly one gets it.
func testTakeTokenOnce(t *testing.T, s Stores) {
	ctx := context.Background()
	u := mustCreate(t, s.Users, newUser("once@example.com"))
	if err := s.Tokens.CreateToken(ctx, newToken("reset", "only", u.ID, t0.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			_, err := s.Tokens.TakeToken(ctx, "reset", "only")
			switch {
			case err == nil:
				wins.Add(1)
			case !errors.Is(err, gatehouse.ErrNotFound):
				t.Errorf("TakeToken = %v", err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("%d of 100 parallel takes succeeded, want exactly 1", wins.Load())
	}
}

func testSessions(t *testing.T, s Stores) {
	ctx := context.Background()
	in := &gatehouse.Session{ID: "h1", UserID: "7", Data: []byte(`{"i":"x"}`), CreatedAt: t0, UpdatedAt: t0,
		ExpiresAt: t0.Add(time.Hour), IP: "192.0.2.9", UserAgent: "Firefox"}
	if err := s.Sessions.SaveSession(ctx, in); err != nil {
		t.Fatal(err)
	}
	got, err := s.Sessions.Session(ctx, "h1")
	if err != nil || got.UserID != "7" || string(got.Data) != string(in.Data) || !got.ExpiresAt.Equal(in.ExpiresAt) ||
		!got.CreatedAt.Equal(t0) || got.IP != in.IP || got.UserAgent != in.UserAgent {
		t.Fatalf("Session = %+v, %v", got, err)
	}
	in.Data, in.UpdatedAt, in.ExpiresAt = []byte("v2"), t0.Add(time.Minute), t0.Add(2*time.Hour)
	if err := s.Sessions.SaveSession(ctx, in); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Sessions.Session(ctx, "h1"); string(got.Data) != "v2" || !got.ExpiresAt.Equal(in.ExpiresAt) || !got.CreatedAt.Equal(t0) {
		t.Errorf("after replace: %+v", got)
	}
	if _, err := s.Sessions.Session(ctx, "absent"); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("Session(absent) = %v, want ErrNotFound", err)
	}
	s.Sessions.SaveSession(ctx, &gatehouse.Session{ID: "h2", UserID: "7", Data: []byte("x"), CreatedAt: t0.Add(time.Second), UpdatedAt: t0, ExpiresAt: t0.Add(time.Hour)})
	s.Sessions.SaveSession(ctx, &gatehouse.Session{ID: "h3", UserID: "8", Data: []byte("x"), CreatedAt: t0, UpdatedAt: t0, ExpiresAt: t0.Add(time.Hour)})
	s.Sessions.SaveSession(ctx, &gatehouse.Session{ID: "anon", Data: []byte("x"), CreatedAt: t0, UpdatedAt: t0, ExpiresAt: t0.Add(time.Hour)})
	if sl, ok := s.Sessions.(admin.SessionLister); ok {
		list, err := sl.UserSessions(ctx, "7")
		if err != nil || len(list) != 2 || list[0].ID != "h2" || list[1].ID != "h1" {
			t.Errorf("UserSessions(7) = %v, %v; want h2, h1", list, err)
		}
	}
	if err := s.Sessions.DeleteUserSessions(ctx, "7"); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]error{"h1": gatehouse.ErrNotFound, "h2": gatehouse.ErrNotFound, "h3": nil, "anon": nil} {
		if _, err := s.Sessions.Session(ctx, id); !errors.Is(err, want) && !(want == nil && err == nil) {
			t.Errorf("after DeleteUserSessions(7): Session(%s) = %v, want %v", id, err, want)
		}
	}
	if err := s.Sessions.DeleteSession(ctx, "h3"); err != nil {
		t.Fatal(err)
	}
	if err := s.Sessions.DeleteSession(ctx, "h3"); err != nil {
		t.Errorf("DeleteSession(absent) = %v, want nil", err)
	}
	if _, err := s.Sessions.Session(ctx, "h3"); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("Session(deleted) = %v", err)
	}
	// Expired sessions are swept; live ones stay.
	sweeper, ok := s.Sessions.(gatehouse.Sweeper)
	if !ok {
		return
	}
	s.Sessions.SaveSession(ctx, &gatehouse.Session{ID: "old", Data: []byte("x"), CreatedAt: t0.Add(-2 * time.Hour), UpdatedAt: t0, ExpiresAt: t0.Add(-time.Hour)})
	if n, err := sweeper.DeleteExpired(ctx, t0); err != nil || n != 1 {
		t.Errorf("DeleteExpired = %d, %v; want 1 (the expired session)", n, err)
	}
	if _, err := s.Sessions.Session(ctx, "old"); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("expired session survived DeleteExpired: %v", err)
	}
	if _, err := s.Sessions.Session(ctx, "anon"); err != nil {
		t.Errorf("live session swept: %v", err)
	}
}

// User.Fields are kept, set and removed one by one; concurrent changes of
// different fields all stay.
func testUserFields(t *testing.T, s Stores) {
	ctx := context.Background()
	u := newUser("fields@example.com")
	u.Fields = map[string]string{"first_name": "Ada", "company": "Analytical Engines"}
	mustCreate(t, s.Users, u)
	got, err := s.Users.UserByID(ctx, u.ID)
	if err != nil || len(got.Fields) != 2 || got.Fields["first_name"] != "Ada" || got.Fields["company"] != "Analytical Engines" {
		t.Fatalf("fields after create: %v, %v", got.Fields, err)
	}
	err = s.Users.UpdateUser(ctx, u.ID, gatehouse.UserChange{Fields: map[string]string{"first_name": "Augusta", "company": ""}, UpdatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	got, _ = s.Users.UserByID(ctx, u.ID)
	if len(got.Fields) != 1 || got.Fields["first_name"] != "Augusta" {
		t.Errorf("fields after set and remove: %v", got.Fields)
	}
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Go(func() {
			c := gatehouse.UserChange{Fields: map[string]string{fmt.Sprintf("f%02d", i): strconv.Itoa(i)}, UpdatedAt: t0}
			if err := s.Users.UpdateUser(ctx, u.ID, c); err != nil {
				t.Errorf("UpdateUser: %v", err)
			}
		})
	}
	wg.Wait()
	got, _ = s.Users.UserByID(ctx, u.ID)
	if len(got.Fields) != 13 {
		t.Errorf("after 12 concurrent field changes: %d fields, want 13: %v", len(got.Fields), got.Fields)
	}
	// Copies: changing what the store returned changes nothing stored.
	got.Fields["first_name"] = "x"
	if again, _ := s.Users.UserByID(ctx, u.ID); again.Fields["first_name"] != "Augusta" {
		t.Error("the store handed out its own map")
	}
}
