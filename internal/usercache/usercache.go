// Package usercache keeps users in memory for a store's UserByID, and
// forgets them when told they changed. What tells it is the store's: a
// change log read after each commit (sqlitestore), notifications from the
// database (pgstore).
//
// A lookup that misses reads the user from the database and puts it back;
// if the user changed while that read was under way, the read may predate
// the change. Generations prevent that: a lookup takes the generation
// before it reads, and Put refuses a user forgotten since.
package usercache

import (
	"sync"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

// DefaultSize is how many users a cache keeps at most, unless told.
const DefaultSize = 10_000

// Cache is a bounded map of users; safe for concurrent use.
type Cache struct {
	mu     sync.Mutex
	users  map[string]entry
	max    int
	maxAge time.Duration // 0: no limit
	gen    uint64        // counts evictions
	recent [512]eviction
	pushed uint64 // evictions ever recorded in recent
	hits   uint64
}

type entry struct {
	u  *gatehouse.User
	at time.Time // when the read that found it began
}

// eviction records that id (or every user, if all) was forgotten in
// generation gen.
type eviction struct {
	gen uint64
	id  string
	all bool
}

// New returns a cache of at most max users (0: DefaultSize), each kept at
// most maxAge (0: until evicted).
func New(max int, maxAge time.Duration) *Cache {
	if max <= 0 {
		max = DefaultSize
	}
	return &Cache{users: map[string]entry{}, max: max, maxAge: maxAge}
}

// Gen returns the current generation: take it before reading a user
// from the database, and give it to Put.
func (c *Cache) Gen() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// Get returns a copy of the cached user with id, or nil.
func (c *Cache) Get(id string) *gatehouse.User {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.users[id]
	if !ok {
		return nil
	}
	if c.maxAge > 0 && time.Since(e.at) >= c.maxAge {
		delete(c.users, id)
		return nil
	}
	c.hits++
	return e.u.Clone()
}

// Put keeps a copy of u, read after generation gen was taken and the
// read began at began, unless id was forgotten since (u may then predate
// the change). Its age counts from began. A full cache drops a user at
// random.
func (c *Cache) Put(id string, gen uint64, began time.Time, u *gatehouse.User) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.evictedSince(id, gen) {
		return
	}
	if len(c.users) >= c.max {
		for k := range c.users { // map order is random
			delete(c.users, k)
			break
		}
	}
	c.users[id] = entry{u: u.Clone(), at: began}
}

// Evict forgets the users with ids, or every user if all.
func (c *Cache) Evict(ids []string, all bool) {
	if len(ids) == 0 && !all {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
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

// Hits counts the lookups Get answered, for tests.
func (c *Cache) Hits() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits
}

func (c *Cache) record(e eviction) {
	c.recent[c.pushed%uint64(len(c.recent))] = e
	c.pushed++
}

// evictedSince reports whether id may have been forgotten after
// generation gen; c.mu is held.
func (c *Cache) evictedSince(id string, gen uint64) bool {
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
	return c.pushed > uint64(len(c.recent)) // unless the record is whole, it does not go back that far
}
