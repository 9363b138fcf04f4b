package cdr

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
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

	mu   sync.Mutex // serialises lines and guards sink and line
	sink lineSink   // nil when cdr.file is off or after Close
	line []byte     // the JSON of the record being written, reused
}

// lineSink receives complete lines. It is the seam for size rotation of
// cdr.file: a rotating sink replaces fileSink without touching Recorder.
// WriteLine must not keep line: the Recorder reuses it.
type lineSink interface {
	WriteLine(line []byte) error
	Close() error
}

// NewRecorder returns a Recorder on store, appending to filePath when it is
// not "" (the directory is created), without rotation. logger nil means no
// logging.
func NewRecorder(store Store, filePath string, logger *slog.Logger) (*Recorder, error) {
	return NewRecorderFile(store, FileOptions{Path: filePath}, logger)
}

// FileOptions is cdr.file: where, and its size rotation.
type FileOptions struct {
	// Path of the JSON lines file; "" = no file.
	Path string
	// MaxSize is cdr.file_max_size in bytes: before a line would take the
	// file past it, the file is renamed Path.1 (Path.1 to Path.2 and so on)
	// and a new one is started. 0 = never rotate.
	MaxSize int64
	// Keep is cdr.file_keep: rotated files kept, Path.1 (newest) to
	// Path.Keep; the oldest is deleted. 0 keeps none.
	Keep int
}

// NewRecorderFile is NewRecorder with cdr.file's rotation.
func NewRecorderFile(store Store, file FileOptions, logger *slog.Logger) (*Recorder, error) {
	if store == nil {
		return nil, ErrNoStore
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	r := &Recorder{store: store, log: logger}
	if file.Path != "" {
		s, err := openFileSink(file)
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
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sink == nil {
		return nil
	}
	// The line is encoded under mu into the Recorder's own buffer: a
	// record allocates nothing for cdr.file, and nothing is encoded
	// without it.
	r.line = rec.AppendJSON(r.line[:0])
	if err := r.sink.WriteLine(r.line); err != nil {
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
// written by an earlier run stay and a line is never interleaved, and rotates
// it by size. Its caller (Recorder) serialises the calls.
type fileSink struct {
	opt  FileOptions
	f    *os.File
	size int64 // bytes in f
	buf  []byte
}

func openFileSink(opt FileOptions) (*fileSink, error) {
	if err := os.MkdirAll(filepath.Dir(opt.Path), 0o750); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFile, err)
	}
	s := &fileSink{opt: opt}
	if err := s.open(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *fileSink) open() error {
	f, err := os.OpenFile(s.opt.Path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrFile, err)
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return fmt.Errorf("%w: %w", ErrFile, err)
	}
	s.f, s.size = f, st.Size()
	return nil
}

// WriteLine writes line and its newline in one write(2): with O_APPEND a
// reader never sees half a record followed by another. A line that would
// take a non-empty file past MaxSize goes to a fresh file (a single line
// larger than MaxSize still gets a file of its own).
func (s *fileSink) WriteLine(line []byte) error {
	s.buf = append(append(s.buf[:0], line...), '\n')
	if s.f == nil { // an earlier rotation failed to reopen
		if err := s.open(); err != nil {
			return err
		}
	}
	if s.opt.MaxSize > 0 && s.size > 0 && s.size+int64(len(s.buf)) > s.opt.MaxSize {
		if err := s.rotate(); err != nil {
			return err
		}
	}
	n, err := s.f.Write(s.buf)
	s.size += int64(n)
	return err
}

// rotate shifts Path.i to Path.i+1 (the one past Keep is deleted), renames
// Path to Path.1 and opens a new Path. A reader following Path by name
// (tail -F) sees it replaced; one holding it open reads on in Path.1.
func (s *fileSink) rotate() error {
	if err := s.f.Close(); err != nil {
		s.f = nil
		return fmt.Errorf("%w: close for rotation: %w", ErrFile, err)
	}
	s.f = nil
	p := s.opt.Path
	rotated := func(i int) string { return p + "." + strconv.Itoa(i) }
	if err := os.Remove(rotated(s.opt.Keep)); err != nil && !errors.Is(err, fs.ErrNotExist) && s.opt.Keep > 0 {
		return fmt.Errorf("%w: rotate: %w", ErrFile, err)
	}
	for i := s.opt.Keep - 1; i >= 1; i-- {
		if err := os.Rename(rotated(i), rotated(i+1)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%w: rotate: %w", ErrFile, err)
		}
	}
	var err error
	if s.opt.Keep > 0 {
		err = os.Rename(p, rotated(1))
	} else {
		err = os.Remove(p)
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: rotate: %w", ErrFile, err)
	}
	return s.open()
}

func (s *fileSink) Close() error {
	if s.f == nil {
		return nil
	}
	return s.f.Close()
}
