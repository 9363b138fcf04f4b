package main

// What the enterprise must get for one call of a mode (SPEC §6.1, §6.2),
// checked through the receiver of e2e_events_test.go: the session's
// arrivals in order, every field of the pushed CDR (equal to the stored
// one), a unique icid, times in the vendor's UTC format and in call order,
// and each event's numbers, subscriptionId, userData, timestamp and
// stateCode. The expected values come from SPEC §3/§4.2/§6 and the choices
// of docs/EVENTS.md and docs/SIP.md ("CDR per mode"), never from the code.

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xnum/xnum/cdr"
)

// fullCDR is a SPEC §6.2 record with every field of the table.
type fullCDR = cdrRec

// evModeEnv is a modeEnv whose apps each push to a receiver of their own.
type evModeEnv struct {
	*modeEnv
	rcs   map[string]*receiver // appKey → its receiver
	icids map[string]bool      // every icid pushed in this env
	since time.Time            // before the env started (UTC)
}

func newEvModeEnv(t *testing.T, opts envOpts) *evModeEnv {
	t.Helper()
	since := time.Now().UTC().Add(-time.Second).Truncate(time.Second)
	return &evModeEnv{modeEnv: newModeEnv(t, opts), rcs: map[string]*receiver{}, icids: map[string]bool{}, since: since}
}

// app creates an app of mode (spId "sp-"+key) whose statusUrl and feeUrl
// are a receiver that checks signatures with the app's secret.
func (m *evModeEnv) app(key, mode string, extra map[string]any, numbers ...string) *receiver {
	m.t.Helper()
	rc := newReceiver(m.t, m.env, key, key+"-secret")
	rc.start()
	body := map[string]any{"statusUrl": rc.url("/status"), "feeUrl": rc.url("/fee"), "spId": "sp-" + key}
	for k, v := range extra {
		body[k] = v
	}
	m.createApp(key, mode, body, numbers...)
	m.rcs[key] = rc
	return rc
}

// run runs fn as a subtest whose failures land on it (the env and the
// receivers report to the subtest while it runs).
func (m *evModeEnv) run(t *testing.T, name string, fn func(t *testing.T)) {
	t.Run(name, func(t *testing.T) {
		parent := m.env.t
		m.env.t = t
		for _, rc := range m.rcs {
			rc.t = t
		}
		defer func() {
			m.env.t = parent
			for _, rc := range m.rcs {
				rc.t = parent
			}
		}()
		fn(t)
	})
}

// evWant is one call's expected record and events. Every CDR field is
// checked exactly: "" and 0 mean empty and zero.
type evWant struct {
	Events      string   // the session's arrivals, "fee" last
	Digits      []string // digitInfo of the collectInfo events, in order
	Cause       int      // ulFailReason = disconnect's stateCode
	Status      int      // sipStatusCode
	RelDir      int      // callRelDirection
	Dir         int      // direction
	Unasw       int      // fwdUnaswRsn
	Service     string   // serviceType
	App         string
	Caller      string // callerNum
	Dialled     string // bindNum = calleeNum
	Display     string // fwdDisplayNum
	Dst         string // fwdDstNum
	Sub         string // subscriptionId
	Ext         string // extendNumber
	UserData    string
	CallinNoSub bool // AXE: callin precedes the extension, so no binding yet
	Record      bool // recordFlag 1 with its fields
}

// stored waits for the next stored CDR of bindNum x (admin API) and returns
// it with every field.
func (m *evModeEnv) stored(t *testing.T, x string) fullCDR { return nthCDR[fullCDR](t, m.modeEnv, x) }

// pushed is the CDR of session s as the receiver got it (every field).
func (r *receiver) pushed(s string) (fullCDR, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, f := range r.fees {
		if f.SessionID == s {
			return f, true
		}
	}
	return fullCDR{}, false
}

// check waits for the call's CDR (stored, then pushed to app's receiver)
// and checks it and the session's events against w. It returns the CDR.
func (m *evModeEnv) check(t *testing.T, w evWant) fullCDR {
	t.Helper()
	rc := m.rcs[w.App]
	st := m.stored(t, w.Dialled)
	got, evs, _ := rc.session(st.SessionID)
	if strings.Join(got, ",") != w.Events {
		t.Errorf("session %s got %s, want %s", st.SessionID, strings.Join(got, ","), w.Events)
	}
	rec, ok := rc.pushed(st.SessionID)
	if !ok {
		t.Fatalf("no pushed CDR of session %s", st.SessionID)
	}
	if rec != st {
		t.Errorf("pushed CDR differs from the stored one:\npushed %+v\nstored %+v", rec, st)
	}
	if rec.ICID == "" || m.icids[rec.ICID] {
		t.Errorf("icid %q empty or pushed for two calls", rec.ICID)
	}
	m.icids[rec.ICID] = true
	checkFullCDR(t, rec, w, m.since)
	checkModeEvents(t, evs, rec, w)
	return rec
}

func checkFullCDR(t *testing.T, got fullCDR, w evWant, since time.Time) {
	t.Helper()
	has := func(ev string) bool { return slices.Contains(strings.Split(w.Events, ","), ev) }
	type field struct {
		name      string
		have, was any
	}
	fields := []field{
		{"ulFailReason", got.ULFailReason, w.Cause},
		{"sipStatusCode", got.SIPStatusCode, w.Status},
		{"callRelDirection", got.CallRelDirection, w.RelDir},
		{"direction", got.Direction, w.Dir},
		{"fwdUnaswRsn", got.FwdUnaswRsn, w.Unasw},
		{"serviceType", got.ServiceType, w.Service},
		{"appKey", got.AppKey, w.App},
		{"spId", got.SPID, "sp-" + w.App},
		{"callerNum", got.CallerNum, w.Caller},
		{"bindNum", got.BindNum, w.Dialled},
		{"calleeNum", got.CalleeNum, w.Dialled},
		{"fwdDisplayNum", got.FwdDisplayNum, w.Display},
		{"fwdDstNum", got.FwdDstNum, w.Dst},
		{"subscriptionId", got.SubscriptionID, w.Sub},
		{"extendNumber", got.ExtendNumber, w.Ext},
		{"userData", got.UserData, w.UserData},
		{"recordFlag", got.RecordFlag, map[bool]int{false: 0, true: 1}[w.Record]},
		{"recordStartTime set", got.RecordStartTime != "", w.Record},
		{"recordDomain set", got.RecordDomain != "", w.Record},
		{"recordObjectName set", got.RecordObjectName != "", w.Record},
		{"fwdStartTime set", got.FwdStartTime != "", has("callout")},
		{"fwdAlertingTime set", got.FwdAlertingTime != "", has("alerting")},
		{"fwdAnswerTime set", got.FwdAnswerTime != "", has("answer")},
		// failTime: the end of a call that never reached its callee
		// (docs/SIP.md "CDR": = end time for unanswered calls).
		{"failTime", got.FailTime, map[bool]string{false: got.CallEndTime, true: ""}[has("answer")]},
	}
	for _, f := range fields {
		if f.have != f.was {
			t.Errorf("CDR %s = %v, want %v", f.name, f.have, f.was)
		}
	}
	if got.SessionID == "" {
		t.Errorf("CDR without sessionId")
	}
	// Times: vendor format, UTC (within the test's run, read as UTC), in
	// call order: callIn ≤ fwdStart ≤ fwdAlerting ≤ fwdAnswer ≤
	// recordStart ≤ callEnd.
	now := time.Now().UTC().Add(time.Second)
	var last time.Time
	for _, f := range []struct{ name, v string }{
		{"callInTime", got.CallInTime}, {"fwdStartTime", got.FwdStartTime},
		{"fwdAlertingTime", got.FwdAlertingTime}, {"fwdAnswerTime", got.FwdAnswerTime},
		{"recordStartTime", got.RecordStartTime}, {"callEndTime", got.CallEndTime},
	} {
		if f.v == "" {
			if f.name == "callInTime" || f.name == "callEndTime" {
				t.Errorf("CDR %s empty", f.name)
			}
			continue
		}
		at, err := time.Parse(cdr.TimeLayout, f.v)
		switch {
		case err != nil:
			t.Errorf("CDR %s %q: %v", f.name, f.v, err)
		case at.Before(since) || at.After(now):
			t.Errorf("CDR %s %s is not UTC now (test ran %s – %s UTC)", f.name, f.v, since.Format(time.DateTime), now.Format(time.DateTime))
		case at.Before(last):
			t.Errorf("CDR %s %s before an earlier step of the call (%s): %+v", f.name, f.v, last.Format(time.DateTime), got)
		default:
			last = at
		}
	}
}

// checkModeEvents: each event's numbers as docs/EVENTS.md's table (SPEC
// §6.1 fixes callin's and callout's), the binding's subscriptionId and
// userData, the timestamp = its CDR field, the disconnect's stateCode =
// ulFailReason; collectInfo (AXE) carries the digits of one attempt and the
// binding they reached ("" for none).
func checkModeEvents(t *testing.T, evs []hookEvent, rec fullCDR, w evWant) {
	t.Helper()
	var digits []string
	for _, ev := range evs {
		caller, called := rec.CallerNum, rec.BindNum
		sub, ud := rec.SubscriptionID, rec.UserData
		switch ev.Type {
		case "callout":
			caller, called = rec.FwdDisplayNum, rec.FwdDstNum
		case "callin":
			if w.CallinNoSub {
				sub, ud = "", ""
			}
		case "collectInfo":
			d, _ := ev.Info["digitInfo"].(string)
			digits = append(digits, d)
			if d != w.Ext {
				sub, ud = "", ""
			}
		}
		if ev.Info["caller"] != caller || ev.Info["called"] != called || ev.Info["subscriptionId"] != sub || ev.Info["userData"] != ud {
			t.Errorf("%s event %v: want caller %s, called %s, subscriptionId %q, userData %q", ev.Type, ev.Info, caller, called, sub, ud)
		}
		want, ok := map[string]string{"callin": rec.CallInTime, "callout": rec.FwdStartTime,
			"alerting": rec.FwdAlertingTime, "answer": rec.FwdAnswerTime, "disconnect": rec.CallEndTime}[ev.Type]
		ts, _ := ev.Info["timestamp"].(string)
		if ok && ts != want {
			t.Errorf("%s event at %v, want %s (the CDR's)", ev.Type, ts, want)
		}
		if !ok && (ts < rec.CallInTime || ts > rec.CallEndTime) { // collectInfo: during the call
			t.Errorf("%s event at %s, outside the call %s – %s", ev.Type, ts, rec.CallInTime, rec.CallEndTime)
		}
		if ev.Type == "disconnect" && (ev.Info["stateCode"] != w.Cause || ev.Info["stateDesc"] == "") {
			t.Errorf("disconnect stateCode %v stateDesc %q, want %d", ev.Info["stateCode"], ev.Info["stateDesc"], w.Cause)
		}
	}
	if !slices.Equal(digits, w.Digits) {
		t.Errorf("collectInfo digitInfo %q, want %q", digits, w.Digits)
	}
}

// answeredCall: caller → dialled, the callee trunk (party callee) rings
// and answers; hangup ("caller" or "callee") sends the BYE.
func (m *evModeEnv) answeredCall(t *testing.T, caller party, dialled string, callee party, hangup string) callResult {
	t.Helper()
	res := m.call(t, callSpec{
		Caller: caller, RURI: sipURI(dialled, m.sipAddr), Scenario: "uac_mode.xml",
		Mutate: func(s *scn) {
			s.Expect = 200
			if hangup == "caller" {
				s.HangupBy = "caller"
			}
		},
		Callee: &callee, CalleeScenario: "uas_answer.xml",
		CalleeMutate: func(s *scn) { s.Ring, s.HangupBy = true, hangup },
	})
	return res
}

// refusedCall: caller → dialled refused with status and Q.850 cause before
// any B leg (the mode tests check the prompts).
func (m *evModeEnv) refusedCall(t *testing.T, caller party, dialled string, status, q int) {
	t.Helper()
	res := m.call(t, m.callSpec(caller, dialled, func(s *scn) { s.Expect, s.Reason = status, q850(q) }))
	res.checkFinal(t, status, q)
}
