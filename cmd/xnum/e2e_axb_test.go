package main

// AXB calls end to end (issue 2): each row starts its own xnum (demo app and
// binding A +8613800000001 – X +8617000000000 – B +8613800000002), drives it
// with SIPp, and checks what A got (status, Q.850 Reason), what B got (the B
// leg), that neither saw the other's identity, and the CDR.

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestE2EAnswered: calls that connect, with every way of ending and
// changing them.
func TestE2EAnswered(t *testing.T) {
	t.Parallel()
	rows := []struct {
		name     string
		caller   party
		callee   party
		mutate   func(*scn) // caller
		mutateB  func(*scn) // callee
		relDir   int
		lateOffr bool
	}{
		{name: "A to B, A hangs up", caller: alice, callee: bob,
			mutate: func(s *scn) { s.HangupBy = "caller" }, relDir: 1},
		{name: "A to B, B hangs up", caller: alice, callee: bob,
			mutate: func(s *scn) { s.HangupBy = "callee" }, mutateB: func(s *scn) { s.HangupBy = "callee" }, relDir: 2},
		{name: "B to A, B hangs up", caller: bob, callee: alice,
			mutate: func(s *scn) { s.HangupBy = "caller" }, relDir: 1},
		{name: "B to A, A hangs up", caller: bob, callee: alice,
			mutate: func(s *scn) { s.HangupBy = "callee" }, mutateB: func(s *scn) { s.HangupBy = "callee" }, relDir: 2},
		{name: "re-INVITE from A", caller: alice, callee: bob,
			mutate: func(s *scn) { s.HangupBy = "caller"; s.ReinviteA = true }, relDir: 1},
		{name: "re-INVITE from B", caller: alice, callee: bob,
			mutate:  func(s *scn) { s.HangupBy = "caller"; s.ReinviteB = true },
			mutateB: func(s *scn) { s.ReinviteB = true }, relDir: 1},
		{name: "late offer", caller: alice, callee: bob,
			mutate: func(s *scn) { s.HangupBy = "caller"; s.LateOffer = true }, relDir: 1, lateOffr: true},
		{name: "no ringing: 200 straight away", caller: alice, callee: bob,
			mutate: func(s *scn) { s.HangupBy = "caller" }, mutateB: func(s *scn) { s.Ring = false }, relDir: 1},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOpts{})
			res := e.call(t, callSpec{
				Caller: r.caller, Scenario: "uac_call.xml", Mutate: r.mutate,
				Callee: &r.callee, CalleeScenario: "uas_answer.xml",
				CalleeMutate: func(s *scn) {
					s.Ring = true
					if r.mutateB != nil {
						r.mutateB(s)
					}
				},
			})
			res.checkBLeg(t, r.callee.Number, demoX)
			res.checkNoLeaks(t)
			if r.lateOffr {
				checkLateOffer(t, res)
			}
			checkCDR(t, e.lastCDR(byBindNum(demoX), 1), cdrWant{
				ULFailReason: 0, SIPStatusCode: 0, CallRelDirection: r.relDir,
				CallerNum: r.caller.Number, FwdDstNum: r.callee.Number, BindNum: demoX,
				HasSubscription: true, Answered: true,
			})
		})
	}
}

// checkLateOffer: A's INVITE had no SDP, so B's 200 carries the offer to A
// and A's answer reaches B in the ACK (SPEC §4.1).
func checkLateOffer(t *testing.T, res callResult) {
	t.Helper()
	ok200 := res.uac.firstReceived("a 200 to the INVITE", func(m sipMsg) bool {
		return m.Status() == 200 && strings.HasSuffix(m.Header("CSeq"), "INVITE")
	})
	if !strings.Contains(ok200.Body(), "v=0") {
		t.Errorf("late offer: A's 200 carries no SDP offer:\n%s", ok200.Text)
	}
	ack := res.uas.firstReceived("an ACK", func(m sipMsg) bool { return m.IsRequest("ACK") })
	if !strings.Contains(ack.Body(), "v=0") {
		t.Errorf("late offer: B's ACK carries no SDP answer:\n%s", ack.Text)
	}
}

// TestE2EForgedFrom: on a trusted trunk the caller is the PAI, not the From
// (SPEC §2.1).
func TestE2EForgedFrom(t *testing.T) {
	t.Parallel()
	t.Run("From is A, PAI is a stranger: routed by PAI, refused", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, envOpts{})
		res := e.call(t, callSpec{Caller: alice, Scenario: "uac_reject.xml", Mutate: func(s *scn) {
			s.PAI = `<sip:` + stranger.Number + `@` + e.net.ip(hostCaller) + `;user=phone>`
			s.Expect, s.Reason = 403, `Q\.850 *; *cause=21`
		}})
		res.checkFinal(t, 403, 21)
		checkCDR(t, e.lastCDR(byBindNum(demoX), 1), cdrWant{
			ULFailReason: 8014, SIPStatusCode: 403, CallRelDirection: -1,
			CallerNum: stranger.Number, NoSubscription: true,
		})
	})
	t.Run("From is a stranger, PAI is A: routed by PAI, connects", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, envOpts{})
		res := e.call(t, callSpec{Caller: alice, Scenario: "uac_call.xml",
			Mutate: func(s *scn) {
				s.HangupBy = "caller"
				s.From = `"Carol Stranger" <sip:` + stranger.Number + `@` + e.net.ip(hostCaller) + `>`
			},
			Callee: &bob, CalleeScenario: "uas_answer.xml", CalleeMutate: func(s *scn) { s.Ring = true }})
		res.checkBLeg(t, bob.Number, demoX)
		res.checkNoLeaks(t)
		// The stranger's From is caller-side identity too: B must not see it.
		assertNoLeak(t, "callee", res.uas.received(), identity{Who: "forged From", Party: stranger})
		checkCDR(t, e.lastCDR(byBindNum(demoX), 1), cdrWant{
			CallRelDirection: 1, CallerNum: alice.Number, FwdDstNum: bob.Number,
			HasSubscription: true, Answered: true,
		})
	})
	t.Run("untrusted source: PAI ignored, From decides", func(t *testing.T) {
		t.Parallel()
		// Only 127.0.0.1 is trusted; the caller sends from its own address.
		e := newEnv(t, envOpts{Trusted: []string{"127.0.0.1/32"}})
		res := e.call(t, callSpec{Caller: alice, Scenario: "uac_reject.xml", Mutate: func(s *scn) {
			s.From = `"Carol Stranger" <sip:` + stranger.Number + `@` + e.net.ip(hostCaller) + `>`
			s.Expect, s.Reason = 403, `Q\.850 *; *cause=21`
		}})
		res.checkFinal(t, 403, 21)
		checkCDR(t, e.lastCDR(byBindNum(demoX), 1), cdrWant{
			ULFailReason: 8014, SIPStatusCode: 403, CallRelDirection: -1,
			CallerNum: stranger.Number, NoSubscription: true,
		})
	})
}

// TestE2ERefused: calls xnum refuses itself, before any B leg (SPEC §3
// order of checks, §4.2). No callee trunk runs: a B leg would fail the call.
func TestE2ERefused(t *testing.T) {
	t.Parallel()
	const (
		xDir      = "+8617000000001"
		xLandline = "+8617000000002"
	)
	rows := []struct {
		name   string
		setup  func(e *env) (sub string)
		caller party
		ruri   func(e *env) string
		status int
		q850   int
		cdr    *cdrWant // nil: no CDR asserted
		bindX  string
	}{
		{name: "stranger calls X: no binding", caller: stranger, status: 403, q850: 21,
			cdr: &cdrWant{ULFailReason: 8014, SIPStatusCode: 403, CallerNum: stranger.Number, NoSubscription: true}},
		{name: "number that is no X", caller: alice, status: 404, q850: 1,
			ruri:  func(e *env) string { return sipURI("+8617100000000", e.sipAddr) },
			bindX: "+8617100000000",
			cdr:   &cdrWant{ULFailReason: 8014, SIPStatusCode: 404, CallerNum: alice.Number, NoSubscription: true}},
		{name: "forbidden direction: B calls, only A may", caller: bob.with("+8613800000012"), status: 403, q850: 21,
			setup: func(e *env) string {
				return e.bind(demoApp, demoSecret, axbBind{RelationNum: xDir, CallerNum: "+8613800000011", CalleeNum: "+8613800000012", CallDirection: 1})
			},
			ruri:  func(e *env) string { return sipURI(xDir, e.sipAddr) },
			bindX: xDir,
			cdr:   &cdrWant{ULFailReason: 8016, SIPStatusCode: 403, CallerNum: "+8613800000012"}},
		{name: "bound landline caller", caller: alice.with("+8675512345678"), status: 403, q850: 21,
			setup: func(e *env) string {
				return e.bind(demoApp, demoSecret, axbBind{RelationNum: xLandline, CallerNum: "+8675512345678", CalleeNum: "+8613800000013"})
			},
			ruri:  func(e *env) string { return sipURI(xLandline, e.sipAddr) },
			bindX: xLandline,
			cdr:   &cdrWant{ULFailReason: 8023, SIPStatusCode: 403, CallerNum: "+8675512345678"}},
		{name: "unbound landline caller", caller: stranger.with("+8675587654321"), status: 403, q850: 21,
			cdr: &cdrWant{ULFailReason: 8014, SIPStatusCode: 403, CallerNum: "+8675587654321", NoSubscription: true}},
		{name: "caller is one of our X numbers: loop guard", caller: stranger.with("+8617000000005"), status: 482},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOpts{})
			sub := ""
			if r.setup != nil {
				sub = r.setup(e)
			}
			ruri := ""
			if r.ruri != nil {
				ruri = r.ruri(e)
			}
			res := e.call(t, callSpec{Caller: r.caller, RURI: ruri, Scenario: "uac_reject.xml", Mutate: func(s *scn) {
				s.Expect = r.status
				if r.q850 > 0 {
					s.Reason = `Q\.850 *; *cause=` + strconv.Itoa(r.q850) + `\b`
				}
			}})
			res.checkFinal(t, r.status, r.q850)
			if r.cdr != nil {
				w := *r.cdr
				w.CallRelDirection = -1
				w.SubscriptionID = sub
				x := r.bindX
				if x == "" {
					x = demoX
				}
				w.BindNum = x
				checkCDR(t, e.lastCDR(byBindNum(x), 1), w)
			}
		})
	}
}

// TestE2ECalleeFails: B's trunk refuses or never answers; A gets the SPEC
// §4.2 mapping (never B's 503, never B's redirect Contact).
func TestE2ECalleeFails(t *testing.T) {
	t.Parallel()
	const redirect = "+8613999999999"
	rows := []struct {
		name       string
		final      int
		breason    string
		ring       time.Duration // ring timeout (no answer row)
		wantStatus int
		wantQ850   int
		wantCause  int
		unaswRsn   int
	}{
		{name: "busy 486", final: 486, breason: "Q.850;cause=17", wantStatus: 486, wantQ850: 17, wantCause: 8102, unaswRsn: 17},
		{name: "declined 603", final: 603, breason: "Q.850;cause=21", wantStatus: 603, wantQ850: 21, wantCause: 7504, unaswRsn: 21},
		{name: "503 becomes 480", final: 503, breason: "Q.850;cause=34", wantStatus: 480, wantQ850: 38, wantCause: 7506, unaswRsn: 34},
		{name: "302 becomes 480, no Contact relayed", final: 302, wantStatus: 480, wantQ850: 3, wantCause: 7508},
		{name: "404 from B", final: 404, wantStatus: 404, wantQ850: 1, wantCause: 8100},
		{name: "no answer: ring timeout", ring: 1500 * time.Millisecond, wantStatus: 480, wantQ850: 19, wantCause: 8035},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOpts{RingTimeout: r.ring})
			spec := callSpec{Caller: alice, Scenario: "uac_reject.xml", Mutate: func(s *scn) {
				s.Expect = r.wantStatus
				s.Reason = `Q\.850 *; *cause=` + strconv.Itoa(r.wantQ850) + `\b`
			}, Callee: &bob}
			if r.final == 0 {
				spec.CalleeScenario = "uas_ring.xml"
			} else {
				spec.CalleeScenario = "uas_reject.xml"
				spec.CalleeMutate = func(s *scn) {
					s.Ring, s.Final, s.BReason = true, r.final, r.breason
					s.Phrase = "Refused " + s.Phrase
					if r.final == 302 {
						s.Contact = "<sip:" + redirect + "@[local_ip]:[local_port]>"
					}
				}
			}
			res := e.call(t, spec)
			res.checkFinal(t, r.wantStatus, r.wantQ850)
			res.checkBLeg(t, bob.Number, demoX)
			res.calleeID.Extra = []string{redirect[3:]} // a redirect target is B's side too
			res.checkNoLeaks(t)
			if m, ok := res.uac.finalStatus(); ok && m.Header("Contact") != "" && r.final == 302 {
				t.Errorf("A's %d carries a Contact (%s): B's redirect must not reach A", m.Status(), m.Header("Contact"))
			}
			relDir := 2
			if r.final == 0 {
				relDir = 0 // the platform gave up
			}
			checkCDR(t, e.lastCDR(byBindNum(demoX), 1), cdrWant{
				ULFailReason: r.wantCause, SIPStatusCode: r.wantStatus, CallRelDirection: relDir,
				FwdUnaswRsn: r.unaswRsn, CallerNum: alice.Number, FwdDstNum: bob.Number, BindNum: demoX, HasSubscription: true,
			})
		})
	}
}

// TestE2ECancel: A cancels before and after B's 180 (SPEC §4.1: the CANCEL
// reaches B only after B's first 1xx; §4.2: 487, 7501 / 7502).
func TestE2ECancel(t *testing.T) {
	t.Parallel()
	rows := []struct {
		name  string
		sync  bool
		cause int
	}{
		{name: "before B's 18x", sync: true, cause: 7501},
		{name: "after B's 180", sync: false, cause: 7502},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOpts{})
			res := e.call(t, callSpec{Caller: alice, Scenario: "uac_cancel.xml",
				Mutate: func(s *scn) { s.AfterRinging = !r.sync },
				Callee: &bob, CalleeScenario: "uas_ring.xml", Sync: r.sync})
			res.checkFinal(t, 487, 0)
			res.checkBLeg(t, bob.Number, demoX)
			res.checkNoLeaks(t)
			if r.sync {
				for _, m := range res.uac.received() {
					if s := m.Status(); s > 100 && s < 200 {
						t.Errorf("A got %q although B sent no 18x", m.FirstLine())
					}
				}
			}
			checkCDR(t, e.lastCDR(byBindNum(demoX), 1), cdrWant{
				ULFailReason: r.cause, SIPStatusCode: 487, CallRelDirection: 1,
				CallerNum: alice.Number, FwdDstNum: bob.Number, BindNum: demoX, HasSubscription: true,
			})
		})
	}
}

// TestE2EUnknownDialogBYE: an in-dialog request for no dialog → 481.
func TestE2EUnknownDialogBYE(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	e.call(t, callSpec{Caller: alice, Scenario: "uac_bye_unknown.xml"})
}
