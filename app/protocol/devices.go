package protocol

// DeviceCode answers POST /api/devices/code: a one-time code that signs
// another device in as the asker's person (POST /api/devices/link), until
// Expires.
type DeviceCode struct {
	Code    string `json:"code"`
	Expires *Time  `json:"expires"`
}

// LinkRequest is the body of POST /api/devices/link; the answer is a
// Session, as for a registration.
type LinkRequest struct {
	Code string `json:"code"`
}

// CodeSignedOut (401) refuses the token of a device its person signed
// out from another device (DELETE /api/sessions): unlike unauthorized, a
// client should not take the name again but show its sign-in. An addition
// to the contract.
const CodeSignedOut = "signed_out"
