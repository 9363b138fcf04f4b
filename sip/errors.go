package sip

import (
	"errors"

	"github.com/xnum/xnum/routing"
)

// Classified is a failure that knows how it ends a call: the SIP status the
// caller gets and the release cause written to the CDR (SPEC §4.2, §6.3).
// Every sentinel of this file implements it; wrap them with %w and read them
// back with Classify.
type Classified interface {
	error
	SIPStatus() int
	Cause() routing.Cause
}

// Error is a sentinel failure of the signalling plane with its verdict.
type Error struct {
	msg    string
	status int
	cause  routing.Cause
}

func (e *Error) Error() string { return e.msg }

// SIPStatus is the final status sent to the request's sender.
func (e *Error) SIPStatus() int { return e.status }

// Cause is the release cause of the call (0 when the failure ends no call).
func (e *Error) Cause() routing.Cause { return e.cause }

// Sentinels. Messages are lower case; call sites wrap them with %w.
var (
	// ErrHeaderInjection: a value bound for a header carries CR, LF or
	// another control character (SPEC §2: the header-injection guard). The
	// call fails as a platform fault.
	ErrHeaderInjection = &Error{"sip: header value not safe", 500, routing.CauseInternal}
	// ErrLoop: the caller is one of our X numbers (SPEC §2 loop and fraud
	// guard) — 482 Loop Detected.
	ErrLoop = &Error{"sip: caller is an x number", 482, routing.CauseLoop}
	// ErrTooManyHops: Max-Forwards reached 0 (RFC 3261 §16.3 item 3, SPEC
	// §4.1). Refused before routing, so no release cause.
	ErrTooManyHops = &Error{"sip: max-forwards exhausted", 483, 0}
	// ErrDraining: the server is shutting down; new INVITEs are refused.
	ErrDraining = &Error{"sip: draining", 503, 0}
	// ErrNoDialog: an in-dialog request or a CANCEL matches nothing
	// (RFC 3261 §12.2.2, §9.2).
	ErrNoDialog = &Error{"sip: no such dialog or transaction", 481, 0}
	// ErrMethodRefused: REFER and its kin would let one party steer the
	// other leg (SPEC §4.1); they are refused, never executed.
	ErrMethodRefused = &Error{"sip: method not allowed", 405, 0}
	// ErrNotImplemented: a method xnum does not implement (RFC 3261 §8.2.1).
	ErrNotImplemented = &Error{"sip: method not implemented", 501, 0}
	// ErrBadSDP: a body announced as SDP that is no session description.
	ErrBadSDP = &Error{"sip: malformed sdp", 488, routing.CauseRoutingFailure}
	// ErrNoCodec: the caller offers no codec xnum relays (PCMU, PCMA), its
	// description cannot be read, or the callee answers with none of those
	// offered: 488 Not Acceptable Here (SPEC §4.3).
	ErrNoCodec = &Error{"sip: no common codec", 488, routing.CauseRoutingFailure}
	// ErrMedia: the media plane failed (no free RTP port, engine closed): a
	// platform fault.
	ErrMedia = &Error{"sip: media unavailable", 500, routing.CauseInternal}
	// ErrPanic: a handler panicked; the request is answered 500 and the call
	// released as a platform fault.
	ErrPanic = &Error{"sip: handler panic", 500, routing.CauseInternal}
	// ErrBLegSend: the B leg could not be sent at all (connection refused,
	// unresolvable trunk): a callee-side network failure.
	ErrBLegSend = &Error{"sip: b leg not sent", 480, routing.CauseCalleeNetwork}
)

// Configuration and lifecycle errors. They end no call.
var (
	ErrConfig      = errors.New("sip: invalid configuration")
	ErrStarted     = errors.New("sip: server already started")
	ErrClosed      = errors.New("sip: server closed")
	ErrMissingDeps = errors.New("sip: missing dependency")
)

// Classify returns the SIP status and release cause of err: its own when it
// (or anything it wraps) is Classified, else 500 / 7102.
func Classify(err error) (status int, cause routing.Cause) {
	var c Classified
	if errors.As(err, &c) {
		return c.SIPStatus(), c.Cause()
	}
	return 500, routing.CauseInternal
}
