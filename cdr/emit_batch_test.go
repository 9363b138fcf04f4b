package cdr_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/xnum/xnum/cdr"
	"github.com/xnum/xnum/routing"
)

// TestEmitEvents: a batch of two apps' sessions, interleaved as concurrent
// calls produce them, is stored in one write with ids in batch order, each
// session delivered in that order; events for no app and for an app
// without statusUrl are skipped.
func TestEmitEvents(t *testing.T) {
	clk := newFakeClock(t0)
	rc := newReceiver(t, clk, ok200)
	apps := newAppBook(
		routing.App{Key: "app1", Secret: "k1", StatusURL: rc.statusURL()},
		routing.App{Key: "app2", Secret: "k2", StatusURL: rc.statusURL()},
		routing.App{Key: "mute", Secret: "k3"}, // no statusUrl
	)
	e := newEnv(t, t.TempDir(), clk, apps, nil)
	a, b, m := callEvents("s-a"), callEvents("s-b"), callEvents("s-m")
	var batch []cdr.AppEvent
	for i := range a {
		batch = append(batch, cdr.AppEvent{AppKey: "app1", Event: a[i]}, cdr.AppEvent{AppKey: "app2", Event: b[i]},
			cdr.AppEvent{AppKey: "mute", Event: m[i]}, cdr.AppEvent{Event: m[i]})
	}
	if err := e.d.EmitEvents(batch); err != nil {
		t.Fatal(err)
	}
	for app, want := range map[string][]cdr.Event{"app1": a, "app2": b} {
		items, err := e.ob.Pending(app, 0, 100)
		if err != nil || len(items) != len(want) {
			t.Fatalf("%s pending %d items (%v), want %d", app, len(items), err, len(want))
		}
		for i, it := range items {
			var ev cdr.Event
			if err := json.Unmarshal(it.Payload, &ev); err != nil || ev != want[i] || (i > 0 && it.ID <= items[i-1].ID) {
				t.Fatalf("%s item %d: %+v (%v)", app, i, it, err)
			}
		}
	}
	if n := metricValue(t, e.reg, "xnum_outbox_items_total", map[string]string{"kind": "event", "result": "skipped"}); n != 10 {
		t.Errorf("skipped = %v, want 10 (5 without app, 5 without statusUrl)", n)
	}

	e.run(t) // the items wait in the outbox until the dispatcher runs
	got := map[string][]string{}
	for range len(a) + len(b) {
		p := rc.next(t)
		var ev cdr.Event
		if err := json.Unmarshal(p.Body, &ev); err != nil {
			t.Fatal(err)
		}
		got[ev.StatusInfo.SessionID] = append(got[ev.StatusInfo.SessionID], ev.EventType)
	}
	want := []string{"callin", "callout", "alerting", "answer", "disconnect"}
	for _, s := range []string{"s-a", "s-b"} {
		if !slices.Equal(got[s], want) {
			t.Errorf("session %s delivered %v, want %v", s, got[s], want)
		}
	}
	rc.none(t, "after both sessions")
}
