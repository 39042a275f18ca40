package gatehouse

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// job is work done off the request path: looking a user up, issuing a
// token and mailing it, so that the answer, and its timing, is the same
// whether or not the address has an account.
type job func(ctx context.Context)

const (
	jobQueueSize = 1024
	mailAttempts = 8 // about 4 minutes of retrying with the default delay
)

// Run does gatehouse's background work until ctx is done: it sends mail
// off the request path, retrying failed sends with backoff (so a briefly
// unreachable SMTP server loses nothing), and sweeps expired tokens and
// sessions hourly. Run it in a goroutine of its own: go m.Run(ctx). Without
// it, mail is sent on the request path, once.
func (m *Manager) Run(ctx context.Context) error {
	m.running.Add(1)
	defer m.running.Add(-1)
	sweep := time.NewTicker(time.Hour)
	defer sweep.Stop()
	for {
		select {
		case <-ctx.Done():
			// Finish what is queued, with a little time for it.
			drain, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			for {
				select {
				case j := <-m.jobs:
					j(drain)
				default:
					cancel()
					return ctx.Err()
				}
			}
		case j := <-m.jobs:
			j(ctx)
		case <-sweep.C:
			m.sweep(ctx)
		}
	}
}

func (m *Manager) sweep(ctx context.Context) {
	now := m.cfg.Now()
	if ts, ok := m.cfg.Tokens.(TokenSweeper); ok {
		ts.DeleteExpiredTokens(ctx, now)
	}
	if ss, ok := m.cfg.Sessions.(SessionSweeper); ok {
		ss.DeleteExpiredSessions(ctx, now)
	}
}

// later runs j on the Run goroutine if one is running and the queue has
// room, else now, on the request path.
func (m *Manager) later(ctx context.Context, j job) {
	if m.running.Load() > 0 {
		select {
		case m.jobs <- j:
			return
		default:
			m.log.LogAttrs(ctx, levelWarn, "gatehouse: background queue full; working on the request path", attrEvent("queue_full"))
		}
	}
	j(context.WithoutCancel(ctx))
}

// deliver sends msg through Config.Mail.Send, or the Mailer with retries
// when running under Run.
func (m *Manager) deliver(ctx context.Context, msg *Message) {
	if m.cfg.Mail.Send != nil {
		if err := m.cfg.Mail.Send(ctx, msg); err != nil {
			m.log.LogAttrs(ctx, levelError, "gatehouse: mail hook", attrEvent("mail_failed"), slogString("kind", msg.Kind), attrErr(err))
		}
		return
	}
	attempts := 1
	if m.running.Load() > 0 {
		attempts = mailAttempts
	}
	delay := m.cfg.Mail.RetryDelay
	for i := 1; ; i++ {
		sendCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := m.cfg.Mail.Mailer.Send(sendCtx, msg)
		cancel()
		if err == nil {
			m.log.LogAttrs(ctx, levelInfo, "gatehouse: mail sent", attrEvent("mail_sent"), slogString("kind", msg.Kind))
			return
		}
		if i >= attempts {
			m.log.LogAttrs(ctx, levelError, "gatehouse: mail not sent", attrEvent("mail_failed"), slogString("kind", msg.Kind), attrErr(err))
			return
		}
		m.log.LogAttrs(ctx, levelWarn, "gatehouse: mail failed; retrying", attrEvent("mail_retry"), slogString("kind", msg.Kind), attrErr(err))
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return
		}
		delay = min(delay*2, time.Minute)
	}
}

// canMail reports whether mail can be sent at all.
func (m *Manager) canMail() bool { return m.cfg.Mail.Mailer != nil || m.cfg.Mail.Send != nil }

// mailUser renders and delivers one mail.
func (m *Manager) mailUser(ctx context.Context, kind, subjectKey, lang string, u *User, data map[string]any) bool {
	msg, err := m.renderMail(kind, subjectKey, lang, u, data)
	if err != nil {
		m.log.LogAttrs(ctx, levelError, "gatehouse: mail template", attrEvent("mail_failed"), slogString("kind", kind), attrErr(err))
		return false
	}
	m.deliver(ctx, msg)
	return true
}

// link is an absolute URL on the configured BaseURL, never the request's
// Host: a forged Host header cannot send a user's reset link elsewhere.
func (m *Manager) link(path, token string) string {
	return strings.TrimSuffix(m.cfg.Views.BaseURL, "/") + m.cfg.Views.Prefix + path + "/" + token
}

// allowMail applies Mail.PerAddress to an address, known or not, so the
// limit itself says nothing about which addresses have accounts.
func (m *Manager) allowMail(r *http.Request, purpose, email string) error {
	mac := hmac.New(sha256.New, m.protectKey)
	mac.Write([]byte("mail\x00" + purpose + "\x00" + strings.ToLower(email)))
	key := b64.EncodeToString(mac.Sum(nil)[:16])
	ok, retry, err := m.limiter.Allow(r.Context(), key, m.cfg.Mail.PerAddress, m.cfg.Now())
	if err != nil {
		return err
	}
	if !ok {
		return &RateLimitError{RetryAfter: retry}
	}
	return nil
}

// humanDuration says d in lang ("5 days", "5日"), for mails.
func (m *Manager) humanDuration(lang string, d time.Duration) string {
	n, unit := int(d/time.Minute), "UI_MINUTE"
	switch {
	case d%(24*time.Hour) == 0:
		n, unit = int(d/(24*time.Hour)), "UI_DAY"
	case d%time.Hour == 0:
		n, unit = int(d/time.Hour), "UI_HOUR"
	}
	if n != 1 {
		unit += "S"
	}
	return m.textLang(nil, lang, unit, "n", itoa(n))
}

func itoa(n int) string { return strconv.Itoa(n) }
