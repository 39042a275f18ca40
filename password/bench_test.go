package password

import (
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Each scheme at its default parameters.
func BenchmarkHash(b *testing.B) {
	for _, s := range []Scheme{Argon2id{}, Bcrypt{}, PBKDF2{}, PBKDF2{Digest: "sha256"}, SHACrypt{}, SHACrypt{Bits: 256}} {
		b.Run(s.Name(), func(b *testing.B) {
			for b.Loop() {
				if _, err := s.HashBytes([]byte("correct horse battery staple")); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCompare(b *testing.B) {
	for _, s := range []Scheme{Argon2id{}, Bcrypt{}, PBKDF2{}, PBKDF2{Digest: "sha256"}, SHACrypt{}, SHACrypt{Bits: 256}} {
		h := Upgrade{Current: s}
		hash, _ := h.Hash("correct horse battery staple")
		b.Run(s.Name(), func(b *testing.B) {
			for b.Loop() {
				if err := h.Compare(hash, "correct horse battery staple"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkWrapperOverhead measures Upgrade.Compare against the bare
// x/crypto call on the same hash, interleaved in one loop so machine noise
// hits both alike, and reports wrapper/raw as a ratio (target: <= 1.05).
func BenchmarkWrapperOverhead(b *testing.B) {
	const pw = "correct horse battery staple"
	b.Run("argon2id", func(b *testing.B) {
		h := Upgrade{}
		hash, _ := h.Hash(pw)
		parsed, _ := parseArgon2(hash)
		raw := func() {
			argon2.IDKey([]byte(pw), parsed.salt, parsed.t, parsed.m, parsed.p, uint32(len(parsed.key)))
		}
		ratio(b, raw, func() { h.Compare(hash, pw) })
	})
	b.Run("bcrypt", func(b *testing.B) {
		h := Upgrade{Current: Bcrypt{}}
		hash, _ := h.Hash(pw)
		raw := func() { bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) }
		ratio(b, raw, func() { h.Compare(hash, pw) })
	})
}

func ratio(b *testing.B, raw, wrapped func()) {
	var tRaw, tWrapped time.Duration
	for b.Loop() {
		t0 := time.Now()
		raw()
		t1 := time.Now()
		wrapped()
		tWrapped += time.Since(t1)
		tRaw += t1.Sub(t0)
	}
	b.ReportMetric(float64(tWrapped)/float64(tRaw), "wrapper/raw")
}

// capCase is the costliest verify a scheme's default caps allow: a hash
// with parameters at the caps and the longest password accepted.
type capCase struct {
	name   string
	verify Scheme // default configuration, as used to verify
	hasher Scheme // makes a hash at the caps
	pw     []byte
}

func capCases() []capCase {
	long := func(n int) []byte { return []byte(strings.Repeat("p", n)) }
	return []capCase{
		{"sha512_crypt/656000-rounds/88-bytes", SHACrypt{}, SHACrypt{Rounds: 656_000}, long(88)},
		{"sha512_crypt/656000-rounds/8-bytes", SHACrypt{}, SHACrypt{Rounds: 656_000}, long(8)},
		{"sha512_crypt/5000-rounds/4096-bytes", SHACrypt{}, SHACrypt{Rounds: 5000}, long(MaxBytes)},
		{"sha256_crypt/535000-rounds/88-bytes", SHACrypt{Bits: 256}, SHACrypt{Bits: 256, Rounds: 535_000}, long(88)},
		{"sha256_crypt/5000-rounds/4096-bytes", SHACrypt{Bits: 256}, SHACrypt{Bits: 256, Rounds: 5000}, long(MaxBytes)},
		{"pbkdf2_sha512/210000", PBKDF2{}, PBKDF2{Rounds: 210_000}, long(MaxBytes)},
		{"pbkdf2_sha256/600000", PBKDF2{Digest: "sha256"}, PBKDF2{Digest: "sha256", Rounds: 600_000}, long(MaxBytes)},
		{"pbkdf2_sha1/1300000", PBKDF2{Digest: "sha1"}, PBKDF2{Digest: "sha1", Rounds: 1_300_000}, long(MaxBytes)},
		{"bcrypt/12", Bcrypt{}, Bcrypt{Cost: 12}, long(72)},
		{"argon2id/64MiB-t3-p1", Argon2id{}, Argon2id{Memory: 64 * 1024, Time: 3, Threads: 1}, long(MaxBytes)},
		{"werkzeug_scrypt/32768-8-1", WerkzeugScrypt{}, WerkzeugScrypt{}, long(MaxBytes)},
		{"werkzeug_pbkdf2/sha256-1000000", WerkzeugPBKDF2{}, WerkzeugPBKDF2{}, long(MaxBytes)},
		{"werkzeug_pbkdf2/sha512-1000000", WerkzeugPBKDF2{}, WerkzeugPBKDF2{Digest: "sha512"}, long(MaxBytes)},
		{"werkzeug_pbkdf2/sha1-1000000", WerkzeugPBKDF2{}, WerkzeugPBKDF2{Digest: "sha1"}, long(MaxBytes)},
		{"django_pbkdf2/sha256-1200000", DjangoPBKDF2{}, DjangoPBKDF2{}, long(MaxBytes)},
		{"django_pbkdf2/sha1-1200000", DjangoPBKDF2{}, DjangoPBKDF2{Digest: "sha1"}, long(MaxBytes)},
		{"django_argon2/100MiB-t2-p8", DjangoArgon2{}, DjangoArgon2{}, long(MaxBytes)},
		{"django_argon2/100MiB-t2-p1", DjangoArgon2{}, DjangoArgon2{Threads: 1}, long(MaxBytes)},
		{"django_bcrypt_sha256/12", DjangoBcrypt{}, DjangoBcrypt{}, long(MaxBytes)},
		{"devise/12", Devise{}, Devise{}, long(72)},
	}
}

// BenchmarkVerifyAtCap runs, for each scheme, the costliest verify its
// default caps allow, interleaved in one loop with the default Argon2id
// verify so machine noise hits both alike, and reports the median ratio as
// "x-argon2id" (and the mean times). The doc comments quote these ratios:
//
//	go test -run '^$' -bench VerifyAtCap -benchtime 20x ./password
func BenchmarkVerifyAtCap(b *testing.B) {
	const pw = "correct horse battery staple"
	base, _ := Argon2id{}.HashBytes([]byte(pw))
	for _, c := range capCases() {
		b.Run(c.name, func(b *testing.B) {
			hash, err := c.hasher.HashBytes(c.pw)
			if err != nil {
				b.Fatal(err)
			}
			if err := c.verify.CompareBytes(hash, c.pw); err != nil {
				b.Fatalf("the default caps refuse %s: %v", c.name, err)
			}
			var ratios []float64
			var tBase, tCap time.Duration
			for b.Loop() {
				t0 := time.Now()
				Argon2id{}.CompareBytes(base, []byte(pw))
				t1 := time.Now()
				c.verify.CompareBytes(hash, c.pw)
				dCap, dBase := time.Since(t1), t1.Sub(t0)
				ratios = append(ratios, float64(dCap)/float64(dBase))
				tCap += dCap
				tBase += dBase
			}
			// The median of the per-pair ratios resists the odd slow run.
			slices.Sort(ratios)
			b.ReportMetric(ratios[len(ratios)/2], "x-argon2id")
			b.ReportMetric(float64(tCap.Milliseconds())/float64(len(ratios)), "ms-capped")
			b.ReportMetric(float64(tBase.Milliseconds())/float64(len(ratios)), "ms-argon2id")
		})
	}
}
