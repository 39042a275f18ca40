package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

func needOutbox(s Stores) bool { return s.Outbox != nil }

func needTransactor(s Stores) bool {
	_, ok := s.Users.(gatehouse.Transactor)
	return ok && s.Outbox != nil && s.Tokens != nil
}

func enqueue(t *testing.T, o gatehouse.Outbox, kind string, due time.Time) *gatehouse.MailJob {
	t.Helper()
	j := &gatehouse.MailJob{Kind: kind, Payload: []byte("sealed " + kind), DueAt: due, CreatedAt: t0}
	if err := o.Enqueue(context.Background(), j); err != nil {
		t.Fatalf("Enqueue = %v", err)
	}
	if j.ID == "" {
		t.Fatal("Enqueue assigned no ID")
	}
	return j
}

func claim(t *testing.T, o gatehouse.Outbox, now time.Time) *gatehouse.MailJob {
	t.Helper()
	j, err := o.ClaimMail(context.Background(), now, time.Minute)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil
	}
	if err != nil {
		t.Fatalf("ClaimMail = %v", err)
	}
	return j
}

func testOutbox(t *testing.T, s Stores) {
	ctx := context.Background()
	o := s.Outbox
	if j := claim(t, o, t0); j != nil {
		t.Fatalf("empty outbox gave %+v", j)
	}
	now := enqueue(t, o, "now", t0)
	later := enqueue(t, o, "later", t0.Add(time.Minute))
	early := enqueue(t, o, "early", t0.Add(-time.Minute))

	// Due jobs come earliest first, claimed until now+lease.
	got := claim(t, o, t0)
	if got == nil || got.ID != early.ID || got.Kind != "early" || string(got.Payload) != "sealed early" || !got.CreatedAt.Equal(t0) {
		t.Fatalf("first claim = %+v, want the early job", got)
	}
	if got.Claim == "" || !got.ClaimedUntil.Equal(t0.Add(time.Minute)) {
		t.Errorf("claim %q until %v", got.Claim, got.ClaimedUntil)
	}
	second := claim(t, o, t0)
	if second == nil || second.ID != now.ID {
		t.Fatalf("second claim = %+v, want the job due now", second)
	}
	if j := claim(t, o, t0); j != nil {
		t.Fatalf("third claim = %+v: the later job is not due and the others are claimed", j)
	}

	// Finished jobs are never claimed again; unfinished ones come back when due.
	got.SentAt, got.Payload, got.ClaimedUntil, got.Attempts = t0, nil, time.Time{}, 1
	if err := o.UpdateMail(ctx, got); err != nil {
		t.Fatalf("UpdateMail(sent) = %v", err)
	}
	second.DueAt, second.ClaimedUntil, second.Attempts, second.Error = t0.Add(30*time.Second), time.Time{}, 1, "421 try later"
	if err := o.UpdateMail(ctx, second); err != nil {
		t.Fatalf("UpdateMail(retry) = %v", err)
	}
	if j := claim(t, o, t0.Add(10*time.Second)); j != nil {
		t.Fatalf("claim before the retry is due = %+v", j)
	}
	retry := claim(t, o, t0.Add(30*time.Second))
	if retry == nil || retry.ID != second.ID || retry.Attempts != 1 || retry.Error != "421 try later" || string(retry.Payload) != "sealed now" {
		t.Fatalf("retried job = %+v", retry)
	}
	retry.FailedAt, retry.Payload, retry.ClaimedUntil = t0.Add(time.Hour), nil, time.Time{}
	if err := o.UpdateMail(ctx, retry); err != nil {
		t.Fatal(err)
	}
	last := claim(t, o, t0.Add(2*time.Hour))
	if last == nil || last.ID != later.ID {
		t.Fatalf("last claim = %+v, want the later job", last)
	}
	if j := claim(t, o, t0.Add(2*time.Hour+30*time.Second)); j != nil {
		t.Fatalf("a finished or claimed job came back: %+v", j)
	}

	// Sweeping removes finished jobs older than the cut, nothing else.
	n, err := o.DeleteFinishedMail(ctx, t0.Add(30*time.Minute))
	if err != nil || n != 1 {
		t.Errorf("DeleteFinishedMail(30m) = %d, %v; want 1 (the sent job)", n, err)
	}
	n, err = o.DeleteFinishedMail(ctx, t0.Add(48*time.Hour))
	if err != nil || n != 1 {
		t.Errorf("DeleteFinishedMail(48h) = %d, %v; want 1 (the failed job)", n, err)
	}
	if err := o.UpdateMail(ctx, got); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("UpdateMail(swept) = %v, want ErrNotFound", err)
	}
	last.SentAt, last.ClaimedUntil = t0.Add(2*time.Hour), time.Time{}
	if err := o.UpdateMail(ctx, last); err != nil {
		t.Errorf("UpdateMail(unswept) = %v", err)
	}
}

// A claim lapses after its lease: another worker may take the job, and the
// first one's writes are refused from then on.
func testOutboxLease(t *testing.T, s Stores) {
	ctx := context.Background()
	o := s.Outbox
	enqueue(t, o, "lease", t0)
	first := claim(t, o, t0)
	if first == nil {
		t.Fatal("no claim")
	}
	if j := claim(t, o, t0.Add(59*time.Second)); j != nil {
		t.Fatalf("claimed again inside the lease: %+v", j)
	}
	second := claim(t, o, t0.Add(time.Minute))
	if second == nil || second.ID != first.ID || second.Claim == first.Claim {
		t.Fatalf("after the lease: %+v (first claim %q)", second, first.Claim)
	}
	first.SentAt = t0.Add(time.Minute)
	if err := o.UpdateMail(ctx, first); !errors.Is(err, gatehouse.ErrConflict) {
		t.Errorf("UpdateMail(lapsed claim) = %v, want ErrConflict", err)
	}
	second.SentAt, second.ClaimedUntil = t0.Add(time.Minute), time.Time{}
	if err := o.UpdateMail(ctx, second); err != nil {
		t.Errorf("UpdateMail(current claim) = %v", err)
	}
}

// Workers claiming concurrently never get the same job.
func testOutboxClaimOnce(t *testing.T, s Stores) {
	ctx := context.Background()
	o := s.Outbox
	const jobs = 40
	for i := range jobs {
		enqueue(t, o, fmt.Sprintf("job%02d", i), t0.Add(time.Duration(i)*time.Millisecond))
	}
	var mu sync.Mutex
	var seen []string
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				j, err := o.ClaimMail(ctx, t0.Add(time.Second), time.Minute)
				if errors.Is(err, gatehouse.ErrNotFound) {
					return
				}
				if err != nil {
					t.Errorf("ClaimMail = %v", err)
					return
				}
				mu.Lock()
				seen = append(seen, j.ID)
				mu.Unlock()
				j.SentAt, j.ClaimedUntil = t0.Add(time.Second), time.Time{}
				if err := o.UpdateMail(ctx, j); err != nil {
					t.Errorf("UpdateMail = %v", err)
				}
			}
		})
	}
	wg.Wait()
	slices.Sort(seen)
	if len(seen) != jobs || len(slices.Compact(seen)) != jobs {
		t.Errorf("%d claims of %d distinct jobs, want %d of %d", len(seen), len(slices.Compact(seen)), jobs, jobs)
	}
}

// A transaction writes a user, a token and a mail job together, or none
// of them.
func testTransactor(t *testing.T, s Stores) {
	ctx := context.Background()
	tx := s.Users.(gatehouse.Transactor)
	boom := errors.New("boom")
	write := func(email string, fail bool) error {
		return tx.InTx(ctx, func(ctx context.Context) error {
			u := newUser(email)
			if err := s.Users.CreateUser(ctx, u); err != nil {
				return err
			}
			if err := s.Tokens.CreateToken(ctx, newToken("confirm", "sel-"+email, u.ID, t0.Add(time.Hour))); err != nil {
				return err
			}
			if err := s.Outbox.Enqueue(ctx, &gatehouse.MailJob{Kind: "welcome", Payload: []byte(email), DueAt: t0, CreatedAt: t0}); err != nil {
				return err
			}
			if fail {
				return boom
			}
			return nil
		})
	}
	if err := write("rolled@example.com", true); !errors.Is(err, boom) {
		t.Fatalf("InTx = %v, want fn's error", err)
	}
	if _, err := s.Users.UserByEmail(ctx, "rolled@example.com"); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("a rolled-back user exists: %v", err)
	}
	if _, err := s.Tokens.Token(ctx, "confirm", "sel-rolled@example.com"); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("a rolled-back token exists: %v", err)
	}
	if j := claim(t, s.Outbox, t0); j != nil {
		t.Errorf("a rolled-back mail job exists: %+v", j)
	}
	if err := write("kept@example.com", false); err != nil {
		t.Fatalf("InTx = %v", err)
	}
	if _, err := s.Users.UserByEmail(ctx, "kept@example.com"); err != nil {
		t.Errorf("committed user: %v", err)
	}
	if j := claim(t, s.Outbox, t0); j == nil || string(j.Payload) != "kept@example.com" {
		t.Errorf("committed mail job: %+v", j)
	}
	// Nested calls join the outer transaction.
	err := tx.InTx(ctx, func(ctx context.Context) error {
		if err := tx.InTx(ctx, func(ctx context.Context) error { return s.Users.CreateUser(ctx, newUser("nested@example.com")) }); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("nested InTx = %v", err)
	}
	if _, err := s.Users.UserByEmail(ctx, "nested@example.com"); !errors.Is(err, gatehouse.ErrNotFound) {
		t.Errorf("a nested write survived the outer rollback: %v", err)
	}
}
