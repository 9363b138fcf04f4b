package cdr_test

import (
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xnum/xnum/routing"
	"github.com/xnum/xnum/store"
)

// Retry schedule, dead letters and restarts (SPEC §6.2), on the fake clock.

// TestRetryScheduleDeadRedrive: a push failing at t0 is retried at exactly
// +1, +4, +9, +106, +203 and +300 minutes (SPEC §6.2), then dead; the dead
// item is listed, re-driven, and delivered.
func TestRetryScheduleDeadRedrive(t *testing.T) {
	clk := newFakeClock(t0)
	var status atomic.Int32
	status.Store(http.StatusInternalServerError)
	rc := newReceiver(t, clk, func(push, *http.Request) int { return int(status.Load()) })
	apps := newAppBook(routing.App{Key: "app1", Secret: "k", StatusURL: rc.statusURL()})
	e := newEnv(t, t.TempDir(), clk, apps, nil)
	e.run(t)
	ev := callEvents("sess-r")[0]
	mustEmitEvent(t, e.d, "app1", ev)

	min := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }
	attempts := []time.Time{t0, min(1), min(4), min(9), min(106), min(203), min(300)}
	for i, at := range attempts {
		if i > 0 {
			clk.waitArmed(t, at)
			rc.none(t, "before the retry is due")
			clk.Set(at)
		}
		p := rc.next(t)
		if !p.At.Equal(at) || p.Status != http.StatusInternalServerError {
			t.Fatalf("attempt %d at %v (%d), want %v", i+1, p.At, p.Status, at)
		}
		if _, err := verifyAKSK(p.Header, "app1", "k"); err != nil {
			t.Fatal(err)
		}
		if i == len(attempts)-1 {
			break
		}
		f := e.obs.next(t, "failed", "app1").items[0]
		if f.Attempts != i+1 || !f.FirstFailure.Equal(t0) || !f.NextAttempt.Equal(attempts[i+1]) || f.LastError != "http status 500" {
			t.Fatalf("after attempt %d: %+v", i+1, f)
		}
	}
	dead := e.obs.next(t, "dead", "app1").items[0]
	list, total, err := e.ob.ListDead("", 1, 10)
	if err != nil || total != 1 || list[0].ID != dead.ID || list[0].Attempts != 7 || !list[0].FirstFailure.Equal(t0) {
		t.Fatalf("ListDead = %+v %d %v", list, total, err)
	}
	if v := metricValue(t, e.reg, "xnum_outbox_depth", map[string]string{"state": "dead"}); v != 1 {
		t.Fatalf("dead depth metric %v", v)
	}

	status.Store(http.StatusNoContent)
	re, err := e.d.Redrive(dead.ID)
	if err != nil {
		t.Fatal(err)
	}
	p := rc.next(t)
	if p.Status != http.StatusNoContent || string(p.Body) != string(dead.Payload) {
		t.Fatalf("re-driven push %d %s", p.Status, p.Body)
	}
	if got := e.obs.next(t, "delivered", "app1"); !slices.Equal(got.ids, []uint64{re.ID}) {
		t.Fatalf("delivered %v, want %d", got.ids, re.ID)
	}
	if _, total, _ := e.ob.ListDead("", 1, 10); total != 0 {
		t.Fatalf("%d dead after redrive", total)
	}
	if _, err := e.d.Redrive(dead.ID); err == nil {
		t.Fatal("second redrive of the same id succeeded")
	}
}

// TestRestartResumesSchedule: an item that failed once keeps its schedule
// across a restart: the new process waits for first failure + 1 min.
func TestRestartResumesSchedule(t *testing.T) {
	dir := t.TempDir()
	clk := newFakeClock(t0)
	var status atomic.Int32
	status.Store(http.StatusBadGateway)
	rc := newReceiver(t, clk, func(push, *http.Request) int { return int(status.Load()) })
	apps := newAppBook(routing.App{Key: "app1", Secret: "k", StatusURL: rc.statusURL()})

	first := newEnv(t, dir, clk, apps, nil)
	first.run(t)
	mustEmitEvent(t, first.d, "app1", callEvents("s")[0])
	if p := rc.next(t); p.Status != http.StatusBadGateway {
		t.Fatalf("first attempt %d", p.Status)
	}
	f := first.obs.next(t, "failed", "app1").items[0]
	first.stop()
	if err := first.st.Close(); err != nil {
		t.Fatal(err)
	}

	clk.Set(t0.Add(30 * time.Second))
	status.Store(http.StatusOK)
	second := newEnv(t, dir, clk, apps, nil)
	second.run(t)
	clk.waitArmed(t, t0.Add(time.Minute))
	rc.none(t, "restart before the retry is due")
	clk.Set(t0.Add(time.Minute))
	p := rc.next(t)
	if p.Status != http.StatusOK || !p.At.Equal(t0.Add(time.Minute)) {
		t.Fatalf("retry %d at %v", p.Status, p.At)
	}
	if got := second.obs.next(t, "delivered", "app1"); !slices.Equal(got.ids, []uint64{f.ID}) {
		t.Fatalf("delivered %v, want %d", got.ids, f.ID)
	}
}

// TestUnknownApp: an item for an app that cannot be read (deleted during
// the call) is queued, fails on the retry schedule, and names the reason.
func TestUnknownApp(t *testing.T) {
	clk := newFakeClock(t0)
	e := newEnv(t, t.TempDir(), clk, newAppBook(), nil)
	e.run(t)
	mustEmitEvent(t, e.d, "gone", callEvents("s")[0])
	f := e.obs.next(t, "failed", "gone").items[0]
	if f.Attempts != 1 || !f.NextAttempt.Equal(t0.Add(time.Minute)) || f.LastError != "app: "+store.ErrAppNotFound.Error() {
		t.Fatalf("item %+v", f)
	}
}
