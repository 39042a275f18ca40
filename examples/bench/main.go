// Command bench is the load harness: in one run, on one machine,
// it measures a bare net/http handler and the conformance app (SQLite, and
// PostgreSQL when GATEHOUSE_POSTGRES_DSN is set), each server pinned to one
// core (GOMAXPROCS=1 and taskset), driven by wrk with 16 connections from
// the other core, and prints requests/s, p50/p99 latency and ratios:
// /api/me by session cookie, remember cookie only, auth token and HTTP
// Basic, and POST /login, at 1,000 and 1,000,000 users; then session and
// token /api/me on SQLite with a background load of writes (logins and
// sign-ups of other users, from another process), and with sessions in
// Redis (when GATEHOUSE_REDIS_URL is set; on PostgreSQL if it is there).
// It also reports the server's peak RSS under a flood of 1,000 concurrent
// logins.
//
//	./scripts/bench.sh            # installs wrk, PostgreSQL and Redis if missing, then runs this
//	go run ./examples/bench -duration 10s -users 1000,1000000
//
// Ratios to bare net/http are throughput over bare throughput. Basic and
// login are bound by the password hash, so their ratio is their time per
// request over one raw Argon2id verify on one core (1.00 means the hash is
// all there is).
package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/gatehouse-auth/gatehouse"
	"github.com/gatehouse-auth/gatehouse/internal/dburl"
	"github.com/gatehouse-auth/gatehouse/password"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "bare" {
		bare(os.Args[2])
		return
	}
	duration := flag.Duration("duration", 5*time.Second, "how long wrk drives each scenario")
	conns := flag.Int("conns", 16, "wrk connections")
	usersFlag := flag.String("users", "1000,1000000", "store sizes to measure")
	rss := flag.Bool("rss", true, "measure peak RSS under 1,000 concurrent logins")
	flag.Parse()
	if err := run(*duration, *conns, *usersFlag, *rss); err != nil {
		log.Fatal(err)
	}
}

// bare is the baseline: net/http answering /api/me with a fixed body.
func bare(addr string) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/me", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"1","email":"admin@example.com"}`+"\n")
	})
	log.Fatal(http.ListenAndServe(addr, mux))
}

type result struct {
	rps      float64
	p50, p99 time.Duration
}

type harness struct {
	dir      string
	app      string // conformance binary
	self     string // this binary, for "bare"
	duration time.Duration
	conns    int
	pin      []string // taskset prefix for servers
	wrkPin   []string
	logs     *lockedBuffer // the last server started
	files    int           // SQLite databases made
}

func run(duration time.Duration, conns int, usersFlag string, rss bool) error {
	if _, err := exec.LookPath("wrk"); err != nil {
		return errors.New("wrk is not installed: run ./scripts/bench.sh, or apt-get install wrk")
	}
	dir, err := os.MkdirTemp("", "gatehouse-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	h := &harness{dir: dir, duration: duration, conns: conns}
	if _, err := exec.LookPath("taskset"); err == nil && runtime.NumCPU() >= 2 {
		h.pin, h.wrkPin = []string{"taskset", "-c", "1"}, []string{"taskset", "-c", "0"}
	}
	fmt.Printf("gatehouse-bench: %d CPUs, servers pinned: %v, wrk: %d connections, %v per scenario\n", runtime.NumCPU(), h.pin != nil, conns, duration)
	h.app = filepath.Join(dir, "conformance")
	if out, err := exec.Command("go", "build", "-o", h.app, "./examples/conformance").CombinedOutput(); err != nil {
		return fmt.Errorf("building the conformance app (run from the repository root): %v\n%s", err, out)
	}
	if h.self, err = os.Executable(); err != nil {
		return err
	}

	hashTime := rawHashTime()
	fmt.Printf("raw Argon2id verify (default parameters, one core): %v\n\n", hashTime.Round(time.Microsecond))

	port, stop, err := h.start([]string{h.self, "bare"}, nil)
	if err != nil {
		return err
	}
	bareRes, err := h.wrk(port, "/api/me", h.conns, nil, "")
	stop()
	if err != nil {
		return err
	}
	fmt.Printf("%-34s %10s %9s %9s %8s\n", "scenario", "req/s", "p50", "p99", "ratio")
	h.row("bare net/http /api/me", bareRes, 1)

	var sizes []int
	for _, s := range strings.Split(usersFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("-users: %w", err)
		}
		sizes = append(sizes, n)
	}
	dbs := []string{"sqlite"}
	if os.Getenv("GATEHOUSE_POSTGRES_DSN") != "" {
		dbs = append(dbs, "postgres")
	}
	sessionRPS := map[string]float64{}
	for _, db := range dbs {
		for _, n := range sizes {
			rps, err := h.measureApp(setup{db: db, users: n}, bareRes, hashTime)
			if err != nil {
				return err
			}
			sessionRPS[fmt.Sprintf("%s/%d", db, n)] = rps
		}
	}
	extra := []setup{{db: "sqlite", users: sizes[0], light: true, writes: 50,
		label: fmt.Sprintf("sqlite, %d users, 50 writes/s by another process (logins, sign-ups)", sizes[0])}}
	if redisURL := os.Getenv("GATEHOUSE_REDIS_URL"); redisURL != "" {
		db := dbs[len(dbs)-1] // PostgreSQL if there is one: the many-instance setup
		extra = append(extra, setup{db: db, users: sizes[0], light: true, env: []string{"REDIS_URL=" + redisURL},
			label: fmt.Sprintf("%s, %d users, sessions in Redis", db, sizes[0])})
	}
	for _, st := range extra {
		if _, err := h.measureApp(st, bareRes, hashTime); err != nil {
			return err
		}
	}
	if len(sizes) > 1 {
		fmt.Println()
		for _, db := range dbs {
			small, large := sessionRPS[fmt.Sprintf("%s/%d", db, sizes[0])], sessionRPS[fmt.Sprintf("%s/%d", db, sizes[len(sizes)-1])]
			fmt.Printf("%s: session /api/me with %d users = %.2fx the throughput with %d (target >= 0.90)\n", db, sizes[len(sizes)-1], large/small, sizes[0])
		}
	}
	if rss {
		return h.loginFlood()
	}
	return nil
}

func (h *harness) row(name string, r result, ratio float64) {
	fmt.Printf("%-34s %10.0f %9s %9s %7.2fx\n", name, r.rps, r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond), ratio)
}

// rawHashTime is one default Argon2id verify on one core, the unit for
// hash-bound scenarios.
func rawHashTime() time.Duration {
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	hash, _ := password.Argon2id{}.Hash("correct horse battery")
	const n = 20
	start := time.Now()
	for range n {
		password.Argon2id{}.Compare(hash, "correct horse battery")
	}
	return time.Since(start) / n
}

// start runs a server pinned to one core on a free port and waits for it.
func (h *harness) start(argv []string, env []string) (port string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	port = strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	if argv[len(argv)-1] == "bare" {
		argv = append(argv, "127.0.0.1:"+port)
	}
	full := append(append([]string{}, h.pin...), argv...)
	cmd := exec.Command(full[0], full[1:]...)
	cmd.Env = append(os.Environ(), append(env, "GOMAXPROCS=1", "PORT="+port)...)
	logs := &lockedBuffer{}
	h.logs = logs
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop = func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }
	for deadline := time.Now().Add(60 * time.Second); ; {
		c, err := net.Dial("tcp", "127.0.0.1:"+port)
		if err == nil {
			c.Close()
			return port, stop, nil
		}
		if time.Now().After(deadline) {
			stop()
			return "", nil, fmt.Errorf("server did not start: %s", logs.tail(4000))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// lockedBuffer keeps a server's output, written as it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// tail returns the last n bytes written.
func (l *lockedBuffer) tail(n int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.b.Bytes()
	return string(b[max(0, len(b)-n):])
}

var (
	rpsRE = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	pctRE = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([0-9.]+)(us|ms|s)\s*$`)
	badRE = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	errRE = regexp.MustCompile(`Socket errors: .*`)
)

// wrk drives port's path over conns connections; a non-empty body makes
// it a POST.
func (h *harness) wrk(port, path string, conns int, headers []string, body string) (result, error) {
	args := append([]string{}, h.wrkPin...)
	args = append(args, "wrk", "-t1", "-c"+strconv.Itoa(conns), "-d"+h.duration.String(), "--latency", "-H", "User-Agent: "+userAgent)
	for _, hd := range headers {
		args = append(args, "-H", hd)
	}
	if body != "" {
		script := filepath.Join(h.dir, "post.lua")
		lua := fmt.Sprintf("wrk.method = \"POST\"\nwrk.body = %q\n", body)
		if err := os.WriteFile(script, []byte(lua), 0o644); err != nil {
			return result{}, err
		}
		args = append(args, "-s", script)
	}
	args = append(args, "http://127.0.0.1:"+port+path)
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		return result{}, fmt.Errorf("wrk: %v\n%s", err, out)
	}
	if m := badRE.FindSubmatch(out); m != nil {
		return result{}, fmt.Errorf("wrk %s: %s non-2xx answers:\n%s\nthe server's log ends:\n%s", path, m[1], out, h.logs.tail(2000))
	}
	if m := errRE.Find(out); m != nil {
		return result{}, fmt.Errorf("wrk %s: %s", path, m)
	}
	var r result
	if m := rpsRE.FindSubmatch(out); m != nil {
		r.rps, _ = strconv.ParseFloat(string(m[1]), 64)
	}
	for _, m := range pctRE.FindAllSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(string(m[2]), 64)
		d := time.Duration(v * float64(map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[string(m[3])]))
		if string(m[1]) == "50" {
			r.p50 = d
		} else {
			r.p99 = d
		}
	}
	if r.rps == 0 {
		return result{}, fmt.Errorf("wrk output not understood:\n%s", out)
	}
	return r, nil
}

// prepare makes a database with n extra users (made in bulk with SQL) and
// returns its URL.
func (h *harness) prepare(db string, n int, label string) (string, func(), error) {
	ctx := context.Background()
	var url string
	cleanup := func() {}
	switch db {
	case "sqlite":
		h.files++
		url = "sqlite:///" + strings.TrimPrefix(filepath.Join(h.dir, fmt.Sprintf("bench-%d-%d.db", n, h.files)), "/")
	case "postgres":
		dsn := os.Getenv("GATEHOUSE_POSTGRES_DSN")
		admin, err := sql.Open("pgx", dsn)
		if err != nil {
			return "", nil, err
		}
		schema := fmt.Sprintf("gh_bench_%d", n)
		admin.Exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE")
		if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
			return "", nil, err
		}
		cleanup = func() { admin.Exec("DROP SCHEMA " + schema + " CASCADE"); admin.Close() }
		url = withSearchPath(dsn, schema)
	}
	d, err := dburl.Open(ctx, url)
	if err != nil {
		return "", nil, err
	}
	defer d.Close()
	start := time.Now()
	var q string
	if db == "sqlite" {
		q = `WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < ?)
			INSERT INTO gatehouse_users (email, email_key, security_stamp, active, created_at, updated_at)
			SELECT 'bulk' || x || '@example.com', 'bulk' || x || '@example.com', 'stamp' || x, 1, 0, 0 FROM seq`
	} else {
		q = `INSERT INTO gatehouse_users (email, email_key, security_stamp, active, created_at, updated_at)
			SELECT 'bulk' || x || '@example.com', 'bulk' || x || '@example.com', 'stamp' || x, true, now(), now()
			FROM generate_series(1, $1::int) AS x`
	}
	if _, err := d.Store.DB().ExecContext(ctx, q, n); err != nil {
		return "", nil, fmt.Errorf("bulk users: %w", err)
	}
	if db == "postgres" {
		d.Store.DB().ExecContext(ctx, "ANALYZE")
	}
	if label == "" {
		label = fmt.Sprintf("%s, %d users", db, n)
	}
	fmt.Printf("\n%s (made in %v):\n", label, time.Since(start).Round(time.Millisecond))
	return url, cleanup, nil
}

func withSearchPath(dsn, schema string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// userAgent is sent by every client here: session protection ties a
// session to the User-Agent it was made with, as a browser keeps it.
const userAgent = "gatehouse-bench/1"

// uaTransport sets userAgent on every request.
type uaTransport struct{ http.RoundTripper }

func (t uaTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r.Header.Set("User-Agent", userAgent)
	return t.RoundTripper.RoundTrip(r)
}

// creds logs in the seeded admin and returns what each mechanism needs.
type creds struct {
	session, remember, token, basic string
	anonCookie, csrf                string
}

func login(base string) (creds, error) {
	var c creds
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Transport: uaTransport{http.DefaultTransport}}
	csrf, err := getCSRF(client, base)
	if err != nil {
		return c, err
	}
	body := `{"email":"admin@example.com","password":"correct horse battery","remember":true}`
	req, _ := http.NewRequest("POST", base+"/login?include_auth_token", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", csrf)
	resp, err := client.Do(req)
	if err != nil {
		return c, err
	}
	var env struct {
		Response struct {
			User struct {
				Token string `json:"authentication_token"`
			}
		}
	}
	json.NewDecoder(resp.Body).Decode(&env)
	resp.Body.Close()
	if resp.StatusCode != 200 || env.Response.User.Token == "" {
		return c, fmt.Errorf("login: status %d", resp.StatusCode)
	}
	c.token = env.Response.User.Token
	u, _ := url.Parse(base)
	for _, ck := range jar.Cookies(u) {
		switch ck.Name {
		case "gatehouse":
			c.session = "gatehouse=" + ck.Value
		case "remember_token":
			c.remember = "remember_token=" + ck.Value
		}
	}
	c.basic = "Basic " + base64.StdEncoding.EncodeToString([]byte("admin@example.com:correct horse battery"))
	// A fresh anonymous session and its CSRF token, for the login scenario.
	jar2, _ := cookiejar.New(nil)
	anon := &http.Client{Jar: jar2, Transport: uaTransport{http.DefaultTransport}}
	if c.csrf, err = getCSRF(anon, base); err != nil {
		return c, err
	}
	for _, ck := range jar2.Cookies(u) {
		if ck.Name == "gatehouse" {
			c.anonCookie = "gatehouse=" + ck.Value
		}
	}
	return c, nil
}

func getCSRF(client *http.Client, base string) (string, error) {
	req, _ := http.NewRequest("GET", base+"/login", nil)
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var env struct {
		Response struct {
			CSRF string `json:"csrf_token"`
		}
	}
	json.NewDecoder(resp.Body).Decode(&env)
	return env.Response.CSRF, nil
}

// setup is one configuration of the conformance app to measure.
type setup struct {
	db    string // "sqlite" or "postgres"
	users int
	env   []string // more of the app's environment (REDIS_URL=...)
	// light measures /api/me by session and token only.
	light bool
	// writes, if set, is a background load of this many writes a second
	// to other users while wrk runs (see writeLoad).
	writes int
	label  string // printed before the rows, if set
}

func (h *harness) measureApp(st setup, bareRes result, hashTime time.Duration) (float64, error) {
	dbURL, cleanup, err := h.prepare(st.db, st.users, st.label)
	if err != nil {
		return 0, err
	}
	defer cleanup()
	port, stop, err := h.start([]string{h.app}, append([]string{"DATABASE_URL=" + dbURL, "SMTP_PORT=1"}, st.env...))
	if err != nil {
		return 0, err
	}
	defer stop()
	base := "http://127.0.0.1:" + port
	c, err := login(base)
	if err != nil {
		return 0, err
	}
	if st.writes > 0 {
		stopWrites, err := writeLoad(dbURL, st.writes)
		if err != nil {
			return 0, err
		}
		defer func() {
			n := stopWrites()
			fmt.Printf("%-34s %10d writes in all\n", "  (background writes)", n)
		}()
	}
	var sessionRPS float64
	for _, s := range []struct {
		name    string
		headers []string
		body    string
		path    string
		hashed  bool
	}{
		{"/api/me, session cookie", []string{"Cookie: " + c.session}, "", "/api/me", false},
		{"/api/me, remember cookie only", []string{"Cookie: " + c.remember}, "", "/api/me", false},
		{"/api/me, auth token", []string{"Authentication-Token: " + c.token}, "", "/api/me", false},
		{"/api/me, Basic (vs raw hash)", []string{"Authorization: " + c.basic}, "", "/api/me", true},
		{"POST /login (vs raw hash)", []string{"Cookie: " + c.anonCookie, "X-CSRF-Token: " + c.csrf, "Content-Type: application/json"},
			`{"email":"admin@example.com","password":"correct horse battery"}`, "/login", true},
	} {
		if st.light && s.path != "/api/me" || st.light && strings.Contains(s.name, "remember") || st.light && s.hashed {
			continue
		}
		// Requests that hash are capped per client (a quarter of the
		// hash queue: 8 on one core), as a flood from one address must
		// not hold up other users; 4 connections keep the core busy.
		conns := h.conns
		if s.hashed {
			conns = min(conns, 4)
		}
		r, err := h.wrk(port, s.path, conns, s.headers, s.body)
		if err != nil {
			return 0, err
		}
		ratio := r.rps / bareRes.rps
		if s.hashed {
			ratio = float64(time.Second) / r.rps / float64(hashTime)
		}
		h.row(s.name, r, ratio)
		if sessionRPS == 0 {
			sessionRPS = r.rps
		}
	}
	return sessionRPS, nil
}

// writeLoad writes, perSecond times a second until stopped, what logins
// and sign-ups of other users write, from another process's connection
// (as another instance would): half the writes record a login of a
// random bulk user, half sign a new user up. Their password hashing is
// left out: on the one pinned core it would measure Argon2id, not the
// cost of the writes to the requests that read users. It returns how many
// writes were made.
func writeLoad(dbURL string, perSecond int) (stop func() int, err error) {
	d, err := dburl.Open(context.Background(), dbURL)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() {
		n := 0
		tick := time.NewTicker(time.Second / time.Duration(perSecond))
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				d.Close()
				done <- n
				return
			case now := <-tick.C:
				if n%2 == 0 {
					if u, err := d.Store.UserByEmail(ctx, fmt.Sprintf("bulk%d@example.com", 1+n%500)); err == nil {
						d.Store.UpdateUser(ctx, u.ID, gatehouse.UserChange{LoginAt: now, LoginIP: "192.0.2.7", UpdatedAt: now})
					}
				} else {
					d.Store.CreateUser(ctx, &gatehouse.User{Email: fmt.Sprintf("signup%d-%d@example.com", now.UnixNano(), n),
						SecurityStamp: strconv.Itoa(n), CreatedAt: now, UpdatedAt: now})
				}
				n++
			}
		}
	}()
	return func() int { cancel(); return <-done }, nil
}

// loginFlood sends 1,000 logins at once to a fresh app and reports its
// peak resident memory (VmHWM).
func (h *harness) loginFlood() error {
	dbURL, cleanup, err := h.prepare("sqlite", 0, "login flood")
	if err != nil {
		return err
	}
	defer cleanup()
	port, stop, err := h.start([]string{h.app}, []string{"DATABASE_URL=" + dbURL, "SMTP_PORT=1"})
	if err != nil {
		return err
	}
	defer stop()
	base := "http://127.0.0.1:" + port
	c, err := login(base)
	if err != nil {
		return err
	}
	pid, err := serverPID(port)
	if err != nil {
		return err
	}
	before := vmHWM(pid)
	start := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[string]int{}
	tr := &http.Transport{MaxIdleConnsPerHost: 1000, MaxConnsPerHost: 0}
	client := &http.Client{Transport: uaTransport{tr}, Timeout: 5 * time.Minute}
	for range 1000 {
		wg.Go(func() {
			req, _ := http.NewRequest("POST", base+"/login", strings.NewReader(`{"email":"admin@example.com","password":"correct horse battery"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-CSRF-Token", c.csrf)
			req.Header.Set("Cookie", c.anonCookie)
			resp, err := client.Do(req)
			status := "error"
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				status = strconv.Itoa(resp.StatusCode)
			}
			mu.Lock()
			statuses[status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	// From one address, most are shed at once with 503 (the hash queue is
	// bounded, and one client may hold a quarter of it): by design.
	fmt.Printf("\nlogin flood: 1,000 concurrent logins in %v, answers %v (503: shed); server peak RSS %.1f MiB (%.1f MiB before; target <= 256)\n",
		time.Since(start).Round(time.Millisecond), statuses, float64(vmHWM(pid))/1024, float64(before)/1024)
	return nil
}

// serverPID finds the process listening on port through /proc.
func serverPID(port string) (int, error) {
	p, _ := strconv.Atoi(port)
	inode := ""
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) > 9 && strings.HasSuffix(fields[1], fmt.Sprintf(":%04X", p)) && fields[3] == "0A" {
				inode = fields[9]
			}
		}
	}
	if inode == "" {
		return 0, errors.New("no listener found")
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range procs {
		if link, err := os.Readlink(fd); err == nil && link == "socket:["+inode+"]" {
			return strconv.Atoi(strings.Split(fd, "/")[2])
		}
	}
	return 0, errors.New("no process owns the listener")
}

// vmHWM is a process's peak resident set, in KiB.
func vmHWM(pid int) int {
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.Atoi(strings.Fields(v)[0])
			return n
		}
	}
	return 0
}
