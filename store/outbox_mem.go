package store

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

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

// outboxMemMax bounds the items kept in memory (about 1 KiB each). Past it
// new items are read back from the store, as they always were.
const outboxMemMax = 20000

// outboxMem is the Outbox's in-memory side.
type outboxMem struct {
	pending, dead atomic.Int64

	mu    sync.Mutex
	items map[uint64]cdr.OutboxItem
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

func (m *outboxMem) remember(items []cdr.OutboxItem) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, it := range items {
		if len(m.items) >= outboxMemMax {
			return
		}
		m.items[it.ID] = it
	}
}

func (m *outboxMem) recall(id uint64) (cdr.OutboxItem, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := m.items[id]
	return it, ok
}

func (m *outboxMem) forget(ids ...uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range ids {
		delete(m.items, id)
	}
}

func (m *outboxMem) forgetItems(items []cdr.OutboxItem) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, it := range items {
		delete(m.items, it.ID)
	}
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
