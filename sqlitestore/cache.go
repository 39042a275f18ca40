package sqlitestore

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"sync"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/internal/sqlcore"
)

// defaultCacheSize is how many users the cache keeps at most.
const defaultCacheSize = 10_000

// userCache lets UserByID, which runs on every authenticated request,
// answer from memory while the user is unchanged, and stay exactly as
// strict as a read: a deactivation, password change or lost role made by
// any process, or with plain SQL, applies to the very next lookup.
//
// Two things make that cheap. The signal that anything at all was
// committed is the WAL-index header at the start of the -shm file, which
// every commit, in any process, rewrites before it returns: reading it is a
// plain file read, no lock and no statement (see walIndex). Only when it
// has moved does the cache read gatehouse_user_changes, where triggers
// record which users each commit touched, and forget just those users. So
// logins and sign-ups by others (each one writes) cost the cached users
// nothing.
type userCache struct {
	wal     *walIndex
	conn    *sql.Conn // the cache's own connection, for the change log
	changes *sql.Stmt // SELECT seq, user_id FROM gatehouse_user_changes WHERE seq >= ?
	max     int

	syncMu sync.Mutex // one reader of the change log at a time

	mu     sync.Mutex
	mark   walMark // the header before the last change-log read
	marked bool    // mark is valid
	seq    int64   // the last change read
	gen    uint64  // counts evictions; see put
	recent [512]eviction
	pushed uint64 // evictions ever recorded in recent
	users  map[string]*gatehouse.User
	hits   uint64 // for tests
}

// eviction records that id (or every user, if all) was forgotten in
// generation gen, so that a read which began before cannot put it back.
type eviction struct {
	gen uint64
	id  string
	all bool
}

// newUserCache sets a cache up, or returns nil where it cannot be correct
// or would starve the pool: a database not in WAL mode (among them the
// in-memory ones), exclusive locking, or a pool of fewer than 4
// connections (the cache keeps one).
func newUserCache(ctx context.Context, db *sql.DB, max int) *userCache {
	if max < 0 {
		return nil
	}
	if n := db.Stats().MaxOpenConnections; n != 0 && n < 4 {
		return nil
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil
	}
	c, err := setUp(ctx, conn, max)
	if err != nil {
		conn.Close()
		return nil
	}
	return c
}

func setUp(ctx context.Context, conn *sql.Conn, max int) (*userCache, error) {
	var seq int
	var name, file, journal, locking string
	if err := conn.QueryRowContext(ctx, "PRAGMA main.database_list").Scan(&seq, &name, &file); err != nil {
		return nil, err
	}
	if err := conn.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&journal); err != nil {
		return nil, err
	}
	if err := conn.QueryRowContext(ctx, "PRAGMA locking_mode").Scan(&locking); err != nil {
		return nil, err
	}
	if file == "" || !strings.EqualFold(journal, "wal") || !strings.EqualFold(locking, "normal") {
		return nil, errNoCache
	}
	stmt, err := conn.PrepareContext(ctx, "SELECT seq, user_id FROM gatehouse_user_changes WHERE seq >= ? ORDER BY seq")
	if err != nil {
		return nil, err
	}
	c := &userCache{conn: conn, changes: stmt, max: max, users: map[string]*gatehouse.User{}}
	if c.max == 0 {
		c.max = defaultCacheSize
	}
	// A read on this connection opens the -shm file, which stays while
	// the connection does.
	if err := conn.QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) FROM gatehouse_user_changes").Scan(&c.seq); err != nil {
		stmt.Close()
		return nil, err
	}
	if c.wal, err = openWALIndex(file); err != nil {
		stmt.Close()
		return nil, err
	}
	return c, nil
}

// lookup answers id from the cache, or from the database, and keeps the
// answer.
func (c *userCache) lookup(ctx context.Context, id string, db *sqlcore.Store) (*gatehouse.User, error) {
	gen, err := c.fresh(ctx)
	if err != nil {
		return db.UserByID(ctx, id)
	}
	if u := c.get(id); u != nil {
		return u, nil
	}
	u, err := db.UserByID(ctx, id)
	if err == nil {
		c.put(id, gen, u)
	}
	return u, err
}

// fresh makes the cache forget every user changed by a commit that ended
// before fresh was called, and returns the generation it reached.
func (c *userCache) fresh(ctx context.Context) (uint64, error) {
	m, ok := c.wal.read()
	c.mu.Lock()
	if ok && c.marked && m == c.mark {
		g := c.gen
		c.mu.Unlock()
		return g, nil
	}
	c.mu.Unlock()

	c.syncMu.Lock()
	defer c.syncMu.Unlock()
	c.mu.Lock()
	if ok && c.marked && m == c.mark { // read by another lookup meanwhile
		g := c.gen
		c.mu.Unlock()
		return g, nil
	}
	from := c.seq
	c.mu.Unlock()

	// The header before the read: the read sees every commit it counts.
	before, beforeOK := c.wal.read()
	ids, last, complete, err := c.readChanges(ctx, from)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.marked = false
		return 0, err
	}
	c.evict(ids, !complete)
	c.seq = last
	c.mark, c.marked = before, beforeOK
	return c.gen, nil
}

// readChanges reads the change log from seq from (the last one read, still
// there unless pruned): the users changed since, the last seq, and whether
// the log went back far enough.
func (c *userCache) readChanges(ctx context.Context, from int64) (ids []string, last int64, complete bool, err error) {
	rows, err := c.changes.QueryContext(ctx, from)
	if err != nil {
		return nil, 0, false, err
	}
	defer rows.Close()
	want := max(from, 1) // AUTOINCREMENT starts at 1
	last, first := from, true
	complete = true
	for rows.Next() {
		var seq, user int64
		if err := rows.Scan(&seq, &user); err != nil {
			return nil, 0, false, err
		}
		if first && seq != want {
			complete = false // rows we never read were pruned
		}
		first = false
		if seq != from {
			ids = append(ids, strconv.FormatInt(user, 10))
		}
		last = seq
	}
	if first && from != 0 {
		complete = false // the log was emptied behind our back
	}
	return ids, last, complete, rows.Err()
}

// evict forgets ids, or every user; c.mu is held.
func (c *userCache) evict(ids []string, all bool) {
	if len(ids) == 0 && !all {
		return
	}
	c.gen++
	if all || len(ids) > len(c.recent)/2 {
		clear(c.users)
		c.record(eviction{gen: c.gen, all: true})
		return
	}
	for _, id := range ids {
		delete(c.users, id)
		c.record(eviction{gen: c.gen, id: id})
	}
}

func (c *userCache) record(e eviction) {
	c.recent[c.pushed%uint64(len(c.recent))] = e
	c.pushed++
}

// evictedSince reports whether id may have been forgotten after
// generation gen; c.mu is held.
func (c *userCache) evictedSince(id string, gen uint64) bool {
	if gen == c.gen {
		return false
	}
	n := min(c.pushed, uint64(len(c.recent)))
	for i := uint64(1); i <= n; i++ {
		e := c.recent[(c.pushed-i)%uint64(len(c.recent))]
		if e.gen <= gen {
			return false
		}
		if e.all || e.id == id {
			return true
		}
	}
	return true // the record does not go back that far
}

func (c *userCache) get(id string) *gatehouse.User {
	c.mu.Lock()
	defer c.mu.Unlock()
	if u := c.users[id]; u != nil {
		c.hits++
		return u.Clone()
	}
	return nil
}

// put keeps u, read after generation gen was reached, unless id was
// forgotten since (u may then predate the change).
func (c *userCache) put(id string, gen uint64, u *gatehouse.User) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.evictedSince(id, gen) {
		return
	}
	if len(c.users) >= c.max {
		for k := range c.users { // a random one: map order is
			delete(c.users, k)
			break
		}
	}
	c.users[id] = u.Clone()
}

func (c *userCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.changes.Close()
	c.wal.close()
	return c.conn.Close()
}

// UserByID implements gatehouse.UserStore: one indexed read, or none while
// the user is unchanged (see the package docs on the user cache).
func (s *Store) UserByID(ctx context.Context, id string) (*gatehouse.User, error) {
	s.cacheOnce.Do(func() { s.cache = newUserCache(context.WithoutCancel(ctx), s.DB(), s.UserCacheSize) })
	c := s.cache
	if _, inTx := s.Tx(ctx); c == nil || inTx {
		return s.core.UserByID(ctx, id)
	}
	return c.lookup(ctx, id, s.core)
}

// Close releases the connection the user cache keeps. Call it before
// closing the *sql.DB.
func (s *Store) Close() error {
	if s.cache != nil {
		return s.cache.close()
	}
	return nil
}
