package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/xnum/xnum/cdr"
)

func openOutbox(t testing.TB, s *Store) *Outbox {
	t.Helper()
	o, err := OpenOutbox(s)
	if err != nil {
		t.Fatalf("OpenOutbox: %v", err)
	}
	return o
}

func obItem(app, session string, n int) cdr.OutboxItem {
	return cdr.OutboxItem{AppKey: app, Kind: cdr.KindEvent, SessionID: session,
		Payload: json.RawMessage(fmt.Sprintf(`{"n":%d}`, n))}
}

func mustEnqueue(t testing.TB, o *Outbox, items ...cdr.OutboxItem) []uint64 {
	t.Helper()
	ids, err := o.Enqueue(items...)
	if err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	if len(ids) != len(items) {
		t.Fatalf("Enqueue gave %d ids for %d items", len(ids), len(items))
	}
	return ids
}

func pendingIDs(t testing.TB, o *Outbox, app string) []uint64 {
	t.Helper()
	items, err := o.Pending(app, 0, 1<<20)
	if err != nil {
		t.Fatalf("Pending: %v", err)
	}
	var ids []uint64
	for _, it := range items {
		ids = append(ids, it.ID)
	}
	return ids
}

// TestOutboxOrder: each app's pending items come back in enqueue order,
// apart from the other apps', paged by afterID and limit.
func TestOutboxOrder(t *testing.T) {
	s, clk := openTest(t, Options{})
	o := openOutbox(t, s)
	var want = map[string][]uint64{}
	for i := range 10 {
		app := []string{"a", "b", "ab"}[i%3]
		ids := mustEnqueue(t, o, obItem(app, "s", i), obItem(app, "s", i+100))
		want[app] = append(want[app], ids...)
	}
	for app, ids := range want {
		if !slices.IsSorted(ids) {
			t.Fatalf("ids of %s not increasing: %v", app, ids)
		}
		if got := pendingIDs(t, o, app); !slices.Equal(got, ids) {
			t.Fatalf("Pending(%s) = %v, want %v", app, got, ids)
		}
	}
	apps, err := o.PendingApps()
	if err != nil || !slices.Equal(apps, []string{"a", "ab", "b"}) {
		t.Fatalf("PendingApps = %v, %v", apps, err)
	}
	page, err := o.Pending("a", want["a"][1], 2)
	if err != nil || len(page) != 2 || page[0].ID != want["a"][2] || page[1].ID != want["a"][3] {
		t.Fatalf("Pending after %d limit 2 = %+v, %v", want["a"][1], page, err)
	}
	it := page[0]
	if it.AppKey != "a" || it.Kind != cdr.KindEvent || it.SessionID != "s" || !it.Created.Equal(clk.Now()) ||
		string(it.Payload) != `{"n":3}` || it.Attempts != 0 || !it.NextAttempt.IsZero() {
		t.Fatalf("stored item %+v", it)
	}
}

func TestOutboxRefuses(t *testing.T) {
	s, _ := openTest(t, Options{})
	o := openOutbox(t, s)
	for _, bad := range []cdr.OutboxItem{
		{Kind: cdr.KindEvent, Payload: json.RawMessage(`{}`)},
		{AppKey: "a\x00b", Kind: cdr.KindEvent, Payload: json.RawMessage(`{}`)},
		{AppKey: "a", Payload: json.RawMessage(`{}`)},
		{AppKey: "a", Kind: cdr.KindFee},
	} {
		if _, err := o.Enqueue(obItem("a", "s", 1), bad); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("Enqueue(%+v) = %v", bad, err)
		}
	}
	if _, err := o.EnqueueWithCDR(cdr.Record{}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("EnqueueWithCDR without icid = %v", err)
	}
	if n, _, _ := o.Depth(); n != 0 {
		t.Fatalf("a refused batch left %d items", n)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Enqueue(obItem("a", "s", 1)); !errors.Is(err, ErrClosed) {
		t.Errorf("Enqueue after Close = %v", err)
	}
}

// TestOutboxWithCDR: the local CDR and its outbox item land together; a CDR
// for no app is only kept locally.
func TestOutboxWithCDR(t *testing.T) {
	s, _ := openTest(t, Options{})
	o := openOutbox(t, s)
	rec := cdr.Record{ICID: "i1", AppKey: "a", SessionID: "s1"}
	item, err := cdr.NewFeeItem("a", rec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.EnqueueWithCDR(rec, item); err != nil {
		t.Fatal(err)
	}
	if _, err := o.EnqueueWithCDR(cdr.Record{ICID: "i2", SessionID: "s2"}); err != nil {
		t.Fatal(err)
	}
	got, total, err := s.QueryCDRs(CDRFilter{})
	if err != nil || total != 2 {
		t.Fatalf("QueryCDRs = %d, %v", total, err)
	}
	if got[1] != rec {
		t.Fatalf("local copy %+v", got[1])
	}
	items, err := o.Pending("a", 0, 10)
	if err != nil || len(items) != 1 || items[0].Kind != cdr.KindFee || items[0].SessionID != "s1" {
		t.Fatalf("Pending = %+v, %v", items, err)
	}
	var back cdr.Record
	if err := json.Unmarshal(items[0].Payload, &back); err != nil || back != rec {
		t.Fatalf("payload %s", items[0].Payload)
	}
	if n, _, _ := o.Depth(); n != 1 {
		t.Fatalf("depth %d, want 1", n)
	}
}

// TestOutboxLifecycle: failed → rescheduled; dead → listed, paged,
// filtered; re-driven → pending again under a new id with a fresh schedule.
func TestOutboxLifecycle(t *testing.T) {
	s, clk := openTest(t, Options{})
	o := openOutbox(t, s)
	ids := mustEnqueue(t, o, obItem("a", "s1", 1), obItem("a", "s2", 2), obItem("b", "s3", 3), obItem("a", "s4", 4))
	items, _ := o.Pending("a", 0, 10)

	f := items[0]
	f.Attempts, f.FirstFailure, f.NextAttempt, f.LastError = 1, clk.Now(), clk.Now().Add(time.Minute), "http 500"
	if err := o.MarkFailed(f); err != nil {
		t.Fatal(err)
	}
	again, _ := o.Pending("a", 0, 1)
	if a := again[0]; a.Attempts != 1 || !a.NextAttempt.Equal(f.NextAttempt) || !a.FirstFailure.Equal(f.FirstFailure) ||
		a.LastError != "http 500" || string(a.Payload) != string(f.Payload) {
		t.Fatalf("after MarkFailed %+v", a)
	}

	if err := o.MarkDelivered("a", ids[1], 999999); err != nil {
		t.Fatal(err)
	}
	dead := []cdr.OutboxItem{f, items[2]} // ids[0] and ids[3]
	bItems, _ := o.Pending("b", 0, 10)
	if err := o.MoveToDead(append(dead, bItems[0])...); err != nil {
		t.Fatal(err)
	}
	if got := pendingIDs(t, o, "a"); len(got) != 0 {
		t.Fatalf("a still pending %v", got)
	}
	if apps, _ := o.PendingApps(); len(apps) != 0 {
		t.Fatalf("PendingApps = %v", apps)
	}
	if p, d, err := o.Depth(); p != 0 || d != 3 || err != nil {
		t.Fatalf("Depth = %d, %d, %v", p, d, err)
	}

	list, total, err := o.ListDead("", 1, 2)
	if err != nil || total != 3 || len(list) != 2 || list[0].ID != ids[0] || list[1].ID != ids[2] {
		t.Fatalf("ListDead page 1 = %+v, %d, %v", list, total, err)
	}
	if list[0].LastError != "http 500" || list[0].Attempts != 1 {
		t.Fatalf("dead item lost its history: %+v", list[0])
	}
	list, total, _ = o.ListDead("", 2, 2)
	if total != 3 || len(list) != 1 || list[0].ID != ids[3] {
		t.Fatalf("ListDead page 2 = %+v, %d", list, total)
	}
	list, total, _ = o.ListDead("a", 1, 0)
	if total != 2 || len(list) != 2 || list[0].AppKey != "a" || list[1].AppKey != "a" {
		t.Fatalf("ListDead(a) = %+v, %d", list, total)
	}

	re, err := o.Redrive(ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if re.ID <= ids[3] || re.Attempts != 0 || !re.FirstFailure.IsZero() || !re.NextAttempt.IsZero() ||
		re.LastError != "" || re.SessionID != "s1" || string(re.Payload) != `{"n":1}` {
		t.Fatalf("re-driven %+v", re)
	}
	if got := pendingIDs(t, o, "a"); !slices.Equal(got, []uint64{re.ID}) {
		t.Fatalf("pending after redrive %v", got)
	}
	if _, err := o.Redrive(ids[0]); !errors.Is(err, ErrOutboxNotFound) {
		t.Fatalf("second Redrive = %v", err)
	}
	if p, d, _ := o.Depth(); p != 1 || d != 2 {
		t.Fatalf("Depth after redrive = %d, %d", p, d)
	}
}

// TestOutboxIDsSurviveReopen: ids keep increasing across a restart, even
// when every earlier item was delivered and deleted, and items persist.
func TestOutboxIDsSurviveReopen(t *testing.T) {
	dir := t.TempDir()
	s, _ := openDir(t, dir, Options{})
	o := openOutbox(t, s)
	first := mustEnqueue(t, o, obItem("a", "s", 1), obItem("a", "s", 2))
	if err := o.MarkDelivered("a", first[0]); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, _ := openDir(t, dir, Options{})
	o2 := openOutbox(t, s2)
	if got := pendingIDs(t, o2, "a"); !slices.Equal(got, first[1:]) {
		t.Fatalf("after reopen pending %v, want %v", got, first[1:])
	}
	if err := o2.MarkDelivered("a", first[1]); err != nil {
		t.Fatal(err)
	}
	next := mustEnqueue(t, o2, obItem("a", "s", 3))
	if next[0] <= first[1] {
		t.Fatalf("id %d reused after restart (had %v)", next[0], first)
	}
}

// TestOutboxBlockRollover: a batch that runs past the reserved block
// reserves the next one, and a restart continues above it.
func TestOutboxBlockRollover(t *testing.T) {
	dir := t.TempDir()
	s, _ := openDir(t, dir, Options{})
	o := openOutbox(t, s)
	o.mu.Lock()
	o.next = o.ceil - 1 // two ids left in the block
	o.visible = o.next - 1
	o.mu.Unlock()
	ids := mustEnqueue(t, o, obItem("a", "s", 1), obItem("a", "s", 2), obItem("a", "s", 3))
	if got := pendingIDs(t, o, "a"); !slices.Equal(got, ids) {
		t.Fatalf("pending %v, want %v", got, ids)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, _ := openDir(t, dir, Options{})
	o2 := openOutbox(t, s2)
	if next := mustEnqueue(t, o2, obItem("a", "s", 4)); next[0] <= ids[2] {
		t.Fatalf("id %d after restart, not above %d", next[0], ids[2])
	}
	if got := pendingIDs(t, o2, "a"); len(got) != 4 || !slices.Equal(got[:3], ids) {
		t.Fatalf("pending after restart %v", got)
	}
}

// TestOutboxIncrementalReader: a reader that loads only ids above the last
// it saw, while many writers enqueue concurrently, misses nothing: ids
// commit out of order, and Pending shows only the gap-free prefix.
func TestOutboxIncrementalReader(t *testing.T) {
	s, _ := openTest(t, Options{})
	o := openOutbox(t, s)
	const writers, each = 16, 40
	var wg sync.WaitGroup
	var mu sync.Mutex
	var acked []uint64
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				ids, err := o.Enqueue(obItem("a", fmt.Sprintf("w%d", w), i))
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				acked = append(acked, ids...)
				mu.Unlock()
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	seen := map[uint64]bool{}
	var last uint64
	load := func() {
		items, err := o.Pending("a", last, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			seen[it.ID] = true
			last = it.ID
		}
	}
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		load()
	}
	load()
	if len(acked) != writers*each {
		t.Fatalf("%d acked", len(acked))
	}
	for _, id := range acked {
		if !seen[id] {
			t.Fatalf("reader missed id %d", id)
		}
	}
}

// TestOutboxKeyFamilies: the outbox families are told apart from every
// other family (CheckIndexes uses isOutboxKey) and from each other.
func TestOutboxKeyFamilies(t *testing.T) {
	for _, k := range [][]byte{outboxKey("a", 1), deadKey(1), keyOutboxCeil} {
		if !isOutboxKey(k) {
			t.Errorf("%s not an outbox key", safeKey(k))
		}
	}
	for _, k := range [][]byte{keySchema, appKey("ob"), bindingKey("ob"), cdrKey(time.Unix(0, 0), "ob"), []byte("obx\x00")} {
		if isOutboxKey(k) {
			t.Errorf("%s taken for an outbox key", safeKey(k))
		}
	}
	if app, id, ok := splitOutboxKey(outboxKey("app\x01", 258)); !ok || app != "app\x01" || id != 258 {
		t.Errorf("splitOutboxKey = %q %d %v", app, id, ok)
	}
	if _, _, ok := splitOutboxKey(deadKey(1)); ok {
		t.Error("a dead key parsed as pending")
	}
}
