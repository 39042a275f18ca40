package main_test

import (
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse-auth/gatehouse/examples/internal/smtptest"
	"github.com/gatehouse-auth/gatehouse/internal/testutil"
)

// cacheBound is how late a change to a user may show on another instance
// here. The instances keep users they got no notification about for a
// minute (USER_CACHE_MAX_AGE), so only PostgreSQL's notifications, which
// take milliseconds, can make a change show within it.
const cacheBound = 1500 * time.Millisecond

// pgSchema returns the DSN of a PostgreSQL schema of the test's own,
// dropped at cleanup: GATEHOUSE_POSTGRES_DSN is required in CI.
func pgSchema(t *testing.T) string {
	t.Helper()
	_, dsn := testutil.PostgresDB(t, "gh_e2e_")
	return dsn
}

// redisURL is GATEHOUSE_REDIS_URL, required in CI.
func redisURL(t *testing.T) string {
	t.Helper()
	u := testutil.ServerURL(t, "GATEHOUSE_REDIS_URL")
	return u
}

// spreading is a client whose requests go to the instances in turn.
func spreading(t *testing.T, apps []*app) *client {
	c := apps[0].client(t)
	c.spread = apps
	return c
}

// linkPath is a mailed link's path and query, whichever instance made it.
func linkPath(link string) string {
	u, _ := url.Parse(link)
	return u.RequestURI()
}

// everywhere asks path on every instance with c's credentials until each
// answers status, for at most bound, and fails past it.
func everywhere(t *testing.T, what string, c *client, apps []*app, path string, status int, bound time.Duration) {
	t.Helper()
	began := time.Now()
	for _, a := range apps {
		for {
			saved := c.spread
			c.spread = []*app{a}
			got := c.do("GET", path, nil)
			c.spread = saved
			if got.status == status {
				break
			}
			if time.Since(began) > bound {
				t.Fatalf("%s: %s on %s answered %d after %v, want %d", what, path, a.base, got.status, time.Since(began), status)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	if took := time.Since(began); took > 100*time.Millisecond {
		t.Logf("%s: seen on every instance after %v", what, took)
	}
}

// Three instances of the app on one PostgreSQL and one Redis, and clients
// whose requests go to each in turn: what one instance does holds on the
// others at the very next request (sessions, lock-out counts and one-time
// tokens are shared), and a change to a user within the user cache's
// bound.
func TestThreeInstances(t *testing.T) {
	if testing.Short() {
		t.Skip("three app processes")
	}
	db, rdb := pgSchema(t), redisURL(t)
	key := make([]byte, 32)
	rand.Read(key)
	ms := smtptest.Start(t)
	var apps []*app
	for range 3 { // one after the other: the first seeds the database
		apps = append(apps, launch(t, db, ms.Addr, ms, "REDIS_URL="+rdb, "SECRET_KEY="+hex.EncodeToString(key), "USER_CACHE_MAX_AGE=1m"))
	}

	t.Run("a session and its logout", func(t *testing.T) {
		c := spreading(t, apps)
		c.mustLogin("plain@example.com", "plain password 1")
		for range 6 {
			want(t, "/api/me after login elsewhere", c.do("GET", "/api/me", nil), 200)
		}
		stolen := c.http.Jar.Cookies(mustURL(apps[0].base))
		want(t, "logout", c.do("POST", "/logout", map[string]any{}), 200)
		replay := spreading(t, apps)
		replay.http.Jar.SetCookies(mustURL(apps[0].base), stolen)
		for range 3 {
			want(t, "the logged-out session's cookie, on the next instances", replay.do("GET", "/api/me", nil), 401)
		}
	})

	t.Run("lock-out counts are shared", func(t *testing.T) {
		c := spreading(t, apps)
		c.fetchCSRF()
		for i := range 5 {
			want(t, "wrong password "+string(rune('1'+i)), c.login("admin@example.com", "wrong guess", nil), 400)
		}
		for range 3 {
			want(t, "the right password after 5 failures spread over 3 instances", c.login("admin@example.com", "correct horse battery", nil), 429)
		}
	})

	t.Run("a one-time link is spent everywhere", func(t *testing.T) {
		c := spreading(t, apps)
		c.fetchCSRF()
		want(t, "forgot", c.do("POST", "/reset", map[string]any{"email": "plain@example.com"}), 200)
		link := linkPath(ms.WaitFor(t, "plain@example.com", "reset").Link(t))
		want(t, "reset on one instance", c.do("POST", link, map[string]any{"password": "plain password 2", "password_confirm": "plain password 2"}), 200)
		for range 2 {
			other := spreading(t, apps)
			other.next = c.next
			other.fetchCSRF()
			want(t, "the same link on the next instance", other.do("POST", link, map[string]any{"password": "plain password 3", "password_confirm": "plain password 3"}), 400)
		}
		ms.WaitFor(t, "plain@example.com", "has been reset")
	})

	t.Run("a password change ends sessions and tokens everywhere", func(t *testing.T) {
		c := spreading(t, apps)
		c.fetchCSRF()
		c.do("POST", "/register", map[string]any{"email": "changer@example.com", "password": "first password 1"})
		link := linkPath(ms.WaitFor(t, "changer@example.com", "Welcome").Link(t))
		want(t, "confirm", c.do("POST", link, map[string]any{"password": "first password 1"}), 200)
		other := spreading(t, apps)
		other.mustLogin("changer@example.com", "first password 1")
		got := other.do("POST", "/login?include_auth_token", map[string]any{"email": "changer@example.com", "password": "first password 1"})
		want(t, "login for a token", got, 200)
		api := spreading(t, apps)
		api.hdr.Set("Authentication-Token", got.resp["user"].(map[string]any)["authentication_token"].(string))
		everywhere(t, "the other session before", other, apps, "/api/me", 200, cacheBound)
		everywhere(t, "the token before", api, apps, "/api/me", 200, cacheBound)
		c.mustLogin("changer@example.com", "first password 1")
		want(t, "change", c.do("POST", "/change", map[string]any{"password": "first password 1", "new_password": "second password 2", "new_password_confirm": "second password 2"}), 200)
		everywhere(t, "the other session after the change", other, apps, "/api/me", 401, cacheBound)
		everywhere(t, "the token after the change", api, apps, "/api/me", 401, cacheBound)
		everywhere(t, "the changer's own session", c, apps, "/api/me", 200, cacheBound)
	})

	t.Run("deactivation and roles, made with SQL", func(t *testing.T) {
		sqlDB, err := sql.Open("pgx", db)
		if err != nil {
			t.Fatal(err)
		}
		defer sqlDB.Close()
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := sqlDB.Exec(q, args...); err != nil {
				t.Fatal(err)
			}
		}
		c := spreading(t, apps)
		c.fetchCSRF()
		c.do("POST", "/register", map[string]any{"email": "editor@example.com", "password": "editor password 1"})
		link := linkPath(ms.WaitFor(t, "editor@example.com", "Welcome").Link(t))
		want(t, "confirm", c.do("POST", link, map[string]any{"password": "editor password 1"}), 200)
		c.mustLogin("editor@example.com", "editor password 1")
		everywhere(t, "no role yet", c, apps, "/api/editors", 403, cacheBound) // cached on every instance
		exec("INSERT INTO gatehouse_user_roles (user_id, role) SELECT id, 'editor' FROM gatehouse_users WHERE email_key = $1", "editor@example.com")
		everywhere(t, "role given", c, apps, "/api/editors", 200, cacheBound)
		exec("DELETE FROM gatehouse_user_roles WHERE role = 'editor'")
		everywhere(t, "role taken", c, apps, "/api/editors", 403, cacheBound)
		exec("UPDATE gatehouse_users SET active = false WHERE email_key = $1", "editor@example.com")
		everywhere(t, "deactivated", c, apps, "/api/me", 401, cacheBound)
		basic := spreading(t, apps)
		basic.hdr.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("editor@example.com:editor password 1")))
		for range 3 {
			if got := basic.do("GET", "/api/me", nil); !slices.Contains([]int{401, 403}, got.status) {
				t.Errorf("Basic for a deactivated user: %d", got.status)
			}
		}
	})
}
