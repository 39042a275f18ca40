package pgstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/pgstore"
	"github.com/gatehouse-auth/gatehouse/pgstore/pgxlisten"
)

// instance opens the schema at dsn again, as another server would, with
// its user cache watching.
func instance(t *testing.T, dsn string) *pgstore.Store {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	s := pgstore.New(db)
	watching(t, s, dsn)
	t.Cleanup(func() { db.Close() })
	return s
}

// watching runs s.WatchUsers until the test ends, and waits until it
// listens.
func watching(t *testing.T, s *pgstore.Store, dsn string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.WatchUsers(ctx, pgxlisten.New(dsn)); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	for deadline := time.Now().Add(10 * time.Second); !s.Listening(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the user cache did not start listening")
		}
	}
}

// Two instances on one database: a change through either, or with plain
// SQL, shows on the other once its notification arrives. The delay from
// commit to the other instance seeing it is measured and logged (the
// README's figure); it must stay under the cache's maximum age, the bound
// that holds whatever happens to notifications.
func TestUserCacheAcrossInstances(t *testing.T) {
	a, dsn := openStoreDSN(t)
	watching(t, a, dsn)
	b := instance(t, dsn)
	ctx := context.Background()
	now := time.Now()
	u := &gatehouse.User{Email: "ada@example.com", Active: true, SecurityStamp: "s0", Roles: []string{"admin"}, CreatedAt: now, UpdatedAt: now}
	other := &gatehouse.User{Email: "bob@example.com", Active: true, SecurityStamp: "s", CreatedAt: now, UpdatedAt: now}
	if err := a.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := a.CreateUser(ctx, other); err != nil {
		t.Fatal(err)
	}
	a.UserByID(ctx, other.ID)
	var delays []time.Duration
	for i := range 60 {
		a.UserByID(ctx, u.ID) // cached on A
		stamp := fmt.Sprint("s", i+1)
		if err := b.UpdateUser(ctx, u.ID, gatehouse.UserChange{SecurityStamp: &stamp, UpdatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		committed := time.Now()
		for {
			got, err := a.UserByID(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.SecurityStamp == stamp {
				break
			}
			if time.Since(committed) > 2*time.Second {
				t.Fatalf("change %d not seen on the other instance after %v", i, time.Since(committed))
			}
		}
		delays = append(delays, time.Since(committed))
	}
	slices.Sort(delays)
	t.Logf("commit to other instance: p50 %v, p99 %v, max %v (60 changes)", delays[len(delays)/2], delays[len(delays)*99/100], delays[len(delays)-1])

	// The other user stayed cached through all of it.
	hits := a.CacheHits()
	a.UserByID(ctx, other.ID)
	if a.CacheHits() != hits+1 {
		t.Error("a user nobody changed was read again")
	}
	// Roles, revoked sessions and plain SQL count.
	if err := b.UpdateUser(ctx, u.ID, gatehouse.UserChange{RemoveRoles: []string{"admin"}, UpdatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "role removed elsewhere", func() bool { got, _ := a.UserByID(ctx, u.ID); return !got.HasRole("admin") })
	if _, err := b.DB().ExecContext(ctx, "UPDATE gatehouse_users SET active = false WHERE id = $1", u.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "deactivated with plain SQL", func() bool { got, _ := a.UserByID(ctx, u.ID); return !got.Active })
	if _, err := b.DB().ExecContext(ctx, "INSERT INTO gatehouse_revoked_sessions (user_id, id, until_us) VALUES ($1, 'sid', $2)", u.ID, time.Now().Add(time.Hour).UnixMicro()); err != nil {
		t.Fatal(err)
	}
	eventually(t, "session revoked with plain SQL", func() bool { got, _ := a.UserByID(ctx, u.ID); return len(got.RevokedSessions) == 1 })
}

// eventually polls cond for up to the cache's maximum age.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not seen within the cache's maximum age", what)
		}
	}
}

// The listener's connection dies (the server ends it): until it is back,
// every lookup reads the database, and what changed meanwhile is seen.
func TestUserCacheListenerLost(t *testing.T) {
	a, dsn := openStoreDSN(t)
	watching(t, a, dsn)
	ctx := context.Background()
	now := time.Now()
	u := &gatehouse.User{Email: "ada@example.com", Active: true, SecurityStamp: "s0", CreatedAt: now, UpdatedAt: now}
	if err := a.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	a.UserByID(ctx, u.ID)
	if _, err := a.DB().ExecContext(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the listener's loss noticed", func() bool { return !a.Listening() })
	if _, err := a.DB().ExecContext(ctx, "UPDATE gatehouse_users SET active = false WHERE id = $1", u.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := a.UserByID(ctx, u.ID); got.Active {
		t.Error("a change made while not listening was not read")
	}
	for deadline := time.Now().Add(10 * time.Second); !a.Listening(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the listener did not come back")
		}
	}
	if got, _ := a.UserByID(ctx, u.ID); got.Active {
		t.Error("after reconnecting, the cache had the user from before")
	}
}

// TRUNCATE fires no row trigger; the statement trigger makes every
// instance forget every user.
func TestUserCacheTruncate(t *testing.T) {
	a, dsn := openStoreDSN(t)
	s := a
	watching(t, s, dsn)
	ctx := context.Background()
	u := &gatehouse.User{Email: "ada@example.com", Active: true, SecurityStamp: "s", Roles: []string{"admin"}, CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	s.UserByID(ctx, u.ID)
	if _, err := s.DB().ExecContext(ctx, "TRUNCATE gatehouse_user_roles"); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(time.Second); ; time.Sleep(time.Millisecond) {
		got, _ := s.UserByID(ctx, u.ID)
		if !got.HasRole("admin") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("roles truncated with plain SQL: not seen within a second")
		}
	}
}
