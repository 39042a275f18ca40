package pgstore

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/internal/usercache"
)

// Listener delivers PostgreSQL notifications to WatchUsers; package
// pgstore/pgxlisten has one on pgx. pgstore itself imports no driver, and
// LISTEN needs a driver's own API.
type Listener interface {
	// Listen runs LISTEN channel on a connection of its own, calls ready
	// once it listens, then notify with the payload of each notification,
	// until ctx ends or the connection fails, and returns why it stopped.
	Listen(ctx context.Context, channel string, ready func(), notify func(payload string)) error
}

// channel is where the triggers of migration 0005 notify: "schema id".
const channel = "gatehouse_users"

// defaultCacheMaxAge bounds how long a cached user may go unchecked if
// notifications stop without the listener noticing.
const defaultCacheMaxAge = 2 * time.Second

// userCache is the cache WatchUsers keeps; nil until it runs.
type userCache struct {
	users  *usercache.Cache
	schema string
	live   atomic.Bool // listening: the cache may answer
}

// WatchUsers keeps a user cache for UserByID, which runs on every
// authenticated request, so that several instances on one database serve
// it from memory, and returns when ctx ends. Triggers (migration 0005)
// notify every change to a user, its roles or its revoked sessions, made
// by any instance or with plain SQL; each instance's cache forgets that
// user when the notification arrives: a few milliseconds after the commit
// on one network (the README gives the measured figures), and in any case
// within UserCacheMaxAge. While l is not listening (before it starts,
// after its connection fails, until it reconnects) UserByID reads the
// database every time. Run it once per Store:
//
//	go store.WatchUsers(ctx, pgxlisten.New(dsn))
func (s *Store) WatchUsers(ctx context.Context, l Listener) error {
	// The schema of the users' table, as the triggers name it.
	var schema string
	err := s.DB().QueryRowContext(ctx, `SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.oid = to_regclass('gatehouse_users')`).Scan(&schema)
	if err != nil {
		return fmt.Errorf("pgstore: watch users: %w", err)
	}
	maxAge := s.UserCacheMaxAge
	if maxAge == 0 {
		maxAge = defaultCacheMaxAge
	}
	c := &userCache{users: usercache.New(s.UserCacheSize, maxAge), schema: schema}
	s.cache.Store(c)
	defer s.cache.Store(nil)
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		began := time.Now()
		l.Listen(ctx, channel, func() {
			c.users.Evict(nil, true) // whatever changed while not listening
			c.live.Store(true)
		}, c.notified)
		c.live.Store(false)
		c.users.Evict(nil, true)
		if time.Since(began) > time.Minute {
			backoff = 100 * time.Millisecond
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 10*time.Second)
	}
	return ctx.Err()
}

// notified forgets the user a notification names, if it is of this
// store's schema.
func (c *userCache) notified(payload string) {
	id, ok := strings.CutPrefix(payload, c.schema+" ") // a schema's name may hold spaces
	if !ok || strings.Contains(id, " ") {
		return
	}
	c.users.Evict([]string{id}, id == "*")
}

// forget evicts a user this instance has just changed, so that its own
// next lookup reads the change without waiting for the notification.
func (s *Store) forget(id string) {
	if c := s.cache.Load(); c != nil {
		c.users.Evict([]string{id}, false)
	}
}

// UserByID implements gatehouse.UserStore: one indexed read, or none while
// WatchUsers has the user cached.
func (s *Store) UserByID(ctx context.Context, id string) (*gatehouse.User, error) {
	c := s.cache.Load()
	if _, inTx := s.Tx(ctx); c == nil || inTx || !c.live.Load() {
		return s.core.UserByID(ctx, id)
	}
	gen, began := c.users.Gen(), time.Now()
	if u := c.users.Get(id); u != nil {
		return u, nil
	}
	u, err := s.core.UserByID(ctx, id)
	if err == nil && c.live.Load() {
		c.users.Put(id, gen, began, u)
	}
	return u, err
}
