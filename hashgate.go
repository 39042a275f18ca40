package gatehouse

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"time"
)

// HashingConfig bounds password hashing, the one costly thing gatehouse
// does per request: Argon2id takes a CPU and 19 MiB for each hash, so a
// flood of logins must neither exhaust memory nor queue for minutes.
type HashingConfig struct {
	// Concurrency is how many hashes run at once. Default: one per CPU
	// (GOMAXPROCS): more would not finish sooner.
	Concurrency int
	// Queue is how many requests may wait for a hash; past it, a request
	// is answered 503 with Retry-After at once. Default: 32 per
	// Concurrency.
	Queue int
	// Wait is how long a request may wait for a hash before it is answered
	// 503. Default: 10 seconds.
	Wait time.Duration
}

// hashRetry is the Retry-After of a request refused by the hash gate.
const hashRetry = time.Second

var errHashBusy = errors.New("gatehouse: too many password hashes waiting")

// hashGate runs password hashes under HashingConfig. A request whose
// client has gone (its context is done) never starts a hash.
type hashGate struct {
	slots   chan struct{}
	waiting atomic.Int64
	queue   int64
	wait    time.Duration
}

func newHashGate(c HashingConfig) *hashGate {
	n := c.Concurrency
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	q := c.Queue
	if q <= 0 {
		q = 32 * n
	}
	w := c.Wait
	if w <= 0 {
		w = 10 * time.Second
	}
	return &hashGate{slots: make(chan struct{}, n), queue: int64(q), wait: w}
}

// do runs f when a slot is free, or fails with an *UnavailableError (queue
// full or waited too long) or ctx's error (the client went away).
func (g *hashGate) do(ctx context.Context, f func()) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case g.slots <- struct{}{}:
	default:
		if g.waiting.Add(1) > g.queue {
			g.waiting.Add(-1)
			return &UnavailableError{RetryAfter: hashRetry, Err: errHashBusy}
		}
		t := time.NewTimer(g.wait)
		select {
		case g.slots <- struct{}{}:
			t.Stop()
			g.waiting.Add(-1)
		case <-t.C:
			g.waiting.Add(-1)
			return &UnavailableError{RetryAfter: hashRetry, Err: errHashBusy}
		case <-ctx.Done():
			t.Stop()
			g.waiting.Add(-1)
			return ctx.Err()
		}
	}
	defer func() { <-g.slots }()
	if err := ctx.Err(); err != nil { // gone while we waited
		return err
	}
	f()
	return nil
}

// hash hashes password under the gate.
func (m *Manager) hash(ctx context.Context, password string) (string, error) {
	var h string
	var err error
	if gateErr := m.gate.do(ctx, func() { h, err = m.hasher.Hash(password) }); gateErr != nil {
		return "", gateErr
	}
	return h, err
}

// compare checks password against hash under the gate. It returns nil on a
// match, ErrInvalidCredentials on a mismatch, or the gate's error.
func (m *Manager) compare(ctx context.Context, hash, password string) error {
	var err error
	if gateErr := m.gate.do(ctx, func() { err = m.hasher.Compare(hash, password) }); gateErr != nil {
		return gateErr
	}
	if err != nil {
		return ErrInvalidCredentials
	}
	return nil
}
