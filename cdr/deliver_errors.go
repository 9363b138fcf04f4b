package cdr

import "errors"

// Sentinels of the delivery engine (deliver*.go).
var (
	// ErrNoOutbox: NewDispatcher needs the durable outbox.
	ErrNoOutbox = errors.New("cdr: dispatcher has no outbox store")
	// ErrNoSigner: every push is signed (SPEC §6.1); NewDispatcher needs
	// the X-AKSK signer.
	ErrNoSigner = errors.New("cdr: dispatcher has no signer")
	// ErrNoApps: NewDispatcher needs the app lookup for URLs and secrets.
	ErrNoApps = errors.New("cdr: dispatcher has no app lookup")
	// ErrRunning: Run while the Dispatcher is already running.
	ErrRunning = errors.New("cdr: dispatcher already running")
	// ErrMetrics: the delivery metrics could not be registered.
	ErrMetrics = errors.New("cdr: register delivery metrics")
)
