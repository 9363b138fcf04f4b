package main

// The sentinel test (issue 2): calls in both directions where each phone
// puts everything that identifies it into its messages — number in From,
// Contact, P-Asserted-Identity, Remote-Party-ID, Diversion, History-Info and
// an X- header, a display name, a User-Agent/Server, tags, its own Call-ID,
// its own signalling address, its SDP o= line and its own media address on
// SDP c= — then every message the other phone received is searched for any
// of it, the number in every shape and with separators (see
// e2e_leak_test.go). Any hit fails the test with the offending line.
//
// xnum runs in relay mode (the default, SPEC §4.3): every SDP a party gets
// is xnum's own, so the other party's media address may appear on no line
// at all, c= included. (Passthrough mode shows it on c= by design:
// identity.MediaExposed, TestSentinelPatterns, and sip's TestPassthrough.)
// That RTP itself only ever comes from xnum is TestE2EMediaRelay's check.
//
// Every answered-call test runs the same check; this one adds the flows
// that carry the most messages (re-INVITEs both ways, late offer, a refusal
// with B's identity in the 180 and the 486).

import "testing"

func TestE2ESentinel(t *testing.T) {
	t.Parallel()
	rows := []struct {
		name string
		spec callSpec
	}{
		{"A calls B: re-INVITE from B, B hangs up", callSpec{
			Caller: alice, Scenario: "uac_call.xml",
			Mutate: func(s *scn) { s.ReinviteB, s.HangupBy = true, "callee" },
			Callee: &bob, CalleeScenario: "uas_answer.xml",
			CalleeMutate: func(s *scn) { s.Ring, s.ReinviteB, s.HangupBy = true, true, "callee" },
		}},
		{"B calls A: late offer, re-INVITE from B, B hangs up", callSpec{
			Caller: bob, Scenario: "uac_call.xml",
			Mutate: func(s *scn) { s.LateOffer, s.ReinviteA, s.HangupBy = true, true, "caller" },
			Callee: &alice, CalleeScenario: "uas_answer.xml",
			CalleeMutate: func(s *scn) { s.Ring = true },
		}},
		{"A calls B: B rings then is busy", callSpec{
			Caller: alice, Scenario: "uac_reject.xml",
			Mutate: func(s *scn) { s.Expect = 486 },
			Callee: &bob, CalleeScenario: "uas_reject.xml",
			CalleeMutate: func(s *scn) { s.Ring, s.Final, s.BReason = true, 486, "Q.850;cause=17" },
		}},
		{"A calls B: A cancels while B rings", callSpec{
			Caller: alice, Scenario: "uac_cancel.xml",
			Mutate: func(s *scn) { s.AfterRinging = true },
			Callee: &bob, CalleeScenario: "uas_ring.xml",
		}},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, envOpts{})
			res := e.call(t, r.spec)
			res.checkBLeg(t, r.spec.Callee.Number, demoX)
			// The B leg must be a new dialog: the callee's Call-ID is not
			// the caller's (and the reverse is checked by the leak check).
			if res.callerID.CallIDs[0] == res.calleeID.CallIDs[0] {
				t.Errorf("B leg reuses the A leg's Call-ID %q", res.callerID.CallIDs[0])
			}
			res.checkNoLeaks(t)
		})
	}
}
