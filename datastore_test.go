package gatehouse_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse-auth/gatehouse"
)

func TestValidateEmail(t *testing.T) {
	t.Parallel()
	good := map[string]string{
		"ada@example.com":            "ada@example.com",
		"  Ada.L+tag@EXAMPLE.Com  ":  "Ada.L+tag@example.com",
		"o'brien@sub.example.co.uk":  "o'brien@sub.example.co.uk",
		"用户@例子.广告":                   "用户@例子.广告",
		"x@xn--bcher-kva.example":    "x@bücher.example",
		"x@BÜCHER.example":           "x@bücher.example",
		"ＡＤＡ@ＥＸＡＭＰＬＥ.com":            "ADA@example.com",
		"a_b-c@my-domain.example.io": "a_b-c@my-domain.example.io",
	}
	for in, want := range good {
		got, err := gatehouse.ValidateEmail(in)
		if err != nil || got != want {
			t.Errorf("ValidateEmail(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{
		"", "plain", "@example.com", "ada@", "ada@localhost", "ada@example..com", "ada@-example.com",
		"ada@example.com-", "a da@example.com", "ada@exa mple.com", "ada\n@example.com", "ada@example.com\r\nBcc: x@y.z",
		".ada@example.com", "ada.@example.com", "a..da@example.com", "ada@example.123", "<ada>@example.com",
		"ada@exam_ple.com", strings.Repeat("a", 65) + "@example.com", "a@" + strings.Repeat("b", 250) + ".com", "ada\xff@example.com",
		"ada@example.com\x00", "ada\u202e@example.com",
	} {
		if _, err := gatehouse.ValidateEmail(bad); !errors.Is(err, gatehouse.ErrBadRequest) {
			t.Errorf("ValidateEmail(%q) = %v, want ErrBadRequest", bad, err)
		}
	}
}

func TestDatastoreOps(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *gatehouse.Config) { c.Roles = nil })
	ctx := context.Background()
	cfg := e.cfg
	cfg.Roles = e.store
	m, err := gatehouse.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	u := &gatehouse.User{Email: "  Grace@Example.COM ", Username: "grace", Active: true}
	if err := m.CreateUser(ctx, u, "a fine password 1"); err != nil {
		t.Fatal(err)
	}
	if u.Email != "Grace@example.com" || u.SecurityStamp == "" || u.PasswordHash == "" || u.CreatedAt.IsZero() {
		t.Errorf("CreateUser left %+v", u)
	}
	if err := m.CreateUser(ctx, &gatehouse.User{Email: "grace@example.com"}, ""); !errors.Is(err, gatehouse.ErrDuplicate) {
		t.Errorf("duplicate CreateUser = %v", err)
	}
	if err := m.CreateUser(ctx, &gatehouse.User{Email: "bogus"}, ""); !errors.Is(err, gatehouse.ErrBadRequest) {
		t.Errorf("bad email CreateUser = %v", err)
	}
	for _, id := range []string{"grace", "GRACE@example.com"} {
		if got, err := m.FindUser(ctx, id); err != nil || got.ID != u.ID {
			t.Errorf("FindUser(%q) = %v, %v", id, got, err)
		}
	}

	// Roles need to exist in the catalog; permissions come through them.
	if err := m.AddRole(ctx, u, "admin"); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("AddRole(unknown role) = %v", err)
	}
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if _, err := m.FindOrCreateRole(ctx, "admin", "Admins"); err != nil {
				t.Errorf("FindOrCreateRole = %v", err)
			}
		})
	}
	wg.Wait()
	m.AddPermissions(ctx, "admin", "users:write", "users:read", "users:read")
	m.FindOrCreateRole(ctx, "editor", "")
	m.AddPermissions(ctx, "editor", "posts:write", "users:read")
	if err := m.AddRole(ctx, u, "admin"); err != nil {
		t.Fatal(err)
	}
	m.AddRole(ctx, u, "editor")
	perms, err := m.Permissions(ctx, u)
	if want := []string{"posts:write", "users:read", "users:write"}; err != nil || !slices.Equal(perms, want) {
		t.Errorf("Permissions = %v, %v; want %v", perms, err, want)
	}
	m.RemovePermissions(ctx, "admin", "users:write")
	m.RemoveRole(ctx, u, "editor")
	if perms, _ := m.Permissions(ctx, u); !slices.Equal(perms, []string{"users:read"}) {
		t.Errorf("after removals Permissions = %v", perms)
	}
	stored, _ := e.store.UserByID(ctx, u.ID)
	if !slices.Equal(stored.Roles, []string{"admin"}) {
		t.Errorf("stored roles %v", stored.Roles)
	}

	// Deactivation rotates the stamp; toggling back keeps it.
	stamp := stored.SecurityStamp
	if err := m.SetActive(ctx, stored, false); err != nil {
		t.Fatal(err)
	}
	if stored.SecurityStamp == stamp {
		t.Error("deactivation did not rotate the SecurityStamp")
	}
	m.ToggleActive(ctx, stored)
	if again, _ := e.store.UserByID(ctx, u.ID); !again.Active {
		t.Error("ToggleActive did not reactivate")
	}

	// Login tracking, with the client IP.
	r := httptest.NewRequest("POST", "/login", nil)
	r.RemoteAddr = "198.51.100.4:5555"
	for range 3 {
		if err := m.RecordLogin(ctx, u, r); err != nil {
			t.Fatal(err)
		}
	}
	if tracked, _ := e.store.UserByID(ctx, u.ID); tracked.LoginCount != 3 || tracked.CurrentLoginIP != "198.51.100.4" || tracked.LastLoginAt.IsZero() {
		t.Errorf("tracking: %+v", tracked)
	}
	if u.LoginCount != 3 {
		t.Errorf("the caller's user was not updated: LoginCount %d", u.LoginCount)
	}

	users, err := m.ListUsers(ctx, gatehouse.UserFilter{Role: "admin"})
	if err != nil || len(users) != 1 {
		t.Errorf("ListUsers(admin) = %v, %v", users, err)
	}
	if err := m.DeleteUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := m.FindUser(ctx, "grace"); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("FindUser after delete = %v", err)
	}
}

// A store with only the four UserStore methods gets roles and tracking
// through UpdateUser; the optional abilities report errors.
type plainUsers struct{ gatehouse.UserStore }

func TestRolesWithoutOptionalInterfaces(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	cfg := e.cfg
	cfg.Users = plainUsers{e.store}
	m, _ := gatehouse.New(cfg)
	ctx := context.Background()
	u, _ := e.store.UserByID(ctx, e.user.ID)
	if err := m.AddRole(ctx, u, "auditor"); err != nil {
		t.Fatal(err)
	}
	if err := m.RecordLogin(ctx, u, httptest.NewRequest("GET", "/", nil)); err != nil {
		t.Fatal(err)
	}
	got, _ := e.store.UserByID(ctx, u.ID)
	if !got.HasRole("auditor") || got.LoginCount != 1 {
		t.Errorf("got %+v", got)
	}
	if _, err := m.ListUsers(ctx, gatehouse.UserFilter{}); err == nil {
		t.Error("ListUsers without a UserLister: want an error")
	}
}
