package store

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/xnum/xnum/cdr"
)

// TestOutboxDepthCounted: Depth is kept by counting, not by scanning at each
// call; after every kind of mutation — enqueue with and without a CDR,
// deliveries (an unknown id among them), a retry, dead letters, a redrive —
// and after a restart it equals what a scan of the store finds.
func TestOutboxDepthCounted(t *testing.T) {
	dir := t.TempDir()
	s, _ := openDir(t, dir, Options{})
	o := openOutbox(t, s)
	check := func(step string, wantPending, wantDead int) {
		t.Helper()
		p, d, err := o.Depth()
		sp, sd, serr := o.countDepth()
		if err != nil || serr != nil || p != sp || d != sd || p != wantPending || d != wantDead {
			t.Fatalf("%s: Depth %d/%d %v, store holds %d/%d %v, want %d/%d", step, p, d, err, sp, sd, serr, wantPending, wantDead)
		}
	}
	check("empty", 0, 0)
	ids := mustEnqueue(t, o, obItem("a", "s1", 1), obItem("a", "s2", 2), obItem("a", "s3", 3), obItem("b", "s4", 4), obItem("b", "s5", 5))
	if _, err := o.EnqueueWithCDR(cdr.Record{ICID: "icid-1", SessionID: "s6"}, obItem("b", "s6", 6)); err != nil {
		t.Fatal(err)
	}
	if _, err := o.EnqueueWithCDR(cdr.Record{ICID: "icid-2", SessionID: "s7"}); err != nil {
		t.Fatal(err)
	}
	check("enqueued", 6, 0)
	if err := o.MarkDelivered("a", ids[0], ids[0]+1<<40); err != nil { // the second id was never queued
		t.Fatal(err)
	}
	if err := o.MarkDelivered("b", ids[1]); err != nil { // an id of another app: not b's
		t.Fatal(err)
	}
	check("delivered", 5, 0)
	items, err := o.Pending("a", 0, 10)
	if err != nil || len(items) != 2 {
		t.Fatalf("pending of a: %v %v", items, err)
	}
	items[0].Attempts, items[0].NextAttempt = 1, time.Now().Add(time.Minute)
	if err := o.MarkFailed(items[0]); err != nil {
		t.Fatal(err)
	}
	check("retry", 5, 0)
	if err := o.MoveToDead(items...); err != nil {
		t.Fatal(err)
	}
	check("dead", 3, 2)
	if err := o.MoveToDead(items[0]); err != nil { // already dead: no change
		t.Fatal(err)
	}
	check("dead again", 3, 2)
	if _, err := o.Redrive(items[1].ID); err != nil {
		t.Fatal(err)
	}
	check("redriven", 4, 1)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, _ = openDir(t, dir, Options{})
	o = openOutbox(t, s)
	check("after restart", 4, 1)
}

// TestOutboxPendingFromMemory: an item just enqueued comes back from memory
// equal to what the store holds; once changed (retry) it comes from the
// store, as changed.
func TestOutboxPendingFromMemory(t *testing.T) {
	s, _ := openDir(t, t.TempDir(), Options{})
	o := openOutbox(t, s)
	ids := mustEnqueue(t, o, obItem("a", "s1", 1), obItem("a", "s2", 2))
	if _, ok := o.mem.recall(ids[0]); !ok {
		t.Fatal("an item just enqueued is not in memory")
	}
	fromMem, err := o.Pending("a", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var fromStore []cdr.OutboxItem
	err = s.read(func() error {
		return scan(s.db, outboxPrefix("a"), func(_, v []byte) error {
			var it cdr.OutboxItem
			err := json.Unmarshal(v, &it)
			fromStore = append(fromStore, it)
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(fromMem) != 2 || len(fromStore) != 2 {
		t.Fatalf("pending %d, stored %d", len(fromMem), len(fromStore))
	}
	for i := range fromMem {
		a, _ := json.Marshal(fromMem[i])
		b, _ := json.Marshal(fromStore[i])
		if string(a) != string(b) {
			t.Fatalf("from memory %s\nin the store %s", a, b)
		}
	}
	retry := fromMem[0]
	retry.Attempts, retry.LastError = 1, "http status 503"
	if err := o.MarkFailed(retry); err != nil {
		t.Fatal(err)
	}
	if _, ok := o.mem.recall(retry.ID); ok {
		t.Fatal("a changed item is still in memory")
	}
	got, err := o.Pending("a", 0, 10)
	if err != nil || len(got) != 2 || got[0].Attempts != 1 || got[0].LastError != "http status 503" {
		t.Fatalf("after the retry: %+v %v", got, err)
	}
	if err := o.MarkDelivered("a", ids...); err != nil {
		t.Fatal(err)
	}
	if got := pendingIDs(t, o, "a"); !slices.Equal(got, nil) {
		t.Fatalf("after delivery: %v", got)
	}
	if _, ok := o.mem.recall(ids[1]); ok {
		t.Fatal("a delivered item is still in memory")
	}
}
