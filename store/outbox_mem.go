package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/xnum/xnum/cdr"
)

// What the Outbox keeps in memory besides the store, both for speed
// (docs/EVENTS.md "Speed"):
//
//   - the depth, pending and dead, counted once when the outbox opens and
//     then kept by each mutation after its commit, so that a /metrics
//     scrape does not read every pending key (at a backlog of 300,000 items
//     it did, every few seconds);
//   - the items enqueued since, up to outboxMemMax, so that Pending hands
//     the worker what was just written without decoding it again. An entry
//     is dropped before any write that changes or removes its item, so a
//     reader finds either the entry or the store's value, never a stale
//     entry.
//   - per app, the id from which memory holds every pending item of the app
//     (appMem.from), so that Pending answers from memory, without reading
//     the store, when the range asked for lies above it. See outboxMem.
//
// Memory never decides what is stored: every write goes to the store first
// (synced), and whenever memory could miss a stored item, Pending reads the
// store as it always did.

// outboxMemMax bounds the items kept in memory (a memItem and its payload,
// ~0.5 KiB each: ≤ ~50 MiB, and only while a backlog lasts). Past it new
// items are read back from the store, as they always were — and that path
// costs more per item (a scan and a JSON decode each, a Get each to settle),
// so a backlog that crosses the bound feeds itself. At 1400 AXB calls/s
// (8,400 items a second) a GC cycle marking sipgo's ~650 MB of transaction
// state stalls delivery for 2–5 s and leaves 15–40k items behind; at the
// old bound of 20,000 such a spike tipped the worker onto the store path,
// where it fell further behind (a profile with 160k pending: store reads
// 7.8 % of xnum's CPU), instead of draining in seconds.
const outboxMemMax = 100000

// outboxMem is the Outbox's in-memory side.
//
// Its invariant, under mu, for every app A: every item of A that is pending
// in the store with an id ≥ max(floor, apps[A].from) and ≤ the outbox's
// visible id is in items. Conversely every entry of items is pending in the
// store as it is (entries are dropped before a write changes the item). So
// for afterID+1 ≥ that bound, the items of A in memory in (afterID, visible]
// are exactly A's pending items there. What keeps it:
//
//   - floor is the first id of this run: items stored before the outbox
//     opened are only on disk;
//   - an item is committed, then remembered (or, memory being full or the
//     item having retry fields (memItem), its app's from is raised above
//     it), and only then made visible;
//   - an entry dropped before its item is rewritten (MarkFailed), moved
//     (MoveToDead) or deleted (MarkDelivered) raises from above it, since
//     the store may keep it (a rewrite; a failed commit);
//   - a failed Enqueue or Redrive raises from above the ids it abandoned.
//
// from only rises, which is conservative: a reader asking below it (a worker
// starting over after a failed write, or just after a restart) reads the
// store. A worker that keeps up asks above every id it has settled, so it
// stays on the memory side.
type outboxMem struct {
	pending, dead atomic.Int64

	mu    sync.Mutex
	max   int // outboxMemMax; lowered by tests
	items map[uint64]memItem
	apps  map[string]*appMem
	floor uint64
}

// memItem is an item as memory keeps it: an item as enqueued (or
// redriven), whose retry fields are all zero, so only the others are kept.
// It is small enough for the map to hold it in place; an OutboxItem is not,
// and cost an allocation an entry. An item whose retry fields are set is
// not kept (remember).
type memItem struct {
	appKey, kind, sessionID string
	payload                 json.RawMessage
	created                 time.Time
}

// toMem returns the memItem of it, or ok=false when it has retry fields
// set.
func toMem(it cdr.OutboxItem) (memItem, bool) {
	if it.Attempts != 0 || it.NextAttempt != (time.Time{}) || it.FirstFailure != (time.Time{}) || it.LastError != "" {
		return memItem{}, false
	}
	return memItem{appKey: it.AppKey, kind: it.Kind, sessionID: it.SessionID, payload: it.Payload, created: it.Created}, true
}

// item is the OutboxItem e was made from, with id.
func (e *memItem) item(id uint64) cdr.OutboxItem {
	return cdr.OutboxItem{ID: id, AppKey: e.appKey, Kind: e.kind, SessionID: e.sessionID, Payload: e.payload, Created: e.created}
}

// appMem is what memory knows of one app's items.
type appMem struct {
	// ids of the app's entries in items, increasing. It may also hold ids
	// whose entry is gone; they are skipped when read, and compacted away
	// once they are the greater part (drop).
	ids  []uint64
	live int    // ids that have an entry
	from uint64 // see outboxMem
}

// init readies m for an outbox whose ids from floor on are all new.
func (m *outboxMem) init(floor uint64) {
	m.max, m.floor = outboxMemMax, floor
	m.items, m.apps = map[uint64]memItem{}, map[string]*appMem{}
}

// countDepth scans the store: every pending and every dead item.
func (o *Outbox) countDepth() (pending, dead int, err error) {
	err = o.s.read(func() error {
		if err := scan(o.s.db, pfxOutbox, func(_, _ []byte) error { pending++; return nil }); err != nil {
			return err
		}
		return scan(o.s.db, pfxOutboxDead, func(_, _ []byte) error { dead++; return nil })
	})
	return pending, dead, err
}

// Depth counts the pending and the dead items. It reads no key: the counts
// were taken when the outbox opened and are kept by every mutation.
func (o *Outbox) Depth() (pending, dead int, err error) {
	return int(o.mem.pending.Load()), int(o.mem.dead.Load()), nil
}

// app returns the memory of app, creating it. Under m.mu.
func (m *outboxMem) app(app string) *appMem {
	a := m.apps[app]
	if a == nil {
		a = &appMem{}
		m.apps[app] = a
	}
	return a
}

// remember keeps items just committed, before they become visible.
func (m *outboxMem) remember(items []cdr.OutboxItem) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, it := range items {
		a := m.app(it.AppKey)
		e, ok := toMem(it)
		if !ok || len(m.items) >= m.max {
			a.from = max(a.from, it.ID+1) // stored, not in memory
			continue
		}
		m.items[it.ID] = e
		a.live++
		i := len(a.ids) // ids come nearly in order: look from the end
		for i > 0 && a.ids[i-1] > it.ID {
			i--
		}
		a.ids = slices.Insert(a.ids, i, it.ID)
	}
}

// lose records that items may be in the store though not in memory (their
// commit failed, and might not have).
func (m *outboxMem) lose(items []cdr.OutboxItem) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, it := range items {
		a := m.app(it.AppKey)
		a.from = max(a.from, it.ID+1)
	}
}

func (m *outboxMem) recall(id uint64) (cdr.OutboxItem, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.items[id]
	if !ok {
		return cdr.OutboxItem{}, false
	}
	return e.item(id), true
}

// drop removes the entry of id (of app a) and raises a.from above it.
// Under m.mu.
func (m *outboxMem) drop(a *appMem, id uint64) {
	a.from = max(a.from, id+1)
	if _, ok := m.items[id]; !ok {
		return
	}
	delete(m.items, id)
	a.live--
	// a.ids is emptied or compacted in place, never resliced from the
	// front, so that it keeps its room: trimmed from the front it had to
	// grow again from nothing after every batch (most of remember's
	// allocations).
	switch {
	case a.live == 0:
		a.ids = a.ids[:0]
	case len(a.ids) > 2*a.live+64:
		a.ids = slices.DeleteFunc(a.ids, func(id uint64) bool { _, ok := m.items[id]; return !ok })
	}
}

// forgetItems drops the entries of items before a write changes or moves
// them.
func (m *outboxMem) forgetItems(items []cdr.OutboxItem) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, it := range items {
		if e, ok := m.items[it.ID]; ok && e.appKey != it.AppKey {
			m.drop(m.app(e.appKey), it.ID) // named under another app: drop it anyway
		}
		m.drop(m.app(it.AppKey), it.ID)
	}
}

// take drops the entries of app among ids (distinct), before they are
// deleted, and returns the ids it had — items certainly pending in the store,
// each written once (an entry is dropped before any rewrite) — and the other
// ids, which memory cannot vouch for.
func (m *outboxMem) take(app string, ids []uint64) (known, rest []uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a := m.app(app)
	for _, id := range ids {
		if e, ok := m.items[id]; ok && e.appKey == app {
			m.drop(a, id)
			known = append(known, id)
			continue
		}
		rest = append(rest, id)
	}
	return known, rest
}

// pendingFrom answers AppendPending from memory: it appends to dst up to
// limit items of app in (afterID, vis], in id order. ok is false when
// memory may miss some of them; the caller then reads the store.
func (m *outboxMem) pendingFrom(dst []cdr.OutboxItem, app string, afterID, vis uint64, limit int) (out []cdr.OutboxItem, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a := m.apps[app]
	from := m.floor
	if a != nil {
		from = max(from, a.from)
	}
	if afterID+1 < from {
		return dst, false
	}
	if a == nil {
		return dst, true // nothing of app since the outbox opened
	}
	i, _ := slices.BinarySearch(a.ids, afterID+1)
	j, found := slices.BinarySearch(a.ids, vis)
	if found {
		j++ // a.ids[i:j] are the ids in (afterID, vis]
	}
	if i == j {
		return dst, true
	}
	out = slices.Grow(dst, min(limit, j-i)) // at most one entry an id: grown once at most
	n := len(out)
	for _, id := range a.ids[i:j] {
		if len(out)-n >= limit {
			break
		}
		if e, ok := m.items[id]; ok {
			out = append(out, e.item(id))
		}
	}
	return out, true
}

// distinct returns ids without repeats (a copy, sorted, when it had any).
func distinct(ids []uint64) []uint64 {
	for i := 1; i < len(ids); i++ {
		if ids[i] <= ids[i-1] {
			return slices.Compact(slices.Sorted(slices.Values(ids)))
		}
	}
	return ids
}

// present counts the keys that exist, so that the depth stays exact even
// when a caller names an item that is gone. Called under the store's read
// guard.
func (o *Outbox) present(keys [][]byte) (int, error) {
	n := 0
	for _, k := range keys {
		_, closer, err := o.s.db.Get(k)
		if errors.Is(err, pebble.ErrNotFound) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("get: %w", err)
		}
		n++
		if err := closer.Close(); err != nil {
			return 0, fmt.Errorf("get: %w", err)
		}
	}
	return n, nil
}
