package sip

import (
	"runtime"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// TestFinishedCallIsFreed: sipgo keeps A's INVITE transaction and xnum's
// INVITE to B for 64×T1 (32 s) after their 2xx (Timers L and M, RFC 6026),
// with the callbacks xnum gave them. Those callbacks reach the call only
// through call.self, cleared when the call finishes, so a finished call is
// garbage at once rather than 32 s later (at 1400 calls/s that was ~45,000
// calls held, with their messages and media state; docs/EVENTS.md "Speed").
func TestFinishedCallIsFreed(t *testing.T) {
	e := newEnv(t)
	freed := make(chan struct{})
	a, _ := e.answer(inviteOpt{user: tX, from: tA, sdp: sdpOffer})
	var found int
	e.srv.calls.Range(func(k, _ any) bool {
		found++
		runtime.AddCleanup(k.(*call), func(ch chan struct{}) { close(ch) }, freed)
		return true
	})
	if found != 1 {
		t.Fatalf("%d calls active, want 1", found)
	}
	a.do(sip.BYE, "")
	e.B.respond(e.B.expect(sip.BYE), 200, "", "")
	e.cdr()
	e.idle()
	deadline := time.Now().Add(5 * time.Second) // well inside Timer L's 32 s
	for {
		runtime.GC()
		select {
		case <-freed:
			return
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("a finished call is still reachable 5 s after its end (held by a sipgo transaction's callback?)")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
