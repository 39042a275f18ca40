package password

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

type migrationVector struct {
	Framework string  `json:"framework"`
	Scheme    string  `json:"scheme"`
	Password  string  `json:"password"`
	Hash      string  `json:"hash"`
	Pepper    *string `json:"pepper"`
}

// migrationVectors reads the hashes made by the real Werkzeug (3.1 and
// 2.2), Django 3.2 and Devise's scheme, from testdata/.
func migrationVectors(t testing.TB) []migrationVector {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "migration_hashes.json"))
	if err != nil {
		t.Fatalf("reading migration vectors: %v", err)
	}
	var vs []migrationVector
	if err := json.Unmarshal(data, &vs); err != nil {
		t.Fatal(err)
	}
	if len(vs) == 0 {
		t.Fatal("no migration vectors")
	}
	return vs
}

// migrationFor is the documented configuration for a vector: Migration(nil),
// with Devise{Pepper} first for Devise's hashes.
func migrationFor(v migrationVector) Upgrade {
	h := Migration(nil)
	if v.Framework == "devise" {
		var pepper string
		if v.Pepper != nil {
			pepper = *v.Pepper
		}
		h.Legacy = append([]Scheme{Devise{Pepper: pepper}}, h.Legacy...)
	}
	return h
}

// otherForm returns password in the other Unicode composition (NFC ↔ NFD),
// or "" if it has none.
func otherForm(pw string) string {
	for _, f := range []norm.Form{norm.NFD, norm.NFC} {
		if o := f.String(pw); o != pw {
			return o
		}
	}
	return ""
}

func TestMigrationVectors(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for i, v := range migrationVectors(t) {
		seen[v.Framework+" "+v.Scheme] = true
		t.Run(v.Framework+"/"+v.Scheme, func(t *testing.T) {
			t.Parallel()
			h := migrationFor(v)
			if err := h.Compare(v.Hash, v.Password); err != nil {
				t.Fatalf("vector %d (%s): Compare = %v, want nil", i, v.Hash[:20], err)
			}
			if !h.NeedsRehash(v.Hash) {
				t.Errorf("vector %d: NeedsRehash = false for a migrated hash", i)
			}
			// A different password: changed within bcrypt's first 72 bytes.
			r, size := utf8.DecodeRuneInString(v.Password)
			wrong := string(r+1) + v.Password[size:]
			if err := h.Compare(v.Hash, wrong); !errors.Is(err, ErrMismatch) {
				t.Errorf("vector %d: Compare(%q) = %v, want ErrMismatch", i, wrong, err)
			}
			// The frameworks hash the password as typed: the other Unicode
			// composition of "café" is another password to them.
			if other := otherForm(v.Password); other != "" && v.Framework != "devise" {
				if err := h.Compare(v.Hash, other); !errors.Is(err, ErrMismatch) {
					t.Errorf("vector %d: the other composition verified: %v", i, err)
				}
			}
			// Devise's hashes without a pepper are plain bcrypt: Migration
			// alone reads them too.
			if v.Framework == "devise" && v.Pepper == nil {
				if err := Migration(nil).Compare(v.Hash, v.Password); err != nil {
					t.Errorf("vector %d: Migration(nil) without Devise: %v", i, err)
				}
			}
		})
	}
	for _, want := range []string{"werkzeug scrypt", "werkzeug pbkdf2", "django pbkdf2_sha256", "django pbkdf2_sha1",
		"django argon2", "django bcrypt_sha256", "django bcrypt", "devise bcrypt"} {
		if !seen[want] {
			t.Errorf("no vector for %s", want)
		}
	}
}

// A migrated hash verifies and is replaced by a current one, which then
// verifies with the same Upgrade.
func TestMigrationRehash(t *testing.T) {
	t.Parallel()
	h := Migration(Argon2id{Memory: 64, Time: 1})
	h.Legacy = append([]Scheme{Devise{}}, h.Legacy...) // as documented for Devise
	for _, s := range []interface {
		Scheme
		Hasher
	}{
		WerkzeugScrypt{N: 16, R: 1, P: 1}, WerkzeugPBKDF2{Iterations: 1000}, WerkzeugPBKDF2{Digest: "sha512", Iterations: 1000},
		WerkzeugPBKDF2{Digest: "sha1", Iterations: 1000}, DjangoPBKDF2{Iterations: 1000}, DjangoPBKDF2{Digest: "sha1", Iterations: 1000},
		DjangoArgon2{Memory: 64, Time: 1, Threads: 2}, DjangoBcrypt{Cost: 4}, DjangoBcrypt{Cost: 4, WithoutSHA256: true},
		Devise{Cost: 4},
	} {
		for _, pw := range []string{"correct horse battery staple", "cafe\u0301 au lait", "caf\u00e9 au lait", "パスワードです"} {
			old, err := s.Hash(pw)
			if err != nil {
				t.Fatalf("%s: Hash = %v", s.Name(), err)
			}
			if !s.Identify(old) || s.NeedsRehash(old) {
				t.Errorf("%s: own hash %q: Identify false or NeedsRehash true", s.Name(), old)
			}
			if err := s.Compare(old, pw); err != nil {
				t.Errorf("%s: Compare(own hash) = %v", s.Name(), err)
			}
			if err := h.Compare(old, pw); err != nil {
				t.Errorf("%s: Migration.Compare(%q) = %v", s.Name(), pw, err)
			}
			if other := otherForm(pw); other != "" {
				if err := h.Compare(old, other); !errors.Is(err, ErrMismatch) {
					t.Errorf("%s: the other composition of %q verified: %v", s.Name(), pw, err)
				}
			}
			if !h.NeedsRehash(old) {
				t.Errorf("%s: NeedsRehash = false", s.Name())
			}
			current, err := h.Hash(pw)
			if err != nil || h.Compare(current, pw) != nil || h.NeedsRehash(current) {
				t.Errorf("%s: rehash to current failed: %v", s.Name(), err)
			}
		}
	}
}

func TestMigrationFormats(t *testing.T) {
	t.Parallel()
	// Werkzeug hashes that name no iteration count use DefaultIterations.
	w := WerkzeugPBKDF2{Iterations: 1000}
	full, _ := w.Hash("hunter2 hunter2")
	method, rest, _ := strings.Cut(full, "$")
	if method != "pbkdf2:sha256:1000" {
		t.Fatalf("method %q", method)
	}
	for _, short := range []string{"pbkdf2:sha256$" + rest, "pbkdf2$" + rest} {
		if err := (WerkzeugPBKDF2{DefaultIterations: 1000}).Compare(short, "hunter2 hunter2"); err != nil {
			t.Errorf("%s...: with DefaultIterations 1000: %v", short[:15], err)
		}
		if err := (WerkzeugPBKDF2{DefaultIterations: 2000}).Compare(short, "hunter2 hunter2"); !errors.Is(err, ErrMismatch) {
			t.Errorf("%s...: with DefaultIterations 2000: %v, want ErrMismatch", short[:15], err)
		}
	}
	// Werkzeug's "scrypt$" names no parameters: 32768, 8, 1.
	if h, err := parseWerkzeugScrypt("scrypt$salt$" + strings.Repeat("0", 128)); err != nil || h.n != 32768 || h.r != 8 || h.p != 1 {
		t.Errorf("scrypt$: %+v, %v", h, err)
	}

	malformed := []string{
		"scrypt", "scrypt:", "scrypt$$", "scrypt:16:1:1$salt$" + strings.Repeat("0", 127),
		"scrypt:16:1:1$salt$" + strings.Repeat("A", 128), "scrypt:15:1:1$salt$" + strings.Repeat("0", 128),
		"scrypt:16:1$salt$" + strings.Repeat("0", 128), "scrypt:16:0:1$salt$" + strings.Repeat("0", 128),
		"scrypt:016:1:1$salt$" + strings.Repeat("0", 128), "scrypt:16:1:1$$" + strings.Repeat("0", 128),
		"scrypt:16:+1:1$salt$" + strings.Repeat("0", 128), "scrypt:16:1073741824:1$s$" + strings.Repeat("0", 128),
		"pbkdf2:sha256:$salt$" + strings.Repeat("0", 64), "pbkdf2:md5:1000$salt$" + strings.Repeat("0", 32),
		"pbkdf2:$salt$" + strings.Repeat("0", 64), "pbkdf2:sha256:1000:1$salt$" + strings.Repeat("0", 64),
		"pbkdf2:sha512:1000$salt$" + strings.Repeat("0", 64), "pbkdf2:sha256:0$salt$" + strings.Repeat("0", 64),
		"pbkdf2_sha256$1000$salt$AAAA", "pbkdf2_sha256$$salt$" + strings.Repeat("A", 43) + "=",
		"pbkdf2_sha256$1000$$" + strings.Repeat("A", 43) + "=", "pbkdf2_sha256$1000$salt$" + strings.Repeat("A", 44),
		"pbkdf2_sha1$1000$salt$" + strings.Repeat("A", 28) + "$",
		"argon2$argon2id$v=19$m=64,t=1,p=1$c2FsdA$", "argon2$argon2d$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
		"argon2$argon2id$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
		"bcrypt_sha256$$2b$12$short", "bcrypt$$2b$xx$" + strings.Repeat("a", 53), "bcrypt$2b$12$" + strings.Repeat("a", 53),
	}
	schemes := []Scheme{WerkzeugScrypt{}, WerkzeugPBKDF2{}, DjangoPBKDF2{}, DjangoArgon2{}, DjangoBcrypt{}, Devise{}}
	for _, hash := range malformed {
		for _, s := range schemes {
			if !s.Identify(hash) {
				continue
			}
			if err := s.CompareBytes(hash, []byte("password")); err == nil || errors.Is(err, ErrMismatch) {
				t.Errorf("%s.CompareBytes(%q) = %v, want a parse error", s.Name(), hash, err)
			}
			if !s.NeedsRehash(hash) {
				t.Errorf("%s.NeedsRehash(%q) = false", s.Name(), hash)
			}
		}
		if err := Migration(nil).Compare(hash, "password"); err == nil {
			t.Errorf("Migration.Compare(%q) = nil", hash)
		}
	}
}
