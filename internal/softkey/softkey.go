// Package softkey is a software WebAuthn authenticator for tests: a
// platform passkey holding one P-256 credential, answering a relying
// party's registration and authentication options as a browser would,
// with "none" attestation. The views' tests and the conformance app's
// OpenAPI test use it.
package softkey

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

// Key is a software authenticator (a platform passkey) holding one
// credential: what a browser and a security key do, by the WebAuthn
// spec, with "none" attestation.
type Key struct {
	t      testing.TB
	rpID   string
	origin string
	id     []byte
	priv   *ecdsa.PrivateKey
	// User is the user handle it was created for (Create sets it); a
	// test may change it to claim another user.
	User []byte
	// Count is the signature counter: Get adds one before signing.
	Count uint32
	// UV: the key verifies its user (a PIN, a fingerprint). New sets it.
	UV bool
}

// New makes a key for the relying party rpID (a domain) at origin
// ("https://app.example.com").
func New(t testing.TB, rpID, origin string) *Key {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 16)
	rand.Read(id)
	return &Key{t: t, rpID: rpID, origin: origin, id: id, priv: priv, UV: true}
}

var b64 = base64.RawURLEncoding

func (k *Key) flags(attested bool) byte {
	f := byte(0x01) // user present
	if k.UV {
		f |= 0x04
	}
	if attested {
		f |= 0x40
	}
	return f
}

func (k *Key) authData(attested bool) []byte {
	rp := sha256.Sum256([]byte(k.rpID))
	d := append(rp[:], k.flags(attested))
	d = binary.BigEndian.AppendUint32(d, k.Count)
	if attested {
		d = append(d, make([]byte, 16)...) // AAGUID
		d = binary.BigEndian.AppendUint16(d, uint16(len(k.id)))
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

func (k *Key) clientData(typ, challenge string) []byte {
	cd, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": k.origin, "crossOrigin": false})
	return cd
}

// Options reads credential_options from a /wan-* answer.
func Options(t testing.TB, resp map[string]any) map[string]any {
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

// Create answers a registration's options: the credential, as JSON.
func (k *Key) Create(opts map[string]any) string {
	k.t.Helper()
	user := opts["user"].(map[string]any)
	var err error
	if k.User, err = b64.DecodeString(user["id"].(string)); err != nil {
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

// Get answers an authentication's options: the signed assertion, as JSON.
func (k *Key) Get(opts map[string]any) string {
	k.t.Helper()
	k.Count++
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
			"signature": b64.EncodeToString(sig), "userHandle": b64.EncodeToString(k.User)},
		"clientExtensionResults": map[string]any{},
	})
	return string(out)
}

// CredentialBody is a finishing POST's body: the credential as a JSON
// string, as Flask-Security's front ends send it.
func CredentialBody(cred string) string {
	return `{"credential":` + strconv.Quote(cred) + `}`
}
