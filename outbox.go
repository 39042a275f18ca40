package gatehouse

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"sync"
	"time"
)

// Mail goes through a durable outbox (see [Outbox]). A request only ever
// writes a job: "mail a reset link to this address", in the same
// transaction as the rest of its work where the store allows. The outbox
// workers of Manager.Run then look the address up, issue the token and
// render the mail (token and rendered mail written in one transaction),
// and send it, retrying with backoff per job. So a request never waits for
// SMTP, a known and an unknown address cost the request the same, and
// neither an SMTP outage nor a crash loses a mail.

// The mails gatehouse sends, by template name.
const (
	mailWelcome      = "welcome"
	mailConfirm      = "confirmation_instructions"
	mailReset        = "reset_instructions"
	mailLogin        = "login_instructions"
	mailResetNotice  = "reset_notice"
	mailChangeNotice = "change_notice"
	// mailRegisterNotice tells the owner of an address that someone tried
	// to sign up with it.
	mailRegisterNotice = "register_notice"
)

const (
	defaultMailWorkers  = 2
	defaultMailLease    = 2 * time.Minute
	defaultSendTimeout  = 30 * time.Second
	defaultMaxRetry     = 10 * time.Minute
	defaultGiveUp       = 24 * time.Hour
	mailPoll            = time.Second
	keepFinishedMail    = 7 * 24 * time.Hour
	sweepEvery          = time.Hour
	mailPayloadVersion  = 1
	maxMailErrorLen     = 300
	mailNothingToSend   = "nothing to send"
	mailUnreadableError = "payload cannot be opened (secret keys changed?)"
)

// mailPayload is what a job carries, sealed: first the request, then, once
// resolved, the rendered message too.
type mailPayload struct {
	Kind    string   `json:"k"`
	UserID  string   `json:"u,omitempty"`
	Email   string   `json:"e,omitempty"` // look the user up by this address
	Lang    string   `json:"l,omitempty"`
	Message *Message `json:"m,omitempty"`
	Hook    bool     `json:"h,omitempty"` // the message carries a link: call the *InstructionsSent hook
	Binding string   `json:"b,omitempty"` // passwordless: Token.Binding
}

// MailerFunc adapts a function to the [Mailer] interface, to hand mail to
// an application's own queue or to a test.
type MailerFunc func(ctx context.Context, m *Message) error

// Send calls f.
func (f MailerFunc) Send(ctx context.Context, m *Message) error { return f(ctx, m) }

var mailAD = []byte("gatehouse mail")

func (m *Manager) sealMail(p *mailPayload) []byte {
	plain, _ := json.Marshal(p)
	return sealBox(m.mailKeys[0], mailPayloadVersion, plain, mailAD)
}

func (m *Manager) openMail(box []byte) (*mailPayload, bool) {
	plain, ok := openBox(m.mailKeys, mailPayloadVersion, box, mailAD)
	if !ok {
		return nil, false
	}
	var p mailPayload
	if json.Unmarshal(plain, &p) != nil || p.Kind == "" {
		return nil, false
	}
	return &p, true
}

// enqueueMail writes a mail job for p. It never sends: the outbox workers
// do. Call it inside m.inTx with the rest of the request's work.
func (m *Manager) enqueueMail(ctx context.Context, p mailPayload) error {
	if m.st.outbox == nil {
		return errors.New("gatehouse: no outbox for mail (Config.Mail.Outbox)")
	}
	now := m.cfg.Now()
	j := &MailJob{Kind: p.Kind, Payload: m.sealMail(&p), DueAt: now, CreatedAt: now}
	if err := m.st.outbox.Enqueue(ctx, j); err != nil {
		return fmt.Errorf("gatehouse: queue mail: %w", err)
	}
	m.log.LogAttrs(ctx, levelDebug, "gatehouse: mail queued", attrEvent("mail_queued"), slogString("kind", p.Kind))
	if m.workers.Load() == 0 && m.warnedIdle.CompareAndSwap(false, true) {
		m.log.LogAttrs(ctx, levelWarn, "gatehouse: mail queued but Manager.Run is not running in this process; it is sent when a worker runs", attrEvent("mail_idle"))
	}
	select {
	case m.wake <- struct{}{}:
	default:
	}
	return nil
}

// Run does gatehouse's background work until ctx is done: the outbox
// workers send mail (Config.Mail.Workers of them, each retrying failed
// sends with backoff on its own schedule), and expired tokens, sessions
// and old mail jobs are swept hourly. Run it in a goroutine of its own,
// and stop it after the HTTP server has shut down:
//
//	go func() { done <- auth.Run(ctx) }()
//	...
//	srv.Shutdown(shutdownCtx) // finish in-flight requests
//	cancel()                  // then stop the workers
//	<-done                    // each finishes the mail it is sending
//	db.Close()
//
// Run returns ctx's error once every worker has finished the job in hand.
// Several processes may run it on one shared outbox: a job is claimed by
// one worker at a time.
func (m *Manager) Run(ctx context.Context) error {
	m.workers.Add(1)
	defer m.workers.Add(-1)
	var wg sync.WaitGroup
	if m.st.outbox != nil && m.mailer != nil {
		for range m.cfg.Mail.Workers {
			wg.Go(func() { m.mailWorker(ctx) })
		}
	}
	wg.Go(func() {
		t := time.NewTicker(sweepEvery)
		defer t.Stop()
		for {
			m.sweep(ctx)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
	wg.Wait()
	return ctx.Err()
}

// mailWorker claims and handles jobs until ctx is done; a job in hand is
// finished (with its own deadline) even after that.
func (m *Manager) mailWorker(ctx context.Context) {
	work := context.WithoutCancel(ctx)
	for ctx.Err() == nil {
		if m.handleNextMail(work) {
			continue
		}
		select {
		case <-ctx.Done():
		case <-m.wake:
		case <-time.After(mailPoll):
		}
	}
}

// SendPending handles every mail job that is due now, on the calling
// goroutine, and reports how many it handled. Manager.Run does this all
// the time; SendPending is for tests, and for apps that send mail from a
// scheduled job instead of a long-running worker.
func (m *Manager) SendPending(ctx context.Context) (int, error) {
	if m.st.outbox == nil || m.mailer == nil {
		return 0, nil
	}
	n := 0
	for ctx.Err() == nil && m.handleNextMail(ctx) {
		n++
	}
	return n, ctx.Err()
}

// handleNextMail claims one due job and handles it; false if there was
// none (or the outbox could not be read).
func (m *Manager) handleNextMail(ctx context.Context) bool {
	j, err := m.st.outbox.ClaimMail(ctx, m.cfg.Now(), m.cfg.Mail.Lease)
	if errors.Is(err, ErrNotFound) {
		return false
	}
	if err != nil {
		m.log.LogAttrs(ctx, levelError, "gatehouse: claiming mail", attrEvent("store_error"), attrErr(err))
		return false
	}
	m.handleMail(ctx, j)
	return true
}

func (m *Manager) handleMail(ctx context.Context, j *MailJob) {
	p, ok := m.openMail(j.Payload)
	if !ok {
		m.finishMail(ctx, j, errors.New(mailUnreadableError), true)
		return
	}
	if p.Message == nil {
		tok, err := m.resolveMail(ctx, p)
		if err != nil {
			m.retryMail(ctx, j, err)
			return
		}
		if p.Message == nil {
			m.finishMail(ctx, j, nil, false)
			return
		}
		// The token and the mail that carries it are written together: a
		// crash leaves both or neither, and a retry sends this same mail.
		j.Payload = m.sealMail(p)
		err = m.inTx(ctx, func(ctx context.Context) error {
			if tok != nil {
				if err := m.saveToken(ctx, tok); err != nil {
					return err
				}
			}
			return m.st.outbox.UpdateMail(ctx, j)
		})
		if errors.Is(err, ErrConflict) || errors.Is(err, ErrNotFound) {
			return // another worker has it now
		}
		if err != nil {
			m.retryMail(ctx, j, err)
			return
		}
	}
	j.Attempts++
	sendCtx, cancel := context.WithTimeout(ctx, m.cfg.Mail.SendTimeout)
	err := m.mailer.Send(sendCtx, p.Message)
	cancel()
	switch {
	case err == nil:
		m.finishMail(ctx, j, nil, false)
		m.log.LogAttrs(ctx, levelInfo, "gatehouse: mail sent", attrEvent("mail_sent"), slogString("kind", j.Kind))
		if p.Hook {
			m.mailHook(ctx, p)
		}
	case errors.Is(err, ErrMailRejected):
		m.finishMail(ctx, j, err, true)
	default:
		m.retryMail(ctx, j, err)
	}
}

// finishMail records a job as done (sent, or nothing to send) or given up,
// and drops its payload: the link in it is a secret.
func (m *Manager) finishMail(ctx context.Context, j *MailJob, cause error, failed bool) {
	now := m.cfg.Now()
	j.Payload, j.ClaimedUntil = nil, time.Time{}
	if failed {
		j.FailedAt, j.Error = now, mailError(cause)
		m.log.LogAttrs(ctx, levelError, "gatehouse: mail not sent; giving up", attrEvent("mail_failed"), slogString("kind", j.Kind), slogString(keyErr, j.Error))
	} else {
		j.SentAt, j.Error = now, ""
		if cause == nil && j.Attempts == 0 {
			j.Error = mailNothingToSend
		}
	}
	if err := m.st.outbox.UpdateMail(ctx, j); err != nil && !errors.Is(err, ErrConflict) {
		m.log.LogAttrs(ctx, levelError, "gatehouse: recording mail", attrEvent("store_error"), attrErr(err))
	}
}

// retryMail schedules j again with exponential backoff, or gives it up
// once it is older than Mail.GiveUpAfter.
func (m *Manager) retryMail(ctx context.Context, j *MailJob, cause error) {
	now := m.cfg.Now()
	if now.Sub(j.CreatedAt) >= m.cfg.Mail.GiveUpAfter {
		m.finishMail(ctx, j, cause, true)
		return
	}
	delay := m.cfg.Mail.RetryDelay << min(max(j.Attempts-1, 0), 20)
	delay = min(delay, m.cfg.Mail.MaxRetryDelay)
	delay += rand.N(delay/5 + 1) // spread retries after an outage
	j.DueAt, j.ClaimedUntil, j.Error = now.Add(delay), time.Time{}, mailError(cause)
	m.log.LogAttrs(ctx, levelWarn, "gatehouse: mail failed; will retry", attrEvent("mail_retry"), slogString("kind", j.Kind),
		slogString(keyErr, j.Error), slogString("retry_in", delay.Round(time.Millisecond).String()))
	if err := m.st.outbox.UpdateMail(ctx, j); err != nil && !errors.Is(err, ErrConflict) {
		m.log.LogAttrs(ctx, levelError, "gatehouse: recording mail", attrEvent("store_error"), attrErr(err))
	}
}

var addressLike = regexp.MustCompile(`[^\s<>"':;,]+@[^\s<>"':;,]+`)

// mailError is cause as the outbox keeps and logs it: short, and with
// anything that looks like an address taken out (servers echo them).
func mailError(cause error) string {
	if cause == nil {
		return ""
	}
	s := addressLike.ReplaceAllString(cause.Error(), "<address>")
	if len(s) > maxMailErrorLen {
		s = s[:maxMailErrorLen]
	}
	return s
}

// resolveMail turns a mail request into a message: it loads the user,
// decides whether anything is to be sent (an unknown address, an
// unconfirmed account asking for a reset, ... send nothing), and issues
// the token the link carries. It sets p.Message, or leaves it nil when
// there is nothing to send. The token is returned unsaved.
func (m *Manager) resolveMail(ctx context.Context, p *mailPayload) (*Token, error) {
	var u *User
	var err error
	if p.UserID != "" {
		u, err = m.st.users.UserByID(ctx, p.UserID)
	} else {
		u, err = m.lookupIdentity(ctx, p.Email)
	}
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	v := m.cfg.Views
	var kind TokenKind
	var ttl time.Duration
	var path, subject string
	switch p.Kind {
	case mailWelcome:
		subject = SubjectRegister
		if m.cfg.Confirmable && !u.IsConfirmed() {
			kind, ttl, path = TokenConfirm, v.ConfirmWithin, v.ConfirmPath
		}
	case mailConfirm:
		if u.IsConfirmed() || !u.Active {
			return nil, nil
		}
		kind, ttl, path, subject = TokenConfirm, v.ConfirmWithin, v.ConfirmPath, SubjectConfirm
	case mailReset:
		if !u.Active {
			return nil, nil
		}
		kind, ttl, path, subject = TokenReset, v.ResetWithin, v.ResetPath, SubjectPasswordReset
	case mailLogin:
		if !m.loginAllowed(u) {
			return nil, nil
		}
		kind, ttl, path, subject = TokenLogin, v.LoginWithin, v.LoginPath, SubjectPasswordless
	case mailResetNotice:
		subject = SubjectPasswordNotice
	case mailChangeNotice:
		subject = SubjectPasswordChangeNotice
	case mailRegisterNotice:
		subject = SubjectRegisterNotice
	default:
		return nil, fmt.Errorf("gatehouse: unknown mail %q", p.Kind)
	}
	data := map[string]any{"LoginLink": m.link(v.LoginPath, "")}
	if m.cfg.Recoverable {
		data["ResetLink"] = m.link(v.ResetPath, "")
	}
	var tok *Token
	if kind != "" {
		var raw string
		raw, tok = m.newToken(kind, u, ttl)
		tok.Binding = p.Binding
		data["Link"] = m.link(path, raw)
		data["Within"] = m.humanDuration(p.Lang, ttl)
		p.Hook = true
	}
	msg, err := m.renderMail(p.Kind, subject, p.Lang, u, data)
	if err != nil {
		return nil, err
	}
	p.UserID, p.Email, p.Message = u.ID, "", msg
	return tok, nil
}

// mailHook calls the hook for a mail that carried a link.
func (m *Manager) mailHook(ctx context.Context, p *mailPayload) {
	var h func(context.Context, *User)
	switch {
	case p.Kind == mailWelcome || p.Kind == mailConfirm:
		h = m.cfg.Hooks.ConfirmInstructionsSent
	case p.Kind == mailReset:
		h = m.cfg.Hooks.ResetInstructionsSent
	case p.Kind == mailLogin:
		h = m.cfg.Hooks.LoginInstructionsSent
	}
	if h == nil {
		return
	}
	if u, err := m.st.users.UserByID(ctx, p.UserID); err == nil {
		h(ctx, u)
	}
}

// sweep drops expired tokens and sessions and old finished mail jobs.
func (m *Manager) sweep(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, m.st.timeout)
	defer cancel()
	now := m.cfg.Now()
	if ts := m.st.tokenSweeper; ts != nil {
		if _, err := ts.DeleteExpiredTokens(ctx, now); err != nil {
			m.log.LogAttrs(ctx, levelError, "gatehouse: sweeping tokens", attrEvent("store_error"), attrErr(err))
		}
	}
	if ss := m.st.sweeper; ss != nil {
		if _, err := ss.DeleteExpiredSessions(ctx, now); err != nil {
			m.log.LogAttrs(ctx, levelError, "gatehouse: sweeping sessions", attrEvent("store_error"), attrErr(err))
		}
	}
	if m.st.outbox != nil {
		if _, err := m.st.outbox.DeleteFinishedMail(ctx, now.Add(-keepFinishedMail)); err != nil {
			m.log.LogAttrs(ctx, levelError, "gatehouse: sweeping mail", attrEvent("store_error"), attrErr(err))
		}
	}
}
