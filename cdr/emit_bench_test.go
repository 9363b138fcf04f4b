package cdr_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/xnum/xnum/cdr"
	"github.com/xnum/xnum/routing"
)

// The producer side on a real outbox (the Dispatcher not running, so the
// items stay pending): what the call path allocates per event and per CDR.
// ns/op is mostly the synced write.

// BenchmarkEmitEvents is an event writer handing over the five events of
// eight calls in one EmitEvents (one synced write); an op is one event.
func BenchmarkEmitEvents(b *testing.B) {
	apps := newAppBook(routing.App{Key: "app1", Secret: "k", StatusURL: "http://127.0.0.1:1/status"})
	e := newEnv(b, b.TempDir(), newFakeClock(t0), apps, func(d *cdr.DispatcherDeps) { d.Registerer = nil })
	const batch = 40
	var all []cdr.AppEvent // made beforehand: an op is the emit alone
	for i := range 4096 / 5 {
		for _, ev := range callEvents(fmt.Sprintf("s%d", i)) {
			all = append(all, cdr.AppEvent{AppKey: "app1", Event: ev})
		}
	}
	evs := make([]cdr.AppEvent, 0, batch)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		evs = append(evs, all[i%len(all)])
		if len(evs) == batch {
			if err := e.d.EmitEvents(evs); err != nil {
				b.Fatal(err)
			}
			evs = evs[:0]
		}
	}
}

// BenchmarkRecorderEmit is a call's CDR: Recorder.Emit on the Dispatcher's
// RecorderStore (local copy and fee item in one synced write) and a line
// in cdr.file.
func BenchmarkRecorderEmit(b *testing.B) {
	apps := newAppBook(routing.App{Key: "app1", Secret: "k", FeeURL: "http://127.0.0.1:1/fee"})
	e := newEnv(b, b.TempDir(), newFakeClock(t0), apps, func(d *cdr.DispatcherDeps) { d.Registerer = nil })
	r, err := cdr.NewRecorder(e.d.RecorderStore(), filepath.Join(b.TempDir(), "cdr.jsonl"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	rec := cdr.Record{AppKey: "app1", Direction: cdr.DirToBound, SPID: "sp1", BindNum: "+8617000000001",
		SubscriptionID: "sub-1", CallerNum: "+8613800000001", CalleeNum: "+8613900000002",
		FwdDisplayNum: "+8617000000001", FwdDstNum: "+8613900000002", CallInTime: "2026-11-27 10:00:00",
		FwdStartTime: "2026-11-27 10:00:00", FwdAlertingTime: "2026-11-27 10:00:01",
		FwdAnswerTime: "2026-11-27 10:00:03", CallEndTime: "2026-11-27 10:01:03", SIPStatusCode: 200,
		CallRelDirection: cdr.RelCaller, ServiceType: "AXB", UserData: "order-42"}
	ids := make([]string, 4096) // made beforehand: an op is the emit alone
	for i := range ids {
		ids[i] = fmt.Sprintf("%08d", i)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		rec.ICID, rec.SessionID = "icid-"+ids[i%len(ids)], "s"+ids[i%len(ids)]
		if err := r.Emit(rec); err != nil {
			b.Fatal(err)
		}
	}
}
