package sqlitestore

import (
	"context"
	"database/sql"
	"sync"

	"github.com/gatehouse-auth/gatehouse"
)

// defaultCacheSize is how many users the cache keeps before it starts over.
const defaultCacheSize = 10_000

// userCache lets UserByID, which runs on every authenticated request,
// answer from memory while the database is unchanged. Each lookup asks
// SQLite's PRAGMA data_version on a connection of the cache's own: it
// changes whenever any other connection, in this process or any other,
// commits to the file. Any commit empties the cache, so a user who is
// deactivated, changes password or loses a role is read afresh on the very
// next request, whichever process made the change, and even if the change
// was made with plain SQL.
//
// Reading data_version takes SQLite's shared-memory lock, a system call, so
// concurrent lookups share reads: a lookup waits for a read that begins
// after the lookup did (at most one read runs and one is queued; newcomers
// join the queued one). Every lookup therefore sees the database as of a
// moment after it began, and under load one read serves many lookups.
type userCache struct {
	mu      sync.Mutex
	conn    *sql.Conn
	version *sql.Stmt // PRAGMA data_version, on conn
	seen    int64
	users   map[string]*gatehouse.User
	max     int

	running, queued *versionRead
}

// versionRead is one read of data_version that lookups wait on.
type versionRead struct {
	done chan struct{}
	v    int64
	err  error
}

// newUserCache sets a cache up, or returns nil where it cannot be correct
// or would starve the pool: an in-memory database (each connection is its
// own database), or a pool of fewer than 4 connections (the cache keeps one).
func newUserCache(ctx context.Context, db *sql.DB, max int) *userCache {
	if max < 0 {
		return nil
	}
	if n := db.Stats().MaxOpenConnections; n != 0 && n < 4 {
		return nil
	}
	var seq int
	var name, file string
	if err := db.QueryRowContext(ctx, "PRAGMA database_list").Scan(&seq, &name, &file); err != nil || file == "" {
		return nil
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil
	}
	stmt, err := conn.PrepareContext(ctx, "PRAGMA data_version")
	if err != nil {
		conn.Close()
		return nil
	}
	if max == 0 {
		max = defaultCacheSize
	}
	return &userCache{conn: conn, version: stmt, seen: -1, users: map[string]*gatehouse.User{}, max: max}
}

// check returns a data_version read that began after check was called,
// having emptied the cache if anything was committed since the last read.
func (c *userCache) check(ctx context.Context) (int64, error) {
	c.mu.Lock()
	var r *versionRead
	switch {
	case c.queued != nil:
		r = c.queued
	case c.running != nil:
		r = &versionRead{done: make(chan struct{})}
		c.queued = r
	default:
		r = &versionRead{done: make(chan struct{})}
		c.running = r
		c.mu.Unlock()
		c.read(r) // nobody else is reading: do it here
		return r.v, r.err
	}
	c.mu.Unlock()
	select {
	case <-r.done:
		return r.v, r.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// read performs r (the running read), then starts the queued one, if any.
func (c *userCache) read(r *versionRead) {
	var v int64
	err := c.version.QueryRowContext(context.Background()).Scan(&v)
	c.mu.Lock()
	r.v, r.err = v, err
	if err == nil && v != c.seen {
		clear(c.users)
		c.seen = v
	}
	close(r.done)
	next := c.queued
	c.queued, c.running = nil, next
	c.mu.Unlock()
	if next != nil {
		go c.read(next)
	}
}

func (c *userCache) get(id string) *gatehouse.User {
	c.mu.Lock()
	defer c.mu.Unlock()
	if u := c.users[id]; u != nil {
		return u.Clone()
	}
	return nil
}

// put keeps u if nothing was committed since version v was read (the read
// of u began after that check, so u is at least as new as v).
func (c *userCache) put(id string, v int64, u *gatehouse.User) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen != v {
		return
	}
	if len(c.users) >= c.max {
		clear(c.users)
	}
	c.users[id] = u.Clone()
}

func (c *userCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.version.Close()
	return c.conn.Close()
}

// UserByID implements gatehouse.UserStore: one indexed read, or none while
// the database is unchanged (see the package docs on the user cache).
func (s *Store) UserByID(ctx context.Context, id string) (*gatehouse.User, error) {
	s.cacheOnce.Do(func() { s.cache = newUserCache(context.WithoutCancel(ctx), s.DB(), s.UserCacheSize) })
	c := s.cache
	if _, inTx := s.Tx(ctx); c == nil || inTx {
		return s.core.UserByID(ctx, id)
	}
	v, err := c.check(ctx)
	if err != nil {
		return s.core.UserByID(ctx, id)
	}
	if u := c.get(id); u != nil {
		return u, nil
	}
	u, err := s.core.UserByID(ctx, id)
	if err == nil {
		c.put(id, v, u)
	}
	return u, err
}

// Close releases the connection the user cache keeps. Call it before
// closing the *sql.DB.
func (s *Store) Close() error {
	if s.cache != nil {
		return s.cache.close()
	}
	return nil
}
