package main

// The scenarios checked against themselves: the caller SIPp talks straight
// to the callee SIPp, no xnum in between. This keeps testdata/sipp honest
// (a broken scenario fails here, not as a mystery in an xnum test) and
// proves the sentinel check can fail: without a B2BUA every identity of
// each party reaches the other.

import (
	"fmt"
	"strings"
	"testing"
)

func directCall(t *testing.T, spec callSpec) callResult {
	t.Helper()
	needSIPp(t)
	np := newNetPlan()
	trunk := fmt.Sprintf("%s:%d", np.ip(hostTrunk), freePort(t, np.ip(hostTrunk), false))
	if spec.RURI == "" {
		spec.RURI = sipURI(bob.Number, trunk)
	}
	return runCall(t, np, artifactDir(t), trunk, trunk, spec)
}

func TestE2EScenariosDirect(t *testing.T) {
	t.Parallel()
	rows := []struct {
		name string
		spec callSpec
	}{
		{"answer, caller hangs up", callSpec{Scenario: "uac_call.xml", Mutate: func(s *scn) { s.HangupBy = "caller" },
			CalleeScenario: "uas_answer.xml", CalleeMutate: func(s *scn) { s.Ring = true }}},
		{"answer, callee hangs up", callSpec{Scenario: "uac_call.xml", Mutate: func(s *scn) { s.HangupBy = "callee" },
			CalleeScenario: "uas_answer.xml", CalleeMutate: func(s *scn) { s.HangupBy = "callee" }}},
		{"re-INVITE from caller", callSpec{Scenario: "uac_call.xml", Mutate: func(s *scn) { s.HangupBy = "caller"; s.ReinviteA = true },
			CalleeScenario: "uas_answer.xml"}},
		{"re-INVITE from callee", callSpec{Scenario: "uac_call.xml", Mutate: func(s *scn) { s.HangupBy = "caller"; s.ReinviteB = true },
			CalleeScenario: "uas_answer.xml", CalleeMutate: func(s *scn) { s.ReinviteB = true }}},
		{"late offer", callSpec{Scenario: "uac_call.xml", Mutate: func(s *scn) { s.HangupBy = "caller"; s.LateOffer = true },
			CalleeScenario: "uas_answer.xml"}},
		{"reject 486", callSpec{Scenario: "uac_reject.xml", Mutate: func(s *scn) { s.Expect = 486; s.Reason = `cause=17` },
			CalleeScenario: "uas_reject.xml", CalleeMutate: func(s *scn) { s.Ring, s.Final, s.BReason = true, 486, "Q.850;cause=17" }}},
		{"cancel after 180", callSpec{Scenario: "uac_cancel.xml", Mutate: func(s *scn) { s.AfterRinging = true },
			CalleeScenario: "uas_ring.xml"}},
		{"cancel before 18x (sync hub)", callSpec{Scenario: "uac_cancel.xml",
			CalleeScenario: "uas_ring.xml", Sync: true}},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			spec := r.spec
			spec.Caller, spec.Callee = alice, &bob
			res := directCall(t, spec)
			// Without a B2BUA each side must see the other: the sentinel
			// finds A's identity at B, so it is able to fail.
			if hits := res.callerID.leaks(res.uas.received()); !leakKinds(hits, "number", "display name", "Call-ID", "tag", "signalling address", "media address") {
				t.Errorf("sentinel missed A's identity in a direct call; hits:\n%s", strings.Join(hits, "\n"))
			}
		})
	}
}

// leakKinds reports whether hits name every kind.
func leakKinds(hits []string, kinds ...string) bool {
	for _, k := range kinds {
		found := false
		for _, h := range hits {
			if strings.Contains(h, ": "+k) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// TestSentinelPatterns: the number pattern finds every shape of SPEC §2,
// with separators, and nothing else.
func TestSentinelPatterns(t *testing.T) {
	id := identity{Who: "caller", Party: alice, IP: "127.9.9.2", MediaIP: "127.9.9.12"}
	hit := []string{
		"From: <sip:+8613800000001@x>", "From: <sip:8613800000001@x>", "To: <sip:008613800000001@x>",
		"P-Asserted-Identity: <tel:13800000001>", "X-A: +86 138 0000 0001", "X-A: 138-0000-0001",
		"X-A: (138) 0000.0001", "Contact: \"alice  sentinel\" <sip:a@b>", "X: AliceSentinelUA",
		"Via: SIP/2.0/UDP 127.9.9.2:5060", "o=- 1 1 IN IP4 127.9.9.12", "From: <sip:x@y>;tag=alicetag123",
		"c=IN IP4 127.9.9.12", // relay mode: no party's media address anywhere
	}
	for _, line := range hit {
		if len(id.leaks([]sipMsg{{Text: line}})) == 0 {
			t.Errorf("sentinel missed %q", line)
		}
	}
	miss := []string{
		"From: <sip:+8613800000002@x>", "To: <sip:+8617000000000@x>", "Via: SIP/2.0/UDP 127.9.9.21:5060",
		"Via: SIP/2.0/UDP 127.9.9.1:5060", "c=IN IP4 127.9.9.1",
	}
	for _, line := range miss {
		if l := id.leaks([]sipMsg{{Text: line}}); len(l) != 0 {
			t.Errorf("sentinel false positive on %q: %v", line, l)
		}
	}
	// media.mode passthrough shows the media address on c= only.
	id.MediaExposed = true
	if l := id.leaks([]sipMsg{{Text: "c=IN IP4 127.9.9.12"}}); len(l) != 0 {
		t.Errorf("passthrough: c= flagged: %v", l)
	}
	if l := id.leaks([]sipMsg{{Text: "o=- 1 1 IN IP4 127.9.9.12"}}); len(l) == 0 {
		t.Error("passthrough: media address on o= not flagged")
	}
}
