package store

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
	"unsafe"

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

// TestOutboxDeliveredDepthMixed: MarkDelivered naming at once items memory
// holds, items only in the store (memory full; rewritten by a retry; from
// before a restart), items already delivered, ids never queued, another
// app's id and repeats keeps the depth exact, and deletes what it names.
func TestOutboxDeliveredDepthMixed(t *testing.T) {
	dir := t.TempDir()
	s, _ := openDir(t, dir, Options{})
	o := openOutbox(t, s)
	old := mustEnqueue(t, o, obItem("a", "s0", 0), obItem("a", "s0", 1))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, _ = openDir(t, dir, Options{})
	o = openOutbox(t, s)
	o.mem.max = 3
	ids := mustEnqueue(t, o, obItem("a", "s1", 1), obItem("a", "s1", 2), obItem("b", "s2", 3), obItem("a", "s1", 4), obItem("a", "s1", 5))
	if _, ok := o.mem.recall(ids[3]); ok {
		t.Fatal("memory holds more than its bound")
	}
	retry := obItem("a", "s1", 2)
	retry.ID, retry.Attempts = ids[1], 1
	if err := o.MarkFailed(retry); err != nil {
		t.Fatal(err)
	}
	if err := o.MarkDelivered("a", ids[0]); err != nil {
		t.Fatal(err)
	}
	check := func(step string, want int) {
		t.Helper()
		p, _, _ := o.Depth()
		sp, _, err := o.countDepth()
		if err != nil || p != sp || p != want {
			t.Fatalf("%s: Depth %d, store holds %d (%v), want %d", step, p, sp, err, want)
		}
	}
	check("before", 7-1)
	// ids[0] delivered already, ids[1] rewritten, ids[2] b's (in memory),
	// ids[3] and ids[4] past the bound, old[0] from before the restart.
	mix := []uint64{ids[4], ids[0], ids[1], ids[2], old[0], ids[3], ids[1], 1 << 50, ids[3]}
	if err := o.MarkDelivered("a", mix...); err != nil {
		t.Fatal(err)
	}
	check("after", 2) // b's item and old[1]
	if got := pendingIDs(t, o, "a"); !slices.Equal(got, []uint64{old[1]}) {
		t.Fatalf("pending of a: %v", got)
	}
	if got := pendingIDs(t, o, "b"); !slices.Equal(got, []uint64{ids[2]}) {
		t.Fatalf("pending of b: %v", got)
	}
	if err := o.MarkDelivered("b", ids[2], ids[2]); err != nil {
		t.Fatal(err)
	}
	check("b delivered twice in one call", 1)
}

// TestOutboxPendingMemoryAgrees: through a random mix of every mutation —
// enqueues past the memory bound, deliveries (with ids gone or unknown),
// retries, dead letters, redrives, restarts — Pending, whichever side
// answers it, returns what the store holds, for every app and for afterIDs
// below, among and above the pending ids. And memory answers a reader that
// keeps up.
func TestOutboxPendingMemoryAgrees(t *testing.T) {
	dir := t.TempDir()
	s, _ := openDir(t, dir, Options{})
	o := openOutbox(t, s)
	rng := rand.New(rand.NewPCG(1, 2))
	apps := []string{"a", "b", "c"}
	open := func() {
		o = openOutbox(t, s)
		o.mem.max = 1 + rng.IntN(12)
	}
	open()
	fromMemory := 0
	compare := func(step int) {
		t.Helper()
		vis := o.visibleID()
		for _, app := range apps {
			all, err := o.pendingStored(nil, app, 0, vis, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			afters := []uint64{0, vis - 1, vis}
			for range min(len(all), 4) {
				id := all[rng.IntN(len(all))].ID
				afters = append(afters, id-1, id)
			}
			for _, after := range afters {
				for _, limit := range []int{1, 2, 1 << 20} {
					got, err := o.Pending(app, after, limit)
					if err != nil {
						t.Fatal(err)
					}
					want, err := o.pendingStored(nil, app, after, vis, limit)
					if err != nil {
						t.Fatal(err)
					}
					if after >= vis {
						want = nil
					}
					g, _ := json.Marshal(got)
					w, _ := json.Marshal(want)
					if string(g) != string(w) {
						t.Fatalf("step %d: Pending(%s, %d, %d) = %s\nthe store holds %s", step, app, after, limit, g, w)
					}
					// AppendPending appends the same after what dst holds;
					// limit counts what it appends.
					ap, err := o.AppendPending(append(make([]cdr.OutboxItem, 0, 2), cdr.OutboxItem{ID: 42}), app, after, limit)
					var tail []cdr.OutboxItem // nil when nothing was appended, as Pending's
					if len(ap) > 1 {
						tail = ap[1:]
					}
					if a, _ := json.Marshal(tail); err != nil || len(ap) == 0 || ap[0].ID != 42 || string(a) != string(g) {
						t.Fatalf("step %d: AppendPending(%s, %d, %d) = %v %v, Pending %s", step, app, after, limit, ap, err, g)
					}
					if _, ok := o.mem.pendingFrom(nil, app, after, vis, limit); ok {
						fromMemory++
					}
				}
			}
		}
		p, d, _ := o.Depth()
		sp, sd, err := o.countDepth()
		if err != nil || p != sp || d != sd {
			t.Fatalf("step %d: depth %d/%d, the store holds %d/%d (%v)", step, p, d, sp, sd, err)
		}
	}
	some := func(app string) []cdr.OutboxItem {
		items, err := o.pendingStored(nil, app, 0, o.visibleID(), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		var out []cdr.OutboxItem
		for _, it := range items {
			if rng.IntN(3) == 0 {
				out = append(out, it)
			}
		}
		return out
	}
	for step := range 200 {
		app := apps[rng.IntN(len(apps))]
		switch r := rng.IntN(20); {
		case r < 8:
			var batch []cdr.OutboxItem
			for range 1 + rng.IntN(4) {
				batch = append(batch, obItem(apps[rng.IntN(len(apps))], "s", step))
			}
			mustEnqueue(t, o, batch...)
		case r < 13:
			var ids []uint64
			for _, it := range some(app) {
				ids = append(ids, it.ID)
			}
			ids = append(ids, uint64(rng.IntN(int(o.visibleID()+2))))
			if err := o.MarkDelivered(app, ids...); err != nil {
				t.Fatal(err)
			}
		case r < 15:
			items := some(app)
			for i := range items {
				items[i].Attempts++
			}
			if err := o.MarkFailed(items...); err != nil {
				t.Fatal(err)
			}
		case r < 17:
			if err := o.MoveToDead(some(app)...); err != nil {
				t.Fatal(err)
			}
		case r < 19:
			dead, _, err := o.ListDead("", 1, MaxPageSize)
			if err != nil {
				t.Fatal(err)
			}
			if len(dead) > 0 {
				if _, err := o.Redrive(dead[rng.IntN(len(dead))].ID); err != nil {
					t.Fatal(err)
				}
			}
		default:
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s, _ = openDir(t, dir, Options{})
			open()
		}
		compare(step)
	}
	if fromMemory == 0 {
		t.Fatal("memory never answered")
	}
	t.Logf("%d answers from memory", fromMemory)
}

// TestOutboxPendingFromMemoryKeepingUp: a worker that loads above the last
// id it holds and settles what it loaded is answered from memory, also
// after a retry and a dead letter behind it; below the first id after a
// restart the store answers.
func TestOutboxPendingFromMemoryKeepingUp(t *testing.T) {
	dir := t.TempDir()
	s, _ := openDir(t, dir, Options{})
	o := openOutbox(t, s)
	early := mustEnqueue(t, o, obItem("a", "s0", 0))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, _ = openDir(t, dir, Options{})
	o = openOutbox(t, s)
	if _, ok := o.mem.pendingFrom(nil, "a", 0, o.visibleID(), 10); ok {
		t.Fatal("memory answered for items from before the restart")
	}
	last := early[0]
	for round := range 5 {
		ids := mustEnqueue(t, o, obItem("a", "s1", round), obItem("a", "s2", round), obItem("a", "s3", round))
		got, ok := o.mem.pendingFrom(nil, "a", last, o.visibleID(), 10)
		if round == 0 { // above an item from before the restart: the store
			if ok {
				t.Fatal("memory answered above an item from before the restart")
			}
			var err error
			if got, err = o.Pending("a", last, 10); err != nil {
				t.Fatal(err)
			}
		} else if !ok {
			t.Fatalf("round %d: memory did not answer", round)
		}
		if len(got) != 3 || got[0].ID != ids[0] {
			t.Fatalf("round %d: pending %v", round, got)
		}
		last = ids[2]
		failed := got[1]
		failed.Attempts++
		if err := o.MarkFailed(failed); err != nil {
			t.Fatal(err)
		}
		if err := o.MoveToDead(got[2]); err != nil {
			t.Fatal(err)
		}
		if err := o.MarkDelivered("a", ids[0]); err != nil {
			t.Fatal(err)
		}
	}
	if got := pendingIDs(t, o, "a"); len(got) != 6 || got[0] != early[0] {
		t.Fatalf("from the store: %v", got)
	}
}

// Memory keeps an item in a memItem, small enough for the map to hold it
// in place, and gives it back as it was enqueued; an item enqueued with
// retry fields set is not kept, and Pending reads it from the store, as it
// was. Both agree with what the store holds.
func TestOutboxMemItem(t *testing.T) {
	if n := unsafe.Sizeof(memItem{}); n > 128 { // internal/runtime/maps stores larger elements apart
		t.Fatalf("memItem is %d bytes", n)
	}
	s, _ := openTest(t, Options{})
	o := openOutbox(t, s)
	fresh := obItem("a", "s1", 1)
	fresh.Created = time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("X", 3600))
	retried := obItem("a", "s2", 2)
	retried.Attempts, retried.LastError = 2, "http status 500"
	retried.NextAttempt = time.Date(2026, 1, 2, 4, 0, 0, 0, time.UTC)
	retried.FirstFailure = time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	plain := obItem("a", "s3", 3)
	ids := mustEnqueue(t, o, fresh, retried, plain)
	if _, ok := o.mem.recall(ids[1]); ok {
		t.Fatal("an item with retry fields is in memory")
	}
	got, err := o.Pending("a", 0, 10)
	if err != nil || len(got) != 3 {
		t.Fatalf("Pending: %v %v", got, err)
	}
	for i, it := range []cdr.OutboxItem{fresh, retried, plain} {
		it.ID = ids[i]
		if it.Created.IsZero() {
			it.Created = got[i].Created
		}
		if !reflect.DeepEqual(got[i], it) {
			t.Errorf("item %d: Pending %+v, want %+v", i, got[i], it)
		}
		stored, err := o.pendingStored(nil, "a", ids[i]-1, ids[i], 1)
		if err != nil || len(stored) != 1 || !stored[0].Created.Equal(it.Created) || stored[0].Attempts != it.Attempts ||
			string(stored[0].Payload) != string(it.Payload) || stored[0].LastError != it.LastError {
			t.Errorf("item %d: stored %+v %v, want %+v", i, stored, err, it)
		}
	}
	if k := appendOutboxKey([]byte("x"), "app", 0x0102030405060708); string(k) != "xob\x00app\x00\x01\x02\x03\x04\x05\x06\x07\x08" {
		t.Errorf("appendOutboxKey %q", k)
	}
	if k, want := outboxKey("app", 7), append(outboxPrefix("app"), idBytes(7)...); string(k) != string(want) {
		t.Errorf("outboxKey %q, want %q", k, want)
	}
	if app, id, ok := splitOutboxKey(outboxKey("a\x01b", 1<<40)); !ok || app != "a\x01b" || id != 1<<40 {
		t.Errorf("splitOutboxKey = %q %d %v", app, id, ok)
	}
	if id, ok := outboxKeyID(outboxKey("app", 9)); !ok || id != 9 {
		t.Errorf("outboxKeyID = %d %v", id, ok)
	}
	for _, k := range []string{"", "ob\x00", "ob\x00a\x00\x01", "obd\x00\x00\x00\x00\x00\x00\x00\x00\x01", "ob\x00a\x01\x00\x00\x00\x00\x00\x00\x00\x01"} {
		if _, _, ok := splitOutboxKey([]byte(k)); ok {
			t.Errorf("splitOutboxKey(%q) ok", k)
		}
		if _, ok := outboxKeyID([]byte(k)); ok {
			t.Errorf("outboxKeyID(%q) ok", k)
		}
	}
}
