package password

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestDefaultCaps checks, without running any costly hash, that the default
// caps accept parameters at the cap and refuse anything beyond it, before
// hashing (so quickly).
func TestDefaultCaps(t *testing.T) {
	t.Parallel()
	sum86, sum43 := strings.Repeat("a", 86), strings.Repeat("a", 43)
	hex128, b64sha256 := strings.Repeat("0", 128), strings.Repeat("A", 43)+"="
	tests := []struct {
		name string
		s    Scheme
		hash string
		pw   []byte
		want error
	}{
		{"sha512_crypt rounds over cap", SHACrypt{}, "$6$rounds=656001$saltsaltsaltsalt$" + sum86, []byte("pw"), ErrTooCostly},
		{"sha256_crypt rounds over cap", SHACrypt{Bits: 256}, "$5$rounds=535001$saltsaltsaltsalt$" + sum43, []byte("pw"), ErrTooCostly},
		{"sha512_crypt 89 bytes at cap rounds", SHACrypt{}, "$6$rounds=656000$saltsaltsaltsalt$" + sum86, make([]byte, 89), ErrTooLong},
		{"sha256_crypt 89 bytes at cap rounds", SHACrypt{Bits: 256}, "$5$rounds=535000$saltsaltsaltsalt$" + sum43, make([]byte, 89), ErrTooLong},
		{"sha512_crypt 1 KiB at 100000 rounds", SHACrypt{}, "$6$rounds=100000$saltsaltsaltsalt$" + sum86, make([]byte, 1024), ErrTooLong},
		{"sha512_crypt 4 KiB at 1e9 rounds", SHACrypt{}, "$6$rounds=999999999$salt$" + sum86, make([]byte, MaxBytes), ErrTooCostly},
		{"pbkdf2_sha512 over cap", PBKDF2{}, "$pbkdf2-sha512$210001$c2FsdA$" + strings.Repeat("A", 86), []byte("pw"), ErrTooCostly},
		{"pbkdf2_sha256 over cap", PBKDF2{Digest: "sha256"}, "$pbkdf2-sha256$600001$c2FsdA$" + sum43, []byte("pw"), ErrTooCostly},
		{"pbkdf2_sha1 over cap", PBKDF2{Digest: "sha1"}, "$pbkdf2$1300001$c2FsdA$" + strings.Repeat("A", 27), []byte("pw"), ErrTooCostly},
		{"bcrypt 13", Bcrypt{}, "$2b$13$" + strings.Repeat("a", 53), []byte("pw"), ErrTooCostly},
		{"argon2id memory over cap", Argon2id{}, "$argon2id$v=19$m=65537,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g", []byte("pw"), ErrTooCostly},
		{"argon2id work over cap", Argon2id{}, "$argon2id$v=19$m=65536,t=4,p=1$c2FsdHNhbHQ$aGFzaGhhc2g", []byte("pw"), ErrTooCostly},
		{"argon2id many passes", Argon2id{}, "$argon2id$v=19$m=8192,t=25,p=1$c2FsdHNhbHQ$aGFzaGhhc2g", []byte("pw"), ErrTooCostly},
		{"werkzeug scrypt N", WerkzeugScrypt{}, "scrypt:65536:8:1$salt$" + hex128, []byte("pw"), ErrTooCostly},
		{"werkzeug scrypt r", WerkzeugScrypt{}, "scrypt:32768:9:1$salt$" + hex128, []byte("pw"), ErrTooCostly},
		{"werkzeug scrypt p", WerkzeugScrypt{}, "scrypt:32768:8:2$salt$" + hex128, []byte("pw"), ErrTooCostly},
		{"werkzeug scrypt huge", WerkzeugScrypt{}, "scrypt:1073741824:1073741823:1$s$" + hex128, []byte("pw"), ErrTooCostly},
		{"werkzeug pbkdf2", WerkzeugPBKDF2{}, "pbkdf2:sha256:1000001$salt$" + hex128[:64], []byte("pw"), ErrTooCostly},
		{"werkzeug pbkdf2 sha512", WerkzeugPBKDF2{}, "pbkdf2:sha512:1000001$salt$" + hex128, []byte("pw"), ErrTooCostly},
		{"werkzeug pbkdf2 no count", WerkzeugPBKDF2{DefaultIterations: 2_000_000, MaxIterations: 1_000_000}, "pbkdf2$salt$" + hex128[:64], []byte("pw"), ErrTooCostly},
		{"django pbkdf2_sha256", DjangoPBKDF2{}, "pbkdf2_sha256$1200001$salt$" + b64sha256, []byte("pw"), ErrTooCostly},
		{"django pbkdf2_sha1", DjangoPBKDF2{}, "pbkdf2_sha1$1200001$salt$" + b64sha256[:27] + "=", []byte("pw"), ErrTooCostly},
		{"django argon2 memory", DjangoArgon2{}, "argon2$argon2id$v=19$m=102401,t=1,p=8$c2FsdHNhbHQ$aGFzaGhhc2g", []byte("pw"), ErrTooCostly},
		{"django argon2 work", DjangoArgon2{}, "argon2$argon2id$v=19$m=102400,t=3,p=8$c2FsdHNhbHQ$aGFzaGhhc2g", []byte("pw"), ErrTooCostly},
		{"django bcrypt_sha256", DjangoBcrypt{}, "bcrypt_sha256$$2b$13$" + strings.Repeat("a", 53), []byte("pw"), ErrTooCostly},
		{"django bcrypt", DjangoBcrypt{}, "bcrypt$$2b$13$" + strings.Repeat("a", 53), []byte("pw"), ErrTooCostly},
		{"devise", Devise{}, "$2a$13$" + strings.Repeat("a", 53), []byte("pw"), ErrTooCostly},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			err := tt.s.CompareBytes(tt.hash, tt.pw)
			if !errors.Is(err, tt.want) {
				t.Errorf("CompareBytes = %v, want %v", err, tt.want)
			}
			if d := time.Since(start); d > 100*time.Millisecond {
				t.Errorf("refusing took %v: the cap is checked after hashing", d)
			}
		})
	}

	// At the caps: accepted (checked without hashing).
	for _, tt := range []struct {
		s             SHACrypt
		rounds, bytes int
	}{
		{SHACrypt{}, 656_000, 88}, {SHACrypt{Bits: 256}, 535_000, 88},
		{SHACrypt{}, 5000, MaxBytes}, {SHACrypt{Bits: 256}, 5000, MaxBytes},
		{SHACrypt{}, 1000, MaxBytes}, {SHACrypt{}, 100_000, 640},
	} {
		if tt.s.tooLong(tt.rounds, tt.bytes, 16) {
			t.Errorf("%s: %d bytes at %d rounds refused", tt.s.Name(), tt.bytes, tt.rounds)
		}
		if tt.rounds > tt.s.maxRounds() {
			t.Errorf("%s: %d rounds over the cap %d", tt.s.Name(), tt.rounds, tt.s.maxRounds())
		}
	}
	for _, tt := range []struct {
		p    PBKDF2
		want int
	}{{PBKDF2{}, 210_000}, {PBKDF2{Digest: "sha256"}, 600_000}, {PBKDF2{Digest: "sha1"}, 1_300_000}} {
		if got := tt.p.maxRounds(); got != tt.want {
			t.Errorf("%s: cap %d, want %d", tt.p.Name(), got, tt.want)
		}
	}
	if got := (Bcrypt{}).maxCost(); got != 12 {
		t.Errorf("bcrypt cap %d, want 12", got)
	}
	for _, mt := range [][2]uint32{{64 * 1024, 3}, {19 * 1024, 2}, {16 * 1024, 12}, {7168, 27}} {
		if !(Argon2id{}).allowed(mt[0], mt[1]) {
			t.Errorf("argon2id m=%d t=%d refused", mt[0], mt[1])
		}
	}
	if !(Argon2id{MaxTime: 4}).allowed(64*1024, 4) {
		t.Error("argon2id MaxTime 4: PHP's default refused")
	}
	// The frameworks' defaults are exactly at the caps.
	if got := (WerkzeugScrypt{}).maxWork(); got != 32768*8*1 {
		t.Errorf("werkzeug scrypt cap %d", got)
	}
	if got := (WerkzeugPBKDF2{}).maxIterations(); got != 1_000_000 {
		t.Errorf("werkzeug pbkdf2 cap %d", got)
	}
	if got := (DjangoPBKDF2{}).maxIterations(); got != 1_200_000 {
		t.Errorf("django pbkdf2 cap %d", got)
	}
	if !argonAllowed(102_400, 2, 102_400, 2, 0, 0, djangoArgonMemory, djangoArgonMemory*djangoArgonTime) {
		t.Error("django argon2: Django's default refused")
	}
	if got := (DjangoBcrypt{}).bcrypt().maxCost(); got != 12 {
		t.Errorf("django bcrypt cap %d", got)
	}
	if got := (Devise{}).bcrypt().maxCost(); got != 12 {
		t.Errorf("devise cap %d", got)
	}
}

// With the default caps a scheme always verifies its own hashes: they never
// fall below its own parameters. Explicit caps are taken as given.
func TestCapsNeverBelowOwnParameters(t *testing.T) {
	t.Parallel()
	if got := (SHACrypt{Rounds: 700_000}).maxRounds(); got != 700_000 {
		t.Errorf("SHACrypt cap %d below its Rounds", got)
	}
	if got := (SHACrypt{Rounds: 700_000, MaxRounds: 1000}).maxRounds(); got != 1000 {
		t.Errorf("SHACrypt explicit cap %d, want 1000 as given", got)
	}
	if got := (PBKDF2{Rounds: 300_000}).maxRounds(); got != 300_000 {
		t.Errorf("PBKDF2 cap %d below its Rounds", got)
	}
	if got := (Bcrypt{Cost: 13}).maxCost(); got != 13 {
		t.Errorf("Bcrypt cap %d below its Cost", got)
	}
	if !(Argon2id{Memory: 128 * 1024, Time: 4}).allowed(128*1024, 4) {
		t.Error("Argon2id refuses its own parameters")
	}
}

func TestSHACryptMaxPasswordBytes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s    SHACrypt
		want int
	}{
		{SHACrypt{}, 88},
		{SHACrypt{Bits: 256}, 88},
		{SHACrypt{Rounds: 5000}, 0},
		{SHACrypt{Rounds: 100_000}, 0}, // cap 656,000 rounds: 640+ bytes at 100,000
		{SHACrypt{Rounds: 100_000, MaxRounds: 100_000}, 88},
	}
	for _, tt := range tests {
		got := tt.s.MaxPasswordBytes()
		if tt.s.Rounds == 100_000 && tt.s.MaxRounds == 0 {
			if got < 640 || got >= MaxBytes {
				t.Errorf("%+v: MaxPasswordBytes = %d, want 640..4095", tt.s, got)
			}
			continue
		}
		if got != tt.want {
			t.Errorf("%+v: MaxPasswordBytes = %d, want %d", tt.s, got, tt.want)
		}
	}
	// Hash refuses what Compare would refuse.
	s := SHACrypt{Rounds: 1000, MaxRounds: 1000}
	n := s.MaxPasswordBytes()
	if _, err := s.HashBytes(make([]byte, n+1)); !errors.Is(err, ErrTooLong) {
		t.Errorf("HashBytes(%d bytes) = %v, want ErrTooLong", n+1, err)
	}
	if h, err := s.HashBytes(make([]byte, n)); err != nil || s.CompareBytes(h, make([]byte, n)) != nil {
		t.Errorf("HashBytes(%d bytes) = %v", n, err)
	}
}
