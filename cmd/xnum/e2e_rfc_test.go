package main

// The RFC 3261 minimum of SPEC §4.1 that a SIPp phone can show end to end:
// TCP from the caller, a retransmitted INVITE, a caller that never ACKs,
// REFER, OPTIONS, an unsupported Require and Max-Forwards 0.

import (
	"strings"
	"testing"
	"time"
)

func TestE2ERFC3261(t *testing.T) {
	t.Parallel()

	for _, by := range []string{"caller", "callee"} {
		t.Run("caller over TCP, "+by+" hangs up", func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOpts{})
			res := e.call(t, callSpec{Caller: alice, Scenario: "uac_call.xml", TCP: true,
				Mutate: func(s *scn) { s.HangupBy = by },
				Callee: &bob, CalleeScenario: "uas_answer.xml", CalleeMutate: func(s *scn) { s.Ring, s.HangupBy = true, by }})
			res.checkBLeg(t, bob.Number, demoX)
			res.checkNoLeaks(t)
			// RFC 3261 §20.14: Content-Length is mandatory on stream transports.
			for _, m := range res.uac.received() {
				if m.Header("Content-Length") == "" {
					t.Errorf("message to A over TCP without Content-Length:\n%s", m.Text)
				}
			}
			checkCDR(t, e.lastCDR(byBindNum(demoX), 1), cdrWant{CallRelDirection: map[string]int{"caller": 1, "callee": 2}[by],
				CallerNum: alice.Number, FwdDstNum: bob.Number, HasSubscription: true, Answered: true})
		})
	}

	t.Run("B leg over TCP (trunk.transport tcp)", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, envOpts{TrunkTCP: true})
		res := e.call(t, callSpec{Caller: alice, Scenario: "uac_call.xml",
			Mutate: func(s *scn) { s.HangupBy = "caller" },
			Callee: &bob, CalleeScenario: "uas_answer.xml", CalleeMutate: func(s *scn) { s.Ring = true }})
		res.checkBLeg(t, bob.Number, demoX)
		res.checkNoLeaks(t)
		for _, m := range res.uas.received() {
			if !strings.Contains(m.Header("Via"), "SIP/2.0/TCP") {
				t.Errorf("B leg message not over TCP: Via %q", m.Header("Via"))
			}
		}
	})

	t.Run("retransmitted INVITE makes one B leg", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, envOpts{})
		res := e.call(t, callSpec{Caller: alice, Scenario: "uac_call.xml",
			Mutate: func(s *scn) { s.HangupBy, s.RetransmitInvite = "caller", true },
			Callee: &bob, CalleeScenario: "uas_answer.xml", CalleeMutate: func(s *scn) { s.Ring = true }})
		res.checkBLeg(t, bob.Number, demoX)
		legs := map[string]bool{}
		for _, m := range res.uas.received() {
			if m.IsRequest("INVITE") {
				legs[m.Header("Call-ID")] = true
			}
		}
		if len(legs) != 1 {
			t.Errorf("B got INVITEs of %d dialogs, want 1: %v", len(legs), legs)
		}
		if n := len(e.cdrs(byBindNum(demoX), 1)); n != 1 {
			t.Errorf("%d CDRs for one call", n)
		}
	})

	t.Run("caller never ACKs: BYE to both legs after 64*T1", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, envOpts{T1: 25 * time.Millisecond}) // 64*T1 = 1.6 s
		res := e.call(t, callSpec{Caller: alice, Scenario: "uac_call.xml",
			Mutate: func(s *scn) { s.HangupBy, s.NoAck = "callee", true },
			Callee: &bob, CalleeScenario: "uas_answer.xml", CalleeMutate: func(s *scn) { s.Ring = true }})
		res.checkNoLeaks(t)
		// Both scenarios end by receiving a BYE; the CDR's cause is xnum's
		// choice (SPEC names none), so only its existence is checked.
		cdr := e.lastCDR(byBindNum(demoX), 1)
		t.Logf("missing-ACK CDR: ulFailReason %d, sipStatusCode %d, callRelDirection %d",
			cdr.ULFailReason, cdr.SIPStatusCode, cdr.CallRelDirection)
	})

	t.Run("REFER is refused and never reaches B", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, envOpts{})
		res := e.call(t, callSpec{Caller: alice, Scenario: "uac_call.xml",
			Mutate: func(s *scn) { s.HangupBy, s.ReferA = "caller", true },
			Callee: &bob, CalleeScenario: "uas_answer.xml", CalleeMutate: func(s *scn) { s.Ring = true }})
		res.checkNoLeaks(t)
		for _, m := range res.uas.received() {
			if m.IsRequest("REFER") || strings.Contains(m.Text, "13912345678") {
				t.Errorf("B received the REFER or its target:\n%s", m.Text)
			}
		}
	})

	t.Run("OPTIONS answered locally", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, envOpts{})
		e.call(t, callSpec{Caller: alice, Scenario: "uac_options.xml"})
	})

	t.Run("unsupported Require gets 420 with Unsupported", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, envOpts{})
		res := e.call(t, callSpec{Caller: alice, Scenario: "uac_reject.xml", Mutate: func(s *scn) {
			s.Expect = 420
			s.Extra = append(s.Extra, "Require: x-no-such-extension")
		}})
		if m, ok := res.uac.finalStatus(); ok && !strings.Contains(m.Header("Unsupported"), "x-no-such-extension") {
			t.Errorf("420 without Unsupported: x-no-such-extension:\n%s", m.Text)
		}
	})

	t.Run("Max-Forwards 0 gets 483", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, envOpts{})
		e.call(t, callSpec{Caller: alice, Scenario: "uac_reject.xml", Mutate: func(s *scn) {
			s.Expect, s.MaxForwards = 483, 0
		}})
	})
}
