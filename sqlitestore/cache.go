package sqlitestore

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/internal/sqlcore"
	"github.com/gatehouse-auth/gatehouse/internal/usercache"
)

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
	users   *usercache.Cache

	syncMu sync.Mutex // one reader of the change log at a time

	mu     sync.Mutex
	mark   walMark // the header before the last change-log read
	marked bool    // mark is valid
	seq    int64   // the last change read
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
	c := &userCache{conn: conn, changes: stmt, users: usercache.New(max, 0)}
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
	if u := c.users.Get(id); u != nil {
		return u, nil
	}
	u, err := db.UserByID(ctx, id)
	if err == nil {
		c.users.Put(id, gen, time.Time{}, u) // no maximum age here
	}
	return u, err
}

// fresh makes the cache forget every user changed by a commit that ended
// before fresh was called, and returns the generation it reached.
func (c *userCache) fresh(ctx context.Context) (uint64, error) {
	m, ok := c.wal.read()
	if ok && c.current(m) {
		return c.users.Gen(), nil
	}
	c.syncMu.Lock()
	defer c.syncMu.Unlock()
	if ok && c.current(m) { // read by another lookup meanwhile
		return c.users.Gen(), nil
	}
	c.mu.Lock()
	from := c.seq
	c.mu.Unlock()

	// The header before the read: the read sees every commit it counts.
	before, beforeOK := c.wal.read()
	ids, last, complete, err := c.readChanges(ctx, from)
	if err != nil {
		c.mu.Lock()
		c.marked = false
		c.mu.Unlock()
		return 0, err
	}
	c.users.Evict(ids, !complete) // before the mark moves: no lookup may skip it
	c.mu.Lock()
	c.seq = last
	c.mark, c.marked = before, beforeOK
	c.mu.Unlock()
	return c.users.Gen(), nil
}

// current reports whether the change log was read after the header was m.
func (c *userCache) current(m walMark) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.marked && m == c.mark
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

func (c *userCache) close() error {
	c.syncMu.Lock()
	defer c.syncMu.Unlock()
	c.changes.Close()
	return c.conn.Close() // the WAL index stays open: see walIndex

}

// UserByID implements gatehouse.UserStore: one indexed read, or none while
// the user is unchanged (see the package docs on the user cache).
func (s *Store) UserByID(ctx context.Context, id string) (*gatehouse.User, error) {
	if _, inTx := s.Tx(ctx); inTx {
		return s.core.UserByID(ctx, id)
	}
	s.cacheOnce.Do(func() { s.cache = newUserCache(context.WithoutCancel(ctx), s.DB(), s.UserCacheSize) })
	if s.cache == nil {
		return s.core.UserByID(ctx, id)
	}
	return s.cache.lookup(ctx, id, s.core)
}

// Close releases the connection the user cache keeps. Call it before
// closing the *sql.DB.
func (s *Store) Close() error {
	if s.cache != nil {
		return s.cache.close()
	}
	return nil
}
