// Package testutil holds what the tests of several packages share: a
// settable clock, fixed keys and a fast password hasher.
package testutil

import (
	"crypto/sha256"
	"sync"
	"time"

	"github.com/gatehouse-auth/gatehouse/password"
)

// Key is a fixed secret key for tests that need the same one twice: random
// looking, as gatehouse.New insists, and the same for the same seed.
func Key(seed string) []byte {
	k := sha256.Sum256([]byte(seed))
	return k[:]
}

// Clock is a settable clock for Config.Now.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock at 2026-03-01 12:00 UTC.
func NewClock() *Clock { return &Clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// FastHasher keeps tests quick; hashing itself is tested in package
// password.
var FastHasher = password.Upgrade{Current: password.Argon2id{Memory: 64, Time: 1}}

// FastHasherStronger has stronger parameters than FastHasher, so hashes
// made by FastHasher need a rehash under it.
var FastHasherStronger = password.Upgrade{Current: password.Argon2id{Memory: 128, Time: 1}}
