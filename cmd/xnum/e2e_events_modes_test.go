package main

// Events and CDRs of the AX, AXE, AXYB and X modes end to end (issue 5
// item 2, SPEC §3, §6): one call per path through the real binary, each
// app's pushes checked by a receiver of its own (e2e_events_check_test.go).
// The modes' routing and prompts are e2e_modes_*_test.go's; here it is what
// the enterprise is told.

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/xnum/xnum/routing"
)

const (
	answeredSeq = "callin,callout,alerting,answer,disconnect,fee"
	refusedSeq  = "callin,disconnect,fee"
)

// TestE2EEventsAX: anyone → X → A; A → X without a temporary callee
// (8013); A → X → the temporary callee (direction 1).
func TestE2EEventsAX(t *testing.T) {
	t.Parallel()
	const (
		app = "axev"
		x   = "+8617000000500"
	)
	var (
		a      = alice.with("+8613800000501")
		temp   = bob.with("+8613800000502")
		anyone = stranger.with("+8613900000503")
	)
	// xnum in UTC+8: every time it reports must still be UTC (SPEC §6.1).
	m := newEvModeEnv(t, envOpts{Env: []string{"TZ=Asia/Shanghai"}})
	m.app(app, "AX", nil, x)
	sub := m.manage("POST", "/rest/provision/caas/privatenumber/v1.0", app,
		map[string]any{"origNum": a.Number, "privateNum": x, "userData": "u-ax"})["subscriptionId"].(string)
	base := evWant{Service: "003", App: app, Dialled: x, Sub: sub, UserData: "u-ax"}

	m.run(t, "anyone to X reaches A, A's caller hangs up", func(t *testing.T) {
		m.answeredCall(t, anyone, x, a, "caller")
		w := base
		w.Events, w.RelDir, w.Dir, w.Caller, w.Display, w.Dst = answeredSeq, 1, 0, anyone.Number, x, a.Number
		m.check(t, w)
	})
	m.run(t, "A to X without temporary callee: 8013", func(t *testing.T) {
		m.refusedCall(t, a, x, 403, 21)
		w := base
		w.Events, w.Cause, w.Status, w.Dir, w.Caller = refusedSeq, 8013, 403, 2, a.Number
		m.check(t, w)
	})
	m.manage("PUT", "/rest/caas/privatenumber/calleenumber/v1.0", app,
		map[string]any{"subscriptionId": sub, "calleeNum": temp.Number})
	m.run(t, "A to X reaches the temporary callee, who hangs up", func(t *testing.T) {
		m.answeredCall(t, a, x, temp, "callee")
		w := base
		w.Events, w.RelDir, w.Dir, w.Caller, w.Display, w.Dst = answeredSeq, 2, 1, a.Number, x, temp.Number
		m.check(t, w)
	})
	// SPEC §3 step 1 comes before the mode's routing: no binding is
	// resolved, so no subscriptionId nor userData.
	m.run(t, "suspended X: 8055", func(t *testing.T) {
		m.suspend(app, x, true)
		defer m.suspend(app, x, false)
		m.refusedCall(t, anyone, x, 403, 21)
		m.check(t, evWant{Events: refusedSeq, Cause: 8055, Status: 403, Dir: 2, Service: "003", App: app,
			Caller: anyone.Number, Dialled: x})
	})
	m.run(t, "frozen app: 7108", func(t *testing.T) {
		m.freeze(app, true)
		defer m.freeze(app, false)
		m.refusedCall(t, anyone, x, 403, 21)
		m.check(t, evWant{Events: refusedSeq, Cause: 7108, Status: 403, Dir: 2, Service: "003", App: app,
			Caller: anyone.Number, Dialled: x})
	})
}

// TestE2EEventsAXE: the extension keyed (collectInfo, then A); the
// callback to the last caller; wrong keys (8022), no key (8033), hanging up
// during the prompt (7516). A is answered before the prompt
// (answerBeforeCollect), so sipStatusCode stays 0 on every path.
func TestE2EEventsAXE(t *testing.T) {
	t.Parallel()
	const (
		app = "axeev"
		x   = "+8617000000510"
	)
	var (
		a      = alice.with("+8613800000511")
		caller = stranger.with("+8613900000511")
		other  = stranger.with("+8613900000512")
	)
	const xEmpty = "+8617000000511" // an X of the app without bindings
	var (
		aTone = alice.with("+8613800000512") // callbackTone
		aNum  = alice.with("+8613800000513") // callbackNum
		cbNum = bob.with("+8613800000519")
	)
	m := newEvModeEnv(t, envOpts{YAML: axeDTMF})
	m.app(app, "AXE", map[string]any{"extLen": 4, "answerBeforeCollect": true}, x, xEmpty)
	sub := m.axeBind(app, x, a.Number, "1234", map[string]any{"userData": "u-axe"})
	subTone := m.axeBind(app, x, aTone.Number, "5678", map[string]any{"userData": "u-tone", "callbackTone": routing.PromptFixedCaller})
	subNum := m.axeBind(app, x, aNum.Number, "2468", map[string]any{"userData": "u-num", "callbackNum": cbNum.Number})
	base := evWant{Service: "005", App: app, Dialled: x}

	m.run(t, "keys 1234: collectInfo, then A", func(t *testing.T) {
		res := m.call(t, callSpec{
			Caller: caller, RURI: sipURI(x, m.sipAddr), Scenario: "uac_mode.xml",
			Mutate: func(s *scn) { s.Expect, s.Pcaps, s.ByeReason = 200, keyPcaps(t, "1234"), q850(16) },
			Callee: &a, CalleeScenario: "uas_answer.xml",
			CalleeMutate: func(s *scn) { s.Ring, s.HangupBy = true, "callee" },
		})
		res.checkBLeg(t, a.Number, x)
		w := base
		w.Events = "callin,collectInfo,callout,alerting,answer,disconnect,fee"
		w.Digits, w.CallinNoSub = []string{"1234"}, true
		w.RelDir, w.Dir, w.Caller, w.Display, w.Dst, w.Sub, w.Ext, w.UserData = 2, 0, caller.Number, x, a.Number, sub, "1234", "u-axe"
		m.check(t, w)
	})
	m.run(t, "A to X: called back, the last caller", func(t *testing.T) {
		m.answeredCall(t, a, x, caller, "caller")
		w := base
		w.Events = answeredSeq
		w.RelDir, w.Dir, w.Caller, w.Display, w.Dst, w.Sub, w.Ext, w.UserData = 1, 1, a.Number, x, caller.Number, sub, "1234", "u-axe"
		m.check(t, w)
	})
	m.run(t, "wrong keys, then none on the retry: BYE, 8022", func(t *testing.T) {
		m.call(t, m.callSpec(other, x, func(s *scn) { s.Expect, s.Pcaps, s.ByeReason = 200, keyPcaps(t, "9876"), q850(21) }))
		w := base
		w.Events, w.Digits = "callin,collectInfo,disconnect,fee", []string{"9876"}
		w.Cause, w.RelDir, w.Dir, w.Caller = 8022, 0, 2, other.Number
		m.check(t, w)
	})
	m.run(t, "no key: BYE, 8033", func(t *testing.T) {
		m.call(t, m.callSpec(other, x, func(s *scn) { s.Expect, s.ByeReason = 200, q850(21) }))
		w := base
		w.Events, w.Cause, w.RelDir, w.Dir, w.Caller = refusedSeq, 8033, 0, 2, other.Number
		m.check(t, w)
	})
	m.run(t, "A hangs up during the prompt: 7516", func(t *testing.T) {
		m.call(t, m.callSpec(other, x, func(s *scn) { s.Expect, s.HangupBy = 200, "caller" }))
		w := base
		// docs/SIP.md "CDR per mode": a hang-up keeps the direction of
		// where the call was going, an extension collection to a bound
		// party (0); the caller released it.
		w.Events, w.Cause, w.RelDir, w.Dir, w.Caller = refusedSeq, 7516, 1, 0, other.Number
		m.check(t, w)
	})
	m.run(t, "A to X without callback record, callbackTone: 8019", func(t *testing.T) {
		m.refusedCall(t, aTone, x, 403, 21)
		w := base
		w.Events, w.Cause, w.Status, w.Dir, w.Caller, w.Sub, w.Ext, w.UserData = refusedSeq, 8019, 403, 2, aTone.Number, subTone, "5678", "u-tone"
		m.check(t, w)
	})
	m.run(t, "A to X without callback record, callbackNum", func(t *testing.T) {
		m.answeredCall(t, aNum, x, cbNum, "caller")
		w := base
		w.Events = answeredSeq
		w.RelDir, w.Dir, w.Caller, w.Display, w.Dst, w.Sub, w.Ext, w.UserData = 1, 1, aNum.Number, x, cbNum.Number, subNum, "2468", "u-num"
		m.check(t, w)
	})
	m.run(t, "an X without binding: 8025", func(t *testing.T) {
		m.refusedCall(t, other, xEmpty, 403, 21)
		m.check(t, evWant{Events: refusedSeq, Cause: 8025, Status: 403, Dir: 2, Service: "005", App: app,
			Caller: other.Number, Dialled: xEmpty})
	})

	// An app that collects in early media (answerBeforeCollect false): A
	// is answered by the callee's 200, a CANCEL during the prompt is 487.
	const (
		early  = "axeearlyev"
		xEarly = "+8617000000515"
	)
	aEarly := alice.with("+8613800000515")
	m.app(early, "AXE", map[string]any{"extLen": 3, "answerBeforeCollect": false}, xEarly)
	subEarly := m.axeBind(early, xEarly, aEarly.Number, "135", map[string]any{"userData": "u-early"})
	m.run(t, "early media: keys 135 in the 183, then A", func(t *testing.T) {
		m.call(t, callSpec{
			Caller: caller, RURI: sipURI(xEarly, m.sipAddr), Scenario: "uac_mode.xml",
			Mutate: func(s *scn) {
				s.Expect, s.Pcaps, s.KeysEarly, s.ByeReason = 200, keyPcaps(t, "135"), true, q850(16)
			},
			Callee: &aEarly, CalleeScenario: "uas_answer.xml",
			CalleeMutate: func(s *scn) { s.Ring, s.HangupBy = true, "callee" },
		})
		m.check(t, evWant{Events: "callin,collectInfo,callout,alerting,answer,disconnect,fee", Digits: []string{"135"},
			CallinNoSub: true, RelDir: 2, Dir: 0, Service: "005", App: early, Caller: caller.Number, Dialled: xEarly,
			Display: xEarly, Dst: aEarly.Number, Sub: subEarly, Ext: "135", UserData: "u-early"})
	})
	m.run(t, "early media: CANCEL during the prompt, 487, 7516", func(t *testing.T) {
		m.call(t, m.callSpec(other, xEarly, func(s *scn) { s.Cancel = true })).checkFinal(t, 487, 0)
		m.check(t, evWant{Events: refusedSeq, Cause: 7516, Status: 487, RelDir: 1, Dir: 0, Service: "005", App: early,
			Caller: other.Number, Dialled: xEarly})
	})
}

// TestE2EEventsAXYB: B's first call takes a free Y (A shown Y), A → Y → B
// (shown X), another B with no free Y (8031).
func TestE2EEventsAXYB(t *testing.T) {
	t.Parallel()
	const (
		app = "axybev"
		x   = "+8617000000520"
		y   = "+8617000000529"
	)
	var (
		a  = alice.with("+8613800000521")
		b  = bob.with("+8613900000521")
		b2 = bob.with("+8613900000522")
	)
	const (
		x2 = "+8617000000521" // A2's X
		x3 = "+8617000000522" // A3's X, callDirection 1 (only A → Y → B)
	)
	var (
		a2 = alice.with("+8613800000522")
		a3 = alice.with("+8613800000523")
	)
	m := newEvModeEnv(t, envOpts{})
	m.app(app, "AXYB", nil, x, x2, x3, y)
	bind := func(a, x string, dir int, userData string) string {
		return m.manage("POST", "/rest/omp/xyrelationnumber/v1.0", app, map[string]any{
			"origNum": a, "privateNum": x, "callDirection": dir, "userData": userData})["subscriptionId"].(string)
	}
	sub := bind(a.Number, x, 0, "u-axyb")
	bind(a2.Number, x2, 0, "u-a2")
	sub3 := bind(a3.Number, x3, 1, "u-a3")
	base := evWant{Service: "007", App: app, Sub: sub, UserData: "u-axyb"}

	m.run(t, "B's first call takes Y: A is shown Y", func(t *testing.T) {
		m.answeredCall(t, b, x, a, "caller")
		w := base
		w.Events, w.RelDir, w.Dir, w.Caller, w.Dialled, w.Display, w.Dst = answeredSeq, 1, 0, b.Number, x, y, a.Number
		m.check(t, w)
	})
	m.run(t, "A to Y reaches B shown X", func(t *testing.T) {
		m.answeredCall(t, a, y, b, "callee")
		w := base
		w.Events, w.RelDir, w.Dir, w.Caller, w.Dialled, w.Display, w.Dst = answeredSeq, 2, 0, a.Number, y, x, b.Number
		m.check(t, w)
	})
	m.run(t, "another B, no free Y: 500, 8031", func(t *testing.T) {
		m.refusedCall(t, b2, x, 500, 41)
		w := base
		w.Events, w.Cause, w.Status, w.Dir, w.Caller, w.Dialled = refusedSeq, 8031, 500, 2, b2.Number, x
		m.check(t, w)
	})
	m.run(t, "A dials its own X: 8032", func(t *testing.T) {
		m.refusedCall(t, a, x, 403, 21)
		w := base
		w.Events, w.Cause, w.Status, w.Dir, w.Caller, w.Dialled = refusedSeq, 8032, 403, 2, a.Number, x
		m.check(t, w)
	})
	m.run(t, "an A calls a Y of no relation: 8030", func(t *testing.T) {
		m.refusedCall(t, a2, y, 403, 21)
		m.check(t, evWant{Events: refusedSeq, Cause: 8030, Status: 403, Dir: 2, Service: "007", App: app,
			Caller: a2.Number, Dialled: y})
	})
	m.run(t, "callDirection 1: B to X is 8016", func(t *testing.T) {
		m.refusedCall(t, b2, x3, 403, 21)
		m.check(t, evWant{Events: refusedSeq, Cause: 8016, Status: 403, Dir: 2, Service: "007", App: app,
			Caller: b2.Number, Dialled: x3, Sub: sub3, UserData: "u-a3"})
	})
}

// TestE2EEventsX: the blocking callin to callinUrl and the events to
// statusUrl share the call's sessionId; connect (direction 1, no
// binding), close (480, 8017), no answer in time and garbage (403, 8014).
func TestE2EEventsX(t *testing.T) {
	t.Parallel()
	const (
		app      = "xev"
		xConnect = "+8617000000530"
		xClose   = "+8617000000531"
		xLate    = "+8617000000532"
		xGarbage = "+8617000000533"
		xCancel  = "+8617000000534"
	)
	caller := alice.with("+8613800000531")
	callee := bob.with("+8613800000532")
	m := newEvModeEnv(t, envOpts{YAML: "xmode:\n  callin_timeout: 2s\n"})
	hook := newCallinServer(t, m.modeEnv, app)
	m.app(app, "X", map[string]any{"callinUrl": hook.url}, xConnect, xClose, xLate, xGarbage, xCancel)
	hook.answers[xConnect] = answerJSON(fmt.Sprintf(`{"operation":"connect","connectInfo":{"calleeNum":%q,"displayCalleeNum":%q}}`,
		callee.Number, xConnect))
	hook.answers[xClose] = answerJSON(`{"operation":"close"}`)
	hook.answers[xLate] = func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }
	hook.answers[xGarbage] = answerJSON(`{"operation":"connect","connectInfo":`)
	hook.answers[xCancel] = func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }
	base := evWant{Service: "004", App: app, Caller: caller.Number}

	sameSession := func(t *testing.T, x string, rec fullCDR) {
		t.Helper()
		c := hook.next(t)
		checkCallin(t, c, caller.Number, x)
		if c.sessionID != rec.SessionID {
			t.Errorf("callin request to callinUrl has sessionId %s, the events and CDR %s", c.sessionID, rec.SessionID)
		}
	}
	m.run(t, "connect: the callee of the answer, shown X", func(t *testing.T) {
		m.answeredCall(t, caller, xConnect, callee, "caller")
		w := base
		w.Events, w.RelDir, w.Dir, w.Dialled, w.Display, w.Dst = answeredSeq, 1, 1, xConnect, xConnect, callee.Number
		sameSession(t, xConnect, m.check(t, w))
	})
	m.run(t, "close: 480, 8017", func(t *testing.T) {
		m.refusedCall(t, caller, xClose, 480, 16)
		w := base
		w.Events, w.Cause, w.Status, w.Dir, w.Dialled = refusedSeq, 8017, 480, 2, xClose
		sameSession(t, xClose, m.check(t, w))
	})
	for _, r := range []struct{ name, x string }{
		{"no answer within xmode.callin_timeout: 403, 8014", xLate},
		{"garbage: 403, 8014", xGarbage},
	} {
		m.run(t, r.name, func(t *testing.T) {
			m.refusedCall(t, caller, r.x, 403, 21)
			w := base
			w.Events, w.Cause, w.Status, w.Dir, w.Dialled = refusedSeq, 8014, 403, 2, r.x
			sameSession(t, r.x, m.check(t, w))
		})
	}
	m.run(t, "A cancels while the enterprise is asked: 487, 8009", func(t *testing.T) {
		run := m.startCall(t, callSpec{Caller: caller, RURI: sipURI(xCancel, m.sipAddr), Scenario: "uac_mode.xml", Sync: true,
			Mutate: func(s *scn) { s.Cancel, s.CancelSync = true, true }})
		c := hook.next(t) // the request is out: now A cancels
		hubConn, err := net.Dial("tcp4", run.hub.addr())
		if err != nil {
			t.Fatal(err)
		}
		defer hubConn.Close()
		goAhead{conn: hubConn, callID: strings.NewReplacer("%u", "1").Replace(run.res.uac.opts.CallID)}.send(t)
		run.wait(t).checkFinal(t, 487, 0)
		w := base
		// No B leg yet: 8009; X mode keeps its direction 1 (docs/SIP.md).
		w.Events, w.Cause, w.Status, w.RelDir, w.Dir, w.Dialled = refusedSeq, 8009, 487, 1, 1, xCancel
		rec := m.check(t, w)
		checkCallin(t, c, caller.Number, xCancel)
		if c.sessionID != rec.SessionID {
			t.Errorf("callin request to callinUrl has sessionId %s, the events and CDR %s", c.sessionID, rec.SessionID)
		}
	})
}
