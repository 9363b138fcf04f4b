// Package store owns xnum's persistent state in one embedded Pebble
// directory: apps, X numbers, the bindings of every mode (AXB here; AX, AXE
// with callback records, AXYB with B–Y relations: MODES.md) with every index
// routing and the API need, and the local copy of CDRs (SPEC §7).
//
// Every mutation is one Pebble batch committed with Sync before the method
// returns, so a kill -9 at any moment loses nothing acknowledged and leaves
// nothing half applied. Mutations of apps, numbers and bindings are
// serialised by one writer mutex, which makes the uniqueness rules of SPEC §3
// (a number once per X, at most MaxPairsPerX pairs) hold without a
// check-then-write race. Reads take no store lock beyond a shared close guard:
// they are Pebble Gets, and XNumber is served from an in-memory cache.
//
// The key layout is documented in keys.go.
package store

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"

	"github.com/xnum/xnum/routing"
)

// MaxPairsPerX is the vendor's limit of AXB pairs on one X (SPEC §3 [HW]).
const MaxPairsPerX = 5000

// Options configures a Store. The zero value is usable.
type Options struct {
	// Now is the clock for creation, expiry and CDR times; nil means time.Now.
	// Tests inject a fake clock to drive expiry without sleeping.
	Now func() time.Time
	// Logger receives the store's and Pebble's messages; nil means slog.Default().
	Logger *slog.Logger
	// MaxPairsPerX overrides the pair limit per X; 0 means MaxPairsPerX.
	// Tests set a small number to reach the limit cheaply.
	MaxPairsPerX int
	// SameProvince tells whether two area codes are in the same province;
	// areaMatchMode 1 prefers such X numbers after the exact area (SPEC §5).
	// Nil means China's embedded table (routing.ChinaProvinces().Same).
	SameProvince func(areaA, areaB string) bool
}

// Store is xnum's Pebble-backed state. It is safe for concurrent use.
type Store struct {
	db           *pebble.DB
	now          func() time.Time
	log          *slog.Logger
	maxPairs     int
	sameProvince func(a, b string) bool

	// wmu serialises every mutation of apps, numbers and bindings: the
	// uniqueness checks of SPEC §3 read and write under it. A single writer
	// is the simplest correct choice; binds are API-rate, not call-rate.
	wmu sync.Mutex

	// life guards Close against in-flight reads. closed is written holding
	// both wmu and life, so reading it under either is race-free.
	life   sync.RWMutex
	closed bool

	cache xcache
	// bindings caches BindingByParty; update replaces it after each commit.
	bindings bcache
	// afterXRead, when set by a test, runs in XNumber between its Pebble
	// read and its cache fill: the window the cache generations protect.
	afterXRead func()
	// afterAppRead is the same window in GetApp.
	afterAppRead func()
	// afterBindingRead is the same window in BindingByParty.
	afterBindingRead func()
}

// Open opens (creating if needed) the store in dir.
func Open(dir string, opts Options) (*Store, error) {
	s := &Store{
		now:          opts.Now,
		log:          opts.Logger,
		maxPairs:     opts.MaxPairsPerX,
		sameProvince: opts.SameProvince,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.log = s.log.With("component", "store")
	if s.sameProvince == nil {
		s.sameProvince = routing.ChinaProvinces().Same
	}
	if s.maxPairs <= 0 {
		s.maxPairs = MaxPairsPerX
	}
	s.cache.init()
	s.bindings.init()
	db, err := pebble.Open(dir, pebbleOptions(s.log))
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	}
	s.db = db
	if err := s.checkSchema(); err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

// Pebble tuning for the outbox's churn (docs/EVENTS.md "Speed"). At 1000
// AXB calls/s the store takes ~6,000 outbox items/s (5 events + 1 CDR, a few
// hundred bytes each) plus the local CDR copies: 4-5 MB/s into the memtable.
// Almost every outbox item is deleted within a second or two of its write.
//
//   - MemTableSize 64 MiB (default 4 MiB): a memtable then holds ~15 s of
//     traffic instead of <1 s, so an item and its delete meet in memory and
//     the flush drops the item; only the small tombstone reaches L0. With
//     4 MiB nearly every item was flushed to L0 and compacted once or twice
//     before its tombstone caught up, which is the ~8 % compaction seen in
//     the profile, and the many small L0 files slowed the call path's point
//     reads. Pebble grows a memtable from 256 KiB by doubling, so short-lived
//     stores (tests) stay small.
//   - MemTableStopWritesThreshold 4: up to 4 memtables (256 MiB worst case)
//     may queue before writes stall, so a flush starved of CPU on a busy box
//     does not stop the call path's synced writes. The WAL replayed at start
//     is bounded by the same amount.
//   - L0: each flush is one L0 sublevel; with 64 MiB flushes they come every
//     ~15 s, so the default trigger of 4 sublevels (L0CompactionThreshold)
//     compacts about once a minute. L0StopWritesThreshold is raised from 12
//     to 24 so that a compaction delayed by a noisy neighbour slows reads a
//     little instead of stopping writes.
//   - A 64 MiB block cache (default 8 MiB) keeps bindings and indexes that
//     routing reads on every INVITE in memory.
//   - Bloom filters (10 bits a key, ~1 % false positives) on every level:
//     the call path's point reads are mostly of keys that do not exist (the
//     loop guard asks whether each caller is an X, a party without a
//     binding), and without a filter each such Get searched every L0 file
//     and level (~7 % of the CPU at 1000 calls/s in the profile).
//   - WALMinSyncInterval walMinSyncInterval: group commit across fsyncs
//     (below).
func pebbleOptions(log *slog.Logger) *pebble.Options {
	o := &pebble.Options{
		WALMinSyncInterval:          func() time.Duration { return walMinSyncInterval },
		Logger:                      pebbleLogger{log},
		MemTableSize:                64 << 20,
		MemTableStopWritesThreshold: 4,
		L0CompactionThreshold:       4,
		L0StopWritesThreshold:       24,
		Cache:                       pebbleCache,
	}
	for i := range o.Levels {
		o.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	return o
}

// walMinSyncInterval is the least time between two WAL fsyncs (group
// commit across fsyncs). At 1000 calls/s the outbox asked for ~1,900 synced
// writes a second and each got its own fdatasync (~14 % of the daemon's CPU:
// Pebble's flush loop, ext4, the virtio disk). With a floor, a sync asked for
// less than this after the previous one ended waits for the rest of the
// interval, then shares one fdatasync with every write that came meanwhile.
//
// The trade: a synced write returns at most this much later, and only when
// syncs come faster than this; an isolated sync is not delayed (Pebble's
// record.LogWriter.flushLoop blocks syncing by a timer started after each
// sync, and syncs at once when none runs). A lone writer that writes back to
// back (an API client binding in a loop) is slowed to one write per ~1.2 ms.
// Nothing is acknowledged before its fsync: no guarantee changes.
//
// BenchmarkOutboxLoad (6,000 items/s, 4 writers and a worker, as the daemon
// at 1000 calls/s): 1.08 → 0.077 fsyncs an item, CPU 107 → 26 µs an item, an
// item's wait for its Enqueue 0.37 → 3.4 ms. 500 µs gave 0.15 fsyncs and
// 39 µs (Go's timers round short sleeps of an idle process up to ~1 ms).
const walMinSyncInterval = time.Millisecond

// pebbleCache is shared by every store of the process (one in the daemon;
// many in tests, which then share 64 MiB rather than take 64 MiB each).
var pebbleCache = pebble.NewCache(64 << 20)

func (s *Store) checkSchema() error {
	v, ok, err := get(s.db, keySchema)
	if err != nil {
		return err
	}
	if ok {
		if string(v) != schemaVersion {
			return fmt.Errorf("%w: found %q, want %q", ErrSchemaVersion, v, schemaVersion)
		}
		return nil
	}
	return s.db.Set(keySchema, []byte(schemaVersion), pebble.Sync)
}

// Close flushes and closes the store. It waits for in-flight calls; later
// calls return ErrClosed. Closing twice is harmless.
func (s *Store) Close() error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.life.Lock()
	defer s.life.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.cache.invalidate() // cached answers would outlive the store
	s.bindings.invalidate()
	return s.db.Close()
}

// read runs fn under the close guard.
func (s *Store) read(fn func() error) error {
	s.life.RLock()
	defer s.life.RUnlock()
	if s.closed {
		return ErrClosed
	}
	return fn()
}

// snapshot runs fn on a consistent point-in-time view, for multi-key reads
// (queries, listings, the consistency check).
func (s *Store) snapshot(fn func(r reader) error) error {
	return s.read(func() error {
		snap := s.db.NewSnapshot()
		defer snap.Close()
		return fn(snap)
	})
}

// update runs fn in one indexed batch under the writer mutex and commits it
// with Sync. Nothing is written when fn fails. When fn marks the batch as
// touching apps or numbers, the X cache is invalidated before the method
// returns, so a caller that saw the mutation acknowledged never reads stale
// routing data.
func (s *Store) update(fn func(t *tx) error) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closed {
		return ErrClosed
	}
	t := &tx{s: s, b: s.db.NewIndexedBatch(), now: s.now().UTC()}
	defer t.b.Close()
	if err := fn(t); err != nil {
		return err
	}
	if t.b.Empty() {
		return nil
	}
	if err := t.b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	s.bindings.invalidate() // any committed update may have changed a binding
	if t.invalidate {
		s.cache.invalidate()
	}
	return nil
}

// reader is what both the DB, a snapshot and an indexed batch offer.
type reader interface {
	Get(key []byte) ([]byte, io.Closer, error)
	NewIter(o *pebble.IterOptions) (*pebble.Iterator, error)
}

// get returns a copy of the value at key.
func get(r reader, key []byte) ([]byte, bool, error) {
	v, closer, err := r.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("get: %w", err)
	}
	out := append([]byte(nil), v...)
	return out, true, closer.Close()
}

// scan calls fn for every key with prefix p, in key order, with a value
// valid only during the call.
func scan(r reader, p []byte, fn func(k, v []byte) error) error {
	return scanRange(r, p, prefixEnd(p), fn)
}

func scanRange(r reader, lo, hi []byte, fn func(k, v []byte) error) error {
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return fmt.Errorf("iter: %w", err)
	}
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.ValueAndErr()
		if err == nil {
			err = fn(it.Key(), v)
		}
		if err != nil {
			_ = it.Close()
			return err
		}
	}
	return it.Close()
}

// pebbleLogger routes Pebble's own messages to slog.
type pebbleLogger struct{ l *slog.Logger }

func (p pebbleLogger) Infof(format string, args ...any) {
	p.l.Debug(fmt.Sprintf(format, args...), "source", "pebble")
}

func (p pebbleLogger) Errorf(format string, args ...any) {
	p.l.Error(fmt.Sprintf(format, args...), "source", "pebble")
}

// Fatalf must not return (Pebble's contract): it reports on-disk corruption
// that the process cannot continue past, as Pebble's default logger does.
func (p pebbleLogger) Fatalf(format string, args ...any) {
	p.l.Error(fmt.Sprintf(format, args...), "source", "pebble", "fatal", true)
	os.Exit(1)
}
