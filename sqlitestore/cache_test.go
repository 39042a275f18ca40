package sqlitestore_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/sqlitestore"
)

// Two *sql.DB on one file stand for two server processes: a change made
// through either, or by plain SQL, shows on the other's next UserByID,
// though it had the user cached.
func TestUserCacheSeesOtherProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	open := func() *sqlitestore.Store {
		db, err := sql.Open("sqlite", sqlitestore.DSN(path))
		if err != nil {
			t.Fatal(err)
		}
		s := sqlitestore.New(db)
		t.Cleanup(func() { s.Close(); db.Close() })
		if err := s.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b := open(), open()
	ctx := context.Background()
	now := time.Now()
	u := &gatehouse.User{Email: "ada@example.com", Active: true, SecurityStamp: "s1", Roles: []string{"admin"}, CreatedAt: now, UpdatedAt: now}
	if err := a.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	for range 3 { // cached on both sides
		a.UserByID(ctx, u.ID)
		b.UserByID(ctx, u.ID)
	}
	// Process B deactivates, rotates the stamp and drops the role.
	off, stamp := false, "s2"
	if err := b.UpdateUser(ctx, u.ID, gatehouse.UserChange{Active: &off, SecurityStamp: &stamp, RemoveRoles: []string{"admin"}, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	got, err := a.UserByID(ctx, u.ID)
	if err != nil || got.Active || got.SecurityStamp != "s2" || len(got.Roles) != 0 {
		t.Fatalf("process A still sees the old user: %+v, %v", got, err)
	}
	// A role added, then a plain SQL change.
	b.UpdateUser(ctx, u.ID, gatehouse.UserChange{AddRoles: []string{"editor"}, UpdatedAt: now})
	if got, _ := a.UserByID(ctx, u.ID); !got.HasRole("editor") {
		t.Errorf("role added elsewhere not seen: %v", got.Roles)
	}
	if _, err := b.DB().ExecContext(ctx, "UPDATE gatehouse_users SET active = 1 WHERE id = ?", u.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := a.UserByID(ctx, u.ID); !got.Active {
		t.Error("plain SQL change not seen")
	}
	// Returned users are copies.
	got, _ = a.UserByID(ctx, u.ID)
	got.Roles = append(got.Roles, "hacker")
	got.Email = "x"
	if again, _ := a.UserByID(ctx, u.ID); again.Email != "ada@example.com" || again.HasRole("hacker") {
		t.Errorf("the cache handed out shared memory: %+v", again)
	}
}

// The cache stays off where it could not be right: an in-memory database,
// or a pool too small to spare it a connection.
func TestUserCacheOffWhereUnsafe(t *testing.T) {
	ctx := context.Background()
	db, _ := sql.Open("sqlite", "file::memory:?cache=shared&_pragma=busy_timeout(5000)")
	defer db.Close()
	db.SetMaxOpenConns(1)
	s := sqlitestore.New(db)
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	u := &gatehouse.User{Email: "ada@example.com", Active: true, SecurityStamp: "s", CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := s.UserByID(ctx, u.ID); err != nil {
			t.Fatal(err) // with one connection, a cache holding it would deadlock
		}
	}
}
