package admin_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/admin"
	"github.com/gatehouse-auth/gatehouse/internal/testutil"
	"github.com/gatehouse-auth/gatehouse/memstore"
)

func newAdmin(t *testing.T, change func(c *gatehouse.Config)) (*gatehouse.Manager, *admin.Admin, *memstore.Store) {
	t.Helper()
	store := memstore.New()
	cfg := gatehouse.Config{
		Users: store, Tokens: store, Roles: store, Sessions: store, Hasher: testutil.FastHasher,
		SecretKeys: [][]byte{testutil.Key("admin test")},
		Logger:     slog.New(slog.DiscardHandler),
		Now:        testutil.NewClock().Now,
	}
	if change != nil {
		change(&cfg)
	}
	m, err := gatehouse.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m, admin.New(m), store
}

func TestRolesActiveListDelete(t *testing.T) {
	t.Parallel()
	m, a, store := newAdmin(t, nil)
	ctx := context.Background()
	u := &gatehouse.User{Email: "grace@example.com", Username: "grace", Active: true}
	if err := m.CreateUser(ctx, u, "a fine password 1"); err != nil {
		t.Fatal(err)
	}

	// Roles need to exist in the catalog; permissions come through them.
	if err := a.AddRole(ctx, u, "admin"); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("AddRole(unknown role) = %v", err)
	}
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if _, err := a.FindOrCreateRole(ctx, "admin", "Admins"); err != nil {
				t.Errorf("FindOrCreateRole = %v", err)
			}
		})
	}
	wg.Wait()
	a.AddPermissions(ctx, "admin", "users:write", "users:read", "users:read")
	a.FindOrCreateRole(ctx, "editor", "")
	a.AddPermissions(ctx, "editor", "posts:write", "users:read")
	if err := a.AddRole(ctx, u, "admin"); err != nil {
		t.Fatal(err)
	}
	a.AddRole(ctx, u, "editor")
	perms, err := a.Permissions(ctx, u)
	if want := []string{"posts:write", "users:read", "users:write"}; err != nil || !slices.Equal(perms, want) {
		t.Errorf("Permissions = %v, %v; want %v", perms, err, want)
	}
	a.RemovePermissions(ctx, "admin", "users:write")
	a.RemoveRole(ctx, u, "editor")
	if perms, _ := a.Permissions(ctx, u); !slices.Equal(perms, []string{"users:read"}) {
		t.Errorf("after removals Permissions = %v", perms)
	}
	stored, _ := store.UserByID(ctx, u.ID)
	if !slices.Equal(stored.Roles, []string{"admin"}) || !slices.Equal(u.Roles, stored.Roles) {
		t.Errorf("stored roles %v, the caller's %v", stored.Roles, u.Roles)
	}
	if roles, err := a.Roles(ctx); err != nil || len(roles) != 2 || roles[0].Name != "admin" {
		t.Errorf("Roles = %v, %v", roles, err)
	}
	if err := a.CreateRole(ctx, &gatehouse.Role{Name: " \x00 "}); !errors.Is(err, gatehouse.ErrBadRequest) {
		t.Errorf("CreateRole(control characters) = %v", err)
	}

	// Deactivation rotates the stamp; toggling back keeps it.
	stamp := stored.SecurityStamp
	if err := a.SetActive(ctx, stored, false); err != nil {
		t.Fatal(err)
	}
	if stored.SecurityStamp == stamp || stored.Active {
		t.Error("deactivation did not rotate the SecurityStamp")
	}
	stamp = stored.SecurityStamp
	a.ToggleActive(ctx, stored)
	if again, _ := store.UserByID(ctx, u.ID); !again.Active || again.SecurityStamp != stamp {
		t.Errorf("ToggleActive: active %v, stamp kept %v", again.Active, again.SecurityStamp == stamp)
	}

	users, err := a.ListUsers(ctx, admin.Filter{Role: "admin"})
	if err != nil || len(users) != 1 {
		t.Errorf("ListUsers(admin) = %v, %v", users, err)
	}
	if err := a.DeleteUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := m.FindUser(ctx, "grace"); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("FindUser after delete = %v", err)
	}
}

// A store with only the four UserStore methods gets roles through
// UpdateUser; what it cannot do is ErrUnsupported.
type plainUsers struct{ gatehouse.UserStore }

func TestWithoutOptionalInterfaces(t *testing.T) {
	t.Parallel()
	var store *memstore.Store
	m, a, _ := newAdmin(t, func(c *gatehouse.Config) {
		store = c.Users.(*memstore.Store)
		c.Users, c.Roles, c.Sessions = plainUsers{store}, nil, nil
	})
	ctx := context.Background()
	u := &gatehouse.User{Email: "ada@example.com", Active: true}
	if err := m.CreateUser(ctx, u, ""); err != nil {
		t.Fatal(err)
	}
	if err := a.AddRole(ctx, u, "auditor"); err != nil {
		t.Fatal(err)
	}
	if got, _ := store.UserByID(ctx, u.ID); !got.HasRole("auditor") {
		t.Errorf("got %+v", got)
	}
	for name, err := range map[string]error{
		"ListUsers":     func() error { _, err := a.ListUsers(ctx, admin.Filter{}); return err }(),
		"DeleteUser":    a.DeleteUser(ctx, u.ID),
		"Roles":         func() error { _, err := a.Roles(ctx); return err }(),
		"UserSessions":  func() error { _, err := a.UserSessions(ctx, u); return err }(),
		"RevokeSession": a.RevokeSession(ctx, u, "x"),
	} {
		if !errors.Is(err, admin.ErrUnsupported) {
			t.Errorf("%s = %v, want ErrUnsupported", name, err)
		}
	}
}

// A user's server-side sessions can be listed and ended one by one; a
// session of another user cannot be ended through this one.
func TestUserSessions(t *testing.T) {
	t.Parallel()
	m, a, store := newAdmin(t, nil)
	ctx := context.Background()
	ada := &gatehouse.User{Email: "ada@example.com", Active: true}
	bob := &gatehouse.User{Email: "bob@example.com", Active: true}
	for _, u := range []*gatehouse.User{ada, bob} {
		if err := m.CreateUser(ctx, u, ""); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) // the test clock's
	for _, s := range []*gatehouse.Session{
		{ID: "ada-1", UserID: ada.ID, Data: []byte("x"), CreatedAt: now.Add(-time.Hour), ExpiresAt: now.Add(time.Hour)},
		{ID: "ada-2", UserID: ada.ID, Data: []byte("x"), CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
		{ID: "ada-old", UserID: ada.ID, Data: []byte("x"), CreatedAt: now.Add(-3 * time.Hour), ExpiresAt: now.Add(-time.Hour)},
		{ID: "bob-1", UserID: bob.ID, Data: []byte("x"), CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
	} {
		if err := store.SaveSession(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	list, err := a.UserSessions(ctx, ada)
	if err != nil || len(list) != 2 || list[0].ID != "ada-2" || list[1].ID != "ada-1" {
		t.Fatalf("UserSessions = %v, %v; want ada-2, ada-1 (not the expired one)", list, err)
	}
	if err := a.RevokeSession(ctx, ada, "bob-1"); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("revoking another user's session = %v, want ErrNotFound", err)
	}
	if err := a.RevokeSession(ctx, ada, "ada-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Session(ctx, "ada-1"); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("revoked session still there: %v", err)
	}
	if _, err := store.Session(ctx, "bob-1"); err != nil {
		t.Errorf("bob's session went: %v", err)
	}
}

// FindUser is Flask-Security's find_user(**kwargs): the first user a
// filter selects, by a custom field or a username, or ErrNotFound.
func TestFindUser(t *testing.T) {
	t.Parallel()
	m, a, _ := newAdmin(t, nil)
	ctx := context.Background()
	for i, name := range []string{"ada", "grace", "edsger"} {
		u := &gatehouse.User{Email: name + "@example.com", Username: name, Active: true,
			Fields: map[string]string{"first_name": name, "team": []string{"compilers", "languages"}[i%2]}}
		if err := m.CreateUser(ctx, u, "a fine password 1"); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		f    admin.Filter
		want string // email; "" for ErrNotFound
	}{
		{admin.Filter{Fields: map[string]string{"first_name": "grace"}}, "grace@example.com"},
		{admin.Filter{Fields: map[string]string{"team": "compilers"}}, "ada@example.com"}, // the first by ID
		{admin.Filter{Fields: map[string]string{"team": "compilers", "first_name": "edsger"}}, "edsger@example.com"},
		{admin.Filter{Username: "GRACE"}, "grace@example.com"},
		{admin.Filter{Username: "gra"}, ""},
		{admin.Filter{Fields: map[string]string{"first_name": "Grace"}}, ""},
		{admin.Filter{Fields: map[string]string{"first_name": "grace"}, Limit: 5, Offset: 9}, "grace@example.com"},
	}
	for _, tt := range tests {
		u, err := a.FindUser(ctx, tt.f)
		switch {
		case tt.want == "" && !errors.Is(err, gatehouse.ErrNotFound):
			t.Errorf("FindUser(%+v) = %v, %v; want ErrNotFound", tt.f, u, err)
		case tt.want != "" && (err != nil || u.Email != tt.want):
			t.Errorf("FindUser(%+v) = %v, %v; want %s", tt.f, u, err, tt.want)
		}
	}
	if _, err := a.FindUser(ctx, admin.Filter{Fields: map[string]string{"fields.$ne": ""}}); err == nil || errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("FindUser(bad field name) = %v; want a refusal", err)
	}
}
