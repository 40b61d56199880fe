// Package testauthn is a software passkey authenticator for tests, as a
// browser and a platform authenticator would answer together: one ES256
// key, a "none" attestation, assertions signed with the key.
// go-webauthn has no client side; this is the least of one that its
// server side accepts. It answers the options' JSON as the server sends
// it ({"publicKey": …}) with the PublicKeyCredential's JSON.
package testauthn

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

// Authenticator holds one passkey.
type Authenticator struct {
	// Handle is the user handle the passkey was made for, which Get
	// answers with; a test sets it to claim to be someone else's.
	Handle []byte

	origin string
	key    *ecdsa.PrivateKey
	id     []byte
	count  uint32
}

// New returns an authenticator whose pages come from origin (say
// "http://localhost:8080"), with a fresh key.
func New(t testing.TB, origin string) *Authenticator {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 16)
	rand.Read(id)
	return &Authenticator{origin: origin, key: k, id: id}
}

var b64 = base64.RawURLEncoding

// options reads what a browser reads of a ceremony's options.
type options struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RPID      string `json:"rpId"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	} `json:"publicKey"`
}

func (a *Authenticator) clientData(t testing.TB, kind, challenge string) []byte {
	t.Helper()
	cd, err := json.Marshal(map[string]any{"type": kind, "challenge": challenge, "origin": a.origin, "crossOrigin": false})
	if err != nil {
		t.Fatal(err)
	}
	return cd
}

// authData is the authenticator data for rpID: user present and
// verified, the next signature count, and attested (the credential and
// its COSE key) when attested is set.
func (a *Authenticator) authData(t testing.TB, rpID string, attested bool) []byte {
	t.Helper()
	h := sha256.Sum256([]byte(rpID))
	out := append([]byte{}, h[:]...)
	flags := byte(0x01 | 0x04) // UP, UV
	if attested {
		flags |= 0x40 // AT
	}
	a.count++
	out = append(out, flags)
	out = binary.BigEndian.AppendUint32(out, a.count)
	if attested {
		out = append(out, make([]byte, 16)...) // AAGUID: none
		out = binary.BigEndian.AppendUint16(out, uint16(len(a.id)))
		out = append(out, a.id...)
		pub, err := a.key.PublicKey.ECDH()
		if err != nil {
			t.Fatal(err)
		}
		raw := pub.Bytes() // 0x04 | X | Y
		cose, err := cbor.CoreDetEncOptions().EncMode()
		if err != nil {
			t.Fatal(err)
		}
		key, err := cose.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: raw[1:33], -3: raw[33:]})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, key...)
	}
	return out
}

// Create answers creation options as navigator.credentials.create would,
// as the JSON of the PublicKeyCredential.
func (a *Authenticator) Create(t testing.TB, opts json.RawMessage) json.RawMessage {
	t.Helper()
	var o options
	if err := json.Unmarshal(opts, &o); err != nil {
		t.Fatalf("creation options %s: %v", opts, err)
	}
	handle, err := b64.DecodeString(o.PublicKey.User.ID)
	if err != nil {
		t.Fatalf("user.id %q: %v", o.PublicKey.User.ID, err)
	}
	a.Handle = handle
	att, err := cbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": a.authData(t, o.PublicKey.RP.ID, true)})
	if err != nil {
		t.Fatal(err)
	}
	return a.credential(t, map[string]any{
		"clientDataJSON":    b64.EncodeToString(a.clientData(t, "webauthn.create", o.PublicKey.Challenge)),
		"attestationObject": b64.EncodeToString(att),
		"transports":        []string{"internal"},
	})
}

// Get answers request options as navigator.credentials.get would.
func (a *Authenticator) Get(t testing.TB, opts json.RawMessage) json.RawMessage {
	t.Helper()
	var o options
	if err := json.Unmarshal(opts, &o); err != nil {
		t.Fatalf("request options %s: %v", opts, err)
	}
	cd := a.clientData(t, "webauthn.get", o.PublicKey.Challenge)
	ad := a.authData(t, o.PublicKey.RPID, false)
	h := sha256.Sum256(cd)
	signed := sha256.Sum256(append(append([]byte{}, ad...), h[:]...)) // ES256 signs the SHA-256 of what it signs
	sig, err := ecdsa.SignASN1(rand.Reader, a.key, signed[:])
	if err != nil {
		t.Fatal(err)
	}
	return a.credential(t, map[string]any{
		"clientDataJSON":    b64.EncodeToString(cd),
		"authenticatorData": b64.EncodeToString(ad),
		"signature":         b64.EncodeToString(sig),
		"userHandle":        b64.EncodeToString(a.Handle),
	})
}

func (a *Authenticator) credential(t testing.TB, response map[string]any) json.RawMessage {
	t.Helper()
	j, err := json.Marshal(map[string]any{"id": b64.EncodeToString(a.id), "rawId": b64.EncodeToString(a.id), "type": "public-key",
		"authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{}, "response": response})
	if err != nil {
		t.Fatal(err)
	}
	return j
}
