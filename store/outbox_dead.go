package store

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/xnum/xnum/cdr"
)

// Dead letters of the outbox (SPEC §6.2: "parked as dead (listed and
// re-drivable through the admin API)") and its depth.

// MoveToDead moves pending items to the dead letters in one synced batch,
// storing them as given.
func (o *Outbox) MoveToDead(items ...cdr.OutboxItem) error {
	o.mem.forgetItems(items)
	var left, parked int
	err := o.commit(func(b *pebble.Batch) error {
		pk, dk := make([][]byte, len(items)), make([][]byte, len(items))
		for i, it := range items {
			pk[i], dk[i] = outboxKey(it.AppKey, it.ID), deadKey(it.ID)
		}
		var err error
		if left, err = o.present(pk); err != nil {
			return err
		}
		had, err := o.present(dk)
		if err != nil {
			return err
		}
		parked = len(dk) - had
		for _, it := range items {
			data, err := encodeItem(it)
			if err != nil {
				return fmt.Errorf("encode outbox item: %w", err)
			}
			if err := b.Delete(outboxKey(it.AppKey, it.ID), nil); err != nil {
				return fmt.Errorf("batch delete: %w", err)
			}
			if err := b.Set(deadKey(it.ID), data, nil); err != nil {
				return fmt.Errorf("batch set: %w", err)
			}
		}
		return nil
	})
	if err == nil {
		o.mem.pending.Add(-int64(left))
		o.mem.dead.Add(int64(parked))
	}
	return err
}

// ListDead returns one page of dead items, oldest first, of appKey ("" for
// every app), and how many there are. Paging is that of the CDR query:
// pageIndex from 1, pageSize DefaultPageSize when < 1, at most MaxPageSize.
func (o *Outbox) ListDead(appKey string, pageIndex, pageSize int) ([]cdr.OutboxItem, int, error) {
	first, last := pageBounds(math.MaxInt, pageIndex, pageSize)
	var page []cdr.OutboxItem
	total := 0
	err := o.s.read(func() error {
		return scan(o.s.db, pfxOutboxDead, func(k, v []byte) error {
			var it cdr.OutboxItem
			if err := json.Unmarshal(v, &it); err != nil {
				return fmt.Errorf("decode %s: %w", safeKey(k), err)
			}
			if appKey != "" && it.AppKey != appKey {
				return nil
			}
			if total >= first && total < last {
				page = append(page, it)
			}
			total++
			return nil
		})
	})
	if err != nil {
		return nil, 0, err
	}
	return page, total, nil
}

// Redrive makes the dead item id pending again in one synced batch: due
// now, attempts and first failure cleared (a fresh retry schedule), under a
// new id at the end of its app's queue. It returns the item as re-enqueued;
// ErrOutboxNotFound when no dead item has that id.
func (o *Outbox) Redrive(id uint64) (cdr.OutboxItem, error) {
	o.redrive.Lock()
	defer o.redrive.Unlock()
	var it cdr.OutboxItem
	err := o.s.read(func() error {
		ok, err := getJSON(o.s.db, deadKey(id), &it)
		if err == nil && !ok {
			err = fmt.Errorf("%w: %d", ErrOutboxNotFound, id)
		}
		return err
	})
	if err != nil {
		return cdr.OutboxItem{}, err
	}
	newID, err := o.reserve(1)
	if err != nil {
		return cdr.OutboxItem{}, err
	}
	defer o.release(newID)
	it.ID, it.Attempts, it.LastError = newID, 0, ""
	it.NextAttempt, it.FirstFailure = time.Time{}, time.Time{}
	data, err := encodeItem(it)
	if err != nil {
		return cdr.OutboxItem{}, fmt.Errorf("encode outbox item: %w", err)
	}
	err = o.commit(func(b *pebble.Batch) error {
		if err := b.Delete(deadKey(id), nil); err != nil {
			return fmt.Errorf("batch delete: %w", err)
		}
		if err := b.Set(outboxKey(it.AppKey, newID), data, nil); err != nil {
			return fmt.Errorf("batch set: %w", err)
		}
		return nil
	})
	if err != nil {
		o.mem.lose([]cdr.OutboxItem{it})
		return cdr.OutboxItem{}, err
	}
	o.mem.dead.Add(-1)
	o.mem.pending.Add(1)
	o.mem.remember([]cdr.OutboxItem{it})
	o.release(newID)
	o.waitVisible(newID)
	return it, nil
}
