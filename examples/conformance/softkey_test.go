package main_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	bin "encoding/binary"
	"encoding/json"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

// softKey is the views' tests' software authenticator (views/webauthn_test.go),
// for the conformance app at localhost: a software authenticator (a platform passkey) holding one
// credential: what a browser and a security key do, by the WebAuthn
// spec, with "none" attestation.
type softKey struct {
	t      *testing.T
	rpID   string
	origin string
	id     []byte
	priv   *ecdsa.PrivateKey
	user   []byte // the user handle it was created for
	count  uint32
	uv     bool // verifies its user (a PIN, a fingerprint)
}

// newSoftKey makes a key for the app at base (http://127.0.0.1:port),
// which FEATURES=all names localhost.
func newSoftKey(t *testing.T, base string) *softKey {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 16)
	rand.Read(id)
	return &softKey{t: t, rpID: "localhost", origin: strings.Replace(base, "127.0.0.1", "localhost", 1), id: id, priv: priv, uv: true}
}

var b64 = base64.RawURLEncoding

func (k *softKey) flags(attested bool) byte {
	f := byte(0x01) // user present
	if k.uv {
		f |= 0x04
	}
	if attested {
		f |= 0x40
	}
	return f
}

func (k *softKey) authData(attested bool) []byte {
	rp := sha256.Sum256([]byte(k.rpID))
	d := append(rp[:], k.flags(attested))
	d = bin.BigEndian.AppendUint32(d, k.count)
	if attested {
		d = append(d, make([]byte, 16)...) // AAGUID
		d = bin.BigEndian.AppendUint16(d, uint16(len(k.id)))
		d = append(d, k.id...)
		pub, err := cbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1,
			-2: k.priv.X.FillBytes(make([]byte, 32)), -3: k.priv.Y.FillBytes(make([]byte, 32))})
		if err != nil {
			k.t.Fatal(err)
		}
		d = append(d, pub...)
	}
	return d
}

func (k *softKey) clientData(typ, challenge string) []byte {
	cd, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": k.origin, "crossOrigin": false})
	return cd
}

// options reads credential_options from a /wan-* answer.
func options(t *testing.T, resp map[string]any) map[string]any {
	t.Helper()
	o, _ := resp["credential_options"].(map[string]any)
	if o == nil {
		t.Fatalf("no credential_options in %v", resp)
	}
	if pk, ok := o["publicKey"].(map[string]any); ok {
		return pk
	}
	return o
}

// create answers a registration's options: the credential, as JSON.
func (k *softKey) create(opts map[string]any) string {
	k.t.Helper()
	user := opts["user"].(map[string]any)
	var err error
	if k.user, err = b64.DecodeString(user["id"].(string)); err != nil {
		k.t.Fatalf("user.id: %v", err)
	}
	cd := k.clientData("webauthn.create", opts["challenge"].(string))
	att, err := cbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": k.authData(true)})
	if err != nil {
		k.t.Fatal(err)
	}
	out, _ := json.Marshal(map[string]any{
		"id": b64.EncodeToString(k.id), "rawId": b64.EncodeToString(k.id), "type": "public-key",
		"response":               map[string]any{"clientDataJSON": b64.EncodeToString(cd), "attestationObject": b64.EncodeToString(att), "transports": []string{"internal"}},
		"clientExtensionResults": map[string]any{"credProps": map[string]any{"rk": true}},
	})
	return string(out)
}

// get answers an authentication's options: the signed assertion, as JSON.
func (k *softKey) get(opts map[string]any) string {
	k.t.Helper()
	k.count++
	ad := k.authData(false)
	cd := k.clientData("webauthn.get", opts["challenge"].(string))
	cdHash := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, ad...), cdHash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.priv, digest[:])
	if err != nil {
		k.t.Fatal(err)
	}
	out, _ := json.Marshal(map[string]any{
		"id": b64.EncodeToString(k.id), "rawId": b64.EncodeToString(k.id), "type": "public-key",
		"response": map[string]any{"clientDataJSON": b64.EncodeToString(cd), "authenticatorData": b64.EncodeToString(ad),
			"signature": b64.EncodeToString(sig), "userHandle": b64.EncodeToString(k.user)},
		"clientExtensionResults": map[string]any{},
	})
	return string(out)
}

// credentialBody is a finishing POST's body: the credential as a JSON
