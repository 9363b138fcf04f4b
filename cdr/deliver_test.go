package cdr_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xnum/xnum/cdr"
	"github.com/xnum/xnum/routing"
	"github.com/xnum/xnum/store"
)

// callEvents are the events of one answered AXB call, in the order the
// call path emits them (SPEC §6.1).
func callEvents(session string) []cdr.Event {
	var out []cdr.Event
	for _, typ := range []string{cdr.EventCallIn, cdr.EventCallOut, cdr.EventAlerting, cdr.EventAnswer, cdr.EventDisconnect} {
		out = append(out, cdr.Event{EventType: typ, StatusInfo: cdr.StatusInfo{
			Timestamp: cdr.FormatTime(t0), SessionID: session, Caller: "+8613800000001",
			Called: "+8617000000000", SubscriptionID: "sub-1", UserData: "u",
		}})
	}
	return out
}

func callRecord(app, session string) cdr.Record {
	return cdr.Record{ICID: cdr.NewICID(), AppKey: app, SessionID: session, BindNum: "+8617000000000",
		CallerNum: "+8613800000001", CalleeNum: "+8617000000000", ServiceType: "004",
		CallInTime: cdr.FormatTime(t0), CallEndTime: cdr.FormatTime(t0.Add(time.Minute))}
}

func mustEmitEvent(t *testing.T, d *cdr.Dispatcher, app string, ev cdr.Event) {
	t.Helper()
	if err := d.EmitEvent(app, ev); err != nil {
		t.Fatalf("EmitEvent: %v", err)
	}
}

// decoded is a push body as the enterprise reads it.
type decoded struct {
	EventType  string           `json:"eventType"`
	StatusInfo map[string]any   `json:"statusInfo"`
	FeeLst     []map[string]any `json:"feeLst"`
}

func decode(t *testing.T, p push) decoded {
	t.Helper()
	var d decoded
	if err := json.Unmarshal(p.Body, &d); err != nil {
		t.Fatalf("body %s: %v", p.Body, err)
	}
	return d
}

var recordKeys = func() []string {
	k := []string{"icid", "direction", "spId", "appKey", "bindNum", "sessionId", "subscriptionId",
		"callerNum", "calleeNum", "fwdDisplayNum", "fwdDstNum", "callInTime", "fwdStartTime",
		"fwdAlertingTime", "fwdAnswerTime", "callEndTime", "failTime", "fwdUnaswRsn", "ulFailReason",
		"sipStatusCode", "callRelDirection", "recordFlag", "recordStartTime", "recordDomain",
		"recordObjectName", "serviceType", "extendNumber", "userData"}
	slices.Sort(k)
	return k
}()

// TestDeliverCall: one call's five events go to statusUrl one by one, in
// order, and its CDR (through Recorder.Emit on RecorderStore) to feeUrl,
// every push signed with the app's secret; then the outbox is empty.
func TestDeliverCall(t *testing.T) {
	clk := newFakeClock(t0)
	rc := newReceiver(t, clk, ok200)
	apps := newAppBook(routing.App{Key: "app1", Secret: "s3cret", StatusURL: rc.statusURL(), FeeURL: rc.feeURL()})
	e := newEnv(t, t.TempDir(), clk, apps, nil)
	rec, err := cdr.NewRecorder(e.d.RecorderStore(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	e.run(t)
	for _, ev := range callEvents("sess-1") {
		mustEmitEvent(t, e.d, "app1", ev)
	}
	r := callRecord("app1", "sess-1")
	if err := rec.Emit(r); err != nil {
		t.Fatal(err)
	}

	nonces := map[string]bool{}
	var types []string
	for range 6 {
		p := rc.next(t)
		nonce, err := verifyAKSK(p.Header, "app1", "s3cret")
		if err != nil {
			t.Fatalf("push %s: %v", p.Path, err)
		}
		if nonces[nonce] {
			t.Fatalf("nonce %s reused", nonce)
		}
		nonces[nonce] = true
		if _, err := verifyAKSK(p.Header, "app1", "other"); err == nil {
			t.Fatal("the verifier accepts a wrong secret")
		}
		if ct := p.Header.Get("Content-Type"); ct != "application/json;charset=UTF-8" {
			t.Errorf("content type %q", ct)
		}
		d := decode(t, p)
		types = append(types, d.EventType)
		switch d.EventType {
		case cdr.EventFee:
			if p.Path != "/fee" || len(d.FeeLst) != 1 || d.FeeLst[0]["icid"] != r.ICID {
				t.Fatalf("fee push %s %s", p.Path, p.Body)
			}
			if got := sortedKeys(d.FeeLst[0]); !slices.Equal(got, recordKeys) {
				t.Fatalf("record keys %v", got)
			}
		default:
			want := []string{"called", "caller", "sessionId", "subscriptionId", "timestamp", "userData"}
			if d.EventType == cdr.EventDisconnect { // SPEC §6.1: the release cause on disconnect only
				want = []string{"called", "caller", "sessionId", "stateCode", "stateDesc", "subscriptionId", "timestamp", "userData"}
			}
			if p.Path != "/status" || !slices.Equal(sortedKeys(d.StatusInfo), want) || d.StatusInfo["sessionId"] != "sess-1" {
				t.Fatalf("event push %s %s", p.Path, p.Body)
			}
		}
	}
	if want := []string{"callin", "callout", "alerting", "answer", "disconnect", "fee"}; !slices.Equal(types, want) {
		t.Fatalf("pushed %v, want %v", types, want)
	}
	// The local copy of the CDR is in the store too.
	if got, n, err := e.st.QueryCDRs(store.CDRFilter{}); err != nil || n != 1 || got[0] != r {
		t.Fatalf("local CDRs %v %d %v", got, n, err)
	}
	for delivered := 0; delivered < 6; {
		delivered += len(e.obs.next(t, "delivered", "app1").ids)
	}
	if p, d, err := e.ob.Depth(); p != 0 || d != 0 || err != nil {
		t.Fatalf("depth %d/%d %v", p, d, err)
	}
	if v := metricValue(t, e.reg, "xnum_outbox_items_total", map[string]string{"kind": "event", "result": "delivered"}); v != 5 {
		t.Errorf("delivered events metric %v", v)
	}
	if v := metricValue(t, e.reg, "xnum_outbox_pushes_total", map[string]string{"kind": "fee", "result": "delivered"}); v != 1 {
		t.Errorf("fee pushes metric %v", v)
	}
}

// TestFeeBatches: 120 CDRs waiting at start go out as pushes of at most 50
// records, each record once, with every field of SPEC §6.2.
func TestFeeBatches(t *testing.T) {
	clk := newFakeClock(t0)
	rc := newReceiver(t, clk, ok200)
	apps := newAppBook(routing.App{Key: "app1", Secret: "k", StatusURL: rc.statusURL(), FeeURL: rc.feeURL()})
	e := newEnv(t, t.TempDir(), clk, apps, nil)
	want := map[string]bool{}
	for i := range 120 {
		r := callRecord("app1", fmt.Sprintf("s%03d", i))
		want[r.ICID] = true
		if err := e.d.EmitCDR("app1", r); err != nil {
			t.Fatal(err)
		}
	}
	if v := metricValue(t, e.reg, "xnum_outbox_depth", map[string]string{"state": "pending"}); v != 120 {
		t.Fatalf("depth metric %v before Run", v)
	}
	e.run(t)
	got := map[string]bool{}
	var sizes []int
	for len(got) < 120 {
		p := rc.next(t)
		if _, err := verifyAKSK(p.Header, "app1", "k"); err != nil {
			t.Fatal(err)
		}
		d := decode(t, p)
		if p.Path != "/fee" || d.EventType != "fee" || len(d.FeeLst) == 0 || len(d.FeeLst) > cdr.MaxFeeBatch {
			t.Fatalf("push %s eventType %q with %d records", p.Path, d.EventType, len(d.FeeLst))
		}
		sizes = append(sizes, len(d.FeeLst))
		for _, r := range d.FeeLst {
			if keys := sortedKeys(r); !slices.Equal(keys, recordKeys) {
				t.Fatalf("record keys %v", keys)
			}
			icid := r["icid"].(string)
			if !want[icid] || got[icid] {
				t.Fatalf("icid %s unexpected or twice", icid)
			}
			got[icid] = true
		}
	}
	slices.Sort(sizes)
	if !slices.Equal(sizes, []int{20, 50, 50}) {
		t.Fatalf("batch sizes %v", sizes)
	}
}

// TestSessionOrderUnderFailures: a failed event holds back the later items
// of its own session until its retry succeeds; another session of the same
// app goes on meanwhile. Each session's pushes arrive in emit order.
func TestSessionOrderUnderFailures(t *testing.T) {
	clk := newFakeClock(t0)
	var failed atomic.Bool
	rc := newReceiver(t, clk, func(p push, _ *http.Request) int {
		var d decoded
		_ = json.Unmarshal(p.Body, &d)
		if d.EventType == cdr.EventCallIn && d.StatusInfo["sessionId"] == "S1" && failed.CompareAndSwap(false, true) {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	apps := newAppBook(routing.App{Key: "app1", Secret: "k", StatusURL: rc.statusURL(), FeeURL: rc.feeURL()})
	e := newEnv(t, t.TempDir(), clk, apps, nil)
	emitCall := func(session string, events ...cdr.Event) {
		for _, ev := range events {
			mustEmitEvent(t, e.d, "app1", ev)
		}
		if err := e.d.EmitCDR("app1", callRecord("app1", session)); err != nil {
			t.Fatal(err)
		}
	}
	s1, s2 := callEvents("S1"), callEvents("S2")
	emitCall("S1", s1...)
	emitCall("S2", s2[0], s2[4]) // a call that never reached B: callin, disconnect
	e.run(t)

	order := map[string][]string{}
	take := func(p push) {
		d := decode(t, p)
		s := ""
		if d.EventType == cdr.EventFee {
			s = d.FeeLst[0]["sessionId"].(string)
		} else {
			s = d.StatusInfo["sessionId"].(string)
		}
		order[s] = append(order[s], fmt.Sprintf("%s/%d", d.EventType, p.Status))
	}
	for range 4 { // S1 callin (503), S2 callin, disconnect, fee
		take(rc.next(t))
	}
	clk.waitArmed(t, t0.Add(time.Minute))
	rc.none(t, "S1 held back")
	if want := []string{"callin/200", "disconnect/200", "fee/200"}; !slices.Equal(order["S2"], want) {
		t.Fatalf("S2 got %v, want %v", order["S2"], want)
	}
	if want := []string{"callin/503"}; !slices.Equal(order["S1"], want) {
		t.Fatalf("S1 got %v before its retry, want %v", order["S1"], want)
	}
	clk.Set(t0.Add(time.Minute))
	for range 6 {
		take(rc.next(t))
	}
	want := []string{"callin/503", "callin/200", "callout/200", "alerting/200", "answer/200", "disconnect/200", "fee/200"}
	if !slices.Equal(order["S1"], want) {
		t.Fatalf("S1 got %v, want %v", order["S1"], want)
	}
}

// TestAppIsolation: one app's receiver hangs (well inside the timeout) and
// another's refuses connections; a third app's pushes are delivered
// meanwhile, then the hanging push completes.
func TestAppIsolation(t *testing.T) {
	clk := newFakeClock(t0)
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	var slowReturned atomic.Bool
	slow := newReceiver(t, clk, func(_ push, r *http.Request) int {
		entered <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
		slowReturned.Store(true)
		return http.StatusOK
	})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(release) }) }) // before slow's server closes
	down := newReceiver(t, clk, ok200)
	downURL := down.statusURL()
	down.srv.Close() // connection refused from now on
	good := newReceiver(t, clk, ok200)
	apps := newAppBook(
		routing.App{Key: "slow", Secret: "k1", StatusURL: slow.statusURL()},
		routing.App{Key: "down", Secret: "k2", StatusURL: downURL},
		routing.App{Key: "good", Secret: "k3", StatusURL: good.statusURL()},
	)
	e := newEnv(t, t.TempDir(), clk, apps, func(d *cdr.DispatcherDeps) { d.Timeout = time.Hour })
	e.run(t)

	mustEmitEvent(t, e.d, "slow", callEvents("a")[0])
	mustEmitEvent(t, e.d, "down", callEvents("b")[0])
	select {
	case <-entered:
	case <-time.After(waitLimit):
		t.Fatal("slow receiver never called")
	}
	for _, ev := range callEvents("c") {
		mustEmitEvent(t, e.d, "good", ev)
	}
	for i := range 5 {
		p := good.next(t)
		if _, err := verifyAKSK(p.Header, "good", "k3"); err != nil {
			t.Fatal(err)
		}
		if d := decode(t, p); d.EventType != callEvents("c")[i].EventType {
			t.Fatalf("good got %s at %d", d.EventType, i)
		}
	}
	if slowReturned.Load() {
		t.Fatal("the slow receiver answered before the good app was served: nothing shown")
	}
	if f := e.obs.next(t, "failed", "down").items[0]; f.Attempts != 1 || f.LastError == "" {
		t.Fatalf("down app item %+v", f)
	}
	once.Do(func() { close(release) })
	if p := slow.next(t); p.Status != http.StatusOK {
		t.Fatalf("slow status %d", p.Status)
	}
	e.obs.next(t, "delivered", "slow")
}

// TestNowhere: no app (an unprovisioned number), or an app without the
// URL, queues nothing but keeps the CDR locally; a URL removed after the
// item was queued makes it delivered nowhere.
func TestNowhere(t *testing.T) {
	clk := newFakeClock(t0)
	rc := newReceiver(t, clk, ok200)
	apps := newAppBook(routing.App{Key: "quiet", Secret: "k"},
		routing.App{Key: "app1", Secret: "k", StatusURL: rc.statusURL(), FeeURL: rc.feeURL()})
	e := newEnv(t, t.TempDir(), clk, apps, nil)
	rec, err := cdr.NewRecorder(e.d.RecorderStore(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	mustEmitEvent(t, e.d, "", callEvents("x")[0])
	mustEmitEvent(t, e.d, "quiet", callEvents("y")[0])
	for _, r := range []cdr.Record{callRecord("", "x"), callRecord("quiet", "y")} {
		if err := rec.Emit(r); err != nil {
			t.Fatal(err)
		}
	}
	if p, _, _ := e.ob.Depth(); p != 0 {
		t.Fatalf("%d items queued for no receiver", p)
	}
	if _, n, _ := e.st.QueryCDRs(store.CDRFilter{}); n != 2 {
		t.Fatalf("%d local CDRs, want 2", n)
	}
	mustEmitEvent(t, e.d, "app1", callEvents("z")[0])
	apps.set(routing.App{Key: "app1", Secret: "k"}) // URLs removed before the push
	e.run(t)
	e.obs.next(t, "delivered", "app1")
	rc.none(t, "no URL")
	if v := metricValue(t, e.reg, "xnum_outbox_items_total", map[string]string{"kind": "event", "result": "nowhere"}); v != 1 {
		t.Fatalf("nowhere metric %v", v)
	}
	if p, _, _ := e.ob.Depth(); p != 0 {
		t.Fatalf("%d pending", p)
	}
}

// TestRescanFindsUnannounced: an item put into the outbox behind the
// Dispatcher's back (a Redrive on the store itself) is found by the
// periodic sweep.
func TestRescanFindsUnannounced(t *testing.T) {
	clk := newFakeClock(t0)
	rc := newReceiver(t, clk, ok200)
	apps := newAppBook(routing.App{Key: "app1", Secret: "k", StatusURL: rc.statusURL()})
	e := newEnv(t, t.TempDir(), clk, apps, func(d *cdr.DispatcherDeps) { d.Rescan = time.Minute })
	e.run(t)
	clk.waitArmed(t, t0.Add(time.Minute)) // the sweep's timer
	it, err := cdr.NewEventItem("app1", callEvents("s")[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.ob.Enqueue(it); err != nil {
		t.Fatal(err)
	}
	rc.none(t, "nobody was told")
	clk.Set(t0.Add(time.Minute))
	if p := rc.next(t); p.Path != "/status" {
		t.Fatalf("push to %s", p.Path)
	}
}

// TestWindow: a worker holding at most 2 items in memory still delivers a
// longer queue, in order.
func TestWindow(t *testing.T) {
	clk := newFakeClock(t0)
	rc := newReceiver(t, clk, ok200)
	apps := newAppBook(routing.App{Key: "app1", Secret: "k", StatusURL: rc.statusURL()})
	e := newEnv(t, t.TempDir(), clk, apps, func(d *cdr.DispatcherDeps) { d.Window = 2 })
	evs := callEvents("s")
	for _, ev := range evs {
		mustEmitEvent(t, e.d, "app1", ev)
	}
	e.run(t)
	for _, ev := range evs {
		if d := decode(t, rc.next(t)); d.EventType != ev.EventType {
			t.Fatalf("got %s, want %s", d.EventType, ev.EventType)
		}
	}
}
