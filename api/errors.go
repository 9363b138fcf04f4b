package api

import (
	"errors"
	"fmt"
)

// Error is an API failure that knows its result code (STYLE: failures
// classify themselves). Its message becomes the answer's resultdesc.
type Error struct {
	Code Code
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

// ResultCode is the resultcode the failure is answered with.
func (e *Error) ResultCode() Code { return e.Code }

func newError(c Code, msg string) *Error { return &Error{Code: c, Msg: msg} }

// Sentinels. Compare with errors.Is; the code comes from ResultCode.
var (
	// Authentication (SPEC §5).
	ErrNoAuthorization = newError(CodeNoAuthHeader, "no Authorization header")
	ErrMalformedAuth   = newError(CodeAuthFailed, "authentication failed: malformed signature header")
	ErrDigestMismatch  = newError(CodeAuthFailed, "authentication failed: wrong PasswordDigest")
	ErrNonceReused     = newError(CodeAuthFailed, "authentication failed: Nonce already used")
	ErrCreatedWindow   = newError(CodeCreatedWindow, "Created outside the allowed window")
	ErrUnknownAppKey   = newError(CodeUnknownAppKey, "unknown app key")
	ErrNonceCacheFull  = newError(CodeRateLimited, "too many signed requests in the window")
	ErrRateLimited     = newError(CodeRateLimited, "rate limit of this app reached")
	ErrAdminToken      = newError(CodeAuthFailed, "authentication failed: wrong or missing admin token")

	// App state and request content.
	ErrWrongMode         = newError(CodeWrongMode, "API of another mode")
	ErrAppFrozen         = newError(CodeAppFrozen, "app frozen")
	ErrRecordingDisabled = newError(CodeRecordingDisabled, "recording not enabled for the app")
	ErrInvalidRequest    = newError(CodeInvalidRequest, "invalid request")
	ErrNotImplemented    = newError(CodeNotImplemented, "not available: no backend wired")
	ErrBindingNotFound   = newError(CodeBindingNotFound, "binding not found")
)

// FieldError is a 1010002 that names the offending field (SPEC §5: "resultdesc
// names the field").
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string {
	if e.Reason == "" {
		return "invalid " + e.Field
	}
	return "invalid " + e.Field + ": " + e.Reason
}

// ResultCode is always 1010002.
func (e *FieldError) ResultCode() Code { return CodeInvalidRequest }

// Unwrap makes errors.Is(err, ErrInvalidRequest) hold.
func (e *FieldError) Unwrap() error { return ErrInvalidRequest }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// coder is implemented by every failure that carries its own result code.
type coder interface{ ResultCode() Code }

// classify turns any error into a result code and resultdesc. Store
// sentinels are mapped by the caller first (mapStoreErr); anything left
// without a code is an internal error whose detail stays out of the answer.
func classify(err error) (Code, string) {
	var c coder
	if errors.As(err, &c) {
		return c.ResultCode(), err.Error()
	}
	return CodeInternal, CodeInternal.Desc()
}
