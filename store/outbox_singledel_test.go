package store

import (
	"testing"

	"github.com/cockroachdb/pebble/v2"

	"github.com/xnum/xnum/cdr"
)

// deletionsOnDisk sums the deletion tombstones (Delete and SingleDelete)
// in every sstable of s, after flushing the memtable.
func deletionsOnDisk(t *testing.T, s *Store) uint64 {
	t.Helper()
	if err := s.db.Flush(); err != nil {
		t.Fatalf("flush: %v", err)
	}
	levels, err := s.db.SSTables(pebble.WithProperties())
	if err != nil {
		t.Fatalf("sstables: %v", err)
	}
	var n uint64
	for _, level := range levels {
		for _, tbl := range level {
			n += tbl.Properties.NumDeletions
		}
	}
	return n
}

// TestOutboxDeliveredLeaveNoTombstones: items delivered while memory holds
// them are removed by SingleDelete, which a flush drops together with the
// item's set, so nothing of them reaches the disk; with a Delete every item
// left a tombstone in the flushed table. An item rewritten by MarkFailed is
// no longer vouched for by memory and gets a Delete (a SingleDelete over
// two sets would uncover the older one): it is still gone after its delivery.
func TestOutboxDeliveredLeaveNoTombstones(t *testing.T) {
	s, _ := openTest(t, Options{})
	o := openOutbox(t, s)
	const n = 2000
	items := make([]cdr.OutboxItem, n)
	for i := range items {
		items[i] = obItem("a", "", i)
	}
	ids := mustEnqueue(t, o, items...)
	for len(ids) > 0 {
		k := min(len(ids), 128)
		if err := o.MarkDelivered("a", ids[:k]...); err != nil {
			t.Fatalf("MarkDelivered: %v", err)
		}
		ids = ids[k:]
	}
	if got := pendingIDs(t, o, "a"); len(got) != 0 {
		t.Fatalf("%d items still pending after delivery", len(got))
	}
	if d := deletionsOnDisk(t, s); d != 0 {
		t.Errorf("%d deletion tombstones on disk after %d items were enqueued and delivered, want 0", d, n)
	}

	// Rewritten, then delivered: a Delete, and the item stays gone.
	id := mustEnqueue(t, o, obItem("a", "", n))[0]
	failed := pendingItem(t, o, "a", id)
	failed.Attempts, failed.LastError = 1, "http status 500"
	if err := o.MarkFailed(failed); err != nil {
		t.Fatalf("MarkFailed: %v", err)
	}
	if err := o.MarkDelivered("a", id); err != nil {
		t.Fatalf("MarkDelivered: %v", err)
	}
	if err := s.db.Flush(); err != nil {
		t.Fatalf("flush: %v", err)
	}
	if got := pendingIDs(t, o, "a"); len(got) != 0 {
		t.Errorf("rewritten item %d pending again after its delivery: %v", id, got)
	}
	if p, _, _ := o.Depth(); p != 0 {
		t.Errorf("depth %d after every item was delivered", p)
	}
}

// pendingItem returns the pending item id of app.
func pendingItem(t *testing.T, o *Outbox, app string, id uint64) cdr.OutboxItem {
	t.Helper()
	items, err := o.Pending(app, 0, 1<<20)
	if err != nil {
		t.Fatalf("Pending: %v", err)
	}
	for _, it := range items {
		if it.ID == id {
			return it
		}
	}
	t.Fatalf("item %d not pending", id)
	return cdr.OutboxItem{}
}
