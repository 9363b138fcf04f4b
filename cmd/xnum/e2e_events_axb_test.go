package main

// AXB paths of issue 5 item 2 that had no end-to-end row: B answers 480 or
// 408 (8101), 401 or 407 (7508, 500 to A), a release cause taken from B's
// Q.850 Reason rather than its status (SPEC §4.2), a trunk that never
// answers (Timer B, 8101), B → X → A answered, and a binding's own
// maxDuration (8010). Each call runs on an app of its own with an spId and
// a binding with userData, and is checked field by field: every SPEC §6.2
// field of the pushed CDR (checkFullCDR, e2e_events_check_test.go), the
// pushed record equal to the stored one, and every event's numbers,
// subscriptionId, userData, timestamp and stateCode (checkModeEvents).
//
// Not here: 8009 ("caller cancels before any B leg", SPEC §4.2/§6.3). In
// AXB the B INVITE leaves in the same step of the call loop that routes
// the call (sip/call_setup.go connect; a preVoice prompt plays while B is
// being reached, SPEC §3 item 4), so the only moment without a B leg is
// the routing lookup itself, which a caller cannot hit on purpose. The
// AXB cancels are 7501 and 7502 (TestE2EEventsBLeg); 8009 is reachable in
// X mode, where the call waits for the enterprise (TestE2EEventsX).

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	axbEvApp = "axbev" // secret axbev-secret, spId sp-axbev
	axbEvX   = "+8617200000001"
)

// axbEvEnv is one xnum with the app axbEvApp, its receiver, and one
// binding alice – axbEvX – bob; its calls run one after the other.
type axbEvEnv struct {
	*env
	rc    *receiver
	want  evWant // the fields every call of the binding shares
	seen  map[string]bool
	icids map[string]bool
	since time.Time
}

// newAXBEvEnv starts xnum, creates the app (admin API) pushing to a
// receiver of the test, and binds alice – X – bob through the management
// API with the extra bind fields (SPEC §5: userData, maxDuration …).
func newAXBEvEnv(t *testing.T, opts envOpts, bind map[string]any) *axbEvEnv {
	t.Helper()
	since := time.Now().UTC().Add(-time.Second).Truncate(time.Second)
	e := newEnv(t, opts)
	rc := newReceiver(t, e, axbEvApp, axbEvApp+"-secret")
	rc.start()
	e.admin("POST", "/admin/v1/apps", map[string]any{"appKey": axbEvApp, "appSecret": axbEvApp + "-secret",
		"mode": "AXB", "spId": "sp-" + axbEvApp, "statusUrl": rc.url("/status"), "feeUrl": rc.url("/fee")}, nil)
	e.addNumbers(axbEvApp, "0755", axbEvX)
	body := map[string]any{"relationNum": axbEvX, "callerNum": alice.Number, "calleeNum": bob.Number}
	for k, v := range bind {
		body[k] = v
	}
	var resp struct {
		ResultCode     string `json:"resultcode"`
		SubscriptionID string `json:"subscriptionId"`
	}
	status, raw := e.doJSON("POST", "/rest/caas/relationnumber/partners/v1.0",
		akskHeaders(axbEvApp, axbEvApp+"-secret", time.Now()), body, &resp)
	if status != http.StatusOK || resp.ResultCode != "0" || resp.SubscriptionID == "" {
		t.Fatalf("AXB bind %v: HTTP %d %s", body, status, raw)
	}
	ud, _ := bind["userData"].(string)
	return &axbEvEnv{env: e, rc: rc, seen: map[string]bool{}, icids: map[string]bool{}, since: since,
		want: evWant{Service: "004", App: axbEvApp, Caller: alice.Number, Dialled: axbEvX, Display: axbEvX,
			Dst: bob.Number, Sub: resp.SubscriptionID, UserData: ud}}
}

// run runs fn as a subtest whose failures land on it.
func (a *axbEvEnv) run(t *testing.T, name string, fn func(t *testing.T)) {
	t.Run(name, func(t *testing.T) {
		parent := a.env.t
		a.env.t, a.rc.t = t, t
		defer func() { a.env.t, a.rc.t = parent, parent }()
		fn(t)
	})
}

// check waits for the next stored CDR, then for the session as pushed, and
// checks both against w; it returns the pushed CDR.
func (a *axbEvEnv) check(t *testing.T, w evWant) fullCDR {
	t.Helper()
	st := a.storedFull(t)
	got, evs, _ := a.rc.session(st.SessionID)
	if strings.Join(got, ",") != w.Events {
		t.Errorf("session %s got %s, want %s", st.SessionID, strings.Join(got, ","), w.Events)
	}
	rec, ok := a.rc.pushed(st.SessionID)
	if !ok {
		t.Fatalf("no pushed CDR of session %s", st.SessionID)
	}
	if rec != st {
		t.Errorf("pushed CDR differs from the stored one:\npushed %+v\nstored %+v", rec, st)
	}
	if a.icids[rec.ICID] {
		t.Errorf("icid %q pushed for two calls", rec.ICID)
	}
	a.icids[rec.ICID] = true
	checkFullCDR(t, rec, w, a.since)
	checkModeEvents(t, evs, rec, w)
	return rec
}

// storedFull waits for a stored CDR (admin API) not seen before, with
// every field.
func (a *axbEvEnv) storedFull(t *testing.T) fullCDR {
	t.Helper()
	q := url.Values{"pageSize": {"1000"}}
	deadline := time.Now().Add(15 * time.Second)
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		var resp struct {
			CDRs []fullCDR `json:"cdrs"`
		}
		a.admin("GET", "/admin/v1/cdrs?"+q.Encode(), nil, &resp)
		for _, c := range resp.CDRs {
			if !a.seen[c.ICID] {
				a.seen[c.ICID] = true
				return c
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no new CDR within 15s (%d seen)", len(a.seen))
		}
		<-tick.C
	}
}

// TestE2EEventsAXB: B's failures of SPEC §4.2 without a row elsewhere, the
// Q.850 cause of B's Reason deciding ulFailReason, a trunk that never
// answers, the binding's other direction, and a binding's maxDuration,
// each with every CDR and event field.
//
// Two calls take real time: the maxDuration call a minute (SPEC §5:
// maxDuration is in minutes, 0 or 1–1440), the silent trunk's Timer B
// 6.4 s (64·sip.t1: `xnum serve` sets sipgo's transaction timers from
// sip.t1, docs/SIP.md "Timers"; at sipgo's own T1 it would be 32 s). Each runs on an xnum of its
// own, started before t.Parallel() (in the serial part of the run, so
// their wait starts with the package's), and is checked in a Cleanup: a
// parallel test with a parallel subtest gives its -parallel slot back when
// its body returns and runs its cleanups without one (testing.tRunner), so
// the package's other tests run while these calls wait. The other rows
// run in that subtest.
func TestE2EEventsAXB(t *testing.T) {
	// The RTP timeout (media.timeout, 60 s by default) must not end the
	// minute first: neither phone sends RTP.
	long := newAXBEvEnv(t, envOpts{Media: "  timeout: 10m\n"},
		map[string]any{"maxDuration": 1, "userData": "order=4711;kind=maxDuration"})
	longCall := long.startCall(t, callSpec{Caller: alice, RURI: sipURI(axbEvX, long.sipAddr), Scenario: "uac_call.xml",
		Mutate: func(s *scn) { s.HangupBy = "callee" }, // both phones wait: only xnum ends the call
		Callee: &bob, CalleeScenario: "uas_answer.xml", CalleeMutate: func(s *scn) { s.Ring = true },
		Timeout: 3 * time.Minute})
	// Nobody answers the B INVITE at all (no callee trunk listens): at
	// Timer B (64·sip.t1, 6.4 s here) xnum gives up as on B's 408 (SPEC
	// §4.2 "B: 480/408 no answer"), and it is the platform that released
	// (callRelDirection 0). The ring timeout (8035) must not come first.
	silent := newAXBEvEnv(t, envOpts{RingTimeout: 45 * time.Second}, map[string]any{"userData": "order=4713;kind=silent"})
	silentCall := silent.startCall(t, callSpec{Caller: alice, RURI: sipURI(axbEvX, silent.sipAddr), Scenario: "uac_reject.xml",
		Mutate:  func(s *scn) { s.Expect, s.Reason = 480, `Q\.850 *; *cause=19\b` },
		Timeout: time.Minute})

	t.Parallel()
	a := newAXBEvEnv(t, envOpts{}, map[string]any{"userData": "order=4712;kind=bfail"})
	t.Run("B legs", func(t *testing.T) {
		t.Parallel()
		axbBLegRows(t, a)
	})

	t.Cleanup(func() {
		res := silentCall.wait(t)
		res.checkFinal(t, 480, 19)
		w := silent.want
		w.Events, w.Cause, w.Status, w.RelDir, w.Unasw = "callin,callout,disconnect,fee", 8101, 480, 0, 19
		rec := silent.check(t, w)
		// Timer B follows sip.t1 (100 ms here: 6.4 s), not sipgo's default
		// T1 (32 s): the call ends well before the latter.
		in, err1 := time.Parse(time.DateTime, rec.CallInTime)
		end, err2 := time.Parse(time.DateTime, rec.CallEndTime)
		if d := end.Sub(in); err1 != nil || err2 != nil || d > 20*time.Second {
			t.Errorf("silent trunk: call in %s, ended %s: want Timer B at 64·sip.t1 (6.4 s), not sipgo's 32 s", rec.CallInTime, rec.CallEndTime)
		}

		res = longCall.wait(t) // both phones exit 0 only after xnum's BYE
		res.checkBLeg(t, bob.Number, axbEvX)
		res.checkNoLeaks(t)
		w = long.want
		w.Events, w.Cause, w.RelDir = answeredEvents, 8010, 0 // released by the platform, BYE both
		rec = long.check(t, w)
		// 8010 alone could come from sip.max_call_duration (4h here): the
		// minute of the binding, counted from answer, is what ended it.
		ans, err1 := time.Parse(time.DateTime, rec.FwdAnswerTime)
		end, err2 = time.Parse(time.DateTime, rec.CallEndTime)
		if d := end.Sub(ans); err1 != nil || err2 != nil || d < time.Minute || d > 2*time.Minute {
			t.Errorf("maxDuration call answered %s, ended %s: want the binding's 1 minute after the answer", rec.FwdAnswerTime, rec.CallEndTime)
		}
	})
}

// axbBLegRows: B's final responses, one call each, then B → X → A
// answered; one after the other on a's xnum (they share its callee trunk).
func axbBLegRows(t *testing.T, a *axbEvEnv) {
	rows := []struct {
		name         string
		final        int    // B's final response
		breason      string // B's Reason header
		status, q850 int    // what A gets (SPEC §4.2: the row of B's status)
		cause, unasw int    // ulFailReason, fwdUnaswRsn
	}{
		// SPEC §4.2 "B: 480/408 no answer → 8101, 480, 18/19"; without a
		// Reason from B, fwdUnaswRsn is the row's Q.850 cause.
		{"B 480: 8101", 480, "", 480, 18, 8101, 18},
		{"B 408: 8101", 408, "", 480, 19, 8101, 19},
		// SPEC §4.2 "B: 401/407 → 7508, 500, 41": A is never challenged.
		{"B 401: 7508", 401, "", 500, 41, 7508, 41},
		{"B 407: 7508", 407, "", 500, 41, 7508, 41},
		// SPEC §4.2: B's Q.850 cause decides ulFailReason (20 → 8103,
		// 28 → 8100, others → 7508) and is fwdUnaswRsn; A still gets the
		// status and cause of B's status row.
		{"B 480 with Q.850 cause 20: 8103", 480, "Q.850;cause=20", 480, 18, 8103, 20},
		{"B 600 with Q.850 cause 28: 8100", 600, `Q.850;cause=28;text="invalid number format"`, 486, 17, 8100, 28},
		{"B 486 with Q.850 cause 31: 7508", 486, "Q.850 ; cause=31", 486, 17, 7508, 31},
	}
	for _, r := range rows {
		a.run(t, r.name, func(t *testing.T) {
			res := a.call(t, callSpec{Caller: alice, RURI: sipURI(axbEvX, a.sipAddr), Scenario: "uac_reject.xml",
				Mutate: func(s *scn) { s.Expect, s.Reason = r.status, `Q\.850 *; *cause=`+strconv.Itoa(r.q850)+`\b` },
				Callee: &bob, CalleeScenario: "uas_reject.xml",
				CalleeMutate: func(s *scn) { s.Ring, s.Final, s.BReason = true, r.final, r.breason }})
			res.checkFinal(t, r.status, r.q850)
			res.checkNoLeaks(t)
			w := a.want
			w.Events, w.Cause, w.Status, w.RelDir, w.Unasw = ringEvents, r.cause, r.status, 2, r.unasw
			a.check(t, w)
		})
	}

	// The binding's other direction, answered: B → X → A shown X (SPEC §3
	// AXB), callerNum B, fwdDstNum A, the binding's userData on every
	// event; the called party (A) hangs up.
	a.run(t, "B calls A, answered, A hangs up: 0", func(t *testing.T) {
		res := a.call(t, callSpec{Caller: bob, RURI: sipURI(axbEvX, a.sipAddr), Scenario: "uac_call.xml",
			Mutate: func(s *scn) { s.HangupBy = "callee" }, Callee: &alice, CalleeScenario: "uas_answer.xml",
			CalleeMutate: func(s *scn) { s.Ring, s.HangupBy = true, "callee" }})
		res.checkBLeg(t, alice.Number, axbEvX)
		res.checkNoLeaks(t)
		w := a.want
		w.Events, w.RelDir, w.Caller, w.Dst = answeredEvents, 2, bob.Number, alice.Number
		a.check(t, w)
	})
}
