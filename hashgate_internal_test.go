package gatehouse

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"
)

func TestHashGate(t *testing.T) {
	g := newHashGate(&Config{MaxHashes: 1, HashQueue: 1, HashWait: time.Hour})
	ctx := context.Background()
	entered, release := make(chan struct{}), make(chan struct{})
	held := make(chan error, 1)
	go func() { held <- g.do(ctx, func() { close(entered); <-release }) }()
	<-entered

	// One request may wait; the next is refused at once.
	queuedCtx, cancelQueued := context.WithCancel(ctx)
	queued := make(chan error, 1)
	ran := false
	go func() { queued <- g.do(queuedCtx, func() { ran = true }) }()
	for g.waiting.Load() != 1 {
		runtime.Gosched()
	}
	var ue *RetryAfterError
	if err := g.do(ctx, func() { t.Error("ran past a full queue") }); !errors.As(err, &ue) || ue.RetryAfter <= 0 {
		t.Fatalf("full queue: %v, want a *RetryAfterError", err)
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
	go short.do(ctx, func() { <-block })
	for len(short.slots) != 1 {
		runtime.Gosched()
	}
	start := time.Now()
	if err := short.do(ctx, func() { t.Error("ran past the wait") }); !errors.Is(err, ErrUnavailable) {
		t.Errorf("after the wait: %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("waited %v", d)
	}
	close(block)

	// A request already gone never hashes.
	gone, cancel := context.WithCancel(ctx)
	cancel()
	if err := g.do(gone, func() { t.Error("hashed for a gone client") }); !errors.Is(err, context.Canceled) {
		t.Errorf("gone client: %v", err)
	}
}
