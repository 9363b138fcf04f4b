package cdr

import "errors"

// Sentinels of the cdr package.
var (
	// ErrNoICID: a record without its unique id cannot be stored or delivered.
	ErrNoICID = errors.New("cdr: record has no icid")
	// ErrClosed: Emit after Close.
	ErrClosed = errors.New("cdr: recorder closed")
	// ErrNoStore: NewRecorder needs a store; the file alone is not durable.
	ErrNoStore = errors.New("cdr: no store")
	// ErrFile wraps a failure to write cdr.file. The record IS persisted in
	// the store when Emit returns an error matching ErrFile.
	ErrFile = errors.New("cdr: write cdr.file")
)
