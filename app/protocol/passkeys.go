package protocol

import "encoding/json"

// PasskeyCeremony answers the begin of a passkey ceremony (POST
// /api/passkeys/begin, POST /api/passkeys/login/begin): the ceremony's
// id, which its finish names, and the WebAuthn options for the browser,
// as the standard JSON of PublicKeyCredentialCreationOptions or
// PublicKeyCredentialRequestOptions under "publicKey" (binary fields in
// base64url).
type PasskeyCeremony struct {
	Ceremony string          `json:"ceremony"`
	Options  json.RawMessage `json:"options"`
}

// PasskeyFinish is the body of a ceremony's finish (POST
// /api/passkeys/finish, POST /api/passkeys/login/finish): the ceremony's
// id and the browser's PublicKeyCredential, as its toJSON() gives it.
type PasskeyFinish struct {
	Ceremony   string          `json:"ceremony"`
	Credential json.RawMessage `json:"credential"`
}

// PasskeyLogin is the body of POST /api/passkeys/login/begin: the name
// to sign in to.
type PasskeyLogin struct {
	Name string `json:"name"`
}

// Passkeys answers GET /api/passkeys: how many passkeys keep the asker's
// name (0: none; the name is freed as anyone's is).
type Passkeys struct {
	Count int `json:"count"`
}
