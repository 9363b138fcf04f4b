package main

// Events and CDRs of the AX, AXE, AXYB and X modes end to end (issue 5
// item 2, SPEC §3, §6): one call per path through the real binary, each
// app's pushes checked by a receiver of its own (e2e_events_check_test.go).
// The modes' routing and prompts are e2e_modes_*_test.go's; here it is what
// the enterprise is told.

import (
	"fmt"
	"net/http"
	"testing"
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
	m := newEvModeEnv(t, envOpts{YAML: axeDTMF})
	m.app(app, "AXE", map[string]any{"extLen": 4, "answerBeforeCollect": true}, x)
	sub := m.axeBind(app, x, a.Number, "1234", map[string]any{"userData": "u-axe"})
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
	m := newEvModeEnv(t, envOpts{})
	m.app(app, "AXYB", nil, x, y)
	sub := m.manage("POST", "/rest/omp/xyrelationnumber/v1.0", app,
		map[string]any{"origNum": a.Number, "privateNum": x, "userData": "u-axyb"})["subscriptionId"].(string)
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
	)
	caller := alice.with("+8613800000531")
	callee := bob.with("+8613800000532")
	m := newEvModeEnv(t, envOpts{YAML: "xmode:\n  callin_timeout: 1s\n"})
	hook := newCallinServer(t, m.modeEnv, app)
	m.app(app, "X", map[string]any{"callinUrl": hook.url}, xConnect, xClose, xLate, xGarbage)
	hook.answers[xConnect] = answerJSON(fmt.Sprintf(`{"operation":"connect","connectInfo":{"calleeNum":%q,"displayCalleeNum":%q}}`,
		callee.Number, xConnect))
	hook.answers[xClose] = answerJSON(`{"operation":"close"}`)
	hook.answers[xLate] = func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }
	hook.answers[xGarbage] = answerJSON(`{"operation":"connect","connectInfo":`)
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
}
