package password

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"
)

// fast parameters keep the suite quick; defaults are covered by benchmarks.
var fastSchemes = []Scheme{
	Argon2id{Memory: 64, Time: 1},
	Bcrypt{Cost: 4},
	PBKDF2{Digest: "sha512", Rounds: 1000},
	PBKDF2{Digest: "sha256", Rounds: 1000},
	PBKDF2{Digest: "sha1", Rounds: 1000},
	SHACrypt{Bits: 512, Rounds: 1000},
	SHACrypt{Bits: 256, Rounds: 1000},
	Plaintext{Enabled: true},
}

func TestSchemesRoundTrip(t *testing.T) {
	t.Parallel()
	passwords := []string{"correct horse battery staple", "pässwörd-ünicode", "パスワードです", "emoji 🔑 key", "tab\there", strings.Repeat("x", 72)}
	for _, s := range fastSchemes {
		t.Run(s.Name(), func(t *testing.T) {
			t.Parallel()
			h := Upgrade{Current: s}
			for _, pw := range passwords {
				hash, err := h.Hash(pw)
				if err != nil {
					t.Fatalf("Hash(%q) = %v", pw, err)
				}
				if !s.Identify(hash) {
					t.Errorf("Identify(%q) = false for its own hash", hash)
				}
				if err := h.Compare(hash, pw); err != nil {
					t.Errorf("Compare(own hash, %q) = %v", pw, err)
				}
				if err := h.Compare(hash, pw+"!"); !errors.Is(err, ErrMismatch) {
					t.Errorf("Compare(own hash, wrong) = %v, want ErrMismatch", err)
				}
				if h.NeedsRehash(hash) && s.Name() != "plaintext" {
					t.Errorf("NeedsRehash(fresh %s hash) = true", s.Name())
				}
				// Two hashes of one password differ (fresh salt), except plaintext.
				if again, _ := h.Hash(pw); again == hash && s.Name() != "plaintext" {
					t.Errorf("two hashes of %q are equal: salt not random", pw)
				}
			}
		})
	}
}

func TestSchemeStringMethods(t *testing.T) {
	t.Parallel()
	hashers := []Hasher{Argon2id{Memory: 64, Time: 1}, Bcrypt{Cost: 4}, PBKDF2{Rounds: 1000}, SHACrypt{Rounds: 1000}}
	for _, h := range hashers {
		// Composed and decomposed é are one password after NFKD.
		hash, err := h.Hash("caf\u00e9 au lait")
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Compare(hash, "cafe\u0301 au lait"); err != nil {
			t.Errorf("%T: decomposed form did not verify: %v", h, err)
		}
		if err := h.Compare("$unknown$x", "x"); err == nil {
			t.Errorf("%T: Compare(unknown scheme) = nil", h)
		}
	}
}

// Known answers from Drepper's SHA-crypt specification.
func TestSHACryptSpecVectors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		bits           int
		salt, pw, want string
		rounds         int
	}{
		{256, "saltstring", "Hello world!", "5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5", 5000},
		{256, "saltstringsaltst", "Hello world!", "3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA", 10000},
		{256, "roundstoolow", "the minimum number is still observed", "yfvwcWrQ8l/K0DAWyuPMDNHpIVlTQebY9l/gL972bIC", 1000},
		{512, "saltstring", "Hello world!", "svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1", 5000},
		{512, "saltstringsaltst", "Hello world!", "OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.", 10000},
		{512, "roundstoolow", "the minimum number is still observed", "kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX.", 1000},
	}
	for _, tt := range tests {
		v := SHACrypt{Bits: tt.bits}.variant()
		if got := string(shaCrypt(v, []byte(tt.pw), []byte(tt.salt), tt.rounds)); got != tt.want {
			t.Errorf("sha%d_crypt(%q, %q, %d) = %s, want %s", tt.bits, tt.pw, tt.salt, tt.rounds, got, tt.want)
		}
		hash := fmt.Sprintf("%srounds=%d$%s$%s", v.ident, tt.rounds, tt.salt, tt.want)
		if err := (SHACrypt{Bits: tt.bits}).CompareBytes(hash, []byte(tt.pw)); err != nil {
			t.Errorf("CompareBytes(%s) = %v", hash, err)
		}
	}
	// A hash with no rounds= field uses 5000.
	if err := (SHACrypt{Bits: 256}).CompareBytes("$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5", []byte("Hello world!")); err != nil {
		t.Errorf("implicit rounds: %v", err)
	}
}

func TestUpgrade(t *testing.T) {
	t.Parallel()
	old := Bcrypt{Cost: 4}
	oldHash, _ := old.Hash("correct horse battery staple")
	h := Upgrade{Current: Argon2id{Memory: 64, Time: 1}, Legacy: []Scheme{old}}
	if err := h.Compare(oldHash, "correct horse battery staple"); err != nil {
		t.Fatalf("legacy hash: Compare = %v", err)
	}
	if !h.NeedsRehash(oldHash) {
		t.Error("legacy hash: NeedsRehash = false, want true")
	}
	// Stronger current parameters make an old argon2 hash need a rehash.
	weak, _ := Argon2id{Memory: 64, Time: 1}.Hash("pw-12345678")
	strong := Upgrade{Current: Argon2id{Memory: 128, Time: 2}}
	if err := strong.Compare(weak, "pw-12345678"); err != nil {
		t.Fatalf("weaker argon2 hash: Compare = %v", err)
	}
	if !strong.NeedsRehash(weak) {
		t.Error("weaker argon2 hash: NeedsRehash = false")
	}
	// A scheme not listed is refused, not guessed.
	if err := (Upgrade{}).Compare(oldHash, "correct horse battery staple"); !errors.Is(err, ErrUnknownScheme) {
		t.Errorf("unlisted scheme: Compare = %v, want ErrUnknownScheme", err)
	}
	if !(Upgrade{}).NeedsRehash("garbage") {
		t.Error("NeedsRehash(garbage) = false")
	}
}

func TestFlaskSecurityHashRoundTrip(t *testing.T) {
	t.Parallel()
	for _, s := range []Scheme{Bcrypt{Cost: 4}, Argon2id{Memory: 64, Time: 1}, PBKDF2{Rounds: 1000}} {
		h := Upgrade{Current: s, FlaskSecurity: &FlaskSecurity{Salt: "pepper"}}
		long := strings.Repeat("a", 100)
		hash, err := h.Hash(long)
		if err != nil {
			t.Fatalf("%s: Hash = %v", s.Name(), err)
		}
		if err := h.Compare(hash, long); err != nil {
			t.Errorf("%s: Compare = %v", s.Name(), err)
		}
		// The HMAC covers the whole password: a shared 72-byte prefix is not enough.
		if err := h.Compare(hash, strings.Repeat("a", 99)+"b"); err == nil {
			t.Errorf("%s: password sharing a long prefix verified", s.Name())
		}
		// Another salt (pepper) does not verify.
		other := Upgrade{Current: s, FlaskSecurity: &FlaskSecurity{Salt: "other"}}
		if err := other.Compare(hash, long); err == nil {
			t.Errorf("%s: hash verified under another salt", s.Name())
		}
		// SingleHash skips the HMAC step.
		single := Upgrade{Current: s, FlaskSecurity: &FlaskSecurity{Salt: "pepper", SingleHash: []string{s.Name()}}}
		sh, err := single.Hash("correct horse battery")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CompareBytes(sh, []byte("correct horse battery")); err != nil {
			t.Errorf("%s: single hash is not a plain hash: %v", s.Name(), err)
		}
	}
}

func TestBcryptNeverTruncatesSilently(t *testing.T) {
	t.Parallel()
	b := Bcrypt{Cost: 4}
	base := strings.Repeat("p", 72)
	if _, err := b.Hash(base + "x"); !errors.Is(err, ErrTooLong) {
		t.Errorf("Hash(73 bytes) = %v, want ErrTooLong", err)
	}
	hash, err := b.Hash(base)
	if err != nil {
		t.Fatal(err)
	}
	for _, longer := range []string{base + "x", base + "yz", base + strings.Repeat("q", 100)} {
		if err := b.Compare(hash, longer); err == nil {
			t.Errorf("Compare(hash of 72-byte prefix, %d bytes) = nil: truncation matched", len(longer))
		}
	}
	// Multi-byte characters count in bytes: 25 × "ü" (2 bytes each after NFC,
	// 3 after NFKD) passes the 72 limit even though it is 25 characters.
	if _, err := b.Hash(strings.Repeat("ü", 25)); !errors.Is(err, ErrTooLong) {
		t.Errorf("Hash(25 × ü) = %v, want ErrTooLong", err)
	}
}

func TestLengthCapBeforeHashing(t *testing.T) {
	t.Parallel()
	huge := strings.Repeat("a", 1<<20)
	hash, _ := Argon2id{Memory: 64, Time: 1}.Hash("short password")
	// Default parameters would take tens of milliseconds per hash; the cap
	// must answer before any hashing, whatever the scheme.
	for _, h := range []Hasher{Argon2id{}, Bcrypt{}, PBKDF2{}, SHACrypt{}, Upgrade{}, Limit(Argon2id{}, 1)} {
		if _, err := h.Hash(huge); !errors.Is(err, ErrTooLong) {
			t.Errorf("%T.Hash(1 MiB) = %v, want ErrTooLong", h, err)
		}
		if err := h.Compare(hash, huge); err == nil {
			t.Errorf("%T.Compare(1 MiB) = nil", h)
		}
	}
	if _, err := (Upgrade{}).Hash("bad \xff utf-8"); !errors.Is(err, ErrInvalidUTF8) {
		t.Errorf("Hash(invalid UTF-8) = %v, want ErrInvalidUTF8", err)
	}
}

func TestHostileParametersCapped(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s    Scheme
		hash string
	}{
		{Argon2id{}, "$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"},
		{Argon2id{}, "$argon2id$v=19$m=65536,t=1000,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"},
		{Bcrypt{}, "$2b$31$" + strings.Repeat("a", 53)},
		{PBKDF2{}, "$pbkdf2-sha512$2000000000$c2FsdA$" + strings.Repeat("A", 86)},
		{SHACrypt{}, "$6$rounds=999999999$salt$" + strings.Repeat("a", 86)},
	}
	for _, tt := range tests {
		start := time.Now()
		err := tt.s.CompareBytes(tt.hash, []byte("x"))
		if !errors.Is(err, ErrTooCostly) {
			t.Errorf("%s: CompareBytes(%q) = %v, want ErrTooCostly", tt.s.Name(), tt.hash, err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("%s: refusing a costly hash took %v", tt.s.Name(), d)
		}
	}
}

func TestMalformedHashes(t *testing.T) {
	t.Parallel()
	bad := []string{
		"", "$", "$$$$", "$argon2id$", "$argon2id$v=19$m=1,t=1,p=1$$",
		"$argon2id$v=16$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaA", "$argon2id$v=19$m=64,t=0,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
		"$argon2id$v=19$m=64,t=1,p=0$c2FsdHNhbHQ$aGFzaGhhc2g", "$argon2id$v=19$m=064,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
		"$argon2d$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g", "$argon2id$v=19$m=64,t=1,p=1,data=eA$c2FsdA$aGFzaA",
		"$2b$", "$2b$4$" + strings.Repeat("a", 53), "$2b$xx$" + strings.Repeat("a", 53), "$2b$10$short",
		"$pbkdf2-sha512$", "$pbkdf2-sha512$0$c2FsdA$aGFzaA", "$pbkdf2-sha512$-1$c2FsdA$aGFzaA", "$pbkdf2-sha512$1000$c2FsdA$aGFzaA",
		"$pbkdf2-sha512$1000$!!!$" + strings.Repeat("A", 86),
		"$6$", "$6$rounds=$salt$x", "$6$rounds=999$salt$" + strings.Repeat("a", 86), "$6$salt$" + strings.Repeat("!", 86),
		"$6$rounds=5000$" + strings.Repeat("s", 17) + "$" + strings.Repeat("a", 86),
		"$5$salt$tooshort", strings.Repeat("$", 10000),
	}
	all := []Scheme{Argon2id{}, Bcrypt{}, PBKDF2{}, PBKDF2{Digest: "sha256"}, SHACrypt{}, SHACrypt{Bits: 256}}
	for _, hash := range bad {
		for _, s := range all {
			if !s.Identify(hash) {
				continue
			}
			if err := s.CompareBytes(hash, []byte("password")); err == nil {
				t.Errorf("%s.CompareBytes(%q) = nil, want an error", s.Name(), hash)
			}
			if !s.NeedsRehash(hash) {
				t.Errorf("%s.NeedsRehash(%q) = false", s.Name(), hash)
			}
		}
		if err := (Upgrade{Legacy: all}).Compare(hash, "password"); err == nil {
			t.Errorf("Upgrade.Compare(%q) = nil", hash)
		}
	}
}

// x/crypto's bcrypt takes any byte as the minor version; this package
// reads only what Identify accepts ($2$, $2a$, $2b$, $2y$).
func TestBcryptMinorVersion(t *testing.T) {
	t.Parallel()
	const pw = "パスワードです" // found by FuzzDevise: the hash is of pw + pepper
	const hash = "$20$04$IlEcY5mskG.llXG0jeV7E0TGmOqdabfCXpNc14IC5k4kkZvEpa2l6"
	pepper := Devise{Pepper: "a-devise-pepper", Cost: 4}
	if err := pepper.CompareBytes(hash, []byte(pw)); !errors.Is(err, ErrMalformed) {
		t.Errorf("Devise.CompareBytes($20$...) = %v, want ErrMalformed", err)
	}
	if err := (Bcrypt{Cost: 4}).CompareBytes(hash, []byte(pw+"a-devise-pepper")); !errors.Is(err, ErrMalformed) {
		t.Errorf("Bcrypt.CompareBytes($20$...) = %v, want ErrMalformed", err)
	}
	good := "$2a$" + hash[4:]
	if err := pepper.CompareBytes(good, []byte(pw)); err != nil {
		t.Errorf("Devise.CompareBytes($2a$...) = %v", err)
	}
}

func TestPlaintextRefusedUnlessEnabled(t *testing.T) {
	t.Parallel()
	if _, err := (Plaintext{}).Hash("pw"); !errors.Is(err, ErrPlaintextDisabled) {
		t.Errorf("Hash = %v, want ErrPlaintextDisabled", err)
	}
	if err := (Plaintext{}).Compare("pw", "pw"); !errors.Is(err, ErrPlaintextDisabled) {
		t.Errorf("Compare = %v, want ErrPlaintextDisabled", err)
	}
	// A disabled plaintext scheme in a legacy list does not claim hashes.
	if err := (Upgrade{Legacy: []Scheme{Plaintext{}}}).Compare("pw", "pw"); err == nil {
		t.Error("Upgrade with disabled Plaintext verified a plaintext hash")
	}
}

func TestPolicy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name string
		p    Policy
		pw   string
		want error
	}{
		{"ok", Policy{}, "correct horse battery staple", nil},
		{"short", Policy{}, "abc12", ErrTooShort},
		{"8 runes of multibyte", Policy{}, "パスワードですよね", nil},
		{"custom min", Policy{MinLength: 12}, "elevenchars", ErrTooShort},
		{"common", Policy{}, "password123", ErrCommon},
		{"common any case", Policy{}, "PassWord123", ErrCommon},
		{"common allowed", Policy{AllowCommon: true}, "password123", nil},
		{"64 chars always allowed", Policy{MaxLength: 10}, strings.Repeat("z", 64), nil},
		{"over max", Policy{MaxLength: 70}, strings.Repeat("z", 71), ErrTooLong},
		{"over cap", Policy{}, strings.Repeat("z", MaxBytes+1), ErrTooLong},
		{"invalid utf-8", Policy{}, "abcdefgh\xff", ErrInvalidUTF8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.p.Validate(ctx, tt.pw)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("Validate(%.20q) = %v, want %v", tt.pw, err, tt.want)
			}
		})
	}
	if !IsCommon("123456") || !IsCommon("qwerty") || IsCommon("vK7#q9!zR2mW") {
		t.Error("IsCommon disagrees with the bundled list")
	}
	if n := len(bundled()); n < 100_000 {
		t.Errorf("bundled blocklist has %d entries, want at least 100000", n)
	}
}

// fakeHIBP serves the range API from a set of breached passwords, with
// padding lines, like the real service.
func fakeHIBP(t *testing.T, breached map[string]int) (*httptest.Server, *atomic.Int32) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		prefix := strings.TrimPrefix(r.URL.Path, "/range/")
		if len(prefix) != 5 || r.Header.Get("Add-Padding") != "true" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "%s:0\r\n", strings.Repeat("0", 35)) // padding
		for pw, n := range breached {
			sum := sha1.Sum([]byte(pw))
			h := strings.ToUpper(hex.EncodeToString(sum[:]))
			if h[:5] == prefix {
				fmt.Fprintf(w, "%s:%d\r\n", h[5:], n)
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestHIBP(t *testing.T) {
	t.Parallel()
	srv, calls := fakeHIBP(t, map[string]int{"hunter2-but-longer": 1234, "seen-once-only": 1})
	h := HIBP{BaseURL: srv.URL, Client: srv.Client()}
	ctx := context.Background()
	for pw, want := range map[string]bool{"hunter2-but-longer": true, "seen-once-only": true, "never-seen-before-xyz": false} {
		got, err := h.Breached(ctx, pw)
		if err != nil || got != want {
			t.Errorf("Breached(%q) = %v, %v; want %v", pw, got, err, want)
		}
	}
	if calls.Load() != 3 {
		t.Errorf("server saw %d calls, want 3", calls.Load())
	}
	strict := HIBP{BaseURL: srv.URL, Client: srv.Client(), MinCount: 10}
	if got, _ := strict.Breached(ctx, "seen-once-only"); got {
		t.Error("MinCount 10: a password seen once counted as breached")
	}
	p := Policy{Breached: h}
	if err := p.Validate(ctx, "hunter2-but-longer"); !errors.Is(err, ErrBreached) {
		t.Errorf("Policy with HIBP: %v, want ErrBreached", err)
	}
	down := HIBP{BaseURL: "http://127.0.0.1:1", Client: &http.Client{Timeout: time.Second}}
	if err := (Policy{Breached: down}).Validate(ctx, "some fine password"); err == nil {
		t.Error("breach checker down: Validate = nil, want an error (fail closed)")
	}
	if err := (Policy{Breached: down, FailOpen: true}).Validate(ctx, "some fine password"); err != nil {
		t.Errorf("FailOpen: Validate = %v", err)
	}
}

func TestLimitBoundsConcurrency(t *testing.T) {
	t.Parallel()
	var cur, peak atomic.Int32
	probe := probeHasher{cur: &cur, peak: &peak}
	l := Limit(probe, 2)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() { l.Compare("h", "pw") })
	}
	wg.Wait()
	if p := peak.Load(); p > 2 || p < 1 {
		t.Errorf("peak concurrency %d, want 1..2", p)
	}
}

type probeHasher struct{ cur, peak *atomic.Int32 }

func (p probeHasher) Hash(string) (string, error) { return "", nil }
func (p probeHasher) Compare(string, string) error {
	n := p.cur.Add(1)
	for {
		old := p.peak.Load()
		if n <= old || p.peak.CompareAndSwap(old, n) {
			break
		}
	}
	// Enough real work that goroutines overlap if the limit fails.
	Argon2id{Memory: 64, Time: 1}.HashBytes([]byte("x"))
	p.cur.Add(-1)
	return nil
}
func (p probeHasher) NeedsRehash(string) bool { return false }

// NFKD and NFKC expand U+FDFA (3 bytes) to 33 bytes: 1,000 of them are under
// MaxBytes as typed and far over it once normalised.
func TestLengthCapAfterNormalisation(t *testing.T) {
	t.Parallel()
	pw := strings.Repeat("\uFDFA", 1000)
	if len(pw) > MaxBytes || len(norm.NFKD.String(pw)) <= MaxBytes || len(norm.NFKC.String(pw)) <= MaxBytes {
		t.Fatalf("test string: %d bytes raw, want under the cap raw and over it normalised", len(pw))
	}
	fast := Argon2id{Memory: 64, Time: 1}
	hash, _ := fast.Hash("short password")
	for _, n := range []Normalization{NFKD, NFKC} {
		h := Upgrade{Current: fast, Normalize: n}
		if _, err := h.Hash(pw); !errors.Is(err, ErrTooLong) {
			t.Errorf("Normalize %d: Hash = %v, want ErrTooLong", n, err)
		}
		if err := h.Compare(hash, pw); !errors.Is(err, ErrTooLong) {
			t.Errorf("Normalize %d: Compare = %v, want ErrTooLong", n, err)
		}
	}
	if _, err := fast.Hash(pw); !errors.Is(err, ErrTooLong) {
		t.Errorf("Argon2id.Hash = %v, want ErrTooLong", err)
	}
	// Without normalisation the bytes as given are hashed: 3,000 are fine.
	if _, err := (Upgrade{Current: fast, Normalize: NoNormalization}).Hash(pw); err != nil {
		t.Errorf("NoNormalization: Hash = %v", err)
	}
	if err := (Policy{}).Validate(context.Background(), pw); !errors.Is(err, ErrTooLong) {
		t.Errorf("Policy.Validate = %v, want ErrTooLong", err)
	}
	// A little under the cap after normalisation is fine.
	ok := strings.Repeat("\uFDFA", MaxBytes/33)
	if err := (Policy{}).Validate(context.Background(), ok); err != nil {
		t.Errorf("Policy.Validate(%d × U+FDFA) = %v", MaxBytes/33, err)
	}
}

func TestPolicyFoldsAndContext(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const email = "alice@example.com"
	app := Policy{Context: []string{"Gatehouse"}}
	tests := []struct {
		name  string
		p     Policy
		pw    string
		words []string
		want  error
	}{
		{"full-width common", Policy{}, "ｐａｓｓｗｏｒｄ１２３", nil, ErrCommon},
		{"mixed-case common", Policy{}, "PaSsWoRd123", nil, ErrCommon},
		{"full-width upper common", Policy{}, "ＱＷＥＲＴＹ１２３", nil, ErrCommon},
		{"Kelvin sign folds to k", Policy{}, "\u212Aatherine1", []string{"katherine@example.com"}, ErrContext},
		{"address itself", Policy{}, email, []string{email}, ErrContext},
		{"address, other case", Policy{}, "Alice@Example.COM", []string{email}, ErrContext},
		{"address, full-width", Policy{}, "ａｌｉｃｅ＠ｅｘａｍｐｌｅ．ｃｏｍ", []string{email}, ErrContext},
		{"address plus digits", Policy{}, email + "2024", []string{email}, ErrContext},
		{"local part", Policy{}, "alice.liddell", []string{"alice.liddell@example.com"}, ErrContext},
		{"local part, mixed case and digits", Policy{}, "Alice.Liddell99", []string{"alice.liddell@example.com"}, ErrContext},
		{"Alice2024!", Policy{}, "Alice2024!", []string{email}, ErrContext},
		{"leading decoration", Policy{}, "!!2024alice", []string{email}, ErrContext},
		{"word doubled", Policy{}, "alicealice", []string{email}, ErrContext},
		{"word most of it", Policy{}, "xaliceyz", []string{email}, ErrContext},
		{"plus tag", Policy{}, "alice12345", []string{"alice+shop@example.com"}, ErrContext},
		{"user name", Policy{}, "wonderland1", []string{email, "Wonderland"}, ErrContext},
		{"word a small part", Policy{}, "alice in wonderland tea party", []string{email}, nil},
		{"unrelated", Policy{}, "correct horse battery staple", []string{email, "alice"}, nil},
		{"short word only whole", Policy{}, "always a fine password", []string{"al"}, nil},
		{"short word, padded", Policy{}, "al12345678", []string{"al"}, ErrContext},
		{"empty words ignored", Policy{}, "violet staple orbit", []string{"", "  "}, nil},
		{"app name", app, "Gatehouse2024!", nil, ErrContext},
		{"app name via ValidateFor", app, "gatehouse!", []string{email}, ErrContext},
		{"app name in a passphrase", app, "my gatehouse has a very long moat", nil, nil},
		{"common before context", Policy{}, "password1", []string{"password1"}, ErrCommon},
		{"context before short", Policy{}, "alice", []string{email}, ErrTooShort},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.p.ValidateFor(ctx, tt.pw, tt.words...)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("ValidateFor(%q, %q) = %v, want %v", tt.pw, tt.words, err, tt.want)
			}
			if len(tt.words) == 0 {
				if err2 := tt.p.Validate(ctx, tt.pw); fmt.Sprint(err2) != fmt.Sprint(err) {
					t.Errorf("Validate = %v, ValidateFor with no words = %v", err2, err)
				}
			}
		})
	}
	if !IsCommon("ｐａｓｓｗｏｒｄ１２３") || !IsCommon("PASSWORD123") {
		t.Error("IsCommon does not fold")
	}
	if !IsCommon("aª»") {
		t.Error("IsCommon misses the list's non-ASCII entry")
	}
}

func TestMaxPasswordBytes(t *testing.T) {
	t.Parallel()
	bc := Bcrypt{Cost: 4}
	tests := []struct {
		name string
		h    any
		want int
	}{
		{"Bcrypt", Bcrypt{}, 72},
		{"Bcrypt TruncateLong", Bcrypt{TruncateLong: true}, 72},
		{"Upgrade Bcrypt", Upgrade{Current: bc}, 72},
		{"*Upgrade Bcrypt", &Upgrade{Current: bc}, 72},
		{"Upgrade Bcrypt + FlaskSecurity", Upgrade{Current: bc, FlaskSecurity: &FlaskSecurity{Salt: "s"}}, 0},
		{"Upgrade Bcrypt + FlaskSecurity single hash", Upgrade{Current: bc, FlaskSecurity: &FlaskSecurity{Salt: "s", SingleHashAll: true}}, 72},
		{"Limit Bcrypt", Limit(bc, 1), 72},
		{"Limit Upgrade Bcrypt", Limit(Upgrade{Current: bc}, 1), 72},
		{"Limit Upgrade Argon2id", Limit(Upgrade{}, 1), 0},
		{"Upgrade legacy Bcrypt", Upgrade{Legacy: []Scheme{bc}}, 0},
		{"Argon2id", Argon2id{}, 0},
		{"PBKDF2", PBKDF2{}, 0},
		{"SHACrypt", SHACrypt{}, 88},
		{"Upgrade SHACrypt + FlaskSecurity", Upgrade{Current: SHACrypt{}, FlaskSecurity: &FlaskSecurity{Salt: "s"}}, 0},
		{"nil", nil, 0},
		{"not a hasher", "bcrypt", 0},
	}
	for _, tt := range tests {
		if got := MaxPasswordBytes(tt.h); got != tt.want {
			t.Errorf("%s: MaxPasswordBytes = %d, want %d", tt.name, got, tt.want)
		}
	}

	// What a policy set from the hasher accepts, the hasher hashes; what it
	// refuses for length, the hasher would have refused.
	ctx := context.Background()
	for _, h := range []Hasher{Upgrade{Current: bc}, Limit(bc, 1), Upgrade{Current: bc, FlaskSecurity: &FlaskSecurity{Salt: "s"}}} {
		p := Policy{MaxBytes: MaxPasswordBytes(h)}
		for _, pw := range []string{
			strings.Repeat("x", 72), strings.Repeat("x", 73), strings.Repeat("ü", 24), strings.Repeat("ü", 25),
			strings.Repeat("\uFDFA", 2) + "abc", strings.Repeat("\uFDFA", 3),
		} {
			perr := p.Validate(ctx, pw)
			_, herr := h.Hash(pw)
			if perr == nil && herr != nil {
				t.Errorf("%T: policy accepts %d bytes (%q...) but Hash = %v", h, len(pw), pw[:8], herr)
			}
			if errors.Is(perr, ErrTooLong) && herr == nil {
				t.Errorf("%T: policy refuses %d bytes as too long but Hash accepts", h, len(pw))
			}
		}
	}
	p := Policy{MaxBytes: 72}
	if err := p.Validate(ctx, strings.Repeat("ü", 25)); !errors.Is(err, ErrTooLong) {
		t.Errorf("25 × ü (75 bytes in NFKD) under MaxBytes 72: %v, want ErrTooLong", err)
	}
	if err := p.Validate(ctx, strings.Repeat("violet staple ", 6)[:72]); err != nil {
		t.Errorf("72 bytes under MaxBytes 72: %v", err)
	}
}

// Bcrypt behind FlaskSecurity truncates only the 88-byte HMAC form: not a
// long password when the HMAC step is off (SingleHash), and not by mistake
// a password that happens to be 88 bytes long.
func TestFlaskSecurityBcryptTruncation(t *testing.T) {
	t.Parallel()
	bc := Bcrypt{Cost: 4}
	single := Upgrade{Current: bc, FlaskSecurity: &FlaskSecurity{Salt: "pepper", SingleHashAll: true}}
	if _, err := single.Hash(strings.Repeat("a", 100)); !errors.Is(err, ErrTooLong) {
		t.Errorf("SingleHashAll, 100 bytes: Hash = %v, want ErrTooLong (no silent truncation)", err)
	}
	salted := Upgrade{Current: bc, FlaskSecurity: &FlaskSecurity{Salt: "pepper"}}
	pw88 := strings.Repeat("b", 88)
	hash, err := salted.Hash(pw88)
	if err != nil {
		t.Fatal(err)
	}
	if err := salted.Compare(hash, pw88); err != nil {
		t.Errorf("88-byte password: Compare = %v", err)
	}
}

// FlaskSecurity.HMAC is Flask-Security's get_hmac, checked against
// Python's hmac with the fixture app's salt.
func TestFlaskSecurityHMAC(t *testing.T) {
	f := &FlaskSecurity{Salt: "salt-347712782"}
	const want = "6qs9S4QmuQuSoeEHUIf1ZOTfKklgCWZdBBTX4Z5htwrdzG/zqZvERf0EgwuXVzzjoeqM5UB6cr+zYl5Sd/0IXg=="
	if got := f.HMAC("pässwörd long enough 0"); got != want {
		t.Errorf("HMAC = %s, want %s", got, want)
	}
}
