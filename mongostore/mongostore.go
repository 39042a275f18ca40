// Package mongostore keeps gatehouse's users, roles, one-time tokens and
// server-side sessions in MongoDB (Flask-Security's MongoEngine
// datastore), on the official driver (go.mongodb.org/mongo-driver/v2):
//
//	client, err := mongo.Connect(options.Client().ApplyURI("mongodb://localhost:27017"))
//	store := mongostore.New(client.Database("app"))
//	err = store.Migrate(ctx) // the indexes
//
// It implements gatehouse.UserStore, TokenStore, SessionStore, RoleStore,
// UsernameLookup and Sweeper, and admin.UserStore and
// admin.SessionLister. It needs no transactions (so no replica set), and
// it relies on one guarantee only, that a unique index refuses a second
// insert, since FerretDB's SQLite backend makes neither a conditional
// update nor a find-and-delete atomic: a change to a user claims the
// user's next version by inserting a document with a unique _id, then
// writes the user, so of concurrent changes one claims each version and
// none undoes another; taking a one-time token claims it the same way.
// (On FerretDB one gap remains: a process that stalls for more than two
// seconds between claiming a version and writing it may have its claim
// cleared as a dead one's, and its write can then race another's. On
// MongoDB itself, whose single-document updates are atomic, the write
// over the version read refuses the second writer.) Times are kept as unix
// microseconds, as the SQL stores keep them. It is tested against
// FerretDB 1.24 (a MongoDB wire-protocol server; see the README); mail,
// limits and second factors stay in another store (the SQL ones, or
// redisstore for limits).
package mongostore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	mrand "math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/admin"
)

// Store is a MongoDB-backed gatehouse store; safe for concurrent use.
type Store struct {
	db                                       *mongo.Database
	users, roles, tokens, sessions, counters *mongo.Collection
	versions                                 *mongo.Collection // claims of user versions: see UpdateUser
	claims                                   *mongo.Collection // claims of taken tokens: see TakeToken
}

var (
	_ gatehouse.UserStore      = (*Store)(nil)
	_ gatehouse.TokenStore     = (*Store)(nil)
	_ gatehouse.SessionStore   = (*Store)(nil)
	_ gatehouse.RoleStore      = (*Store)(nil)
	_ gatehouse.UsernameLookup = (*Store)(nil)
	_ gatehouse.Sweeper        = (*Store)(nil)
	_ admin.UserStore          = (*Store)(nil)
	_ admin.SessionLister      = (*Store)(nil)
)

// New returns a Store over db's gatehouse_* collections. It does nothing
// to the database: call Migrate before use.
func New(db *mongo.Database) *Store {
	return &Store{
		db:       db,
		users:    db.Collection("gatehouse_users"),
		roles:    db.Collection("gatehouse_roles"),
		tokens:   db.Collection("gatehouse_tokens"),
		sessions: db.Collection("gatehouse_sessions"),
		counters: db.Collection("gatehouse_counters"),
		versions: db.Collection("gatehouse_user_versions"),
		claims:   db.Collection("gatehouse_token_claims"),
	}
}

// Migrate creates the indexes the store relies on (unique email and
// username keys, lookups by user and by expiry). It is idempotent.
func (s *Store) Migrate(ctx context.Context) error {
	for _, ix := range []struct {
		c      *mongo.Collection
		key    string
		unique bool
	}{
		{s.users, "email_key", true},
		{s.users, "username_key", true},
		{s.tokens, "user_id", false},
		{s.tokens, "expires_at", false},
		{s.sessions, "user_id", false},
		{s.sessions, "expires_at", false},
		{s.claims, "expires_at", false},
	} {
		m := mongo.IndexModel{Keys: bson.D{{Key: ix.key, Value: 1}}, Options: options.Index().SetUnique(ix.unique)}
		if _, err := ix.c.Indexes().CreateOne(ctx, m); err != nil {
			return wrap("migrate", err)
		}
	}
	// The ID counter, so that the first sign-ups do not race to make it.
	_, err := s.counters.InsertOne(ctx, bson.D{{Key: "_id", Value: "users"}, {Key: "n", Value: int64(0)}})
	if err != nil && !isDuplicate(err) {
		return wrap("migrate", err)
	}
	return nil
}

// wrap names the operation and maps the driver's errors onto gatehouse's:
// no document is ErrNotFound, a unique index is ErrDuplicate, a server
// that cannot be reached or answer in time is ErrUnavailable.
func wrap(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, mongo.ErrNoDocuments):
		err = gatehouse.ErrNotFound
	case isDuplicate(err):
		return fmt.Errorf("mongostore: %s: %w: %w", op, gatehouse.ErrDuplicate, err)
	case mongo.IsNetworkError(err), mongo.IsTimeout(err), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, mongo.ErrClientDisconnected):
		return fmt.Errorf("mongostore: %s: %w: %w", op, gatehouse.ErrUnavailable, err)
	}
	return fmt.Errorf("mongostore: %s: %w", op, err)
}

// isDuplicate recognises a unique index's refusal: MongoDB's duplicate
// key error, or, from FerretDB's SQLite backend on an update, SQLite's.
func isDuplicate(err error) bool {
	return mongo.IsDuplicateKeyError(err) || strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// micro and fromMicro keep times as unix microseconds; the zero time is 0.
func micro(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicro(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.UnixMicro(n).UTC()
}

// userDoc is a user as stored. IDs are integers, assigned from a counter,
// so users list in creation order. An empty username is stored under a
// key of its own ("\x00" and the ID), which no real username has: the
// unique index then needs no partial filter.
type userDoc struct {
	ID              int64             `bson:"_id"`
	Email           string            `bson:"email"`
	EmailKey        string            `bson:"email_key"`
	Username        string            `bson:"username"`
	UsernameKey     string            `bson:"username_key"`
	PasswordHash    string            `bson:"password_hash"`
	Active          bool              `bson:"active"`
	ConfirmedAt     int64             `bson:"confirmed_at"`
	SecurityStamp   string            `bson:"security_stamp"`
	LastLoginAt     int64             `bson:"last_login_at"`
	CurrentLoginAt  int64             `bson:"current_login_at"`
	LastLoginIP     string            `bson:"last_login_ip"`
	CurrentLoginIP  string            `bson:"current_login_ip"`
	LoginCount      int               `bson:"login_count"`
	Roles           []string          `bson:"roles"`
	RevokedSessions []revocation      `bson:"revoked_sessions"`
	Fields          map[string]string `bson:"fields,omitempty"`
	CreatedAt       int64             `bson:"created_at"`
	UpdatedAt       int64             `bson:"updated_at"`
	// Version grows with every change: UpdateUser writes only over the
	// version it read.
	Version int64 `bson:"version"`
}

type revocation struct {
	ID    string `bson:"id"`
	Until int64  `bson:"until"`
}

func toDoc(u *gatehouse.User, id int64, version int64) userDoc {
	d := userDoc{
		ID: id, Email: u.Email, EmailKey: strings.ToLower(u.Email), Username: u.Username,
		PasswordHash: u.PasswordHash, Active: u.Active, ConfirmedAt: micro(u.ConfirmedAt),
		SecurityStamp: u.SecurityStamp, LastLoginAt: micro(u.LastLoginAt), CurrentLoginAt: micro(u.CurrentLoginAt),
		LastLoginIP: u.LastLoginIP, CurrentLoginIP: u.CurrentLoginIP, LoginCount: u.LoginCount,
		Roles: append([]string{}, u.Roles...), CreatedAt: micro(u.CreatedAt), UpdatedAt: micro(u.UpdatedAt),
		Version: version, RevokedSessions: []revocation{}, Fields: maps.Clone(u.Fields),
	}
	d.UsernameKey = strings.ToLower(u.Username)
	if d.UsernameKey == "" {
		d.UsernameKey = "\x00" + strconv.FormatInt(id, 10)
	}
	for _, r := range u.RevokedSessions {
		d.RevokedSessions = append(d.RevokedSessions, revocation{ID: r.ID, Until: micro(r.Until)})
	}
	return d
}

func (d *userDoc) user() *gatehouse.User {
	u := &gatehouse.User{
		ID: strconv.FormatInt(d.ID, 10), Email: d.Email, Username: d.Username, PasswordHash: d.PasswordHash,
		Active: d.Active, ConfirmedAt: fromMicro(d.ConfirmedAt), SecurityStamp: d.SecurityStamp,
		LastLoginAt: fromMicro(d.LastLoginAt), CurrentLoginAt: fromMicro(d.CurrentLoginAt),
		LastLoginIP: d.LastLoginIP, CurrentLoginIP: d.CurrentLoginIP, LoginCount: d.LoginCount,
		CreatedAt: fromMicro(d.CreatedAt), UpdatedAt: fromMicro(d.UpdatedAt),
	}
	if len(d.Roles) > 0 {
		u.Roles = append([]string{}, d.Roles...)
	}
	for _, r := range d.RevokedSessions {
		u.RevokedSessions = append(u.RevokedSessions, gatehouse.SessionRevocation{ID: r.ID, Until: fromMicro(r.Until)})
	}
	if len(d.Fields) > 0 {
		u.Fields = maps.Clone(d.Fields)
	}
	return u
}

// parseID reads a user ID; anything but a positive integer names nobody.
func parseID(id string) (int64, bool) {
	n, err := strconv.ParseInt(id, 10, 64)
	return n, err == nil && n > 0
}

func (s *Store) findUser(ctx context.Context, op string, filter any) (*userDoc, error) {
	var d userDoc
	if err := s.users.FindOne(ctx, filter).Decode(&d); err != nil {
		return nil, wrap(op, err)
	}
	return &d, nil
}

// UserByID implements gatehouse.UserStore.
func (s *Store) UserByID(ctx context.Context, id string) (*gatehouse.User, error) {
	n, ok := parseID(id)
	if !ok {
		return nil, wrap("user by id", gatehouse.ErrNotFound)
	}
	d, err := s.findUser(ctx, "user by id", bson.D{{Key: "_id", Value: n}})
	if err != nil {
		return nil, err
	}
	return d.user(), nil
}

// UserByEmail implements gatehouse.UserStore (case-insensitive).
func (s *Store) UserByEmail(ctx context.Context, email string) (*gatehouse.User, error) {
	d, err := s.findUser(ctx, "user by email", bson.D{{Key: "email_key", Value: strings.ToLower(email)}})
	if err != nil {
		return nil, err
	}
	return d.user(), nil
}

// UserByUsername implements gatehouse.UsernameLookup (case-insensitive).
func (s *Store) UserByUsername(ctx context.Context, username string) (*gatehouse.User, error) {
	if username == "" {
		return nil, wrap("user by username", gatehouse.ErrNotFound)
	}
	d, err := s.findUser(ctx, "user by username", bson.D{{Key: "username_key", Value: strings.ToLower(username)}})
	if err != nil {
		return nil, err
	}
	return d.user(), nil
}

// nextID takes the next user ID from the counter document (Migrate makes
// it; an upsert racing another one's insert is tried again).
func (s *Store) nextID(ctx context.Context) (int64, error) {
	var c struct {
		N int64 `bson:"n"`
	}
	for attempt := 0; ; attempt++ {
		err := s.counters.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: "users"}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: int64(1)}}}},
			options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&c)
		if err == nil || !isDuplicate(err) || attempt == 5 {
			return c.N, err
		}
	}
}

// CreateUser implements gatehouse.UserStore: the user and its roles are
// one document, written at once. The store assigns the ID unless u.ID
// holds a positive integer.
func (s *Store) CreateUser(ctx context.Context, u *gatehouse.User) error {
	id, given := parseID(u.ID)
	if u.ID != "" && !given {
		return wrap("create user", fmt.Errorf("user ID %q is not a positive integer", u.ID))
	}
	for attempt := 0; ; attempt++ {
		if !given {
			var err error
			if id, err = s.nextID(ctx); err != nil {
				return wrap("create user", err)
			}
		}
		_, err := s.users.InsertOne(ctx, toDoc(u, id, 1))
		if err == nil {
			u.ID = strconv.FormatInt(id, 10)
			return nil
		}
		// A counter that handed one ID out twice (FerretDB's $inc is
		// not atomic) is not a taken address: take another, after a
		// moment that spreads the racers apart.
		if !isDuplicate(err) || given || attempt == 50 {
			return wrap("create user", err)
		}
		switch taken, terr := s.taken(ctx, u); {
		case terr != nil:
			return wrap("create user", terr)
		case taken:
			return wrap("create user", err)
		}
		select {
		case <-ctx.Done():
			return wrap("create user", ctx.Err())
		case <-time.After(time.Duration(mrand.IntN(min(attempt, 10)+1)) * time.Millisecond):
		}
	}
}

// taken reports whether u's email or username belongs to a stored user.
func (s *Store) taken(ctx context.Context, u *gatehouse.User) (bool, error) {
	keys := bson.A{bson.D{{Key: "email_key", Value: strings.ToLower(u.Email)}}}
	if u.Username != "" {
		keys = append(keys, bson.D{{Key: "username_key", Value: strings.ToLower(u.Username)}})
	}
	n, err := s.users.CountDocuments(ctx, bson.D{{Key: "$or", Value: keys}})
	return n > 0, err
}

// UpdateUser implements gatehouse.UserStore. c is applied to the user as
// read, at version v; the change then claims version v+1 by inserting
// its claim (a unique _id, with a random owner), and only the claimant
// writes the user, over version v only, having checked that its claim
// still stands. A change that loses the claim, or finds the user moved
// on, reads again and tries again.
func (s *Store) UpdateUser(ctx context.Context, id string, c gatehouse.UserChange) error {
	n, ok := parseID(id)
	if !ok {
		return wrap("update user", gatehouse.ErrNotFound)
	}
	var waited staleClaims
	for attempt := 0; ; attempt++ {
		d, err := s.findUser(ctx, "update user", bson.D{{Key: "_id", Value: n}})
		if err != nil {
			return err
		}
		u := d.user()
		if err := c.Apply(u); err != nil {
			return wrap("update user", err)
		}
		next := versionID(n, d.Version+1)
		owner := rand.Text()
		claim := bson.D{{Key: "_id", Value: next}, {Key: "owner", Value: owner}, {Key: "at", Value: micro(time.Now())}}
		if _, err := s.versions.InsertOne(ctx, claim); err != nil {
			if !isDuplicate(err) {
				return wrap("update user", err)
			}
			if err := s.waitForVersion(ctx, n, d.Version, attempt, &waited); err != nil {
				return err
			}
			continue
		}
		// Still ours? A claim can be cleared as stale if this process
		// stalled for claimTimeout since it was made.
		if mine, err := s.versions.CountDocuments(ctx, bson.D{{Key: "_id", Value: next}, {Key: "owner", Value: owner}}); err != nil || mine == 0 {
			if err != nil {
				return wrap("update user", err)
			}
			continue
		}
		// Over version v only: a change that read long ago may claim a
		// version whose claim was cleared since, and must not write.
		res, err := s.users.ReplaceOne(ctx, bson.D{{Key: "_id", Value: n}, {Key: "version", Value: d.Version}}, toDoc(u, n, d.Version+1))
		if err != nil {
			return wrap("update user", err) // the claim stays: the write may yet land
		}
		if res.MatchedCount == 0 {
			s.versions.DeleteOne(ctx, bson.D{{Key: "_id", Value: next}, {Key: "owner", Value: owner}})
			continue // the user moved on since it was read
		}
		s.versions.DeleteOne(ctx, bson.D{{Key: "_id", Value: versionID(n, d.Version)}}) // the claim before: done with
		return nil
	}
}

// versionID names the claim of version v of user n.
func versionID(n, v int64) string { return strconv.FormatInt(n, 10) + ":" + strconv.FormatInt(v, 10) }

// claimTimeout is how long a claim may be seen to stand, with the user
// still at the version before, before a waiting change takes it for the
// claim of a process that died between claim and write and clears it.
// It is judged on the waiter's own clock, from when it first saw the
// claim, never from the time in the claim (another machine's clock).
const claimTimeout = 2 * time.Second

// staleClaims remembers when a waiting change first saw a claim.
type staleClaims struct {
	owner string
	since time.Time
}

// waitForVersion waits a moment for the claimant of version v+1 of user n
// to write it, and clears the claim once it has stood claimTimeout while
// the user stayed at version v.
func (s *Store) waitForVersion(ctx context.Context, n, v int64, attempt int, seen *staleClaims) error {
	var claim struct {
		Owner string `bson:"owner"`
	}
	err := s.versions.FindOne(ctx, bson.D{{Key: "_id", Value: versionID(n, v+1)}}).Decode(&claim)
	switch {
	case err != nil:
	case claim.Owner != seen.owner || seen.since.IsZero():
		seen.owner, seen.since = claim.Owner, time.Now()
	case time.Since(seen.since) > claimTimeout:
		if d, err := s.findUser(ctx, "update user", bson.D{{Key: "_id", Value: n}}); err == nil && d.Version == v {
			stale := bson.D{{Key: "_id", Value: versionID(n, v+1)}}
			if claim.Owner != "" {
				stale = append(stale, bson.E{Key: "owner", Value: claim.Owner})
			}
			s.versions.DeleteOne(ctx, stale)
		}
		seen.since = time.Time{}
	}
	select {
	case <-ctx.Done():
		return wrap("update user", ctx.Err())
	case <-time.After(time.Duration(min(attempt, 10)) * time.Millisecond):
		return nil
	}
}

// ListUsers implements admin.UserStore.
func (s *Store) ListUsers(ctx context.Context, f admin.Filter) ([]*gatehouse.User, error) {
	filter := bson.D{}
	if f.Email != "" {
		filter = append(filter, bson.E{Key: "email_key", Value: bson.D{{Key: "$regex", Value: regexp.QuoteMeta(strings.ToLower(f.Email))}}})
	}
	if f.Role != "" {
		filter = append(filter, bson.E{Key: "roles", Value: f.Role})
	}
	if f.Username != "" {
		filter = append(filter, bson.E{Key: "username_key", Value: strings.ToLower(f.Username)})
	}
	for _, name := range slices.Sorted(maps.Keys(f.Fields)) {
		if name == "" || strings.ContainsAny(name, ".$") {
			return nil, wrap("list users", fmt.Errorf("field name %q: lower-case letters, digits and underscores only", name))
		}
		filter = append(filter, bson.E{Key: "fields." + name, Value: f.Fields[name]})
	}
	opts := options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetSkip(int64(f.Offset))
	if f.Limit > 0 {
		opts.SetLimit(int64(f.Limit))
	}
	cur, err := s.users.Find(ctx, filter, opts)
	if err != nil {
		return nil, wrap("list users", err)
	}
	var docs []userDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, wrap("list users", err)
	}
	users := make([]*gatehouse.User, len(docs))
	for i := range docs {
		users[i] = docs[i].user()
	}
	return users, nil
}

// DeleteUser implements admin.UserStore: the user (with its roles), then
// its sessions and tokens.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	n, ok := parseID(id)
	if !ok {
		return nil
	}
	if _, err := s.users.DeleteOne(ctx, bson.D{{Key: "_id", Value: n}}); err != nil {
		return wrap("delete user", err)
	}
	prefix := "^" + regexp.QuoteMeta(strconv.FormatInt(n, 10)+":")
	if _, err := s.versions.DeleteMany(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$regex", Value: prefix}}}}); err != nil {
		return wrap("delete user", err)
	}
	if err := s.DeleteUserSessions(ctx, id); err != nil {
		return err
	}
	return s.DeleteUserTokens(ctx, id)
}
