package token

import (
	"encoding/base64"
	"fmt"
	"os"
	"strings"
)

// MinKeyBytes is the least a secret key may hold: 32 random bytes.
const MinKeyBytes = 32

const makeKey = "make one with: head -c 32 /dev/urandom | base64 (or openssl rand -base64 32), and keep it secret"

// KeysFromEnv reads secret keys (for gatehouse.Config.SecretKeys) from the
// environment variable name: base64 keys (standard or URL alphabet,
// padded or not) separated by commas or spaces, the newest first, so a
// key is rotated by putting the new one in front and dropping the old one
// once what it signed has expired. A missing variable, a value that is not
// base64, or a key under MinKeyBytes is an error that says how to make
// one. (gatehouse.New also refuses keys that look far from random.)
func KeysFromEnv(name string) ([][]byte, error) {
	value := strings.TrimSpace(os.Getenv(name))
	if value == "" {
		return nil, fmt.Errorf("token: %s is not set: it holds the site's secret keys, base64; %s", name, makeKey)
	}
	var keys [][]byte
	for i, field := range strings.FieldsFunc(value, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' }) {
		k, err := decodeKey(field)
		switch {
		case err != nil:
			return nil, fmt.Errorf("token: %s: key %d is not base64; %s", name, i+1, makeKey)
		case len(k) < MinKeyBytes:
			return nil, fmt.Errorf("token: %s: key %d is %d bytes, want at least %d random bytes; %s", name, i+1, len(k), MinKeyBytes, makeKey)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// decodeKey reads base64 in either alphabet, padded or not.
func decodeKey(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "-_") {
		return base64.RawURLEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}
