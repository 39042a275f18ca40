package gatehouse

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"
)

// hashRetry is the Retry-After of a request refused by the hash gate.
const hashRetry = time.Second

var errHashBusy = errors.New("gatehouse: too many password hashes waiting")

// hashGate runs password hashes under Config.MaxHashes, HashQueue and
// HashWait: Argon2id takes a CPU and 19 MiB for each hash, so a flood of
// logins must neither exhaust memory nor queue for minutes. It is fair
// between clients (addresses): a freed slot goes to the waiting client
// with the fewest hashes running (the longest waiting among equals); no
// client runs more than all slots but one at once, so another client's
// login finds a slot at once; and no client holds more than a quarter of
// the queue. So a flood from one address neither fills the queue nor
// holds up other users. Callers whose client is not known (no
// Authenticate) are not held to a client's share. A request whose client has gone (its context is
// done) never starts a hash.
type hashGate struct {
	mu        sync.Mutex
	running   int
	slots     int
	waiting   int                        // requests queued, all clients
	queues    map[string][]chan struct{} // each client's waiters, in order
	turn      []string                   // clients with waiters, longest waiting first
	active    map[string]int             // hashes running, by client
	inHand    map[string]int             // requests admitted by enter, by client
	queue     int                        // most requests waiting, all clients
	perClient int                        // most requests waiting, one client
	maxRun    int                        // most hashes running, one client
	wait      time.Duration
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
	return &hashGate{slots: n, queue: q, perClient: max(1, q/4), maxRun: max(1, n-1), wait: w,
		queues: map[string][]chan struct{}{}, active: map[string]int{}, inHand: map[string]int{}}
}

func busy() error {
	return &RetryAfterError{RetryAfter: hashRetry, Err: fmt.Errorf("%w: %w", ErrUnavailable, errHashBusy)}
}

// do runs f when a slot is granted to client, or fails with a
// *RetryAfterError (queue full, the client's share of it used, or waited
// too long) or ctx's error (the client went away).
func (g *hashGate) do(ctx context.Context, client string, f func()) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	g.mu.Lock()
	if g.waiting >= g.queue || client != "" && len(g.queues[client]) >= g.perClient {
		g.mu.Unlock()
		return busy()
	}
	ready := make(chan struct{})
	if len(g.queues[client]) == 0 {
		g.turn = append(g.turn, client)
	}
	g.queues[client] = append(g.queues[client], ready)
	g.waiting++
	g.dispatch()
	g.mu.Unlock()

	select {
	case <-ready: // granted at once, most of the time
		return g.run(ctx, client, f)
	default:
	}
	t := time.NewTimer(g.wait)
	defer t.Stop()
	var err error
	select {
	case <-ready:
		return g.run(ctx, client, f)
	case <-t.C:
		err = busy()
	case <-ctx.Done():
		err = ctx.Err()
	}
	g.mu.Lock()
	left := g.leave(client, ready)
	g.mu.Unlock()
	if !left {
		g.release(client) // granted a slot as we gave up: pass it on
	}
	return err
}

// enter admits a request of client's that will hash, before it does any
// other work (store reads, throttle counts): a client may have at most
// its share of the queue and of the slots in hand at once, whatever stage
// its requests are at; past it, the request is refused at once and costs
// nothing. Callers call leave when done.
func (g *hashGate) enter(client string) (leave func(), ok bool) {
	if client == "" {
		return func() {}, true
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.inHand[client] >= g.perClient+g.maxRun || g.waiting >= g.queue {
		return nil, false
	}
	g.inHand[client]++
	return func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.inHand[client]--; g.inHand[client] == 0 {
			delete(g.inHand, client)
		}
	}, true
}

// run runs f in a slot granted to client, and frees the slot.
func (g *hashGate) run(ctx context.Context, client string, f func()) error {
	defer g.release(client)
	if err := ctx.Err(); err != nil { // gone while we waited
		return err
	}
	f()
	return nil
}

// release frees a slot of client's and hands out the free slots.
func (g *hashGate) release(client string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.running--
	if g.active[client]--; g.active[client] == 0 {
		delete(g.active, client)
	}
	g.dispatch()
}

// dispatch grants free slots to waiting clients: each to the one with the
// fewest hashes running, among those under maxRun. g.mu is held.
func (g *hashGate) dispatch() {
	for g.running < g.slots {
		pick := -1
		for i, c := range g.turn {
			if (c == "" || g.active[c] < g.maxRun) && (pick < 0 || g.active[c] < g.active[g.turn[pick]]) {
				pick = i
			}
		}
		if pick < 0 {
			return
		}
		next := g.turn[pick]
		g.turn = append(g.turn[:pick:pick], g.turn[pick+1:]...)
		q := g.queues[next]
		ready := q[0]
		if len(q) > 1 {
			g.queues[next] = q[1:]
			g.turn = append(g.turn, next) // its next waiter goes to the back
		} else {
			delete(g.queues, next)
		}
		g.waiting--
		g.running++
		g.active[next]++
		close(ready)
	}
}

// leave takes a waiter out of its client's queue; false if it was no
// longer there (a slot was granted to it).
func (g *hashGate) leave(client string, ready chan struct{}) bool {
	q := g.queues[client]
	for i, c := range q {
		if c != ready {
			continue
		}
		q = append(q[:i:i], q[i+1:]...)
		g.waiting--
		if len(q) == 0 {
			delete(g.queues, client)
			for j, c := range g.turn {
				if c == client {
					g.turn = append(g.turn[:j:j], g.turn[j+1:]...)
					break
				}
			}
		} else {
			g.queues[client] = q
		}
		return true
	}
	return false
}

// hash hashes password under the gate.
func (m *Manager) hash(ctx context.Context, password string) (string, error) {
	var h string
	var err error
	if gateErr := m.gate.do(ctx, clientOf(ctx), func() { h, err = m.hasher.Hash(password) }); gateErr != nil {
		return "", gateErr
	}
	return h, err
}

// compare checks password against hash under the gate. It returns nil on a
// match, ErrInvalidCredentials on a mismatch, or the gate's error.
func (m *Manager) compare(ctx context.Context, hash, password string) error {
	var err error
	if gateErr := m.gate.do(ctx, clientOf(ctx), func() { err = m.hasher.Compare(hash, password) }); gateErr != nil {
		return gateErr
	}
	if err != nil {
		return ErrInvalidCredentials
	}
	return nil
}
