package gatehouse_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
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

func TestUserOps(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *gatehouse.Config) { c.Trackable = true })
	m := e.m
	ctx := context.Background()
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

	// Login tracking, with the client IP, on every Login.
	for range 3 {
		r := httptest.NewRequest("POST", "/login", nil)
		r.RemoteAddr = "198.51.100.4:5555"
		if err := m.Login(httptest.NewRecorder(), r, u, gatehouse.LoginOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if tracked, _ := e.store.UserByID(ctx, u.ID); tracked.LoginCount != 3 || tracked.CurrentLoginIP != "198.51.100.4" || tracked.LastLoginAt.IsZero() {
		t.Errorf("tracking: %+v", tracked)
	}
	if u.LoginCount != 3 {
		t.Errorf("the caller's user was not updated: LoginCount %d", u.LoginCount)
	}
}

// A store with only the four UserStore methods gets login tracking
// through UpdateUser.
type plainUsers struct{ gatehouse.UserStore }

func TestTrackingWithAPlainStore(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	cfg := e.cfg
	cfg.Users, cfg.Trackable = plainUsers{e.store}, true
	m, err := gatehouse.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	u, _ := e.store.UserByID(ctx, e.user.ID)
	if err := m.Login(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil), u, gatehouse.LoginOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.store.UserByID(ctx, u.ID); got.LoginCount != 1 {
		t.Errorf("got %+v", got)
	}
}
