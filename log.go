package gatehouse

import (
	"log/slog"
)

// Log attribute keys, in one place. Logs never carry passwords, tokens,
// session IDs, links or raw email addresses.
const (
	keyEvent  = "event"
	keyUserID = "user_id"
	keyMethod = "method"
	keyErr    = "err"
)

const (
	levelDebug = slog.LevelDebug
	levelInfo  = slog.LevelInfo
	levelWarn  = slog.LevelWarn
	levelError = slog.LevelError
)

func attrEvent(e string) slog.Attr  { return slog.String(keyEvent, e) }
func attrUser(u *User) slog.Attr    { return slog.String(keyUserID, u.ID) }
func attrMethod(m Method) slog.Attr { return slog.String(keyMethod, m.String()) }
func attrErr(err error) slog.Attr   { return slog.String(keyErr, err.Error()) }

func slogString(k, v string) slog.Attr { return slog.String(k, v) }
