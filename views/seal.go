package views

import (
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"time"

	"golang.org/x/crypto/chacha20poly1305"
)

// sealer seals the views' own secrets and state (two-factor secrets, a
// login waiting for its second factor, passkey ceremonies) under keys the
// engine derives for the views (gatehouse.Manager.Keys): XChaCha20-Poly1305,
// the first key sealing, every key opening, so keys rotate with the
// engine's. Each use names its purpose, bound in as associated data, so a
// box made for one cannot be opened as another.
type sealer struct {
	aeads []cipher.AEAD
	macs  [][]byte
}

func newSealer(keys [][]byte) (*sealer, error) {
	s := &sealer{}
	for _, k := range keys {
		a, err := chacha20poly1305.NewX(k)
		if err != nil {
			return nil, err
		}
		s.aeads = append(s.aeads, a)
		mac := hmac.New(sha256.New, k)
		mac.Write([]byte("views mac key"))
		s.macs = append(s.macs, mac.Sum(nil))
	}
	return s, nil
}

var errUnsealed = errors.New("views: cannot open")

// seal encrypts plain for purpose.
func (s *sealer) seal(purpose string, plain []byte) []byte {
	nonce := make([]byte, chacha20poly1305.NonceSizeX)
	rand.Read(nonce)
	return s.aeads[0].Seal(nonce, nonce, plain, []byte(purpose))
}

// open decrypts a box sealed for purpose with any of the keys.
func (s *sealer) open(purpose string, box []byte) ([]byte, error) {
	if len(box) < chacha20poly1305.NonceSizeX {
		return nil, errUnsealed
	}
	for _, a := range s.aeads {
		if plain, err := a.Open(nil, box[:chacha20poly1305.NonceSizeX], box[chacha20poly1305.NonceSizeX:], []byte(purpose)); err == nil {
			return plain, nil
		}
	}
	return nil, errUnsealed
}

// sealed is a value sealed for purpose as URL-safe text, valid until
// expires.
func (s *sealer) sealText(purpose string, v any, expires time.Time) string {
	plain, _ := json.Marshal(struct {
		V any   `json:"v"`
		X int64 `json:"x"`
	}{v, expires.Unix()})
	return base64.RawURLEncoding.EncodeToString(s.seal(purpose, plain))
}

// openText opens what sealText made into v; errExpired if it has
// expired at now.
func (s *sealer) openText(purpose, text string, v any, now time.Time) error {
	box, err := base64.RawURLEncoding.DecodeString(text)
	if err != nil {
		return errUnsealed
	}
	plain, err := s.open(purpose, box)
	if err != nil {
		return err
	}
	var env struct {
		V json.RawMessage `json:"v"`
		X int64           `json:"x"`
	}
	if json.Unmarshal(plain, &env) != nil {
		return errUnsealed
	}
	if now.Unix() >= env.X {
		return errExpired
	}
	if json.Unmarshal(env.V, v) != nil {
		return errUnsealed
	}
	return nil
}

var errExpired = errors.New("views: expired")

// mac is an HMAC of msg for purpose under key i.
func (s *sealer) mac(i int, purpose, msg string) []byte {
	m := hmac.New(sha256.New, s.macs[i])
	m.Write([]byte(purpose + "\x00" + msg))
	return m.Sum(nil)
}
