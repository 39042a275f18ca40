package gatehouse

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"
)

// hashRetry is the Retry-After of a request refused by the hash gate.
const hashRetry = time.Second

var errHashBusy = errors.New("gatehouse: too many password hashes waiting")

// hashGate runs password hashes under Config.MaxHashes, HashQueue and
// HashWait: Argon2id takes a CPU and 19 MiB for each hash, so a flood of
// logins must neither exhaust memory nor queue for minutes. A request
// whose client has gone (its context is done) never starts a hash.
type hashGate struct {
	slots   chan struct{}
	waiting atomic.Int64
	queue   int64
	wait    time.Duration
}

func newHashGate(c *Config) *hashGate {
	n := c.MaxHashes
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	q := c.HashQueue
	if q <= 0 {
		q = 32 * n
	}
	w := c.HashWait
	if w <= 0 {
		w = 10 * time.Second
	}
	return &hashGate{slots: make(chan struct{}, n), queue: int64(q), wait: w}
}

// do runs f when a slot is free, or fails with a *RetryAfterError (queue
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
			return &RetryAfterError{RetryAfter: hashRetry, Err: fmt.Errorf("%w: %w", ErrUnavailable, errHashBusy)}
		}
		t := time.NewTimer(g.wait)
		select {
		case g.slots <- struct{}{}:
			t.Stop()
			g.waiting.Add(-1)
		case <-t.C:
			g.waiting.Add(-1)
			return &RetryAfterError{RetryAfter: hashRetry, Err: fmt.Errorf("%w: %w", ErrUnavailable, errHashBusy)}
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
