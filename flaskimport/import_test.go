package flaskimport_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/admin"
	"github.com/gatehouse-auth/gatehouse/flaskimport"
	"github.com/gatehouse-auth/gatehouse/password"
	"github.com/gatehouse-auth/gatehouse/views"
)

// flaskApp builds the engine and the views over s configured as the
// Flask-Security app that made the fixture was: its salt, its hash
// schemes, confirmable.
func flaskApp(t *testing.T, s store, salt string) (*gatehouse.Manager, *views.Views) {
	t.Helper()
	h := password.Migration(nil)
	h.FlaskSecurity = &password.FlaskSecurity{Salt: salt}
	m, err := gatehouse.New(gatehouse.Config{
		Users: s, Roles: s, Tokens: s,
		Hasher:     password.Limit(h, 0),
		SecretKeys: [][]byte{gatehouse.NewSecretKey()},
		Cookie:     gatehouse.CookieConfig{Insecure: true},
		Logger:     slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	v, err := views.New(m, views.Config{
		Confirmable: true,
		BaseURL:     "https://app.example.com",
		Mail: views.MailConfig{Mailer: views.MailerFunc(func(context.Context, *views.Message) error {
			return nil
		})},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	return m, v
}

func TestImportFixture(t *testing.T) {
	t.Parallel()
	man := loadManifest(t)
	for _, src := range sources() {
		for _, dst := range destinations() {
			t.Run(src.name+"_to_"+dst.name, func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				from, to := src.open(t), dst.open(t)
				cfg := flaskimport.Config{Source: from, Users: to}

				// A dry run reports everything and writes nothing.
				dry := cfg
				dry.DryRun = true
				s, err := flaskimport.Import(ctx, dry)
				if err != nil {
					t.Fatalf("dry run: %v", err)
				}
				if !s.DryRun || s.UserCount(flaskimport.Created) != len(man.Users) || s.RoleCount(flaskimport.Created) != len(man.Roles) {
					t.Fatalf("dry run: %+v", s)
				}
				if all, _ := to.ListUsers(ctx, admin.Filter{}); len(all) != 0 {
					t.Fatalf("dry run wrote %d users", len(all))
				}
				if roles, _ := to.Roles(ctx); len(roles) != 0 {
					t.Fatalf("dry run wrote %d roles", len(roles))
				}

				s, err = flaskimport.Import(ctx, cfg)
				if err != nil {
					t.Fatalf("Import: %v", err)
				}
				if got := s.UserCount(flaskimport.Created); got != len(man.Users) || s.UserCount(flaskimport.Skipped) != 0 || len(s.Collisions) != 0 {
					t.Fatalf("created %d users, want %d: %+v", got, len(man.Users), s)
				}
				if s.Atomic != dst.atomic {
					t.Errorf("Atomic = %v, want %v", s.Atomic, dst.atomic)
				}
				wantSchemes := map[string]int{"bcrypt": 3, "argon2": 3, "pbkdf2_sha512": 3}
				for k, v := range wantSchemes {
					if s.PasswordSchemes[k] != v {
						t.Errorf("PasswordSchemes = %v, want %v", s.PasswordSchemes, wantSchemes)
						break
					}
				}

				// Every user as the source has it, under the source's ID.
				lite := openSQLite(t, fixture)
				for _, mu := range man.Users {
					u, err := to.UserByEmail(ctx, strings.ToLower(mu.Email))
					if err != nil {
						t.Fatalf("UserByEmail(%q): %v", strings.ToLower(mu.Email), err)
					}
					var id, hash, lastIP, curIP string
					if err := lite.QueryRow(`SELECT id, password, last_login_ip, current_login_ip FROM "user" WHERE fs_uniquifier = ?`,
						mu.FsUniquifier).Scan(&id, &hash, &lastIP, &curIP); err != nil {
						t.Fatal(err)
					}
					roles := slices.Sorted(slices.Values(mu.Roles))
					if u.ID != id || u.PasswordHash != hash || u.SecurityStamp != mu.FsUniquifier || u.Username != mu.Username ||
						u.Active != mu.Active || u.IsConfirmed() != mu.Confirmed || u.LoginCount != mu.LoginCount ||
						u.LastLoginIP != lastIP || u.CurrentLoginIP != curIP || u.LastLoginAt.IsZero() ||
						!slices.Equal(nonNil(u.Roles), nonNil(roles)) || u.Email != strings.ToLower(mu.Email) {
						t.Errorf("imported %s as %+v", mu.Email, u)
					}
				}
				for _, mr := range man.Roles {
					r, err := to.Role(ctx, mr.Name)
					if err != nil || !slices.Equal(nonNil(r.Permissions), nonNil(mr.Permissions)) || r.Description == "" {
						t.Errorf("role %s: %+v, %v; want permissions %v", mr.Name, r, err, mr.Permissions)
					}
				}

				// Importing again changes nothing.
				s, err = flaskimport.Import(ctx, cfg)
				if err != nil {
					t.Fatalf("second Import: %v", err)
				}
				if s.Changes() != 0 || s.UserCount(flaskimport.Unchanged) != len(man.Users) || s.RoleCount(flaskimport.Unchanged) != len(man.Roles) {
					t.Fatalf("second import changed something: %+v", s)
				}

				// Every user logs in with their old password.
				m, _ := flaskApp(t, to, man.PasswordSalt)
				for _, mu := range man.Users {
					email := strings.ToLower(mu.Email)
					u, err := m.VerifyPassword(ctx, email, mu.Password)
					switch {
					case !mu.Active && !errors.Is(err, gatehouse.ErrInactive):
						t.Errorf("VerifyPassword(%s), inactive: %v, want ErrInactive", email, err)
					case mu.Active && err != nil:
						t.Errorf("VerifyPassword(%s) (%s): %v", email, mu.Scheme, err)
					}
					if _, err := m.VerifyPassword(ctx, email, mu.Password+"x"); !errors.Is(err, gatehouse.ErrInvalidCredentials) {
						t.Errorf("VerifyPassword(%s, wrong password): %v, want ErrInvalidCredentials", email, err)
					}
					if u == nil {
						continue
					}
					perms, err := admin.New(m).Permissions(ctx, u)
					var want []string
					for _, r := range man.Roles {
						if slices.Contains(mu.Roles, r.Name) {
							want = append(want, r.Permissions...)
						}
					}
					slices.Sort(want)
					if err != nil || !slices.Equal(nonNil(perms), nonNil(slices.Compact(want))) {
						t.Errorf("Permissions(%s) = %v, %v; want %v", email, perms, err, want)
					}
				}
				// The mixed-case address is found by its lower-case spelling,
				// and by its own.
				if _, err := m.VerifyPassword(ctx, "user4@Example.COM", "another fine password 4"); err != nil {
					t.Errorf("VerifyPassword by the source's spelling: %v", err)
				}

				// Logins rehashed the passwords: importing again now would put
				// the Flask hashes back, as the docs warn.
				dry.DryRun = true
				s, err = flaskimport.Import(ctx, dry)
				if err != nil {
					t.Fatal(err)
				}
				for _, u := range s.Users {
					if u.Action == flaskimport.Updated && !slices.Equal(u.Changes, []string{"password hash"}) {
						t.Errorf("after logins, a re-import would update %s: %v", u.Email, u.Changes)
					}
				}
				if s.UserCount(flaskimport.Updated) == 0 {
					t.Error("after logins rehashed passwords, a re-import reports no password hash to restore")
				}
			})
		}
	}
}

// TestLoginOverHTTP logs every imported user in through the views, as a
// Flask-Security JSON client would: GET /login for the CSRF token, then
// POST the email and password.
func TestLoginOverHTTP(t *testing.T) {
	t.Parallel()
	man := loadManifest(t)
	for _, dst := range destinations() {
		t.Run(dst.name, func(t *testing.T) {
			t.Parallel()
			to := dst.open(t)
			if _, err := flaskimport.Import(context.Background(), flaskimport.Config{Source: openSQLite(t, fixture), Users: to}); err != nil {
				t.Fatal(err)
			}
			m, v := flaskApp(t, to, man.PasswordSalt)
			mux := http.NewServeMux()
			v.Mount(mux)
			srv := httptest.NewServer(m.Authenticate(mux))
			t.Cleanup(srv.Close)
			for _, mu := range man.Users {
				c := newClient(t, srv.URL)
				code, _ := c.do("GET", "/login", "")
				if code != 200 || c.csrf == "" {
					t.Fatalf("GET /login: %d, csrf %q", code, c.csrf)
				}
				body, _ := json.Marshal(map[string]string{"email": strings.ToLower(mu.Email), "password": mu.Password})
				code, resp := c.do("POST", "/login", string(body))
				switch {
				case !mu.Active || !mu.Confirmed:
					if code != 400 {
						t.Errorf("login of %s (active %v, confirmed %v): %d %v, want 400", mu.Email, mu.Active, mu.Confirmed, code, resp)
					}
					if !mu.Confirmed && !strings.Contains(toJSON(resp["field_errors"]), "confirm") {
						t.Errorf("unconfirmed %s refused for another reason: %v", mu.Email, resp)
					}
				default:
					user, _ := resp["user"].(map[string]any)
					if code != 200 || user["email"] != strings.ToLower(mu.Email) {
						t.Errorf("login of %s: %d %v", mu.Email, code, resp)
						continue
					}
					// The session works: /verify needs a login.
					if code, resp := c.do("GET", "/verify", ""); code != 200 {
						t.Errorf("GET /verify after login of %s: %d %v", mu.Email, code, resp)
					}
				}
			}
		})
	}
}

type client struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
}

func newClient(t *testing.T, base string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (c *client) do(method, path, body string) (int, map[string]any) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, strings.NewReader(body))
	req.Header.Set("Accept", "application/json")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var env struct {
		Response map[string]any `json:"response"`
	}
	json.Unmarshal(raw, &env)
	if tok, ok := env.Response["csrf_token"].(string); ok {
		c.csrf = tok
	}
	return resp.StatusCode, env.Response
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// TestReimportAfterEdit edits the source (a user's role, a role's
// permissions, a deactivation) and checks a second import writes exactly
// that.
func TestReimportAfterEdit(t *testing.T) {
	t.Parallel()
	for _, dst := range destinations() {
		t.Run(dst.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			path := copyFixture(t)
			from, to := openSQLite(t, path), dst.open(t)
			cfg := flaskimport.Config{Source: from, Users: to}
			if _, err := flaskimport.Import(ctx, cfg); err != nil {
				t.Fatal(err)
			}
			before, _ := to.ListUsers(ctx, admin.Filter{})
			exec(t, from,
				`UPDATE roles_users SET role_id = 2 WHERE user_id = 4 AND role_id = 3`, // user3: viewer -> editor
				`UPDATE role SET permissions = 'posts-write,posts-delete' WHERE name = 'editor'`,
				`UPDATE "user" SET active = 0 WHERE email = 'user7@example.com'`,
			)

			// The dry run sees the changes and writes none of them.
			dry := cfg
			dry.DryRun = true
			s, err := flaskimport.Import(ctx, dry)
			if err != nil {
				t.Fatal(err)
			}
			if s.Changes() != 3 {
				t.Fatalf("dry run after edits: %d changes, want 3: %+v", s.Changes(), s)
			}
			if after, _ := to.ListUsers(ctx, admin.Filter{}); !sameUsers(before, after) {
				t.Fatal("the dry run changed users")
			}
			if r, _ := to.Role(ctx, "editor"); slices.Contains(r.Permissions, "posts-delete") {
				t.Fatal("the dry run changed a role")
			}

			s, err = flaskimport.Import(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			changed := map[string][]string{}
			for _, u := range s.Users {
				if u.Action != flaskimport.Unchanged {
					changed[u.Email] = u.Changes
				}
			}
			for _, r := range s.Roles {
				if r.Action != flaskimport.Unchanged {
					changed["role "+r.Name] = r.Changes
				}
			}
			want := map[string][]string{
				"user3@example.com": {"roles +editor -viewer"},
				"user7@example.com": {"deactivated"},
				"role editor":       {"permissions +posts-delete"},
			}
			if toJSON(changed) != toJSON(want) {
				t.Fatalf("changes: %v, want %v", changed, want)
			}
			u3, _ := to.UserByEmail(ctx, "user3@example.com")
			u7, _ := to.UserByEmail(ctx, "user7@example.com")
			editor, _ := to.Role(ctx, "editor")
			if !slices.Equal(u3.Roles, []string{"editor"}) || u7.Active || !slices.Equal(editor.Permissions, []string{"posts-delete", "posts-write"}) {
				t.Fatalf("after re-import: user3 roles %v, user7 active %v, editor %v", u3.Roles, u7.Active, editor.Permissions)
			}
			after, _ := to.ListUsers(ctx, admin.Filter{})
			for i := range before {
				if e := before[i].Email; e != "user3@example.com" && e != "user7@example.com" && !sameUsers(before[i:i+1], after[i:i+1]) {
					t.Errorf("user %s changed", e)
				}
			}
			if s, err := flaskimport.Import(ctx, cfg); err != nil || s.Changes() != 0 {
				t.Fatalf("third import: %v, %+v", err, s)
			}
		})
	}
}

// sameUsers compares users on everything an import may write.
func sameUsers(a, b []*gatehouse.User) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := *a[i], *b[i]
		if x.ID != y.ID || x.Email != y.Email || x.Username != y.Username || x.PasswordHash != y.PasswordHash ||
			x.Active != y.Active || !x.ConfirmedAt.Equal(y.ConfirmedAt) || x.SecurityStamp != y.SecurityStamp ||
			!slices.Equal(x.Roles, y.Roles) || !x.UpdatedAt.Equal(y.UpdatedAt) {
			return false
		}
	}
	return true
}

// TestCollisionsAndBadRows adds rows Gatehouse cannot import: addresses
// that are one after normalisation, a username that differs only in case,
// an invalid address. Each is reported and skipped; the rest go in, and
// a user already imported is not overwritten by a row that collides with
// it.
func TestCollisionsAndBadRows(t *testing.T) {
	t.Parallel()
	for _, dst := range destinations() {
		t.Run(dst.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			from, to := openSQLite(t, copyFixture(t)), dst.open(t)
			cfg := flaskimport.Config{Source: from, Users: to}
			if _, err := flaskimport.Import(ctx, cfg); err != nil {
				t.Fatal(err)
			}
			orig, _ := to.UserByEmail(ctx, "user1@example.com")
			now := time.Now()
			local := &gatehouse.User{Email: "local@example.com", Username: "local", SecurityStamp: "s", CreatedAt: now, UpdatedAt: now}
			if err := to.CreateUser(ctx, local); err != nil { // a user made in Gatehouse
				t.Fatal(err)
			}
			insert := `INSERT INTO "user" (id, email, username, active, fs_uniquifier, password, login_count)
				VALUES (%s, '%s', %s, 1, '%s', '$2b$04$eTXNvd03zAl.cdvhAdTMo.pPUl3cLBCeir93ivYRrb1zhjqiZVqzK', 0)`
			exec(t, from,
				fmt.Sprintf(insert, "20", "USER1@example.com", "NULL", "u20"),    // collides with user1
				fmt.Sprintf(insert, "21", "new@example.com", "NULL", "u21"),      // these two collide
				fmt.Sprintf(insert, "22", "ｎｅｗ@EXAMPLE.com", "NULL", "u22"),      // (full-width NFKC)
				fmt.Sprintf(insert, "23", "not an address", "NULL", "u23"),       // invalid
				fmt.Sprintf(insert, "24", "nick@example.com", "'Nick'", "u24"),   // these two: usernames
				fmt.Sprintf(insert, "25", "nick2@example.com", "'NICK'", "u25"),  //   differ in case
				fmt.Sprintf(insert, "26", "fine@example.com", "'fine'", "u26"),   // imported
				fmt.Sprintf(insert, "27", "taken@example.com", "'Local'", "u27"), // local's username
				fmt.Sprintf(insert, "10", "ten@example.com", "NULL", "u10"),      // local's ID
			)
			s, err := flaskimport.Import(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			skipped := map[string]string{}
			for _, u := range s.Users {
				if u.Action == flaskimport.Skipped {
					skipped[u.SourceID] = u.Reason
				}
			}
			for _, id := range []string{"2", "20", "21", "22", "23", "24", "25", "27"} {
				if skipped[id] == "" {
					t.Errorf("source id %s not skipped (skipped: %v)", id, skipped)
				}
			}
			if len(skipped) != 8 || s.UserCount(flaskimport.Created) != 2 || s.Changes() != 2 {
				t.Errorf("skipped %v, created %d, changes %d", skipped, s.UserCount(flaskimport.Created), s.Changes())
			}
			if !strings.Contains(skipped["23"], "invalid email address") || !strings.Contains(skipped["27"], "belongs to another Gatehouse user") {
				t.Errorf("reasons: %v", skipped)
			}
			var cols []string
			for _, c := range s.Collisions {
				cols = append(cols, c.Field+" "+c.Value+" "+strings.Join(c.SourceIDs, ","))
			}
			wantCols := []string{"email new@example.com 21,22", "email user1@example.com 2,20", "username nick 24,25"}
			if !slices.Equal(cols, wantCols) {
				t.Errorf("collisions %q, want %q", cols, wantCols)
			}
			// Neither row of a collision overwrote the user already there,
			// nor was either created.
			if u, _ := to.UserByEmail(ctx, "user1@example.com"); u.SecurityStamp != orig.SecurityStamp || u.ID != orig.ID {
				t.Errorf("user1 was overwritten: %+v", u)
			}
			for _, e := range []string{"new@example.com", "nick@example.com", "nick2@example.com", "taken@example.com"} {
				if _, err := to.UserByEmail(ctx, e); !errors.Is(err, gatehouse.ErrNotFound) {
					t.Errorf("%s was imported: %v", e, err)
				}
			}
			if u, err := to.UserByEmail(ctx, "fine@example.com"); err != nil || u.ID != "26" {
				t.Errorf("fine@example.com: %+v, %v", u, err)
			}
			if u, err := to.UserByEmail(ctx, "ten@example.com"); err != nil || u.ID == "10" || u.ID == "" {
				t.Errorf("ten@example.com, whose source ID a Gatehouse user has: %+v, %v", u, err)
			}
			var out strings.Builder
			s.WriteTo(&out)
			for _, want := range []string{"users: 2 created, 0 updated, 8 unchanged, 8 skipped", "Gatehouse ID 10 is taken", "collision: email user1@example.com",
				`"not an address" (source id 23): skipped: invalid email address`} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("summary lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
}

// TestRenamedTables imports a source whose tables and columns were
// renamed, with a Mapping parsed as the CLI's --map flags are.
func TestRenamedTables(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	from := openSQLite(t, copyFixture(t))
	exec(t, from,
		`ALTER TABLE "user" RENAME TO accounts`,
		`ALTER TABLE accounts RENAME COLUMN email TO mail`,
		`ALTER TABLE accounts RENAME COLUMN fs_uniquifier TO stamp`,
		`ALTER TABLE role RENAME TO groups`,
		`ALTER TABLE roles_users RENAME TO account_groups`,
		`ALTER TABLE account_groups RENAME COLUMN role_id TO group_id`,
		`ALTER TABLE accounts DROP COLUMN login_count`,
	)
	to := destinations()[0].open(t)
	if _, err := flaskimport.Import(ctx, flaskimport.Config{Source: from, Users: to}); err == nil || !strings.Contains(err.Error(), "--map user=NAME") {
		t.Fatalf("Import without a mapping: %v, want an error that suggests --map", err)
	}
	var m flaskimport.Mapping
	for _, spec := range []string{"user=accounts", "user.email=mail,user.fs_uniquifier=stamp", "role=groups", "roles_users=account_groups", "roles_users.role_id=group_id"} {
		if err := m.Set(spec); err != nil {
			t.Fatal(err)
		}
	}
	s, err := flaskimport.Import(ctx, flaskimport.Config{Source: from, Users: to, Map: m})
	if err != nil {
		t.Fatal(err)
	}
	if s.UserCount(flaskimport.Created) != 9 || s.RoleCount(flaskimport.Created) != 3 {
		t.Fatalf("%+v", s)
	}
	if !slices.ContainsFunc(s.Notes, func(n string) bool { return strings.Contains(n, "no column accounts.login_count") }) {
		t.Errorf("missing column not noted: %q", s.Notes)
	}
	u, err := to.UserByEmail(ctx, "user1@example.com")
	if err != nil || u.SecurityStamp != "eeb7014640b1433f84ee2be975e1ddee" || !slices.Equal(u.Roles, []string{"editor", "viewer"}) {
		t.Fatalf("user1: %+v, %v", u, err)
	}
	// A mapped column that does not exist is an error, not a note.
	m.Set("user.username=handle")
	if _, err := flaskimport.Import(ctx, flaskimport.Config{Source: from, Users: to, Map: m}); err == nil || !strings.Contains(err.Error(), `"handle"`) {
		t.Fatalf("Import with a missing mapped column: %v", err)
	}
}

// TestAtomic checks a failing import writes nothing: a role store that
// fails after users were planned makes the SQL store roll back.
func TestAtomic(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	to := destinations()[0].open(t)
	failing := &failAfter{UserStore: to, n: 5}
	_, err := flaskimport.Import(ctx, flaskimport.Config{Source: openSQLite(t, fixture), Users: failing, Roles: to})
	if err == nil {
		t.Fatal("Import did not fail")
	}
	if all, _ := to.ListUsers(context.Background(), admin.Filter{}); len(all) != 0 {
		t.Fatalf("a failed import left %d users", len(all))
	}
	if roles, _ := to.Roles(context.Background()); len(roles) != 0 {
		t.Fatalf("a failed import left %d roles", len(roles))
	}
}

// failAfter is a user store whose CreateUser fails after n successes. It
// is a Transactor through the store it wraps.
type failAfter struct {
	gatehouse.UserStore
	n int
}

func (f *failAfter) InTx(ctx context.Context, fn func(context.Context) error) error {
	return f.UserStore.(gatehouse.Transactor).InTx(ctx, fn)
}

func (f *failAfter) CreateUser(ctx context.Context, u *gatehouse.User) error {
	if f.n == 0 {
		return errors.New("disk on fire")
	}
	f.n--
	return f.UserStore.CreateUser(ctx, u)
}

// TestOtherSchemas imports other frameworks' users with a Mapping, as the
// guide shows: Django's auth tables directly, and a Flask-Login app's
// table through SQL views. Their hashes verify with the same hasher as
// Flask-Security's.
func TestOtherSchemas(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		schema []string
		specs  []string
		users  map[string]string // email -> password
		roles  map[string][]string
	}{
		{
			name: "django",
			schema: []string{
				`CREATE TABLE auth_user (id INTEGER PRIMARY KEY, password VARCHAR(128) NOT NULL, last_login DATETIME,
					is_superuser BOOL NOT NULL, username VARCHAR(150) NOT NULL UNIQUE, first_name VARCHAR(150) NOT NULL,
					last_name VARCHAR(150) NOT NULL, email VARCHAR(254) NOT NULL, is_staff BOOL NOT NULL,
					is_active BOOL NOT NULL, date_joined DATETIME NOT NULL)`,
				`CREATE TABLE auth_group (id INTEGER PRIMARY KEY, name VARCHAR(150) NOT NULL UNIQUE)`,
				`CREATE TABLE auth_user_groups (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, group_id INTEGER NOT NULL)`,
				`INSERT INTO auth_user VALUES (1, 'pbkdf2_sha1$260000$XK9YfQLG53bxacTDNBxnJj$BHV/2R7zZ4upFAGX0WEZ8NkU3h4=',
					'2024-05-01 10:00:00', 0, 'ana', 'Ana', 'B', 'ana@example.com', 0, 1, '2023-01-01 09:00:00')`,
				`INSERT INTO auth_user VALUES (2, 'pbkdf2_sha256$260000$vxzSJjO6IcGEjmlZr3y4lK$di3NpP9uKhNoF6vWBaK7/8dRzMSvk0FqAY3sLUidpDc=',
					NULL, 1, 'bo', 'Bo', 'C', 'Bo@Example.com', 1, 1, '2023-01-02 09:00:00')`,
				`INSERT INTO auth_group VALUES (7, 'staff')`,
				`INSERT INTO auth_user_groups VALUES (1, 2, 7)`,
			},
			specs: []string{"user=auth_user,user.active=is_active,user.create_datetime=date_joined,user.current_login_at=last_login",
				"role=auth_group,roles_users=auth_user_groups,roles_users.role_id=group_id"},
			users: map[string]string{"ana@example.com": "pässwörd-ünicode", "bo@example.com": "tab\there"},
			roles: map[string][]string{"bo@example.com": {"staff"}},
		},
		{
			name: "flask-login",
			schema: []string{
				`CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE, password_hash TEXT)`,
				`INSERT INTO users VALUES (1, 'cy@example.com', 'scrypt:16384:8:1$_Q9RvvmkaPXYyGK74JQOuw$136588da5975955dd885f29cbde4eea75056e0dd36252f5936cb9ea9688f4314876bb6fde5bc5b67572f60cb5e956eea7c7d3f9a41190b094a374e26c26467a3')`,
				`CREATE VIEW gh_user AS SELECT id, email, password_hash AS password, 1 AS active FROM users`,
				`CREATE VIEW gh_role AS SELECT 0 AS id, '' AS name WHERE 0 = 1`,
				`CREATE VIEW gh_roles_users AS SELECT 0 AS user_id, 0 AS role_id WHERE 0 = 1`,
			},
			specs: []string{"user=gh_user,role=gh_role,roles_users=gh_roles_users"},
			users: map[string]string{"cy@example.com": "with $ dollar and : colon"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			from := openSQLite(t, filepath.Join(t.TempDir(), "app.db"))
			exec(t, from, tt.schema...)
			var m flaskimport.Mapping
			for _, s := range tt.specs {
				if err := m.Set(s); err != nil {
					t.Fatal(err)
				}
			}
			to := destinations()[0].open(t)
			s, err := flaskimport.Import(ctx, flaskimport.Config{Source: from, Users: to, Map: m})
			if err != nil {
				t.Fatal(err)
			}
			if s.UserCount(flaskimport.Created) != len(tt.users) {
				t.Fatalf("%+v", s)
			}
			man, _ := flaskApp(t, to, "the Flask-Security salt, unused by these schemes")
			for email, pw := range tt.users {
				u, err := man.VerifyPassword(ctx, email, pw)
				if err != nil {
					t.Errorf("VerifyPassword(%s): %v", email, err)
					continue
				}
				if !slices.Equal(nonNil(u.Roles), nonNil(tt.roles[email])) || u.SecurityStamp == "" {
					t.Errorf("%s: roles %v, stamp %q", email, u.Roles, u.SecurityStamp)
				}
			}
		})
	}
}

// TestDevise imports a Devise users table in PostgreSQL through the views
// the guide gives, and logs in with the Devise scheme and its pepper.
func TestDevise(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	from := pgDB(t)
	exec(t, from,
		`CREATE TABLE users (id BIGSERIAL PRIMARY KEY, email VARCHAR NOT NULL DEFAULT '' UNIQUE,
			encrypted_password VARCHAR NOT NULL DEFAULT '', sign_in_count INTEGER NOT NULL DEFAULT 0,
			current_sign_in_at TIMESTAMP(6), last_sign_in_at TIMESTAMP(6), current_sign_in_ip INET, last_sign_in_ip INET,
			confirmed_at TIMESTAMP(6), created_at TIMESTAMP(6) NOT NULL, updated_at TIMESTAMP(6) NOT NULL)`,
		`INSERT INTO users (email, encrypted_password, sign_in_count, current_sign_in_at, current_sign_in_ip, last_sign_in_ip,
			confirmed_at, created_at, updated_at) VALUES ('dee@example.com',
			'$2a$10$uL/6pe97ATzN7Z4sdwUUROXDYnMRZZk4OZH4m8vI.glLeuJcO5ap6', 3, '2025-02-03 04:05:06', '192.0.2.7', '192.0.2.8',
			'2024-01-01 00:00:00', '2023-12-31 00:00:00', now())`,
		`CREATE VIEW gh_user AS SELECT id, email, encrypted_password AS password, true AS active,
			confirmed_at, sign_in_count AS login_count,
			current_sign_in_at AS current_login_at, last_sign_in_at AS last_login_at,
			host(current_sign_in_ip) AS current_login_ip, host(last_sign_in_ip) AS last_login_ip,
			created_at AS create_datetime
			FROM users`,
		`CREATE VIEW gh_role AS SELECT 0 AS id, '' AS name WHERE 0 = 1`,
		`CREATE VIEW gh_roles_users AS SELECT 0 AS user_id, 0 AS role_id WHERE 0 = 1`,
	)
	var m flaskimport.Mapping
	if err := m.Set("user=gh_user,role=gh_role,roles_users=gh_roles_users"); err != nil {
		t.Fatal(err)
	}
	to := destinations()[0].open(t)
	if s, err := flaskimport.Import(ctx, flaskimport.Config{Source: from, Users: to, Map: m}); err != nil || s.UserCount(flaskimport.Created) != 1 {
		t.Fatalf("%+v, %v", s, err)
	}
	h := password.Migration(nil)
	h.Legacy = append([]password.Scheme{password.Devise{Pepper: "a-devise-pepper-681648"}}, h.Legacy...)
	man, err := gatehouse.New(gatehouse.Config{Users: to, Hasher: h, SecretKeys: [][]byte{gatehouse.NewSecretKey()},
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	u, err := man.VerifyPassword(ctx, "dee@example.com", "correct horse battery staple")
	if err != nil {
		t.Fatalf("VerifyPassword: %v", err)
	}
	if u.LoginCount != 3 || u.CurrentLoginIP != "192.0.2.7" || u.LastLoginIP != "192.0.2.8" || !u.IsConfirmed() ||
		u.CurrentLoginAt.Format(time.DateTime) != "2025-02-03 04:05:06" {
		t.Fatalf("imported %+v", u)
	}
}
