package cdr_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/xnum/xnum/cdr"
	"github.com/xnum/xnum/routing"
)

// gated is the real outbox whose MarkDelivered waits until the test opens
// the gate, after telling it that the write has begun: a slow fsync the
// test controls.
type gated struct {
	cdr.OutboxStore
	begun chan []uint64
	gate  chan struct{}
}

func (g *gated) MarkDelivered(app string, ids ...uint64) error {
	g.begun <- ids
	<-g.gate
	return g.OutboxStore.MarkDelivered(app, ids...)
}

// TestPipelinedSettle: while a round's MarkDelivered is being written, the
// next round's pushes go out (other sessions), but the next item of a
// session in that round waits until the write is done, so the per-session
// order survives a crash during the write.
func TestPipelinedSettle(t *testing.T) {
	clk := newFakeClock(t0)
	rc := newReceiver(t, clk, ok200)
	apps := newAppBook(routing.App{Key: "app1", Secret: "k", StatusURL: rc.statusURL(), FeeURL: rc.feeURL()})
	g := &gated{begun: make(chan []uint64, 16), gate: make(chan struct{})}
	e := newEnv(t, t.TempDir(), clk, apps, func(d *cdr.DispatcherDeps) {
		g.OutboxStore = d.Store
		d.Store = g
	})
	e.run(t)
	s1, s2 := callEvents("S1"), callEvents("S2")
	mustEmitEvent(t, e.d, "app1", s1[0])
	if p := session(t, rc.next(t)); p != "S1/callin" {
		t.Fatalf("first push %s", p)
	}
	<-g.begun // S1's callin is being settled and stays so until the gate opens
	mustEmitEvent(t, e.d, "app1", s1[1])
	mustEmitEvent(t, e.d, "app1", s2[0])
	if p := session(t, rc.next(t)); p != "S2/callin" {
		t.Fatalf("while S1's settle is written: got %s, want S2/callin", p)
	}
	rc.none(t, "S1's callout before its callin's settle is written")
	close(g.gate)
	// S2's round held S2's callin alone: S1's callout, loaded with it,
	// waited for its session's settle.
	if ids := <-g.begun; len(ids) != 1 {
		t.Fatalf("the round after S1's callin settled %d items, want 1 (S2's callin)", len(ids))
	}
	if p := session(t, rc.next(t)); p != "S1/callout" {
		t.Fatalf("after the settle: got %s, want S1/callout", p)
	}
	<-g.begun // the callout's settle has begun; stopping waits for it
	e.stop()
	if n, err := e.ob.Pending("app1", 0, 10); err != nil || len(n) != 0 {
		t.Fatalf("pending after stop: %d %v", len(n), err)
	}
}

func session(t *testing.T, p push) string {
	t.Helper()
	var d struct {
		EventType  string         `json:"eventType"`
		StatusInfo map[string]any `json:"statusInfo"`
	}
	if err := json.Unmarshal(p.Body, &d); err != nil {
		t.Fatal(err)
	}
	s, _ := d.StatusInfo["sessionId"].(string)
	return s + "/" + d.EventType
}

// TestSlowPushHoldsOnlyItsSession: pushes are continuous, not in rounds. A
// push the receiver holds keeps its own session back and nothing else: the
// next items of another session of the same app, loaded with it, go out
// one after the other meanwhile (with rounds they waited for the slowest
// push of theirs).
func TestSlowPushHoldsOnlyItsSession(t *testing.T) {
	clk := newFakeClock(t0)
	rc, held, release := holdingReceiver(t, clk, "S1") // S1 has one push only
	apps := newAppBook(routing.App{Key: "app1", Secret: "k", StatusURL: rc.statusURL()})
	e := newEnv(t, t.TempDir(), clk, apps, func(d *cdr.DispatcherDeps) {
		d.Parallel = 2
		d.Timeout = 2 * waitLimit // the held push must not time out first
	})
	s1, s2 := callEvents("S1"), callEvents("S2")
	mustEmitEvent(t, e.d, "app1", s1[0])
	for _, ev := range s2 {
		mustEmitEvent(t, e.d, "app1", ev)
	}
	e.run(t)
	<-held
	var got []string
	for range s2 {
		got = append(got, session(t, rc.next(t)))
	}
	want := []string{"S2/callin", "S2/callout", "S2/alerting", "S2/answer", "S2/disconnect"}
	if !slices.Equal(got, want) {
		t.Fatalf("while S1's push is held: %v, want %v", got, want)
	}
	release()
	if p := session(t, rc.next(t)); p != "S1/callin" {
		t.Fatalf("then %s, want S1/callin", p)
	}
}

// TestSlowPushesDoNotHoldSettles: with two pushes held by a slow receiver,
// the outcomes of a third session are written as they come, so its next
// events follow at once; a settle that waited for the pushes in flight
// (to carry more outcomes a write) held them until the slow ones ended.
func TestSlowPushesDoNotHoldSettles(t *testing.T) {
	clk := newFakeClock(t0)
	rc, held, release := holdingReceiver(t, clk, "S1", "S3")
	apps := newAppBook(routing.App{Key: "app1", Secret: "k", StatusURL: rc.statusURL()})
	e := newEnv(t, t.TempDir(), clk, apps, func(d *cdr.DispatcherDeps) {
		d.Parallel = 3
		d.Timeout = 2 * waitLimit // the held pushes must not time out first
	})
	mustEmitEvent(t, e.d, "app1", callEvents("S1")[0])
	mustEmitEvent(t, e.d, "app1", callEvents("S3")[0])
	s2 := callEvents("S2")
	for _, ev := range s2 {
		mustEmitEvent(t, e.d, "app1", ev)
	}
	e.run(t)
	<-held
	<-held
	var got []string
	for range s2 {
		got = append(got, session(t, rc.next(t)))
	}
	want := []string{"S2/callin", "S2/callout", "S2/alerting", "S2/answer", "S2/disconnect"}
	if !slices.Equal(got, want) {
		t.Fatalf("while S1's and S3's pushes are held: %v, want %v", got, want)
	}
	release()
}

// TestFeesBatchWhilePushesRun: CDRs that become due one by one, as their
// sessions' events are delivered, while another push is in flight, wait
// for each other and go in one push instead of one push each.
func TestFeesBatchWhilePushesRun(t *testing.T) {
	clk := newFakeClock(t0)
	rc, held, release := holdingReceiver(t, clk, "HELD")
	apps := newAppBook(routing.App{Key: "app1", Secret: "k", StatusURL: rc.statusURL(), FeeURL: rc.feeURL()})
	e := newEnv(t, t.TempDir(), clk, apps, func(d *cdr.DispatcherDeps) { d.Timeout = 2 * waitLimit })
	e.run(t)
	mustEmitEvent(t, e.d, "app1", callEvents("HELD")[0])
	<-held
	const n = 10
	for i := range n {
		s := fmt.Sprintf("S%d", i)
		mustEmitEvent(t, e.d, "app1", callEvents(s)[4]) // disconnect, then the CDR
		if err := e.d.EmitCDR("app1", callRecord("app1", s)); err != nil {
			t.Fatal(err)
		}
	}
	for range n {
		if p := rc.next(t); p.Path != "/status" {
			t.Fatalf("while HELD is in flight: a push to %s", p.Path)
		}
	}
	for settled := 0; settled < n; { // the disconnects are settled: every CDR is due
		settled += len(e.obs.next(t, "delivered", "app1").ids)
	}
	rc.none(t, "a CDR while HELD is in flight")
	release()
	if p := session(t, rc.next(t)); p != "HELD/callin" {
		t.Fatalf("got %s, want HELD/callin", p)
	}
	p := rc.next(t)
	if d := decode(t, p); p.Path != "/fee" || len(d.FeeLst) != n {
		t.Fatalf("push to %s with %d records, want one fee push of %d", p.Path, len(d.FeeLst), n)
	}
}

// failOnce is the real outbox whose first MarkDelivered fails without
// writing anything.
type failOnce struct {
	cdr.OutboxStore
	failed bool
}

func (f *failOnce) MarkDelivered(app string, ids ...uint64) error {
	if !f.failed {
		f.failed = true // only the worker's write goroutine calls it, one write at a time
		return errors.New("disk on fire")
	}
	return f.OutboxStore.MarkDelivered(app, ids...)
}

// TestSettleFailureReloads: when a settle cannot be written, the worker
// drops what it holds, waits the store backoff, reloads from the store and
// pushes the item again (at least once), then goes on in order.
func TestSettleFailureReloads(t *testing.T) {
	clk := newFakeClock(t0)
	rc := newReceiver(t, clk, ok200)
	apps := newAppBook(routing.App{Key: "app1", Secret: "k", StatusURL: rc.statusURL()})
	e := newEnv(t, t.TempDir(), clk, apps, func(d *cdr.DispatcherDeps) {
		d.Store = &failOnce{OutboxStore: d.Store}
	})
	ev := callEvents("S1")
	mustEmitEvent(t, e.d, "app1", ev[0])
	mustEmitEvent(t, e.d, "app1", ev[1])
	e.run(t)
	if p := session(t, rc.next(t)); p != "S1/callin" {
		t.Fatalf("first push %s", p)
	}
	clk.waitArmed(t, t0.Add(time.Second)) // the store backoff after the failed write
	rc.none(t, "S1's callout before its callin's settle is written")
	clk.Set(t0.Add(time.Second))
	var got []string
	for range 2 {
		got = append(got, session(t, rc.next(t)))
	}
	if want := []string{"S1/callin", "S1/callout"}; !slices.Equal(got, want) {
		t.Fatalf("after the reload: %v, want %v", got, want)
	}
	for delivered := 0; delivered < 2; {
		delivered += len(e.obs.next(t, "delivered", "app1").ids)
	}
	if p, _, err := e.ob.Depth(); p != 0 || err != nil {
		t.Fatalf("pending %d %v", p, err)
	}
}

// holdingReceiver is a receiver that holds each push of the named sessions
// until release is called (at the latest when the test ends); held gets
// the session of each push it holds, as the push arrives.
func holdingReceiver(t *testing.T, clk *fakeClock, sessions ...string) (rc *receiver, held <-chan string, release func()) {
	gate := make(chan struct{})
	heldc := make(chan string, 16)
	var once sync.Once
	release = func() { once.Do(func() { close(gate) }) }
	t.Cleanup(release)
	rc = newReceiver(t, clk, func(p push, _ *http.Request) int {
		for _, sid := range sessions {
			if bytes.Contains(p.Body, []byte(`"sessionId":"`+sid+`"`)) {
				heldc <- sid
				<-gate
			}
		}
		return http.StatusOK
	})
	return rc, heldc, release
}
