package memstore

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

func copyJob(j *gatehouse.MailJob) *gatehouse.MailJob {
	c := *j
	c.Payload = slices.Clone(j.Payload)
	return &c
}

func finished(j *gatehouse.MailJob) bool { return !j.SentAt.IsZero() || !j.FailedAt.IsZero() }

// Enqueue implements gatehouse.Outbox.
func (s *Store) Enqueue(_ context.Context, j *gatehouse.MailJob) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mailSeq++
	j.ID = strconv.Itoa(s.mailSeq)
	j.Claim, j.ClaimedUntil = "", time.Time{}
	s.mail[j.ID] = copyJob(j)
	return nil
}

// ClaimMail implements gatehouse.Outbox: the due job with the earliest
// DueAt, under the store's lock.
func (s *Store) ClaimMail(_ context.Context, now time.Time, lease time.Duration) (*gatehouse.MailJob, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var best *gatehouse.MailJob
	for _, j := range s.mail {
		if finished(j) || j.DueAt.After(now) || j.ClaimedUntil.After(now) {
			continue
		}
		if best == nil || j.DueAt.Before(best.DueAt) || j.DueAt.Equal(best.DueAt) && j.ID < best.ID {
			best = j
		}
	}
	if best == nil {
		return nil, fmt.Errorf("memstore: claim mail: %w", gatehouse.ErrNotFound)
	}
	s.claimSeq++
	best.Claim, best.ClaimedUntil = strconv.Itoa(s.claimSeq), now.Add(lease)
	return copyJob(best), nil
}

// UpdateMail implements gatehouse.Outbox.
func (s *Store) UpdateMail(_ context.Context, j *gatehouse.MailJob) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.mail[j.ID]
	if !ok {
		return fmt.Errorf("memstore: update mail: %w", gatehouse.ErrNotFound)
	}
	if old.Claim != j.Claim {
		return fmt.Errorf("memstore: update mail: %w", gatehouse.ErrConflict)
	}
	c := copyJob(j)
	c.CreatedAt, c.Kind = old.CreatedAt, old.Kind
	s.mail[j.ID] = c
	return nil
}

// DeleteFinishedMail implements gatehouse.Outbox.
func (s *Store) DeleteFinishedMail(_ context.Context, before time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for id, j := range s.mail {
		if !j.SentAt.IsZero() && j.SentAt.Before(before) || !j.FailedAt.IsZero() && j.FailedAt.Before(before) {
			delete(s.mail, id)
			n++
		}
	}
	return n, nil
}
