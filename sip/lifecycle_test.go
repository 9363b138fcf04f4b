package sip

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// TestOverTCP: both legs over TCP; xnum's requests to A reuse A's
// connection.
func TestOverTCP(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withTCP())
	c, bd := e.answer(inviteOpt{user: tX, from: tA, sdp: sdpOffer})
	tx := bd.send(sip.BYE, "")
	bye := e.A.expect(sip.BYE)
	if bye.req.Transport() != "TCP" || toTag(bye.req) != c.localTag {
		t.Errorf("BYE to A over %s, To tag %q", bye.req.Transport(), toTag(bye.req))
	}
	e.A.respond(bye, 200, "", "")
	if r := finalOf(t, tx); r.StatusCode != 200 {
		t.Fatalf("B's BYE: %d", r.StatusCode)
	}
	if rec := e.cdr(); rec.ULFailReason != 0 || rec.CallRelDirection != 2 {
		t.Errorf("CDR cause %d relDir %d", rec.ULFailReason, rec.CallRelDirection)
	}
	e.idle()
}

// TestConcurrentCalls: many answered calls at once, each its own dialogs,
// CDR and ids.
func TestConcurrentCalls(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	stop := make(chan struct{})
	defer close(stop)
	go func() { // B: ring, answer, take every BYE
		for {
			select {
			case r := <-e.B.reqs:
				switch r.req.Method {
				case sip.INVITE:
					tag := "b" + sip.GenerateTagN(8)
					e.B.respond(r, 180, tag, "")
					e.B.respond(r, 200, tag, sdpAnswer)
				case sip.BYE:
					e.B.respond(r, 200, "", "")
				case sip.ACK:
					r.tx.Terminate()
				}
			case <-stop:
				return
			}
		}
	}()
	const n = 30
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := e.invite(e.A, inviteOpt{user: tX, from: tA, sdp: sdpOffer})
			r := finalOf(t, c.tx)
			if r.StatusCode != 200 {
				t.Errorf("A got %d", r.StatusCode)
				return
			}
			c.answered(r, "")
			if r := c.do(sip.BYE, ""); r.StatusCode != 200 {
				t.Errorf("BYE %d", r.StatusCode)
			}
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for range n {
		rec := e.cdr()
		if rec.ULFailReason != 0 || rec.FwdAnswerTime == "" {
			t.Errorf("CDR cause %d answer %q", rec.ULFailReason, rec.FwdAnswerTime)
		}
		if seen[rec.ICID] || seen[rec.SessionID] {
			t.Errorf("duplicate id in %+v", rec)
		}
		seen[rec.ICID], seen[rec.SessionID] = true, true
	}
	e.idle()
}

// TestNoLeftovers: after a batch of calls of every kind, no call, dialog
// entry or goroutine of xnum is left (STYLE.md: one owner per call, closed
// completely).
func TestNoLeftovers(t *testing.T) {
	e := newEnv(t)
	baseline := -1
	for i := range 12 {
		switch i % 4 {
		case 0:
			c, _ := e.answer(inviteOpt{user: tX, from: tA, sdp: sdpOffer})
			c.do(sip.BYE, "")
			e.B.respond(e.B.expect(sip.BYE), 200, "", "")
		case 1:
			c := e.invite(e.A, inviteOpt{user: tX, from: tStranger})
			finalOf(t, c.tx)
		case 2:
			c := e.invite(e.A, inviteOpt{user: tX, from: tA, sdp: sdpOffer})
			e.B.respond(e.B.expect(sip.INVITE), 486, "b", "")
			finalOf(t, c.tx)
		case 3:
			c := e.invite(e.A, inviteOpt{user: tX, from: tA, sdp: sdpOffer})
			in := e.B.expect(sip.INVITE)
			e.B.respond(in, 180, "b", "")
			waitStatus(t, c.tx, 180)
			c.cancel()
			finalOf(t, c.tx)
		}
		e.cdr()
		e.idle()
		if i == 3 {
			// Every kind of call has run once: sipgo's lazily started
			// parts are up. This is the baseline.
			waitSettled(t)
			baseline = goroutines()
		}
	}
	waitUntil(t, fmt.Sprintf("goroutines back to %d", baseline), func() bool { return goroutines() <= baseline })
	n := 0
	e.srv.dialogs.Range(func(_, _ any) bool { n++; return true })
	e.srv.calls.Range(func(_, _ any) bool { n++; return true })
	if n != 0 {
		t.Errorf("%d registry entries left", n)
	}
}

// waitSettled lets goroutines that are on their way out finish: the count
// must stop falling before it can serve as a baseline.
func waitSettled(t *testing.T) {
	t.Helper()
	prev := goroutines()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(waitFor)
	for stable := 0; stable < 5; {
		select {
		case <-tick.C:
		case <-deadline:
			return
		}
		if n := goroutines(); n < prev {
			prev, stable = n, 0
		} else {
			stable++
		}
	}
}

// TestDrain: SIGTERM. New INVITEs get 503 at once; a call still up when
// sip.drain_timeout ends is released with BYE on both legs; Drain returns
// once no call is left.
func TestDrain(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withDeps(func(d *Deps) { d.SIP.DrainTimeout = 300 * time.Millisecond }))
	e.answer(inviteOpt{user: tX, from: tA, sdp: sdpOffer})
	done := make(chan struct{})
	go func() { e.srv.Drain(context.Background()); close(done) }()
	waitUntil(t, "draining", e.srv.draining.Load)
	c := e.invite(e.A, inviteOpt{user: tX, from: tA, sdp: sdpOffer})
	if r := finalOf(t, c.tx); r.StatusCode != 503 {
		t.Errorf("INVITE while draining: %d, want 503", r.StatusCode)
	}
	e.A.respond(e.A.expect(sip.BYE), 200, "", "")
	e.B.respond(e.B.expect(sip.BYE), 200, "", "")
	select {
	case <-done:
	case <-time.After(waitFor):
		t.Fatal("Drain did not return")
	}
	if rec := e.cdr(); rec.ULFailReason != 0 || rec.CallRelDirection != 0 {
		t.Errorf("CDR cause %d relDir %d", rec.ULFailReason, rec.CallRelDirection)
	}
	if n := e.srv.ActiveCalls(); n != 0 {
		t.Errorf("%d calls active after Drain", n)
	}
}

// TestDrainEndsEarly: Drain returns as soon as the last call ends by itself.
func TestDrainEndsEarly(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withDeps(func(d *Deps) { d.SIP.DrainTimeout = time.Hour }))
	c, _ := e.answer(inviteOpt{user: tX, from: tA, sdp: sdpOffer})
	done := make(chan struct{})
	go func() { e.srv.Drain(context.Background()); close(done) }()
	waitUntil(t, "draining", e.srv.draining.Load)
	c.do(sip.BYE, "")
	e.B.respond(e.B.expect(sip.BYE), 200, "", "")
	select {
	case <-done:
	case <-time.After(waitFor):
		t.Fatal("Drain did not return when the last call ended")
	}
	e.cdr()
}

// TestTwoServers: two servers in one process share nothing.
func TestTwoServers(t *testing.T) {
	t.Parallel()
	e1, e2 := newEnv(t), newEnv(t)
	for _, e := range []*tenv{e1, e2} {
		c := e.invite(e.A, inviteOpt{user: tX, from: tStranger})
		if r := finalOf(t, c.tx); r.StatusCode != 403 {
			t.Errorf("status %d", r.StatusCode)
		}
		e.cdr()
	}
	if e1.srv.Addr() == e2.srv.Addr() {
		t.Errorf("both servers on %s", e1.srv.Addr())
	}
}
