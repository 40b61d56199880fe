package protocol

import (
	"fmt"
	"net/http"
)

// Error codes of the contract.
const (
	CodeBadRequest      = "bad_request"
	CodeInvalidName     = "invalid_name"
	CodeUnauthorized    = "unauthorized"
	CodeForbiddenOrigin = "forbidden_origin"
	CodeNoSuchUser      = "no_such_user"
	CodeNameTaken       = "name_taken"
	CodeTooLarge        = "too_large"
	CodeRateLimited     = "rate_limited"
	// CodeForbiddenHost (403) refuses a request for a Host the server does
	// not answer for, a defence against DNS rebinding. An addition to the
	// contract.
	CodeForbiddenHost = "forbidden_host"
	// CodeForbidden (403) refuses an action only someone else may take:
	// editing or deleting another person's message, or an edit past the
	// edit window. An addition to the contract.
	CodeForbidden = "forbidden"
	// CodeNotFound (404) answers an action on, or a reply to, a message
	// that does not exist, is no longer kept, cannot be seen by the
	// asker, or was deleted. An addition to the contract.
	CodeNotFound = "not_found"
	// CodeInternal is for failures of the server itself; not a client's fault.
	CodeInternal = "internal"
	// CodeUnavailable answers while the server is shutting down.
	CodeUnavailable = "unavailable"
)

// Error is a refusal: the "error" object of an error body or frame. It is
// also a Go error, so the server's domain can return it as is.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// RetryAfter is how long to wait before trying again, in whole seconds,
	// for rate_limited. Over HTTP it is also the Retry-After header; over
	// a WebSocket, which has no headers, the error frame is the only place
	// for it. (An addition to the contract.)
	RetryAfter int `json:"retry_after,omitempty"`
}

// Error returns the human-readable message.
func (e *Error) Error() string { return e.Message }

// Status is the HTTP status the contract gives the error's code.
func (e *Error) Status() int {
	switch e.Code {
	case CodeBadRequest, CodeInvalidName:
		return http.StatusBadRequest
	case CodeUnauthorized, CodeSignedOut:
		return http.StatusUnauthorized
	case CodeForbiddenOrigin, CodeForbiddenHost, CodeForbidden:
		return http.StatusForbidden
	case CodeNoSuchUser, CodeNotFound:
		return http.StatusNotFound
	case CodeNameTaken:
		return http.StatusConflict
	case CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case CodeRateLimited:
		return http.StatusTooManyRequests
	case CodeUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// Errorf makes an Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorBody is the body of every refused request.
type ErrorBody struct {
	Error *Error `json:"error"`
}
