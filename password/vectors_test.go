package password

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

type sharedVector struct {
	Kind     string  `json:"kind"`
	Scheme   string  `json:"scheme"`
	Salt     *string `json:"salt"`
	Password string  `json:"password"`
	Hash     string  `json:"hash"`
}

// sharedVectors reads the hashes made by the real Flask-Security 5.1 and
// passlib 1.7, which the repository carries in testdata/.
func sharedVectors(t *testing.T) []sharedVector {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "flask_security_hashes.json"))
	if err != nil {
		t.Fatalf("reading shared vectors: %v", err)
	}
	var vs []sharedVector
	if err := json.Unmarshal(data, &vs); err != nil {
		t.Fatal(err)
	}
	if len(vs) == 0 {
		t.Fatal("no shared vectors")
	}
	return vs
}

// allLegacy accepts every scheme passlib's vectors use, at the parameters
// found in them (passlib's test-sized rounds).
var allLegacy = []Scheme{
	Argon2id{}, Bcrypt{TruncateLong: true},
	PBKDF2{Digest: "sha512"}, PBKDF2{Digest: "sha256"},
	SHACrypt{Bits: 512}, SHACrypt{Bits: 256},
}

func TestSharedVectors(t *testing.T) {
	for i, v := range sharedVectors(t) {
		h := Upgrade{Legacy: allLegacy}
		switch v.Kind {
		case "passlib":
		case "flask_security":
			h.FlaskSecurity = &FlaskSecurity{Salt: *v.Salt}
		default:
			t.Fatalf("vector %d: unknown kind %q", i, v.Kind)
		}
		if err := h.Compare(v.Hash, v.Password); err != nil {
			t.Errorf("vector %d (%s %s, %q): Compare = %v, want nil", i, v.Kind, v.Scheme, v.Password, err)
		}
		for _, wrong := range []string{"wrong " + v.Password, v.Password[:len(v.Password)-1], "", "x"} {
			if err := h.Compare(v.Hash, wrong); err == nil {
				t.Errorf("vector %d (%s %s): Compare(wrong %q) = nil, want an error", i, v.Kind, v.Scheme, wrong)
			}
		}
		if !h.NeedsRehash(v.Hash) {
			t.Errorf("vector %d (%s): NeedsRehash = false for a legacy hash", i, v.Scheme)
		}
	}
}
