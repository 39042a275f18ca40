package redisstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/internal/testutil"
	"github.com/gatehouse-auth/gatehouse/redisstore"
	"github.com/gatehouse-auth/gatehouse/storetest"
)

// openStore returns a store under a key prefix of its own, its keys
// deleted at cleanup. It needs GATEHOUSE_REDIS_URL; without it the test
// is skipped, except in CI (CI=true), where a skipped Redis suite is a
// failure.
func openStore(t testing.TB) (*redisstore.Store, *redis.Client) {
	t.Helper()
	addr := testutil.ServerURL(t, "GATEHOUSE_REDIS_URL")
	opts, err := redis.ParseURL(addr)
	if err != nil {
		t.Fatal(err)
	}
	opts.PoolSize = 64
	rdb := redis.NewClient(opts)
	b := make([]byte, 6)
	rand.Read(b)
	prefix := "gh-test-" + hex.EncodeToString(b) + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		keys, _ := rdb.Keys(ctx, prefix+"*").Result()
		if len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
		rdb.Close()
	})
	return redisstore.NewWithPrefix(rdb, prefix), rdb
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Stores {
		s, _ := openStore(t)
		return storetest.Stores{Sessions: s, Limiter: s}
	})
}

// Keys live as long as they matter: a session until it expires, a count
// until it has decayed to nothing.
func TestKeysExpire(t *testing.T) {
	s, rdb := openStore(t)
	ctx := context.Background()
	now := time.Now()
	sess := &gatehouse.Session{ID: "short", UserID: "7", Data: []byte("x"), CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(300 * time.Millisecond)}
	if err := s.SaveSession(ctx, sess); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := s.Allow(ctx, "k", gatehouse.Limit{Count: 2, Per: 400 * time.Millisecond}, now); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if n, _ := rdb.DBSize(ctx).Result(); n == 0 {
		t.Fatal("nothing was written")
	}
	time.Sleep(600 * time.Millisecond)
	if _, err := s.Session(ctx, "short"); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("an expired session is still there: %v", err)
	}
	if list, _ := s.UserSessions(ctx, "7"); len(list) != 0 {
		t.Errorf("an expired session is still listed: %v", list)
	}
	if w, _ := s.Wait(ctx, "k", gatehouse.Limit{Count: 2, Per: 400 * time.Millisecond}, time.Now()); w != 0 {
		t.Errorf("a decayed count still waits %v", w)
	}
}

// A session that moves to another user (an anonymous one that logs in,
// say) leaves the first user's list; ending the first user's sessions
// does not end it.
func TestSessionChangesUser(t *testing.T) {
	s, _ := openStore(t)
	ctx := context.Background()
	now := time.Now()
	sess := &gatehouse.Session{ID: "s1", UserID: "7", Data: []byte("x"), CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(time.Hour)}
	s.SaveSession(ctx, sess)
	sess.UserID = "8"
	if err := s.SaveSession(ctx, sess); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.UserSessions(ctx, "7"); len(list) != 0 {
		t.Errorf("user 7 still lists %d sessions", len(list))
	}
	s.DeleteUserSessions(ctx, "7")
	if got, err := s.Session(ctx, "s1"); err != nil || got.UserID != "8" {
		t.Errorf("user 8's session after user 7's were ended: %+v, %v", got, err)
	}
}

// Redis down is ErrUnavailable (gatehouse answers 503), never a hang.
func TestRedisDown(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	defer rdb.Close()
	s := redisstore.New(rdb)
	ctx := context.Background()
	if _, err := s.Session(ctx, "x"); !errors.Is(err, gatehouse.ErrUnavailable) {
		t.Errorf("Session with Redis down: %v, want ErrUnavailable", err)
	}
	if _, _, err := s.Allow(ctx, "x", gatehouse.Limit{Count: 1, Per: time.Minute}, time.Now()); !errors.Is(err, gatehouse.ErrUnavailable) {
		t.Errorf("Allow with Redis down: %v, want ErrUnavailable", err)
	}
}
