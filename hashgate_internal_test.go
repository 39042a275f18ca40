package gatehouse

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"
)

// queued reports how many requests wait in g.
func (g *hashGate) queued() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.waiting
}

func waitQueued(g *hashGate, n int) {
	for g.queued() != n {
		runtime.Gosched()
	}
}

func TestHashGate(t *testing.T) {
	g := newHashGate(&Config{MaxHashes: 1, HashQueue: 1, HashWait: time.Hour})
	ctx := context.Background()
	entered, release := make(chan struct{}), make(chan struct{})
	held := make(chan error, 1)
	go func() { held <- g.do(ctx, "a", func() { close(entered); <-release }) }()
	<-entered

	// One request may wait; the next is refused at once.
	queuedCtx, cancelQueued := context.WithCancel(ctx)
	queued := make(chan error, 1)
	ran := false
	go func() { queued <- g.do(queuedCtx, "b", func() { ran = true }) }()
	waitQueued(g, 1)
	var ue *RetryAfterError
	if err := g.do(ctx, "c", func() { t.Error("ran past a full queue") }); !errors.As(err, &ue) || ue.RetryAfter <= 0 || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("full queue: %v, want a *RetryAfterError wrapping ErrUnavailable", err)
	}
	// A waiter whose client goes away leaves without hashing.
	cancelQueued()
	if err := <-queued; !errors.Is(err, context.Canceled) || ran {
		t.Fatalf("canceled waiter: %v (ran %v)", err, ran)
	}
	close(release)
	if err := <-held; err != nil {
		t.Fatal(err)
	}

	// A waiter gives up after Wait.
	short := newHashGate(&Config{MaxHashes: 1, HashWait: 20 * time.Millisecond})
	block := make(chan struct{})
	started := make(chan struct{})
	go short.do(ctx, "a", func() { close(started); <-block })
	<-started
	start := time.Now()
	if err := short.do(ctx, "b", func() { t.Error("ran past the wait") }); !errors.Is(err, ErrUnavailable) {
		t.Errorf("after the wait: %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("waited %v", d)
	}
	close(block)

	// A request already gone never hashes.
	gone, cancel := context.WithCancel(ctx)
	cancel()
	if err := g.do(gone, "a", func() { t.Error("hashed for a gone client") }); !errors.Is(err, context.Canceled) {
		t.Errorf("gone client: %v", err)
	}
}

// One client's flood runs on all slots but one and takes at most a
// quarter of the queue; another client's request is granted the free slot
// at once, and the flood's waiters run as slots free.
func TestHashGateFair(t *testing.T) {
	g := newHashGate(&Config{MaxHashes: 2, HashQueue: 8, HashWait: time.Hour})
	ctx := context.Background()
	release := make(chan struct{})
	started := make(chan string, 16)
	job := func(who string) func() {
		return func() {
			started <- who
			<-release
		}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	refused := 0
	for range 10 {
		wg.Go(func() {
			if err := g.do(ctx, "flood", job("flood")); errors.Is(err, ErrUnavailable) {
				mu.Lock()
				refused++
				mu.Unlock()
			}
		})
	}
	if who := <-started; who != "flood" {
		t.Fatal(who)
	}
	for {
		mu.Lock()
		r := refused
		mu.Unlock()
		if r == 7 && g.queued() == 2 {
			break
		}
		runtime.Gosched()
	}
	// The flood runs one hash (all slots but one) with two waiting; the
	// user is granted the other slot at once.
	wg.Go(func() { g.do(ctx, "user", job("user")) })
	select {
	case who := <-started:
		if who != "user" {
			t.Fatalf("%s started, want the user", who)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the user's hash did not start while a slot was free")
	}
	for range 4 {
		release <- struct{}{}
	}
	close(release)
	wg.Wait()
	if refused != 7 {
		t.Errorf("%d of the flood refused, want 7 (1 running, 2 waiting)", refused)
	}
}
