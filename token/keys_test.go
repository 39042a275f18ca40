package token

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestKeysFromEnv(t *testing.T) {
	k1 := strings.Repeat("\x01\x02\x03\x04\x05\x06\x07\x08", 4)
	k2 := strings.Repeat("\xf1\xf2\xf3\xf4\xf5\xf6\xf7\xf8", 5)
	for _, tc := range []struct {
		name, value string
		want        []string // keys, or the error's words
		fails       bool
	}{
		{"one", base64.StdEncoding.EncodeToString([]byte(k1)), []string{k1}, false},
		{"two, rotated, url alphabet unpadded", base64.StdEncoding.EncodeToString([]byte(k1)) + ", " + base64.RawURLEncoding.EncodeToString([]byte(k2)), []string{k1, k2}, false},
		{"unset", "", []string{"is not set", "head -c 32 /dev/urandom"}, true},
		{"short", base64.StdEncoding.EncodeToString([]byte("short")), []string{"key 1 is 5 bytes", "openssl rand"}, true},
		{"not base64", "not*base64*at*all", []string{"not base64"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("TEST_SECRET_KEYS", tc.value)
			keys, err := KeysFromEnv("TEST_SECRET_KEYS")
			if tc.fails {
				if err == nil {
					t.Fatal("accepted")
				}
				for _, w := range tc.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				return
			}
			if err != nil || len(keys) != len(tc.want) {
				t.Fatalf("keys %d, %v", len(keys), err)
			}
			for i, k := range keys {
				if string(k) != tc.want[i] {
					t.Errorf("key %d differs", i)
				}
			}
		})
	}
}
