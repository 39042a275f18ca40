package sqlcore

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"strconv"
	"time"

	"github.com/gatehouse-auth/gatehouse"
)

const mailCols = "id, kind, payload, attempts, due_at, created_at, sent_at, failed_at, error, claim, claimed_until"

func scanMail(row scanner) (*gatehouse.MailJob, error) {
	var j gatehouse.MailJob
	var id int64
	err := row.Scan(&id, &j.Kind, &j.Payload, &j.Attempts, timeCol{&j.DueAt}, timeCol{&j.CreatedAt},
		timeCol{&j.SentAt}, timeCol{&j.FailedAt}, &j.Error, &j.Claim, timeCol{&j.ClaimedUntil})
	if err != nil {
		return nil, err
	}
	j.ID = strconv.FormatInt(id, 10)
	return &j, nil
}

// Enqueue implements gatehouse.Outbox.
func (s *Store) Enqueue(ctx context.Context, j *gatehouse.MailJob) error {
	ctx, done, werr := s.writing(ctx)
	if werr != nil {
		return s.wrap("Enqueue", werr)
	}
	defer done()
	var id int64
	err := s.conn(ctx).QueryRowContext(ctx, s.q(`INSERT INTO gatehouse_mail (kind, payload, attempts, due_at, created_at, error, claim)
		VALUES (?, ?, ?, ?, ?, '', '') RETURNING id`), j.Kind, j.Payload, j.Attempts, s.d.Time(j.DueAt), s.d.Time(j.CreatedAt)).Scan(&id)
	if err != nil {
		return s.wrap("enqueue mail", err)
	}
	j.ID, j.Claim, j.ClaimedUntil = strconv.FormatInt(id, 10), "", time.Time{}
	return nil
}

// ClaimMail implements gatehouse.Outbox in one statement: the subquery
// picks the earliest due job (skipping rows another transaction has
// locked, in PostgreSQL), and the update claims it, so concurrent claimers
// in any number of processes never share a job.
func (s *Store) ClaimMail(ctx context.Context, now time.Time, lease time.Duration) (*gatehouse.MailJob, error) {
	ctx, done, werr := s.writing(ctx)
	if werr != nil {
		return nil, s.wrap("ClaimMail", werr)
	}
	defer done()
	var b [16]byte
	rand.Read(b[:])
	claim := base64.RawURLEncoding.EncodeToString(b[:])
	t := s.d.Time(now)
	j, err := scanMail(s.conn(ctx).QueryRowContext(ctx, s.q(`UPDATE gatehouse_mail SET claim = ?, claimed_until = ?
		WHERE id = (SELECT id FROM gatehouse_mail
			WHERE sent_at IS NULL AND failed_at IS NULL AND due_at <= ? AND (claimed_until IS NULL OR claimed_until <= ?)
			ORDER BY due_at, id LIMIT 1`+s.d.SkipLocked+`)
		RETURNING `+mailCols), claim, s.d.Time(now.Add(lease)), t, t))
	return j, s.wrap("claim mail", err)
}

// UpdateMail implements gatehouse.Outbox: the write happens only while
// j.Claim still holds the job.
func (s *Store) UpdateMail(ctx context.Context, j *gatehouse.MailJob) error {
	ctx, done, werr := s.writing(ctx)
	if werr != nil {
		return s.wrap("UpdateMail", werr)
	}
	defer done()
	id, ok := parseID(j.ID)
	if !ok {
		return s.errf("update mail", gatehouse.ErrNotFound)
	}
	d := s.d
	err := s.inTx(ctx, func(tx querier) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE gatehouse_mail SET payload = ?, attempts = ?, due_at = ?, sent_at = ?, failed_at = ?,
			error = ?, claimed_until = ? WHERE id = ? AND claim = ?`),
			j.Payload, j.Attempts, d.Time(j.DueAt), d.Time(j.SentAt), d.Time(j.FailedAt), j.Error, d.Time(j.ClaimedUntil), id, j.Claim)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n > 0 {
			return nil
		}
		var one int
		if err := tx.QueryRowContext(ctx, s.q("SELECT 1 FROM gatehouse_mail WHERE id = ?"), id).Scan(&one); err != nil {
			return err
		}
		return gatehouse.ErrConflict
	})
	return s.wrap("update mail", err)
}

// DeleteFinishedMail implements gatehouse.Outbox.
func (s *Store) DeleteFinishedMail(ctx context.Context, before time.Time) (int, error) {
	ctx, done, werr := s.writing(ctx)
	if werr != nil {
		return 0, s.wrap("DeleteFinishedMail", werr)
	}
	defer done()
	t := s.d.Time(before)
	res, err := s.conn(ctx).ExecContext(ctx, s.q(`DELETE FROM gatehouse_mail
		WHERE (sent_at IS NOT NULL AND sent_at < ?) OR (failed_at IS NOT NULL AND failed_at < ?)`), t, t)
	if err != nil {
		return 0, s.wrap("delete finished mail", err)
	}
	n, err := res.RowsAffected()
	return int(n), s.wrap("delete finished mail", err)
}
