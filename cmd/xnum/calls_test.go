package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/xnum/xnum/cdr"
	"github.com/xnum/xnum/routing"
	"github.com/xnum/xnum/store"
)

// TestRecoverCalls: a store that holds the record of a call answered in a
// run that died is reported when the daemon starts: the disconnect event,
// then the CDR, ended at the last heartbeat by the platform (7102,
// callRelDirection 0), and the record is gone. (The e2e crash test does the
// same with a real kill -9.)
func TestRecoverCalls(t *testing.T) {
	type got struct {
		path string
		body []byte
	}
	pushes := make(chan got, 8)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		pushes <- got{r.URL.Path, b}
	}))
	defer rc.Close()

	cfg := testConfig(t)
	alive := time.Date(2025, 3, 1, 8, 2, 30, 0, time.UTC)
	st, err := store.Open(cfg.Store.Dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateApp(routing.App{Key: "shop", Secret: "shop-secret", Mode: routing.ModeAXB,
		StatusURL: rc.URL + "/status", FeeURL: rc.URL + "/fee"}); err != nil {
		t.Fatal(err)
	}
	up := cdr.Record{ICID: "icid-up", SessionID: "sess-up", AppKey: "shop", BindNum: "+8617000000100",
		CallerNum: "+8613800000005", CalleeNum: "+8617000000100", FwdDisplayNum: "+8617000000100",
		FwdDstNum: "+8613800000006", SubscriptionID: "sub-1", ServiceType: "004",
		CallInTime: "2025-03-01 08:00:00", FwdStartTime: "2025-03-01 08:00:00", FwdAnswerTime: "2025-03-01 08:00:05"}
	if err := st.PutCall(up); err != nil {
		t.Fatal(err)
	}
	if err := st.MarkAlive(alive); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	d, stop := startDaemon(t, cfg)
	next := func() got {
		t.Helper()
		select {
		case p := <-pushes:
			return p
		case <-time.After(20 * time.Second):
			t.Fatal("no push within 20s")
			return got{}
		}
	}
	ev := next()
	var e cdr.Event
	if err := json.Unmarshal(ev.body, &e); err != nil || ev.path != "/status" {
		t.Fatalf("first push %s %s (%v)", ev.path, ev.body, err)
	}
	si := e.StatusInfo
	if e.EventType != "disconnect" || si.SessionID != "sess-up" || si.StateCode != 7102 ||
		si.Timestamp != "2025-03-01 08:02:30" || si.Caller != up.CallerNum || si.Called != up.CalleeNum {
		t.Errorf("disconnect %s", ev.body)
	}
	fee := next()
	var f cdr.FeeEvent
	if err := json.Unmarshal(fee.body, &f); err != nil || fee.path != "/fee" || len(f.FeeLst) != 1 {
		t.Fatalf("second push %s %s (%v)", fee.path, fee.body, err)
	}
	r := f.FeeLst[0]
	if r.ICID != "icid-up" || r.ULFailReason != 7102 || r.CallRelDirection != 0 || r.SIPStatusCode != 0 ||
		r.CallEndTime != "2025-03-01 08:02:30" || r.FwdAnswerTime != up.FwdAnswerTime || r.FwdDstNum != up.FwdDstNum {
		t.Errorf("recovered CDR %+v", r)
	}
	if calls, err := d.store.Calls(); err != nil || len(calls) != 0 {
		t.Errorf("calls left after recovery: %v %v", calls, err)
	}
	if err := d.store.CheckIndexes(); err != nil {
		t.Error(err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}
