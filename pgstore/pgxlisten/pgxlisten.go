// Package pgxlisten delivers PostgreSQL notifications to pgstore's user
// cache (pgstore.Store.WatchUsers) over a pgx connection of its own:
//
//	go store.WatchUsers(ctx, pgxlisten.New("postgres://app@db/app"))
package pgxlisten

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// healthEvery is how long the connection may stay silent before a ping
// checks it: a connection that died without a word would otherwise leave
// the cache trusting notifications that no longer come.
const healthEvery = 5 * time.Second

// Listener implements pgstore.Listener with pgx.
type Listener struct {
	connString string
}

// New returns a Listener that connects with connString (a URL or a
// keyword/value string, as pgx.Connect takes).
func New(connString string) *Listener {
	return &Listener{connString: connString}
}

// Listen implements pgstore.Listener.
func (l *Listener) Listen(ctx context.Context, channel string, ready func(), notify func(payload string)) error {
	conn, err := pgx.Connect(ctx, l.connString)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return err
	}
	ready()
	for {
		wait, cancel := context.WithTimeout(ctx, healthEvery)
		n, err := conn.WaitForNotification(wait)
		cancel()
		switch {
		case err == nil:
			notify(n.Payload)
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			ping, cancel := context.WithTimeout(ctx, healthEvery)
			err = conn.Ping(ping)
			cancel()
			if err != nil {
				return err
			}
		default:
			return err
		}
	}
}
