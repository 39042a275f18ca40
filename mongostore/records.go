package mongostore

import (
	"context"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/gatehouse-auth/gatehouse"
)

// tokenDoc is a one-time token; _id is kind and selector, so taking one
// is one find-and-delete.
type tokenDoc struct {
	ID           string `bson:"_id"`
	Kind         string `bson:"kind"`
	Selector     string `bson:"selector"`
	VerifierHash []byte `bson:"verifier_hash"`
	UserID       string `bson:"user_id"`
	Stamp        string `bson:"stamp"`
	Email        string `bson:"email"`
	Binding      string `bson:"binding"`
	CreatedAt    int64  `bson:"created_at"`
	ExpiresAt    int64  `bson:"expires_at"`
}

func tokenID(kind, selector string) string { return kind + "\x00" + selector }

func (d *tokenDoc) token() *gatehouse.Token {
	return &gatehouse.Token{Kind: d.Kind, Selector: d.Selector, VerifierHash: d.VerifierHash, UserID: d.UserID,
		Stamp: d.Stamp, Email: d.Email, Binding: d.Binding, CreatedAt: fromMicro(d.CreatedAt), ExpiresAt: fromMicro(d.ExpiresAt)}
}

// CreateToken implements gatehouse.TokenStore.
func (s *Store) CreateToken(ctx context.Context, t *gatehouse.Token) error {
	_, err := s.tokens.InsertOne(ctx, tokenDoc{ID: tokenID(t.Kind, t.Selector), Kind: t.Kind, Selector: t.Selector,
		VerifierHash: t.VerifierHash, UserID: t.UserID, Stamp: t.Stamp, Email: t.Email, Binding: t.Binding,
		CreatedAt: micro(t.CreatedAt), ExpiresAt: micro(t.ExpiresAt)})
	return wrap("create token", err)
}

// Token implements gatehouse.TokenStore.
func (s *Store) Token(ctx context.Context, kind, selector string) (*gatehouse.Token, error) {
	var d tokenDoc
	if err := s.tokens.FindOne(ctx, bson.D{{Key: "_id", Value: tokenID(kind, selector)}}).Decode(&d); err != nil {
		return nil, wrap("token", err)
	}
	return d.token(), nil
}

// TakeToken implements gatehouse.TokenStore. The taker claims the token
// by inserting a claim with a unique _id (FerretDB does not make a
// find-and-delete atomic; a unique index it does keep), then deletes it:
// of concurrent takers exactly one gets the token. Claims stay until the
// token would have expired (DeleteExpired sweeps them), so a taker that
// read the token before it went cannot claim it after.
func (s *Store) TakeToken(ctx context.Context, kind, selector string) (*gatehouse.Token, error) {
	var d tokenDoc
	if err := s.tokens.FindOne(ctx, bson.D{{Key: "_id", Value: tokenID(kind, selector)}}).Decode(&d); err != nil {
		return nil, wrap("take token", err)
	}
	claim := bson.D{{Key: "_id", Value: d.ID + "\x00" + strconv.FormatInt(d.CreatedAt, 10)}, {Key: "expires_at", Value: d.ExpiresAt}}
	if _, err := s.claims.InsertOne(ctx, claim); err != nil {
		if isDuplicate(err) {
			return nil, wrap("take token", gatehouse.ErrNotFound) // taken by another
		}
		return nil, wrap("take token", err)
	}
	if _, err := s.tokens.DeleteOne(ctx, bson.D{{Key: "_id", Value: d.ID}}); err != nil {
		return nil, wrap("take token", err)
	}
	return d.token(), nil
}

// DeleteUserTokens implements gatehouse.TokenStore.
func (s *Store) DeleteUserTokens(ctx context.Context, userID string, kinds ...string) error {
	filter := bson.D{{Key: "user_id", Value: userID}}
	if len(kinds) > 0 {
		filter = append(filter, bson.E{Key: "kind", Value: bson.D{{Key: "$in", Value: kinds}}})
	}
	_, err := s.tokens.DeleteMany(ctx, filter)
	return wrap("delete user tokens", err)
}

// sessionDoc is a server-side session.
type sessionDoc struct {
	ID        string `bson:"_id"`
	UserID    string `bson:"user_id"`
	Data      []byte `bson:"data"`
	CreatedAt int64  `bson:"created_at"`
	UpdatedAt int64  `bson:"updated_at"`
	ExpiresAt int64  `bson:"expires_at"`
	IP        string `bson:"ip"`
	UserAgent string `bson:"user_agent"`
}

func (d *sessionDoc) session() *gatehouse.Session {
	return &gatehouse.Session{ID: d.ID, UserID: d.UserID, Data: d.Data, CreatedAt: fromMicro(d.CreatedAt),
		UpdatedAt: fromMicro(d.UpdatedAt), ExpiresAt: fromMicro(d.ExpiresAt), IP: d.IP, UserAgent: d.UserAgent}
}

// Session implements gatehouse.SessionStore.
func (s *Store) Session(ctx context.Context, id string) (*gatehouse.Session, error) {
	var d sessionDoc
	if err := s.sessions.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d); err != nil {
		return nil, wrap("session", err)
	}
	return d.session(), nil
}

// SaveSession implements gatehouse.SessionStore.
func (s *Store) SaveSession(ctx context.Context, sess *gatehouse.Session) error {
	d := sessionDoc{ID: sess.ID, UserID: sess.UserID, Data: sess.Data, CreatedAt: micro(sess.CreatedAt),
		UpdatedAt: micro(sess.UpdatedAt), ExpiresAt: micro(sess.ExpiresAt), IP: sess.IP, UserAgent: sess.UserAgent}
	_, err := s.sessions.ReplaceOne(ctx, bson.D{{Key: "_id", Value: sess.ID}}, d, options.Replace().SetUpsert(true))
	return wrap("save session", err)
}

// DeleteSession implements gatehouse.SessionStore.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	_, err := s.sessions.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
	return wrap("delete session", err)
}

// DeleteUserSessions implements gatehouse.SessionStore.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) error {
	_, err := s.sessions.DeleteMany(ctx, bson.D{{Key: "user_id", Value: userID}})
	return wrap("delete user sessions", err)
}

// UserSessions implements admin.SessionLister: newest first.
func (s *Store) UserSessions(ctx context.Context, userID string) ([]*gatehouse.Session, error) {
	cur, err := s.sessions.Find(ctx, bson.D{{Key: "user_id", Value: userID}}, options.Find().SetSort(bson.D{{Key: "created_at", Value: -1}}))
	if err != nil {
		return nil, wrap("user sessions", err)
	}
	var docs []sessionDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, wrap("user sessions", err)
	}
	list := make([]*gatehouse.Session, len(docs))
	for i := range docs {
		list[i] = docs[i].session()
	}
	return list, nil
}

// DeleteExpired implements gatehouse.Sweeper: tokens and sessions that
// expired before the given time.
func (s *Store) DeleteExpired(ctx context.Context, before time.Time) (int, error) {
	filter := bson.D{{Key: "expires_at", Value: bson.D{{Key: "$lt", Value: micro(before)}}}}
	t, err := s.tokens.DeleteMany(ctx, filter)
	if err != nil {
		return 0, wrap("delete expired", err)
	}
	ss, err := s.sessions.DeleteMany(ctx, filter)
	if err != nil {
		return int(t.DeletedCount), wrap("delete expired", err)
	}
	if _, err := s.claims.DeleteMany(ctx, filter); err != nil {
		return int(t.DeletedCount + ss.DeletedCount), wrap("delete expired", err)
	}
	// Claims of user versions left by changes that lost their write.
	old := bson.D{{Key: "at", Value: bson.D{{Key: "$lt", Value: micro(before.Add(-time.Hour))}}}}
	if _, err := s.versions.DeleteMany(ctx, old); err != nil {
		return int(t.DeletedCount + ss.DeletedCount), wrap("delete expired", err)
	}
	return int(t.DeletedCount + ss.DeletedCount), nil
}

// roleDoc is a role of the catalog; _id is its name.
type roleDoc struct {
	Name        string   `bson:"_id"`
	Description string   `bson:"description"`
	Permissions []string `bson:"permissions"`
	CreatedAt   int64    `bson:"created_at"`
	UpdatedAt   int64    `bson:"updated_at"`
}

func (d *roleDoc) role() *gatehouse.Role {
	r := &gatehouse.Role{Name: d.Name, Description: d.Description, CreatedAt: fromMicro(d.CreatedAt), UpdatedAt: fromMicro(d.UpdatedAt)}
	if len(d.Permissions) > 0 {
		r.Permissions = append([]string{}, d.Permissions...)
	}
	return r
}

// Role implements gatehouse.RoleStore.
func (s *Store) Role(ctx context.Context, name string) (*gatehouse.Role, error) {
	var d roleDoc
	if err := s.roles.FindOne(ctx, bson.D{{Key: "_id", Value: name}}).Decode(&d); err != nil {
		return nil, wrap("role", err)
	}
	return d.role(), nil
}

// Roles implements gatehouse.RoleStore: ordered by name.
func (s *Store) Roles(ctx context.Context) ([]*gatehouse.Role, error) {
	cur, err := s.roles.Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, wrap("roles", err)
	}
	var docs []roleDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, wrap("roles", err)
	}
	roles := make([]*gatehouse.Role, len(docs))
	for i := range docs {
		roles[i] = docs[i].role()
	}
	return roles, nil
}

// CreateRole implements gatehouse.RoleStore.
func (s *Store) CreateRole(ctx context.Context, r *gatehouse.Role) error {
	_, err := s.roles.InsertOne(ctx, roleDoc{Name: r.Name, Description: r.Description, Permissions: append([]string{}, r.Permissions...),
		CreatedAt: micro(r.CreatedAt), UpdatedAt: micro(r.UpdatedAt)})
	return wrap("create role", err)
}

// UpdateRole implements gatehouse.RoleStore.
func (s *Store) UpdateRole(ctx context.Context, r *gatehouse.Role) error {
	res, err := s.roles.UpdateOne(ctx, bson.D{{Key: "_id", Value: r.Name}}, bson.D{{Key: "$set", Value: bson.D{
		{Key: "description", Value: r.Description}, {Key: "permissions", Value: append([]string{}, r.Permissions...)},
		{Key: "updated_at", Value: micro(r.UpdatedAt)},
	}}})
	if err != nil {
		return wrap("update role", err)
	}
	if res.MatchedCount == 0 {
		return wrap("update role", gatehouse.ErrNotFound)
	}
	return nil
}
