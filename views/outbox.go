package views

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"sync"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/internal/i18n"
	"github.com/gatehouse-auth/gatehouse/mfa"
)

// Mail goes through the engine's durable outbox (gatehouse.Outbox). A
// request only ever writes a job: "mail a reset link to this address", in
// the same transaction as the rest of its work where the store allows.
// The workers of Views.Run then look the address up, issue the token and
// render the mail (token and rendered mail written in one transaction),
// and send it, retrying with backoff per job. So a request never waits
// for SMTP, a known and an unknown address cost the request the same, and
// neither an SMTP outage nor a crash loses a mail.

const (
	mailPoll          = time.Second
	sweepEvery        = time.Hour
	maxMailErrorLen   = 300
	mailNothingToSend = "nothing to send"
	mailUnreadable    = "payload cannot be opened (secret keys changed?)"
)

// mailPayload is what a job carries (the engine's outbox seals it): first
// the request, then, once resolved, the rendered message too.
type mailPayload struct {
	Kind    string   `json:"k"`
	UserID  string   `json:"u,omitempty"`
	Email   string   `json:"e,omitempty"` // look the user up by this address
	Lang    string   `json:"l,omitempty"`
	Message *Message `json:"m,omitempty"`
	Hook    bool     `json:"h,omitempty"` // the message carries a link or a code: call its *Sent hook
	Binding string   `json:"b,omitempty"` // passwordless: Token.Binding
	Code    string   `json:"c,omitempty"` // a two-factor code to mail
	Notice  string   `json:"t,omitempty"` // the change a notice tells of (a text key)
	Link    string   `json:"x,omitempty"` // the link the message carries, for MailConfig.ResetByApp
	To      string   `json:"o,omitempty"` // send to this address, not the user's (a new or an old one)
	Was     string   `json:"w,omitempty"` // change of address: the user's stamp and address when asked
}

func encodeMail(p *mailPayload) []byte {
	b, _ := json.Marshal(p) // strings and a struct of strings: cannot fail
	return b
}

func decodeMail(b []byte) (*mailPayload, bool) {
	var p mailPayload
	if b == nil || json.Unmarshal(b, &p) != nil || p.Kind == "" {
		return nil, false
	}
	return &p, true
}

// enqueueMail writes a mail job for p. It never sends: Run's workers do.
// Call it inside auth.InTx with the rest of the request's work.
func (v *Views) enqueueMail(ctx context.Context, p mailPayload) error {
	if v.st.Outbox == nil {
		return errors.New("views: no outbox for mail (gatehouse.Config.Outbox)")
	}
	now := v.cfg.Now()
	j := &gatehouse.MailJob{Kind: p.Kind, Payload: encodeMail(&p), DueAt: now, CreatedAt: now}
	if err := v.st.Outbox.Enqueue(ctx, j); err != nil {
		return fmt.Errorf("views: queue mail: %w", err)
	}
	v.log.DebugContext(ctx, "views: mail queued", "event", "mail_queued", "kind", p.Kind)
	if v.workers.Load() == 0 && v.warnedIdle.CompareAndSwap(false, true) {
		v.log.WarnContext(ctx, "views: mail queued but Views.Run is not running in this process; it is sent when a worker runs", "event", "mail_idle")
	}
	select {
	case v.wake <- struct{}{}:
	default:
	}
	return nil
}

// Run does the views' background work until ctx is done: the outbox
// workers send mail (Mail.Workers of them, each retrying failed sends with
// backoff on its own schedule), and the engine's Sweep runs hourly. Run it
// in a goroutine of its own, and stop it after the HTTP server has shut
// down:
//
//	go func() { done <- v.Run(ctx) }()
//	...
//	srv.Shutdown(shutdownCtx) // finish in-flight requests
//	cancel()                  // then stop the workers
//	<-done                    // each finishes the mail it is sending
//	db.Close()
//
// Run returns ctx's error once every worker has finished the job in hand.
// Several processes may run it on one shared outbox: a job is claimed by
// one worker at a time.
func (v *Views) Run(ctx context.Context) error {
	v.workers.Add(1)
	defer v.workers.Add(-1)
	var wg sync.WaitGroup
	if v.st.Outbox != nil && v.cfg.Mail.Mailer != nil {
		for range v.cfg.Mail.Workers {
			wg.Go(func() { v.mailWorker(ctx) })
		}
	}
	wg.Go(func() {
		t := time.NewTicker(sweepEvery)
		defer t.Stop()
		for {
			if err := v.auth.Sweep(ctx); err != nil && ctx.Err() == nil {
				v.log.ErrorContext(ctx, "views: sweeping expired records", "event", "store_error", "err", err)
			}
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
func (v *Views) mailWorker(ctx context.Context) {
	work := context.WithoutCancel(ctx)
	for ctx.Err() == nil {
		if v.handleNextMail(work) {
			continue
		}
		select {
		case <-ctx.Done():
		case <-v.wake:
		case <-time.After(mailPoll):
		}
	}
}

// SendPending handles every mail job that is due now, on the calling
// goroutine, and reports how many it handled. Run does this all the time;
// SendPending is for tests, and for apps that send mail from a scheduled
// job instead of a long-running worker.
func (v *Views) SendPending(ctx context.Context) (int, error) {
	if v.st.Outbox == nil || v.cfg.Mail.Mailer == nil {
		return 0, nil
	}
	n := 0
	for ctx.Err() == nil && v.handleNextMail(ctx) {
		n++
	}
	return n, ctx.Err()
}

// handleNextMail claims one due job and handles it; false if there was
// none (or the outbox could not be read).
func (v *Views) handleNextMail(ctx context.Context) bool {
	j, err := v.st.Outbox.ClaimMail(ctx, v.cfg.Now(), v.cfg.Mail.Lease)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return false
	}
	if err != nil {
		v.log.ErrorContext(ctx, "views: claiming mail", "event", "store_error", "err", err)
		return false
	}
	v.handleMail(ctx, j)
	return true
}

func (v *Views) handleMail(ctx context.Context, j *gatehouse.MailJob) {
	p, ok := decodeMail(j.Payload)
	if !ok {
		v.finishMail(ctx, j, errors.New(mailUnreadable), true)
		return
	}
	if p.Message == nil {
		// The token and the mail that carries it are written together: a
		// crash leaves both or neither, and a retry sends this same mail.
		request := j.Payload
		err := v.auth.InTx(ctx, func(ctx context.Context) error {
			if err := v.resolveMail(ctx, p); err != nil || p.Message == nil {
				return err
			}
			j.Payload = encodeMail(p)
			return v.st.Outbox.UpdateMail(ctx, j)
		})
		if err != nil {
			j.Payload = request // the token was rolled back: a retry resolves again
		}
		switch {
		case errors.Is(err, gatehouse.ErrConflict), errors.Is(err, gatehouse.ErrNotFound):
			return // another worker has it now
		case err != nil:
			v.retryMail(ctx, j, err)
			return
		case p.Message == nil:
			v.finishMail(ctx, j, nil, false)
			return
		}
	}
	j.Attempts++
	sendCtx, cancel := context.WithTimeout(ctx, v.cfg.Mail.SendTimeout)
	err := v.send(sendCtx, p)
	cancel()
	switch {
	case err == nil:
		v.finishMail(ctx, j, nil, false)
		v.log.InfoContext(ctx, "views: mail sent", "event", "mail_sent", "kind", j.Kind)
		if p.Hook {
			v.mailHook(ctx, p)
		}
	case errors.Is(err, ErrMailRejected):
		v.finishMail(ctx, j, err, true)
	default:
		v.retryMail(ctx, j, err)
	}
}

// finishMail records a job as done (sent, or nothing to send) or given up,
// and drops its payload: the link in it is a secret.
func (v *Views) finishMail(ctx context.Context, j *gatehouse.MailJob, cause error, failed bool) {
	now := v.cfg.Now()
	j.Payload, j.ClaimedUntil = nil, time.Time{}
	if failed {
		j.FailedAt, j.Error = now, mailError(cause)
		v.log.ErrorContext(ctx, "views: mail not sent; giving up", "event", "mail_failed", "kind", j.Kind, "err", j.Error)
	} else {
		j.SentAt, j.Error = now, ""
		if cause == nil && j.Attempts == 0 {
			j.Error = mailNothingToSend
		}
	}
	if err := v.st.Outbox.UpdateMail(ctx, j); err != nil && !errors.Is(err, gatehouse.ErrConflict) {
		v.log.ErrorContext(ctx, "views: recording mail", "event", "store_error", "err", err)
	}
}

// retryMail schedules j again with exponential backoff, or gives it up
// once it is older than Mail.GiveUpAfter.
func (v *Views) retryMail(ctx context.Context, j *gatehouse.MailJob, cause error) {
	now := v.cfg.Now()
	if now.Sub(j.CreatedAt) >= v.cfg.Mail.GiveUpAfter {
		v.finishMail(ctx, j, cause, true)
		return
	}
	delay := v.cfg.Mail.RetryDelay << min(max(j.Attempts-1, 0), 20)
	delay = min(delay, v.cfg.Mail.MaxRetryDelay)
	delay += rand.N(delay/5 + 1) // spread retries after an outage
	j.DueAt, j.ClaimedUntil, j.Error = now.Add(delay), time.Time{}, mailError(cause)
	v.log.WarnContext(ctx, "views: mail failed; will retry", "event", "mail_retry", "kind", j.Kind,
		"err", j.Error, "retry_in", delay.Round(time.Millisecond).String())
	if err := v.st.Outbox.UpdateMail(ctx, j); err != nil && !errors.Is(err, gatehouse.ErrConflict) {
		v.log.ErrorContext(ctx, "views: recording mail", "event", "store_error", "err", err)
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
// there is nothing to send. Call it inside auth.InTx with the write of
// the message, so the token and the mail carrying it stand or fall
// together.
func (v *Views) resolveMail(ctx context.Context, p *mailPayload) error {
	var u *gatehouse.User
	var err error
	switch {
	case p.UserID != "":
		u, err = v.st.Users.UserByID(ctx, p.UserID)
	case p.Kind == mailSigninCode: // an identity, looked up as sign-in does
		if u, err = v.usFindUser(ctx, p.Email); err == nil && u == nil {
			return nil
		}
	default:
		u, err = v.auth.FindUser(ctx, p.Email)
	}
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	c := v.cfg
	var kind, path string
	var ttl time.Duration
	var subject i18n.Key
	switch p.Kind {
	case mailWelcome:
		subject = i18n.EmailSubjectRegister
		if c.Confirmable && !u.IsConfirmed() {
			kind, ttl, path = TokenConfirm, c.ConfirmWithin, c.ConfirmPath
		}
	case mailConfirm:
		if u.IsConfirmed() || !u.Active {
			return nil
		}
		kind, ttl, path, subject = TokenConfirm, c.ConfirmWithin, c.ConfirmPath, i18n.EmailSubjectConfirm
	case mailReset, mailUnlock:
		if !u.Active {
			return nil
		}
		kind, ttl, path, subject = TokenReset, c.ResetWithin, c.ResetPath, i18n.EmailSubjectPasswordReset
		if p.Kind == mailUnlock {
			subject = i18n.EmailSubjectUnlock
		}
	case mailLogin:
		if !v.loginAllowed(u) {
			return nil
		}
		kind, ttl, path, subject = TokenLogin, c.LoginWithin, c.LoginPath, i18n.EmailSubjectPasswordless
	case mailResetNotice:
		subject = i18n.EmailSubjectPasswordNotice
	case mailChangeNotice:
		subject = i18n.EmailSubjectPasswordChangeNotice
	case mailRegisterNotice:
		subject = i18n.EmailSubjectRegisterNotice
	case mailTwoFactorCode:
		subject = i18n.EmailSubjectTwoFactor
		p.Hook = true
	case mailTwoFactorNotice:
		subject = i18n.EmailSubjectTwoFactorNotice
	case mailTwoFactorRescue:
		subject = i18n.EmailSubjectTwoFactorRescue
	case mailChangeEmail:
		// A new request voids the link of an earlier one, whether or not
		// this one mails anything.
		if err := v.st.Tokens.DeleteUserTokens(ctx, u.ID, TokenChangeEmail); err != nil {
			return err
		}
		// Nothing if the account changed since the request (a new
		// password, "log out everywhere", another address), or the
		// address is taken.
		if !u.Active || p.To == "" || p.Was != stampOf(u)+" "+u.Email {
			return nil
		}
		if free, err := v.addressFree(ctx, p.To); err != nil || !free {
			return err
		}
		// The link carries the new address, and is bound to the current
		// one (Token.Email): a change by any route voids it.
		kind, ttl, path, subject = TokenChangeEmail, c.ChangeEmailWithin, c.ChangeEmailConfirmPath, i18n.EmailSubjectChangeEmail
		p.Binding = p.To
	case mailEmailChanged:
		subject = i18n.EmailSubjectEmailChanged
	case mailUsernameChanged:
		subject = i18n.EmailSubjectUsernameChanged
	case mailUsernameRecovery:
		if !u.Active || u.Username == "" {
			return nil
		}
		subject, p.Hook = i18n.EmailSubjectUsernameRecovery, true
	case mailSigninCode:
		if !v.loginAllowed(u) {
			return nil
		}
		if p.Code == "" { // a sign-in code, not a setup's
			if p.Code, err = v.usMailCode(ctx, u); err != nil || p.Code == "" {
				return err
			}
		}
		subject, p.Hook = i18n.EmailSubjectUSCode, true
	default:
		return fmt.Errorf("views: unknown mail %q", p.Kind)
	}
	data := map[string]any{"LoginLink": v.link(c.LoginPath, ""), "Code": p.Code, "To": p.To,
		"CodeWithin": v.humanDuration(p.Lang, c.UnifiedSignin.CodeWithin)}
	if p.Notice != "" {
		data["Notice"] = v.texts.Text(p.Lang, i18n.Key(p.Notice))
	}
	if c.Recoverable {
		data["ResetLink"] = v.link(c.ResetPath, "")
	}
	if kind != "" {
		raw, err := v.auth.IssueToken(ctx, kind, u, ttl, p.Binding)
		if err != nil {
			return err
		}
		data["Link"] = v.link(path, raw)
		p.Link = data["Link"].(string)
		data["Within"] = v.humanDuration(p.Lang, ttl)
		p.Hook = true
	}
	msg, err := v.renderMail(p.Kind, v.texts.Text(p.Lang, subject), p.Lang, u, data)
	if err != nil {
		return err
	}
	if p.Kind == mailTwoFactorRescue {
		msg.To = v.cfg.TwoFactor.RescueAddress // the site's helpers, about u
	}
	if p.To != "" {
		msg.To = p.To
	}
	p.UserID, p.Email, p.Message, p.Code = u.ID, "", msg, ""
	return nil
}

// send delivers p's message: by the Mailer, or, for reset instructions
// with MailConfig.ResetByApp set, by the app.
func (v *Views) send(ctx context.Context, p *mailPayload) error {
	if by := v.cfg.Mail.ResetByApp; by != nil && p.Kind == mailReset && p.Link != "" {
		u, err := v.st.Users.UserByID(ctx, p.UserID)
		if errors.Is(err, gatehouse.ErrNotFound) {
			return nil // gone since: nothing to send
		}
		if err != nil {
			return err
		}
		return by(ctx, u, p.Link)
	}
	return v.cfg.Mail.Mailer.Send(ctx, p.Message)
}

// mailHook calls the hook for a mail that carried a link or a code.
func (v *Views) mailHook(ctx context.Context, p *mailPayload) {
	var h func(context.Context, *gatehouse.User)
	var coded func(context.Context, *gatehouse.User, string)
	switch p.Kind {
	case mailWelcome, mailConfirm:
		h = v.cfg.Hooks.ConfirmInstructionsSent
	case mailReset, mailUnlock:
		h = v.cfg.Hooks.ResetInstructionsSent
	case mailLogin:
		h = v.cfg.Hooks.LoginInstructionsSent
	case mailUsernameRecovery:
		h = v.cfg.Hooks.UsernameRecoverySent
	case mailChangeEmail:
		if hook := v.cfg.Hooks.ChangeEmailSent; hook != nil {
			h = func(ctx context.Context, u *gatehouse.User) { hook(ctx, u, p.Binding) }
		}
	case mailTwoFactorCode:
		coded = v.cfg.Hooks.TwoFactorCodeSent
	case mailSigninCode:
		coded = v.cfg.Hooks.SigninCodeSent
	}
	if h == nil && coded == nil {
		return
	}
	u, err := v.st.Users.UserByID(ctx, p.UserID)
	switch {
	case err != nil:
	case h != nil:
		h(ctx, u)
	default:
		coded(ctx, u, mfa.KindEmail)
	}
}
