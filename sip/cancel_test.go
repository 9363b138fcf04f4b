package sip

import (
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/xnum/xnum/cdr"
	"github.com/xnum/xnum/routing"
)

// gateLookup holds the first XNumber lookup until the test releases it: a
// CANCEL can then arrive while the call is still being routed.
type gateLookup struct {
	routing.Lookup
	once    *sync.Once
	entered chan struct{}
	release chan struct{}
}

func (g gateLookup) XNumber(n routing.Number) (routing.XNumber, routing.App, bool, error) {
	g.once.Do(func() {
		close(g.entered)
		<-g.release
	})
	return g.Lookup.XNumber(n)
}

// TestCancelBeforeBLeg: A cancels while routing runs: 487, 8009, and no B
// leg is ever placed.
func TestCancelBeforeBLeg(t *testing.T) {
	t.Parallel()
	g := gateLookup{once: new(sync.Once), entered: make(chan struct{}), release: make(chan struct{})}
	e := newEnv(t, withDeps(func(d *Deps) { g.Lookup = d.Lookup; d.Lookup = g }))
	c := e.invite(e.A, inviteOpt{user: tX, from: tA, sdp: sdpOffer})
	select {
	case <-g.entered:
	case <-time.After(waitFor):
		t.Fatal("routing never started")
	}
	if r := c.cancel(); r.StatusCode != 200 {
		t.Fatalf("CANCEL answered %d", r.StatusCode)
	}
	if r := finalOf(t, c.tx); r.StatusCode != 487 {
		t.Fatalf("INVITE answered %d, want 487", r.StatusCode)
	}
	close(g.release)
	rec := e.cdr()
	checkRecord(t, rec, cdr.Record{AppKey: "demo", SPID: "sp-demo", BindNum: tX, CallerNum: tA, CalleeNum: tX,
		FwdDisplayNum: tX, FwdDstNum: tB, ULFailReason: 8009, SIPStatusCode: 487,
		CallRelDirection: cdr.RelCaller, ServiceType: "004", UserData: "order-42"})
	if rec.FwdStartTime != "" {
		t.Errorf("a B leg was started: fwdStartTime %q", rec.FwdStartTime)
	}
	e.idle()
	if n := len(e.B.reqs); n != 0 {
		t.Errorf("B received %d requests", n)
	}
}

// TestCancelAfterTrying: B has sent 100 only: CANCEL reaches B, 7501.
func TestCancelAfterTrying(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.invite(e.A, inviteOpt{user: tX, from: tA, sdp: sdpOffer})
	in := e.B.expect(sip.INVITE)
	cancelled := make(chan struct{})
	in.tx.OnCancel(func(*sip.Request) { close(cancelled) })
	e.B.respond(in, 100, "", "")
	if r := c.cancel(); r.StatusCode != 200 {
		t.Fatalf("CANCEL answered %d", r.StatusCode)
	}
	if r := finalOf(t, c.tx); r.StatusCode != 487 {
		t.Fatalf("INVITE answered %d", r.StatusCode)
	}
	select {
	case <-cancelled:
	case <-time.After(waitFor):
		t.Fatal("B got no CANCEL")
	}
	rec := e.cdr()
	if rec.ULFailReason != 7501 || rec.SIPStatusCode != 487 || rec.CallRelDirection != cdr.RelCaller || rec.FwdUnaswRsn != 16 {
		t.Errorf("CDR cause %d status %d relDir %d unasw %d", rec.ULFailReason, rec.SIPStatusCode, rec.CallRelDirection, rec.FwdUnaswRsn)
	}
	e.idle()
}

// TestCancelAfterRinging: B rang: CANCEL reaches B, 7502.
func TestCancelAfterRinging(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.invite(e.A, inviteOpt{user: tX, from: tA, sdp: sdpOffer})
	in := e.B.expect(sip.INVITE)
	cancelled := make(chan struct{})
	in.tx.OnCancel(func(*sip.Request) { close(cancelled) })
	e.B.respond(in, 180, "b1", "")
	ringing := waitStatus(t, c.tx, 180)
	if r := c.cancel(); r.StatusCode != 200 || toTag(r) != toTag(ringing) {
		t.Errorf("CANCEL answered %d with To tag %q, want 200 and the 180's %q", r.StatusCode, toTag(r), toTag(ringing))
	}
	r := finalOf(t, c.tx)
	if r.StatusCode != 487 || reasonQ850(r) != 16 || toTag(r) != toTag(ringing) {
		t.Fatalf("INVITE answered %d cause %d tag %q, want 487, Q.850 16, the 180's tag", r.StatusCode, reasonQ850(r), toTag(r))
	}
	select {
	case <-cancelled:
	case <-time.After(waitFor):
		t.Fatal("B got no CANCEL")
	}
	rec := e.cdr()
	if rec.ULFailReason != 7502 || rec.SIPStatusCode != 487 || rec.FwdAlertingTime == "" {
		t.Errorf("CDR cause %d status %d alert %q", rec.ULFailReason, rec.SIPStatusCode, rec.FwdAlertingTime)
	}
	e.idle()
}

// TestCancelWaitsForProvisional: A cancels before B said anything: xnum
// must not CANCEL B until B's first provisional (RFC 3261 §9.1), then does.
// B is a raw socket, because a sipgo UA would send 100 Trying on its own.
func TestCancelWaitsForProvisional(t *testing.T) {
	t.Parallel()
	raw := newRawPeer(t, bHost)
	e := newEnv(t, withDeps(func(d *Deps) { d.Trunk.Outbound = raw.addr() }))
	c := e.invite(e.A, inviteOpt{user: tX, from: tA, sdp: sdpOffer})
	inv := raw.next(sip.INVITE)
	c.cancel()
	if r := finalOf(t, c.tx); r.StatusCode != 487 {
		t.Fatalf("INVITE answered %d", r.StatusCode)
	}
	// Sync point: xnum's next INVITE retransmission (Timer A) leaves after
	// it has handled A's CANCEL. Nothing but retransmissions may come first.
	deadline := time.After(waitFor)
	for retrans := false; !retrans; {
		select {
		case m := <-raw.msgs:
			req, ok := m.(*sip.Request)
			switch {
			case ok && req.Method == sip.INVITE:
				retrans = true
			case ok && req.Method == sip.CANCEL:
				t.Fatal("CANCEL sent before any provisional response from B")
			}
		case <-deadline:
			t.Fatal("no INVITE retransmission")
		}
	}
	raw.respond(inv, 180, "raw1")
	cancel := raw.next(sip.CANCEL)
	raw.respond(cancel, 200, "")
	raw.respond(inv, 487, "raw1")
	raw.next(sip.ACK)
	rec := e.cdr()
	if rec.ULFailReason != 7501 || rec.SIPStatusCode != 487 {
		t.Errorf("CDR cause %d status %d", rec.ULFailReason, rec.SIPStatusCode)
	}
	e.idle()
}

// TestCancelCrossing200: A's CANCEL crosses B's 200 (B never saw the
// CANCEL): A keeps its 487 and B's answer gets ACK + BYE (SPEC §4.1).
func TestCancelCrossing200(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withBDroppingCancel())
	c := e.invite(e.A, inviteOpt{user: tX, from: tA, sdp: sdpOffer})
	in := e.B.expect(sip.INVITE)
	e.B.respond(in, 180, "b1", "")
	waitStatus(t, c.tx, 180)
	c.cancel()
	if r := finalOf(t, c.tx); r.StatusCode != 487 {
		t.Fatalf("INVITE answered %d", r.StatusCode)
	}
	e.B.respond(in, 200, "b1", sdpAnswer)
	got := e.B.expectAll(sip.ACK, sip.BYE)
	for _, r := range got {
		if toTag(r.req) != "b1" {
			t.Errorf("%s To tag %q", r.req.Method, toTag(r.req))
		}
	}
	e.B.respond(got[sip.BYE], 200, "", "")
	rec := e.cdr()
	if rec.ULFailReason != 7502 || rec.SIPStatusCode != 487 || rec.CallRelDirection != cdr.RelCaller {
		t.Errorf("CDR cause %d status %d relDir %d", rec.ULFailReason, rec.SIPStatusCode, rec.CallRelDirection)
	}
	e.idle()
}

// TestRingTimeoutCrossing200: same crossing after a ring timeout.
func TestRingTimeoutCrossing200(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withBDroppingCancel(), withDeps(func(d *Deps) { d.SIP.RingTimeout = 200 * time.Millisecond }))
	c := e.invite(e.A, inviteOpt{user: tX, from: tA, sdp: sdpOffer})
	in := e.B.expect(sip.INVITE)
	e.B.respond(in, 180, "b1", "")
	if r := finalOf(t, c.tx); r.StatusCode != 480 {
		t.Fatalf("A got %d", r.StatusCode)
	}
	e.B.respond(in, 200, "b1", sdpAnswer)
	e.B.respond(e.B.expectAll(sip.ACK, sip.BYE)[sip.BYE], 200, "", "")
	if rec := e.cdr(); rec.ULFailReason != 8035 {
		t.Errorf("CDR cause %d", rec.ULFailReason)
	}
	e.idle()
}

// TestCancelOverTCP: over TCP sipgo answers the CANCEL itself; the call is
// released all the same.
func TestCancelOverTCP(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withTCP())
	c := e.invite(e.A, inviteOpt{user: tX, from: tA, sdp: sdpOffer})
	in := e.B.expect(sip.INVITE)
	cancelled := make(chan struct{})
	in.tx.OnCancel(func(*sip.Request) { close(cancelled) })
	e.B.respond(in, 180, "b1", "")
	waitStatus(t, c.tx, 180)
	c.cancel()
	if r := finalOf(t, c.tx); r.StatusCode != 487 {
		t.Fatalf("INVITE answered %d", r.StatusCode)
	}
	select {
	case <-cancelled:
	case <-time.After(waitFor):
		t.Fatal("B got no CANCEL")
	}
	if rec := e.cdr(); rec.ULFailReason != 7502 || rec.SIPStatusCode != 487 {
		t.Errorf("CDR cause %d status %d", rec.ULFailReason, rec.SIPStatusCode)
	}
	e.idle()
}

// TestCancelUnknown: a CANCEL that matches no INVITE gets 481 (RFC 3261 §9.2).
func TestCancelUnknown(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := &tcall{tdlg: &tdlg{p: e.A}, inv: sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: tX, Host: xHost, Port: e.srv.advPort})}
	c.inv.AppendHeader(e.A.via())
	c.inv.AppendHeader(&sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: tA, Host: aHost}, Params: sip.HeaderParams{{K: "tag", V: "x"}}})
	c.inv.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: tX, Host: xHost}})
	cid := sip.CallIDHeader("never-invited")
	c.inv.AppendHeader(&cid)
	c.inv.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.INVITE})
	if r := c.cancel(); r.StatusCode != 481 {
		t.Errorf("CANCEL of nothing: %d, want 481", r.StatusCode)
	}
}
