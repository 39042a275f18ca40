// Package redisstore keeps gatehouse's server-side sessions and the
// brute-force and rate-limit counts in Redis, for applications that run
// several instances: every instance sees a logout, a revoked session or a
// failed password at once. Users, roles and tokens stay in the SQL store
// (sqlitestore, pgstore).
//
//	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
//	rs := redisstore.New(rdb)
//	auth, err := gatehouse.New(gatehouse.Config{
//		Users: pg, Tokens: pg, Roles: pg,
//		Sessions: rs, // gatehouse.SessionStore, admin.SessionLister
//		Limiter:  rs, // gatehouse.Limiter
//		// ...
//	})
//
// It works on the application's go-redis client (github.com/redis/go-redis/v9):
// a single server or Sentinel, Redis 7 or later. Every change is one Lua
// script, so it is atomic: 500 concurrent attempts on one count are
// counted exactly, and a session never sits in one user's list while it
// belongs to another. Keys expire on their own (sessions when they end,
// counts when they have decayed), so there is nothing to sweep. Redis
// Cluster is not supported: a user's session list and the sessions it
// names would live in different slots.
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/admin"
	"github.com/gatehouse-auth/gatehouse/internal/gcra"
)

// Store keeps sessions and limits in Redis; safe for concurrent use.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
}

var (
	_ gatehouse.SessionStore = (*Store)(nil)
	_ gatehouse.Limiter      = (*Store)(nil)
	_ admin.SessionLister    = (*Store)(nil)
)

// New returns a Store over rdb, with keys under "gatehouse:".
func New(rdb redis.UniversalClient) *Store {
	return NewWithPrefix(rdb, "gatehouse:")
}

// NewWithPrefix returns a Store over rdb whose keys all begin with prefix,
// for several applications (or tests) on one Redis database.
func NewWithPrefix(rdb redis.UniversalClient, prefix string) *Store {
	return &Store{rdb: rdb, prefix: prefix}
}

func (s *Store) sessionKey(id string) string  { return s.prefix + "session:" + id }
func (s *Store) userKey(userID string) string { return s.prefix + "user-sessions:" + userID }
func (s *Store) limitKey(key string) string   { return s.prefix + "limit:" + key }
func (s *Store) userPrefix() string           { return s.prefix + "user-sessions:" }

// wrap names the operation and marks errors of the connection (Redis
// down, a timeout) as gatehouse.ErrUnavailable, which gatehouse answers
// with 503 and Retry-After.
func wrap(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gatehouse.ErrNotFound), errors.Is(err, context.Canceled):
		return fmt.Errorf("redisstore: %s: %w", op, err)
	}
	return fmt.Errorf("redisstore: %s: %w: %w", op, gatehouse.ErrUnavailable, err)
}

// micro and fromMicro keep times as unix microseconds, as the SQL stores do.
func micro(t time.Time) string { return strconv.FormatInt(t.UnixMicro(), 10) }

func fromMicro(s string) time.Time {
	n, _ := strconv.ParseInt(s, 10, 64)
	return time.UnixMicro(n).UTC()
}

// saveSession stores a session as a hash that expires with it, and keeps
// it in its user's list (a sorted set by creation time), out of any other
// user's list it was in before.
//
// KEYS: session, new user's list (or ""), user-list prefix.
// ARGV: user, data, created, updated, expires, ip, user agent, ttl ms.
var saveSession = redis.NewScript(`
local old = redis.call('HGET', KEYS[1], 'user')
if old and old ~= '' and old ~= ARGV[1] then
  redis.call('ZREM', KEYS[3] .. old, KEYS[1])
end
redis.call('HSET', KEYS[1], 'user', ARGV[1], 'data', ARGV[2], 'created', ARGV[3], 'updated', ARGV[4],
  'expires', ARGV[5], 'ip', ARGV[6], 'ua', ARGV[7])
redis.call('PEXPIRE', KEYS[1], ARGV[8])
if ARGV[1] ~= '' then
  redis.call('ZADD', KEYS[2], ARGV[3], KEYS[1])
  if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[8]) then
    redis.call('PEXPIRE', KEYS[2], ARGV[8])
  end
end
return 1
`)

// deleteSession removes a session and its place in its user's list.
// KEYS: session, user-list prefix.
var deleteSession = redis.NewScript(`
local user = redis.call('HGET', KEYS[1], 'user')
if user and user ~= '' then
  redis.call('ZREM', KEYS[2] .. user, KEYS[1])
end
return redis.call('DEL', KEYS[1])
`)

// deleteUserSessions removes every session in a user's list that is
// still the user's, and the list. KEYS: user's list. ARGV: user.
var deleteUserSessions = redis.NewScript(`
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
for _, k in ipairs(ids) do
  if redis.call('HGET', k, 'user') == ARGV[1] then
    redis.call('DEL', k)
  end
end
redis.call('DEL', KEYS[1])
return #ids
`)

// pruneUserSessions drops from a user's list the sessions that are gone
// or no longer the user's, checking each at the moment it drops it, so a
// session saved again meanwhile stays listed. KEYS: user's list. ARGV:
// user, then the sessions to check.
var pruneUserSessions = redis.NewScript(`
for i = 2, #ARGV do
  if redis.call('HGET', ARGV[i], 'user') ~= ARGV[1] then
    redis.call('ZREM', KEYS[1], ARGV[i])
  end
end
return 1
`)

// Session implements gatehouse.SessionStore.
func (s *Store) Session(ctx context.Context, id string) (*gatehouse.Session, error) {
	h, err := s.rdb.HGetAll(ctx, s.sessionKey(id)).Result()
	if err != nil {
		return nil, wrap("session", err)
	}
	if len(h) == 0 {
		return nil, wrap("session", gatehouse.ErrNotFound)
	}
	return &gatehouse.Session{
		ID: id, UserID: h["user"], Data: []byte(h["data"]),
		CreatedAt: fromMicro(h["created"]), UpdatedAt: fromMicro(h["updated"]), ExpiresAt: fromMicro(h["expires"]),
		IP: h["ip"], UserAgent: h["ua"],
	}, nil
}

// SaveSession implements gatehouse.SessionStore. The session's key expires
// at ExpiresAt, counted from UpdatedAt (Redis's clock is not asked).
func (s *Store) SaveSession(ctx context.Context, sess *gatehouse.Session) error {
	ttl := sess.ExpiresAt.Sub(sess.UpdatedAt).Milliseconds()
	if ttl <= 0 {
		return s.DeleteSession(ctx, sess.ID) // already over
	}
	users := ""
	if sess.UserID != "" {
		users = s.userKey(sess.UserID)
	}
	err := saveSession.Run(ctx, s.rdb, []string{s.sessionKey(sess.ID), users, s.userPrefix()},
		sess.UserID, sess.Data, micro(sess.CreatedAt), micro(sess.UpdatedAt), micro(sess.ExpiresAt),
		sess.IP, sess.UserAgent, ttl).Err()
	return wrap("save session", err)
}

// DeleteSession implements gatehouse.SessionStore.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	return wrap("delete session", deleteSession.Run(ctx, s.rdb, []string{s.sessionKey(id), s.userPrefix()}).Err())
}

// DeleteUserSessions implements gatehouse.SessionStore.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) error {
	return wrap("delete user sessions", deleteUserSessions.Run(ctx, s.rdb, []string{s.userKey(userID)}, userID).Err())
}

// UserSessions implements admin.SessionLister: the user's sessions, newest
// first. Sessions that have expired since leave the list on the way.
func (s *Store) UserSessions(ctx context.Context, userID string) ([]*gatehouse.Session, error) {
	keys, err := s.rdb.ZRevRange(ctx, s.userKey(userID), 0, -1).Result()
	if err != nil {
		return nil, wrap("user sessions", err)
	}
	cmds := make([]*redis.MapStringStringCmd, len(keys))
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.HGetAll(ctx, k)
		}
		return nil
	})
	if err != nil {
		return nil, wrap("user sessions", err)
	}
	var list []*gatehouse.Session
	var gone []any
	for i, c := range cmds {
		h := c.Val()
		if len(h) == 0 || h["user"] != userID {
			gone = append(gone, keys[i])
			continue
		}
		list = append(list, &gatehouse.Session{
			ID: keys[i][len(s.sessionKey("")):], UserID: userID, Data: []byte(h["data"]),
			CreatedAt: fromMicro(h["created"]), UpdatedAt: fromMicro(h["updated"]), ExpiresAt: fromMicro(h["expires"]),
			IP: h["ip"], UserAgent: h["ua"],
		})
	}
	if len(gone) > 0 {
		pruneUserSessions.Run(ctx, s.rdb, []string{s.userKey(userID)}, append([]any{userID}, gone...)...)
	}
	return list, nil
}

// allow is GCRA (see the Limiter contract): the key holds the theoretical
// arrival time in unix microseconds and expires once it has passed, when
// the key would be as good as new.
//
// KEYS: the count. ARGV: now, interval, burst (µs). Returns {ok, tat}.
// Lua's numbers are doubles: exact for these microseconds (under 2^53).
var allow = redis.NewScript(`
local now, interval, burst = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat - now > burst then
  return {0, tat}
end
if tat < now then tat = now end
tat = tat + interval
redis.call('SET', KEYS[1], string.format('%d', tat), 'PX', math.floor((tat - now) / 1000) + 1)
return {1, tat}
`)

// undo gives one interval back. KEYS: the count. ARGV: interval (µs).
var undo = redis.NewScript(`
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat then
  redis.call('SET', KEYS[1], string.format('%d', tat - tonumber(ARGV[1])), 'KEEPTTL')
end
return 1
`)

// Allow implements gatehouse.Limiter.
func (s *Store) Allow(ctx context.Context, key string, l gatehouse.Limit, now time.Time) (bool, time.Duration, error) {
	if l.Count <= 0 || l.Per <= 0 {
		return true, 0, nil
	}
	interval, burst := gcra.Step(l.Count, l.Per)
	res, err := allow.Run(ctx, s.rdb, []string{s.limitKey(key)}, now.UnixMicro(), interval.Microseconds(), burst.Microseconds()).Slice()
	if err != nil {
		return false, 0, wrap("limit", err)
	}
	if ok, _ := res[0].(int64); ok == 1 {
		return true, 0, nil
	}
	tat, _ := res[1].(int64)
	return false, gcra.Wait(time.UnixMicro(tat), now, l.Count, l.Per), nil
}

// Undo implements gatehouse.Limiter.
func (s *Store) Undo(ctx context.Context, key string, l gatehouse.Limit) error {
	if l.Count <= 0 || l.Per <= 0 {
		return nil
	}
	interval, _ := gcra.Step(l.Count, l.Per)
	return wrap("limit", undo.Run(ctx, s.rdb, []string{s.limitKey(key)}, interval.Microseconds()).Err())
}

// Wait implements gatehouse.Limiter.
func (s *Store) Wait(ctx context.Context, key string, l gatehouse.Limit, now time.Time) (time.Duration, error) {
	if l.Count <= 0 || l.Per <= 0 {
		return 0, nil
	}
	tat, err := s.rdb.Get(ctx, s.limitKey(key)).Result()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, wrap("limit", err)
	}
	return gcra.Wait(fromMicro(tat), now, l.Count, l.Per), nil
}

// Forget implements gatehouse.Limiter.
func (s *Store) Forget(ctx context.Context, key string) error {
	return wrap("limit", s.rdb.Del(ctx, s.limitKey(key)).Err())
}
