package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/xnum/xnum/cdr"
)

// The outbox key families (added to the layout of keys.go by the event
// issue; ids are 8-byte big-endian, so byte order is id order):
//
//	ob\x00{appKey}\x00{id}  → cdr.OutboxItem  pending, per app in enqueue order
//	obd\x00{id}             → cdr.OutboxItem  dead letters, oldest first
//	obq\x00                 → uint64 BE       highest id reserved so far
//
// "ob\x00…" sorts before "ob\x01", so it never overlaps "obd\x00…" or
// "obq\x00". A pending item is found by (appKey, id) and a dead one by id
// alone, which is all the admin API has (SPEC §8).
var (
	pfxOutbox     = []byte("ob\x00")
	pfxOutboxDead = []byte("obd\x00")
	keyOutboxCeil = []byte("obq\x00")
)

// ErrOutboxNotFound: no dead item with that id (Redrive).
var ErrOutboxNotFound = errors.New("outbox item not found")

// outboxIDBlock is how many ids one synced write of obq reserves. A restart
// skips the rest of the block, so ids are never reused even though the
// items holding them are deleted once delivered.
const outboxIDBlock = 1 << 20

func idBytes(id uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], id)
	return b[:]
}

func outboxPrefix(app string) []byte { return join(pfxOutbox, app, "") }

func outboxKey(app string, id uint64) []byte {
	return appendOutboxKey(make([]byte, 0, len(pfxOutbox)+len(app)+1+8), app, id)
}

// appendOutboxKey appends the pending key of (app, id) to b: outboxPrefix
// and the id, without allocating.
func appendOutboxKey(b []byte, app string, id uint64) []byte {
	b = append(append(append(b, pfxOutbox...), app...), sep)
	return binary.BigEndian.AppendUint64(b, id)
}

func deadKey(id uint64) []byte { return append(append([]byte{}, pfxOutboxDead...), idBytes(id)...) }

// isOutboxKey reports whether k belongs to an outbox family (for
// CheckIndexes, which knows every family of the store).
func isOutboxKey(k []byte) bool {
	return bytes.HasPrefix(k, pfxOutbox) || bytes.HasPrefix(k, pfxOutboxDead) || bytes.Equal(k, keyOutboxCeil)
}

// splitOutboxKey parses a pending key into its app and id.
func splitOutboxKey(k []byte) (string, uint64, bool) {
	id, ok := outboxKeyID(k)
	if !ok {
		return "", 0, false
	}
	return string(k[len(pfxOutbox) : len(k)-9]), id, true
}

// outboxKeyID is the id of a pending key: splitOutboxKey without the app,
// which it would copy.
func outboxKeyID(k []byte) (uint64, bool) {
	rest, ok := bytes.CutPrefix(k, pfxOutbox)
	if !ok || len(rest) < 10 || rest[len(rest)-9] != sep {
		return 0, false
	}
	return binary.BigEndian.Uint64(rest[len(rest)-8:]), true
}

var _ cdr.OutboxStore = (*Outbox)(nil)

// Outbox is the durable queue of events and CDRs waiting for delivery
// (SPEC §6, §7), kept in the Store's Pebble directory. Every mutation is one
// batch committed with Sync before the method returns. It takes no store
// writer mutex: outbox keys touch no other family, and concurrent calls
// share Pebble's group commit.
//
// Exactly one Outbox may be open on a Store: it owns the id sequence.
type Outbox struct {
	s *Store

	mu   sync.Mutex
	cond *sync.Cond
	next uint64 // next id to assign
	ceil uint64 // highest id reserved on disk
	// inflight holds the reservations (first → last id) whose batch is
	// being committed. Ids commit out of order, so Pending only shows ids
	// up to visible: every id ≤ visible is committed or abandoned. A reader
	// that loaded up to some id can then never miss a lower one later.
	inflight map[uint64]uint64
	visible  uint64

	redrive sync.Mutex // one Redrive at a time: a dead item goes back once

	// scratch holds the *enqueueScratch of enqueue calls, so that an item
	// costs no allocation of its own for its key, its value and its stamped
	// copy.
	scratch sync.Pool

	mem outboxMem // depth and recent items (outbox_mem.go)
}

// OpenOutbox opens the outbox of s, reserving a fresh block of ids.
func OpenOutbox(s *Store) (*Outbox, error) {
	o := &Outbox{s: s, inflight: map[uint64]uint64{}}
	o.cond = sync.NewCond(&o.mu)
	err := s.read(func() error {
		v, _, err := get(s.db, keyOutboxCeil)
		if err != nil {
			return err
		}
		o.next = decodeCount(v) + 1
		o.visible = o.next - 1
		return o.raiseCeil(o.next)
	})
	if err != nil {
		return nil, fmt.Errorf("open outbox: %w", err)
	}
	o.mem.init(o.next) // every stored item has a lower id
	pending, dead, err := o.countDepth()
	if err != nil {
		return nil, fmt.Errorf("open outbox: count: %w", err)
	}
	o.mem.pending.Store(int64(pending))
	o.mem.dead.Store(int64(dead))
	return o, nil
}

// raiseCeil persists a ceiling a block above atLeast. It runs under o.mu
// (or before o is shared) and the store's close guard.
func (o *Outbox) raiseCeil(atLeast uint64) error {
	ceil := atLeast + outboxIDBlock - 1
	if err := o.s.db.Set(keyOutboxCeil, encodeCount(ceil), pebble.Sync); err != nil {
		return fmt.Errorf("reserve outbox ids: %w", err)
	}
	o.ceil = ceil
	return nil
}

// reserve assigns n ≥ 1 ids and marks them in flight.
func (o *Outbox) reserve(n int) (uint64, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	first, last := o.next, o.next+uint64(n)-1
	if last > o.ceil {
		if err := o.s.read(func() error { return o.raiseCeil(last) }); err != nil {
			return 0, err
		}
	}
	o.next = last + 1
	o.inflight[first] = last
	return first, nil
}

// release ends the reservation starting at first (committed or not) and
// advances visible.
func (o *Outbox) release(first uint64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.inflight, first)
	low := o.next
	for f := range o.inflight {
		low = min(low, f)
	}
	o.visible = low - 1
	o.cond.Broadcast()
}

// waitVisible returns once every id ≤ last is committed or abandoned, so
// that a caller that notifies a reader after Enqueue never notifies early.
func (o *Outbox) waitVisible(last uint64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for o.visible < last {
		o.cond.Wait()
	}
}

func (o *Outbox) visibleID() uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.visible
}

func checkItem(it cdr.OutboxItem) error {
	if err := checkAppKey(it.AppKey); err != nil {
		return err
	}
	if it.Kind == "" {
		return fmt.Errorf("%w: kind", ErrInvalidArgument)
	}
	if len(it.Payload) == 0 {
		return fmt.Errorf("%w: payload", ErrInvalidArgument)
	}
	return nil
}

// Enqueue stores items as pending in one synced batch, with ids assigned in
// argument order, and returns the ids. Created is set from the store clock
// when zero. When it returns, Pending sees the items.
func (o *Outbox) Enqueue(items ...cdr.OutboxItem) ([]uint64, error) {
	return o.enqueue(nil, items)
}

// EnqueueWithCDR stores rec as the local CDR copy (as PutCDR does) together
// with items, in one synced batch: the record is either kept and queued, or
// neither (SPEC §6.2, §7). items may be empty (a CDR no app receives). The
// same batch deletes the call's persisted state, if it was answered
// (calls.go).
func (o *Outbox) EnqueueWithCDR(rec cdr.Record, items ...cdr.OutboxItem) ([]uint64, error) {
	if rec.ICID == "" {
		return nil, fmt.Errorf("%w: icid", ErrInvalidArgument)
	}
	return o.enqueue(&rec, items)
}

func (o *Outbox) enqueue(rec *cdr.Record, items []cdr.OutboxItem) ([]uint64, error) {
	for _, it := range items {
		if err := checkItem(it); err != nil {
			return nil, err
		}
	}
	if rec == nil && len(items) == 0 {
		return nil, nil
	}
	now := o.s.now()
	sc := o.getScratch()
	defer o.putScratch(sc)
	stored := slices.Grow(sc.stored[:0], len(items))[:len(items)] // copied by memory, then cleared
	sc.stored = stored
	var ids []uint64
	if len(items) > 0 {
		first, err := o.reserve(len(items))
		if err != nil {
			return nil, err
		}
		defer o.release(first) // also when the commit fails: ids abandoned
		ids = make([]uint64, len(items))
		for i, it := range items {
			ids[i] = first + uint64(i)
			it.ID = ids[i]
			if it.Created.IsZero() {
				it.Created = now.UTC()
			}
			stored[i] = it
		}
	}
	buf := &sc.buf
	err := o.commit(func(b *pebble.Batch) error {
		if rec != nil {
			// json.Marshal(rec)'s bytes (cdr/json.go), as PutCDR stores it.
			*buf = rec.AppendJSON((*buf)[:0])
			if err := b.Set(cdrKey(now, rec.ICID), *buf, nil); err != nil {
				return fmt.Errorf("batch set: %w", err)
			}
			if err := forgetCall(b, rec); err != nil { // calls.go
				return err
			}
		}
		for _, it := range stored {
			kv := appendOutboxKey((*buf)[:0], it.AppKey, it.ID)
			k := len(kv)
			kv, err := appendItem(kv, it)
			*buf = kv
			if err != nil {
				return fmt.Errorf("encode outbox item: %w", err)
			}
			if err := b.Set(kv[:k], kv[k:], nil); err != nil { // Set copies them
				return fmt.Errorf("batch set: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		o.mem.lose(stored) // most likely not stored, but memory cannot tell
		return nil, err
	}
	if len(ids) > 0 {
		o.mem.pending.Add(int64(len(ids)))
		o.mem.remember(stored) // before they are visible: Pending finds them here
		o.release(ids[0])      // the deferred release then finds nothing to do
		o.waitVisible(ids[len(ids)-1])
	}
	return ids, nil
}

// enqueueScratch is what enqueue reuses from one call to the next.
type enqueueScratch struct {
	buf    []byte           // each key and value, before the batch copies them
	stored []cdr.OutboxItem // the items as stored, until memory has copied them
}

func (o *Outbox) getScratch() *enqueueScratch {
	if sc, ok := o.scratch.Get().(*enqueueScratch); ok {
		return sc
	}
	return &enqueueScratch{}
}

// putScratch gives sc back, holding no payload.
func (o *Outbox) putScratch(sc *enqueueScratch) {
	clear(sc.stored)
	o.scratch.Put(sc)
}

// PendingApps lists, in key order, the apps that have pending items. It
// reads one key per app, skipping over each app's queue.
func (o *Outbox) PendingApps() ([]string, error) {
	var apps []string
	err := o.s.read(func() error {
		it, err := o.s.db.NewIter(&pebble.IterOptions{LowerBound: pfxOutbox, UpperBound: prefixEnd(pfxOutbox)})
		if err != nil {
			return fmt.Errorf("iter: %w", err)
		}
		for ok := it.First(); ok; {
			app, _, good := splitOutboxKey(it.Key())
			if !good {
				_ = it.Close()
				return fmt.Errorf("%w: bad outbox key %s", ErrInconsistent, safeKey(it.Key()))
			}
			apps = append(apps, app)
			ok = it.SeekGE(prefixEnd(outboxPrefix(app)))
		}
		return it.Close()
	})
	return apps, err
}

// Pending returns up to limit (at least 1) pending items of appKey with an
// id above afterID, in id order. It answers from memory when memory holds
// every such item (outbox_mem.go), else it reads the store.
func (o *Outbox) Pending(appKey string, afterID uint64, limit int) ([]cdr.OutboxItem, error) {
	return o.AppendPending(nil, appKey, afterID, limit)
}

// AppendPending is Pending appending the items to dst, so that a worker
// loads them straight into its queue instead of into a slice it then
// copies. It returns dst as given when it fails.
func (o *Outbox) AppendPending(dst []cdr.OutboxItem, appKey string, afterID uint64, limit int) ([]cdr.OutboxItem, error) {
	limit = max(limit, 1)
	vis := o.visibleID()
	if afterID >= vis || afterID == math.MaxUint64 {
		return dst, nil
	}
	if out, ok := o.mem.pendingFrom(dst, appKey, afterID, vis, limit); ok {
		return out, nil
	}
	return o.pendingStored(dst, appKey, afterID, vis, limit)
}

// pendingStored is AppendPending read from the store, in (afterID, vis].
// An item still in memory is taken from there rather than decoded.
func (o *Outbox) pendingStored(dst []cdr.OutboxItem, appKey string, afterID, vis uint64, limit int) ([]cdr.OutboxItem, error) {
	lo, hi := outboxKey(appKey, afterID+1), outboxKey(appKey, vis+1)
	out, n := dst, len(dst)
	err := o.s.read(func() error {
		return scanRange(o.s.db, lo, hi, func(k, v []byte) error {
			if id, ok := outboxKeyID(k); ok {
				if it, ok := o.mem.recall(id); ok {
					out = append(out, it)
					if len(out)-n >= limit {
						return errStop
					}
					return nil
				}
			}
			var it cdr.OutboxItem
			if err := json.Unmarshal(v, &it); err != nil {
				return fmt.Errorf("decode %s: %w", safeKey(k), err)
			}
			out = append(out, it)
			if len(out)-n >= limit {
				return errStop
			}
			return nil
		})
	})
	if err != nil && !errors.Is(err, errStop) {
		clear(out[n:]) // what was appended holds no payload
		return dst, err
	}
	return out, nil
}

// commit runs fill on a fresh batch and commits it with Sync.
func (o *Outbox) commit(fill func(b *pebble.Batch) error) error {
	return o.s.read(func() error {
		b := o.s.db.NewBatch()
		defer b.Close()
		if err := fill(b); err != nil {
			return err
		}
		if b.Empty() {
			return nil
		}
		if err := b.Commit(pebble.Sync); err != nil {
			return fmt.Errorf("outbox commit: %w", err)
		}
		return nil
	})
}

// MarkDelivered deletes the delivered items of appKey in one synced batch.
// Unknown ids are ignored. The depth counts only the items that were there:
// those memory holds are (outbox_mem.go); the others are looked up.
//
// An item memory holds was written once, at its Enqueue, so it is removed
// with a SingleDelete: when the two meet in a flush or compaction Pebble
// drops both, where a Delete's tombstone would be flushed and compacted down
// the levels. An outbox item lives milliseconds, so its set and its removal
// nearly always meet in the memtable, and the outbox then leaves nothing on
// disk (at 1800 calls/s it removes ~11,000 items a second). SingleDelete is
// only defined for a key set once since it was last deleted; outbox ids are
// never reused, and memory drops an entry before any rewrite (MarkFailed,
// MoveToDead), so an entry vouches for it. Other ids get a Delete.
func (o *Outbox) MarkDelivered(appKey string, ids ...uint64) error {
	ids = distinct(ids)
	known, rest := o.mem.take(appKey, ids)
	gone := len(known)
	err := o.commit(func(b *pebble.Batch) error {
		keys := make([][]byte, len(rest))
		for i, id := range rest {
			keys[i] = outboxKey(appKey, id)
		}
		had, err := o.present(keys)
		if err != nil {
			return err
		}
		gone += had
		for _, id := range known {
			if err := b.SingleDelete(outboxKey(appKey, id), nil); err != nil {
				return fmt.Errorf("batch single delete: %w", err)
			}
		}
		for _, k := range keys {
			if err := b.Delete(k, nil); err != nil {
				return fmt.Errorf("batch delete: %w", err)
			}
		}
		return nil
	})
	if err == nil {
		o.mem.pending.Add(-int64(gone))
	}
	return err
}

// MarkFailed rewrites pending items (their attempts, next attempt, first
// failure and last error) in one synced batch.
func (o *Outbox) MarkFailed(items ...cdr.OutboxItem) error {
	o.mem.forgetItems(items)
	added := 0
	err := o.commit(func(b *pebble.Batch) error {
		keys := make([][]byte, len(items))
		for i, it := range items {
			keys[i] = outboxKey(it.AppKey, it.ID)
		}
		had, err := o.present(keys)
		if err != nil {
			return err
		}
		added = len(keys) - had
		for _, it := range items {
			data, err := encodeItem(it)
			if err != nil {
				return fmt.Errorf("encode outbox item: %w", err)
			}
			if err := b.Set(outboxKey(it.AppKey, it.ID), data, nil); err != nil {
				return fmt.Errorf("batch set: %w", err)
			}
		}
		return nil
	})
	if err == nil {
		o.mem.pending.Add(int64(added))
	}
	return err
}

// encodeItem is the stored form of an item: the JSON json.Marshal(it) would
// write, written by hand. json.Marshal compacts the payload, a
// json.RawMessage the caller built with json.Marshal already, in a second
// pass (appendCompact, 1.5–3 % of the daemon's CPU at 1000 calls/s); here it
// is only validated. The bytes decode with json.Unmarshal into the same
// item; they differ from json.Marshal's only in keeping the payload as given
// (not compacted; <, >, & not escaped). What it does not handle — a payload
// that is not JSON, a string that needs escaping, a time JSON cannot hold —
// goes to json.Marshal, which writes it or fails as before.
func encodeItem(it cdr.OutboxItem) ([]byte, error) {
	return appendItem(make([]byte, 0, 200+len(it.AppKey)+len(it.SessionID)+len(it.Payload)+len(it.LastError)), it)
}

// appendItem appends encodeItem's bytes to b.
func appendItem(b []byte, it cdr.OutboxItem) ([]byte, error) {
	if !plainJSON(it.AppKey) || !plainJSON(it.Kind) || !plainJSON(it.SessionID) || !plainJSON(it.LastError) ||
		!json.Valid(it.Payload) {
		return appendMarshal(b, it)
	}
	start := len(b)
	b = strconv.AppendUint(append(b, `{"id":`...), it.ID, 10)
	b = append(append(b, `,"appKey":"`...), it.AppKey...)
	b = append(append(b, `","kind":"`...), it.Kind...)
	b = append(append(b, `","sessionId":"`...), it.SessionID...)
	b = append(append(b, `","payload":`...), it.Payload...)
	b, err := appendJSONTime(append(b, `,"created":`...), it.Created)
	if err == nil {
		b = strconv.AppendInt(append(b, `,"attempts":`...), int64(it.Attempts), 10)
		b, err = appendJSONTime(append(b, `,"nextAttempt":`...), it.NextAttempt)
	}
	if err == nil {
		b, err = appendJSONTime(append(b, `,"firstFailure":`...), it.FirstFailure)
	}
	if err != nil {
		return appendMarshal(b[:start], it)
	}
	if it.LastError != "" {
		b = append(append(append(b, `,"lastError":"`...), it.LastError...), '"')
	}
	return append(b, '}'), nil
}

// appendMarshal appends json.Marshal(it) to b, or fails as it does.
func appendMarshal(b []byte, it cdr.OutboxItem) ([]byte, error) {
	data, err := json.Marshal(it)
	if err != nil {
		return b, err
	}
	return append(b, data...), nil
}

// appendJSONTime appends t as time.Time.MarshalJSON writes it.
func appendJSONTime(b []byte, t time.Time) ([]byte, error) {
	b, err := t.AppendText(append(b, '"'))
	return append(b, '"'), err
}

// plainJSON reports whether s is printable ASCII that JSON writes as is
// (json.Marshal escapes ", \, <, > and &).
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c > 0x7e, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}
