package main

// SIGTERM with a call up (issue 2, "Operations"; SPEC §8): new INVITEs get
// 503, the call in progress may go on for sip.drain_timeout, then xnum
// releases it with BYE on both legs and exits 0. Its CDR is in cdr.file.

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestE2EDrain(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{}) // sip.drain_timeout: 2s
	// Both phones wait for the other to hang up: only xnum can end the call.
	run := e.startCall(t, callSpec{Caller: alice, Scenario: "uac_call.xml",
		Mutate: func(s *scn) { s.HangupBy = "callee" },
		Callee: &bob, CalleeScenario: "uas_answer.xml", CalleeMutate: func(s *scn) { s.Ring = true },
		NotifyAnswered: true})
	select {
	case ev := <-run.hub.events:
		if ev != "answered" {
			t.Fatalf("callee said %q, want answered", ev)
		}
	case <-run.res.uac.done:
		run.wait(t)
		t.Fatal("the caller ended before the call was up")
	case <-time.After(30 * time.Second):
		t.Fatal("the call was not answered within 30s")
	}

	e.terminate()
	e.waitDraining()
	// A new call while draining is refused with 503.
	select {
	case <-e.exited:
		t.Errorf("xnum exited at once on SIGTERM with a call up (exit %v); it should drain", e.exitErr)
	default:
		e.call(t, callSpec{Caller: stranger, CallerAt: hostOther, Scenario: "uac_reject.xml",
			Mutate: func(s *scn) { s.Expect = 503 }})
	}

	res := run.wait(t) // each phone exits 0 only after it got xnum's BYE
	res.checkNoLeaks(t)
	select {
	case <-e.exited:
		if e.exitErr != nil {
			t.Errorf("xnum exit after draining: %v", e.exitErr)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("xnum still running 20s after both legs were released")
	}

	// The released call's CDR is in cdr.file.
	f, err := os.Open(filepath.Join(e.dir, "cdr.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	found := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r cdrRec
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("cdr.file line is not a CDR: %v: %s", err, sc.Text())
		}
		if r.CallerNum == alice.Number && r.FwdAnswerTime != "" {
			found = true
			t.Logf("drained call's CDR: ulFailReason %d, sipStatusCode %d, callRelDirection %d",
				r.ULFailReason, r.SIPStatusCode, r.CallRelDirection)
		}
	}
	if !found {
		t.Errorf("no CDR of the answered call in cdr.file")
	}
}
