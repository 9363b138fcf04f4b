package cdr

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
)

// Store persists CDRs. store.Store implements it; PutCDR returns only once
// the record is synced (SPEC §6.2: "a record is in the store, synced, before
// xnum counts it as emitted").
type Store interface {
	PutCDR(Record) error
}

// Recorder emits CDRs: into the store first, then, when cdr.file is set, as
// one JSON line appended to that file (SPEC §6.2). It is safe for concurrent
// use by every call.
type Recorder struct {
	store  Store
	log    *slog.Logger
	closed atomic.Bool

	mu   sync.Mutex // serialises lines and guards sink
	sink lineSink   // nil when cdr.file is off or after Close
}

// lineSink receives complete lines. It is the seam for size rotation of
// cdr.file: a rotating sink replaces fileSink without touching Recorder.
type lineSink interface {
	WriteLine(line []byte) error
	Close() error
}

// NewRecorder returns a Recorder on store, appending to filePath when it is
// not "" (the directory is created). logger nil means no logging.
func NewRecorder(store Store, filePath string, logger *slog.Logger) (*Recorder, error) {
	if store == nil {
		return nil, ErrNoStore
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	r := &Recorder{store: store, log: logger}
	if filePath != "" {
		s, err := openFileSink(filePath)
		if err != nil {
			return nil, err
		}
		r.sink = s
	}
	return r, nil
}

// Emit persists rec in the store and then appends it to cdr.file. An error
// from the store means the record is not emitted; an error matching ErrFile
// means it is (only the file line is missing, and it is logged).
func (r *Recorder) Emit(rec Record) error {
	if rec.ICID == "" {
		return ErrNoICID
	}
	if r.closed.Load() {
		return ErrClosed
	}
	if err := r.store.PutCDR(rec); err != nil {
		return fmt.Errorf("cdr: store %s: %w", rec.ICID, err)
	}
	line, err := json.Marshal(rec)
	if err != nil { // a Record is strings and ints: this cannot fail
		return fmt.Errorf("%w: %w", ErrFile, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sink == nil {
		return nil
	}
	if err := r.sink.WriteLine(line); err != nil {
		// The icid and sessionId identify the record; no number is logged.
		r.log.Error("cdr.file write failed; the record is in the store",
			"icid", rec.ICID, "sessionId", rec.SessionID, "err", err)
		return fmt.Errorf("%w: %w", ErrFile, err)
	}
	return nil
}

// Close stops the Recorder and closes cdr.file. It is idempotent; Emit
// afterwards returns ErrClosed.
func (r *Recorder) Close() error {
	r.closed.Store(true)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sink == nil {
		return nil
	}
	err := r.sink.Close()
	r.sink = nil
	return err
}

// fileSink appends lines to one file opened with O_APPEND, so that lines
// written by an earlier run stay and a line is never interleaved.
type fileSink struct {
	f   *os.File
	buf []byte
}

func openFileSink(path string) (*fileSink, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFile, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFile, err)
	}
	return &fileSink{f: f}, nil
}

// WriteLine writes line and its newline in one write(2): with O_APPEND a
// reader never sees half a record followed by another.
func (s *fileSink) WriteLine(line []byte) error {
	s.buf = append(append(s.buf[:0], line...), '\n')
	_, err := s.f.Write(s.buf)
	return err
}

func (s *fileSink) Close() error { return s.f.Close() }
