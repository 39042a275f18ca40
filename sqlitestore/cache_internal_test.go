package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/internal/testutil"
)

// twoProcesses opens one database file twice, as two server processes
// would, and makes n users.
func twoProcesses(t *testing.T, n int) (a, b *Store, ids []string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "shared.db")
	open := func() *Store {
		db, err := sql.Open("sqlite", DSN(path))
		if err != nil {
			t.Fatal(err)
		}
		s := New(db)
		t.Cleanup(func() { s.Close(); db.Close() })
		if err := s.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b = open(), open()
	now := time.Now()
	for i := range n {
		u := &gatehouse.User{Email: fmt.Sprintf("u%d@example.com", i), Active: true, SecurityStamp: "s", CreatedAt: now, UpdatedAt: now}
		if err := a.CreateUser(context.Background(), u); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	return a, b, ids
}

func (c *userCache) hitCount() uint64 { return c.users.Hits() }

// The header read is what keeps the hot path off the database: it must be
// readable, stand still while nothing commits and move with every commit,
// from any process.
func TestWALIndexMovesWithEveryCommit(t *testing.T) {
	a, b, ids := twoProcesses(t, 1)
	ctx := context.Background()
	a.UserByID(ctx, ids[0])
	if a.cache == nil {
		t.Fatal("no user cache on a WAL database")
	}
	w := a.cache.wal
	if runtime.GOOS != "windows" && w.mem == nil {
		t.Error("the header is read with pread, not mapped")
	}
	m1, ok := w.read()
	if !ok {
		t.Fatal("the WAL-index header does not read")
	}
	if m2, ok := w.read(); !ok || m2 != m1 {
		t.Fatal("the header moved without a commit")
	}
	for i, write := range []string{
		"UPDATE gatehouse_users SET login_count = login_count + 1",
		"INSERT INTO gatehouse_sessions (id, data, created_at, updated_at, expires_at) VALUES ('x', x'', 0, 0, 0)",
		"DELETE FROM gatehouse_sessions",
	} {
		if _, err := b.DB().ExecContext(ctx, write); err != nil {
			t.Fatal(err)
		}
		m2, ok := w.read()
		if !ok || m2 == m1 {
			t.Fatalf("commit %d did not move the header (ok %v)", i, ok)
		}
		m1 = m2
	}
}

// A commit that touches other users, or no user at all, costs the cached
// ones nothing; the changed user is read afresh.
func TestUserCacheForgetsOnlyChangedUsers(t *testing.T) {
	a, b, ids := twoProcesses(t, 3)
	ctx := context.Background()
	for range 2 {
		for _, id := range ids {
			a.UserByID(ctx, id)
		}
	}
	c := a.cache
	now := time.Now()
	// Another process logs user 1 in and writes a session.
	if err := b.UpdateUser(ctx, ids[1], gatehouse.UserChange{LoginAt: now, LoginIP: "192.0.2.1", UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.DB().ExecContext(ctx, "INSERT INTO gatehouse_sessions (id, data, created_at, updated_at, expires_at) VALUES ('x', x'', 0, 0, 0)"); err != nil {
		t.Fatal(err)
	}
	before := c.hitCount()
	if _, err := a.UserByID(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	if c.hitCount() != before+1 {
		t.Error("user 0 was read again after a commit that did not touch it")
	}
	got, err := a.UserByID(ctx, ids[1])
	if err != nil || got.LoginCount != 1 {
		t.Fatalf("user 1 after its login elsewhere: %+v, %v", got, err)
	}
	if c.hitCount() != before+1 {
		t.Error("user 1 came from the cache after it changed")
	}
	// Roles and revoked sessions count as changes to the user.
	b.UpdateUser(ctx, ids[2], gatehouse.UserChange{AddRoles: []string{"editor"}, UpdatedAt: now})
	if got, _ := a.UserByID(ctx, ids[2]); !got.HasRole("editor") {
		t.Error("role added elsewhere not seen")
	}
	if _, err := b.DB().ExecContext(ctx, "INSERT INTO gatehouse_revoked_sessions (user_id, id, until_us) VALUES (?, 'sid', ?)", ids[2], now.Add(time.Hour).UnixMicro()); err != nil {
		t.Fatal(err)
	}
	if got, _ := a.UserByID(ctx, ids[2]); len(got.RevokedSessions) != 1 {
		t.Error("session revoked with plain SQL not seen")
	}
	if _, err := b.DB().ExecContext(ctx, "DELETE FROM gatehouse_user_roles"); err != nil {
		t.Fatal(err)
	}
	if got, _ := a.UserByID(ctx, ids[2]); got.HasRole("editor") {
		t.Error("role removed with plain SQL not seen")
	}
	if _, err := b.DB().ExecContext(ctx, "DELETE FROM gatehouse_users WHERE id = ?", ids[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := a.UserByID(ctx, ids[0]); err == nil {
		t.Error("a deleted user still loads")
	}
}

// More changes than the log keeps, made while this process looked away:
// it cannot tell which users changed, so it forgets them all.
func TestUserCacheAfterTheLogWasPruned(t *testing.T) {
	a, b, ids := twoProcesses(t, 2)
	ctx := context.Background()
	a.UserByID(ctx, ids[0])
	a.UserByID(ctx, ids[1])
	_, err := b.DB().ExecContext(ctx, `WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 10050)
		INSERT INTO gatehouse_user_changes (user_id) SELECT 0 FROM n`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.DB().ExecContext(ctx, "UPDATE gatehouse_users SET active = 0 WHERE id = ?", ids[0]); err != nil {
		t.Fatal(err)
	}
	// Push user 0's change out of the log too.
	if _, err := b.DB().ExecContext(ctx, `WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 10050)
		INSERT INTO gatehouse_user_changes (user_id) SELECT 0 FROM n`); err != nil {
		t.Fatal(err)
	}
	var rows int
	b.DB().QueryRowContext(ctx, "SELECT count(*) FROM gatehouse_user_changes").Scan(&rows)
	if rows != 10000 {
		t.Errorf("the change log holds %d rows, want 10000", rows)
	}
	if got, _ := a.UserByID(ctx, ids[0]); got.Active {
		t.Error("a change pruned from the log went unseen")
	}
}

// Lookups racing a writer: once the writer's commit has returned, every
// lookup that starts sees it, though lookups that began earlier may put
// what they read into the cache afterwards.
func TestUserCacheUnderConcurrentChanges(t *testing.T) {
	a, b, ids := twoProcesses(t, 4)
	ctx := context.Background()
	var stop atomic.Bool
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for !stop.Load() {
				if _, err := a.UserByID(ctx, ids[i%len(ids)]); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for round := 1; round <= 60; round++ {
		id := ids[round%len(ids)]
		stamp := fmt.Sprint("stamp", round)
		writer := a
		if round%2 == 0 {
			writer = b
		}
		if err := writer.UpdateUser(ctx, id, gatehouse.UserChange{SecurityStamp: &stamp, UpdatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if got, err := a.UserByID(ctx, id); err != nil || got.SecurityStamp != stamp {
				t.Fatalf("round %d: stamp %q after the change to %q committed (%v)", round, got.SecurityStamp, stamp, err)
			}
		}
	}
	stop.Store(true)
	wg.Wait()
}

// Without WAL there is no header to read: no cache, every lookup reads.
func TestUserCacheOffWithoutWAL(t *testing.T) {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "rollback.db")+"?_pragma=journal_mode(DELETE)&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := New(db)
	ctx := context.Background()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	u := &gatehouse.User{Email: "ada@example.com", Active: true, SecurityStamp: "s", CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UserByID(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if s.cache != nil {
		t.Error("a user cache on a database without WAL")
	}
}

// A cache hit allocates only the copy it hands out (the user and its
// roles): the freshness check itself allocates nothing.
func TestUserCacheHitAllocations(t *testing.T) {
	if testutil.RaceEnabled {
		t.Skip("the race detector allocates on its own: scripts/test.sh runs this without it")
	}
	a, _, ids := twoProcesses(t, 1)
	ctx := context.Background()
	a.UpdateUser(ctx, ids[0], gatehouse.UserChange{AddRoles: []string{"admin"}, UpdatedAt: time.Now()})
	a.UserByID(ctx, ids[0])
	a.UserByID(ctx, ids[0])
	hits := a.cache.hitCount()
	got := testing.AllocsPerRun(100, func() { a.UserByID(ctx, ids[0]) })
	if a.cache.hitCount() != hits+101 {
		t.Fatalf("not answered from the cache: %d hits", a.cache.hitCount()-hits)
	}
	if got > 2 {
		t.Errorf("a cache hit allocates %.0f times, want at most 2 (the copy)", got)
	}
}

// REPLACE INTO deletes and re-inserts a row, and the delete fires no
// trigger by default: the insert trigger is what tells the cache. A
// REPLACE that deletes another user's row for a conflict is logged on
// connections with recursive_triggers on (DSN sets it).
func TestUserCacheSeesReplace(t *testing.T) {
	a, b, ids := twoProcesses(t, 2)
	ctx := context.Background()
	a.UserByID(ctx, ids[0])
	a.UserByID(ctx, ids[1])
	conn, err := b.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{
		"CREATE TEMP TABLE t AS SELECT * FROM gatehouse_users WHERE id = " + ids[0],
		"UPDATE temp.t SET active = 0, security_stamp = 'new'",
		"REPLACE INTO gatehouse_users SELECT * FROM temp.t",
		// User 1 takes user 0's address: REPLACE deletes user 0.
		"UPDATE OR REPLACE gatehouse_users SET email_key = (SELECT email_key FROM gatehouse_users WHERE id = " + ids[0] + ") WHERE id = " + ids[1],
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatal(q, err)
		}
	}
	if _, err := a.UserByID(ctx, ids[0]); err == nil {
		t.Error("a user deleted by REPLACE's conflict resolution still loads from the cache")
	}
}

// The cache's descriptor of the -shm file stays open: closing one would
// drop every POSIX lock this process holds on the file, among them the
// WAL read locks of its connections, and another process could then
// reset the WAL under a reader. A helper process (this test binary)
// checkpoints with TRUNCATE while a read transaction is open, before and
// after Close: busy both times.
func TestUserCacheCloseKeepsLocks(t *testing.T) {
	a, b, ids := twoProcesses(t, 1)
	ctx := context.Background()
	a.UserByID(ctx, ids[0])
	if a.cache == nil {
		t.Fatal("no cache")
	}
	dbPath := strings.TrimSuffix(a.cache.wal.f.Name(), "-shm")
	b.DB().ExecContext(ctx, "PRAGMA wal_autocheckpoint=0")
	for range 5 {
		b.DB().ExecContext(ctx, "UPDATE gatehouse_users SET login_count = login_count + 1")
	}
	tx, err := a.DB().BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRow("SELECT login_count FROM gatehouse_users").Scan(&n); err != nil {
		t.Fatal(err)
	}
	checkpoint := func() string {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperCheckpoint$")
		cmd.Env = append(os.Environ(), "GATEHOUSE_CHECKPOINT_DB="+dbPath)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("helper: %v\n%s", err, out)
		}
		_, result, _ := strings.Cut(string(out), "checkpoint: ")
		result, _, _ = strings.Cut(result, "\n")
		return result
	}
	if got := checkpoint(); !strings.HasPrefix(got, "1 ") {
		t.Fatalf("a TRUNCATE checkpoint under a live reader: %q, want busy", got)
	}
	a.Close()
	if got := checkpoint(); !strings.HasPrefix(got, "1 ") {
		t.Errorf("after Store.Close, a TRUNCATE checkpoint under the live reader: %q, want busy (the process lost its locks)", got)
	}
}

// TestHelperCheckpoint is the other process of TestUserCacheCloseKeepsLocks.
func TestHelperCheckpoint(t *testing.T) {
	path := os.Getenv("GATEHOUSE_CHECKPOINT_DB")
	if path == "" {
		t.Skip("a helper process")
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(0)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var busy, log, done int
	if err := db.QueryRow("PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &log, &done); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("checkpoint: %d %d %d\n", busy, log, done)
}
