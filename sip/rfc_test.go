package sip

import (
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/xnum/xnum/routing"
)

// outOfDialog sends a request of method from A to xnum outside any dialog.
func (e *tenv) outOfDialog(method sip.RequestMethod, hdrs ...sip.Header) *sip.Response {
	e.t.Helper()
	d := &tdlg{p: e.A, callID: "ood-" + sip.GenerateTagN(10), localURI: sip.Uri{Scheme: "sip", User: tA, Host: aHost},
		remoteURI: sip.Uri{Scheme: "sip", User: tX, Host: xHost}, localTag: "t" + sip.GenerateTagN(6),
		target: sip.Uri{Scheme: "sip", User: tX, Host: xHost, Port: e.srv.advPort}}
	req := d.request(method, 1, "")
	for _, h := range hdrs {
		req.AppendHeader(h)
	}
	return finalOf(e.t, e.A.start(req))
}

// TestLocalAnswers: OPTIONS is answered locally; REFER is refused with 405
// and an Allow without REFER; an unimplemented method gets 501; an
// in-dialog request for no dialog gets 481; an unsupported Require 420.
func TestLocalAnswers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.outOfDialog(sip.OPTIONS)
	if r.StatusCode != 200 || r.GetHeader("Allow") == nil || r.GetHeader("Accept") == nil {
		t.Errorf("OPTIONS: %d Allow %v Accept %v", r.StatusCode, r.GetHeader("Allow"), r.GetHeader("Accept"))
	}
	r = e.outOfDialog(sip.REFER, sip.NewHeader("Refer-To", "<sip:"+tStranger+"@evil.example>"))
	if r.StatusCode != 405 {
		t.Errorf("REFER: %d, want 405", r.StatusCode)
	}
	if a := r.GetHeader("Allow"); a == nil || strings.Contains(a.Value(), "REFER") || !strings.Contains(a.Value(), "INVITE") {
		t.Errorf("REFER 405 Allow: %v", a)
	}
	if r = e.outOfDialog(sip.MESSAGE); r.StatusCode != 501 {
		t.Errorf("MESSAGE: %d, want 501", r.StatusCode)
	}
	// A BYE for a dialog that does not exist (RFC 3261 §12.2.2).
	d := &tdlg{p: e.A, callID: "nobody", localURI: sip.Uri{Scheme: "sip", User: tA, Host: aHost},
		remoteURI: sip.Uri{Scheme: "sip", User: tX, Host: xHost}, localTag: "a1", remoteTag: "never-issued",
		target: sip.Uri{Scheme: "sip", Host: xHost, Port: e.srv.advPort}}
	if r = d.do(sip.BYE, ""); r.StatusCode != 481 {
		t.Errorf("BYE for no dialog: %d, want 481", r.StatusCode)
	}
	if r = d.do(sip.INVITE, sdpOffer); r.StatusCode != 481 {
		t.Errorf("re-INVITE for no dialog: %d, want 481", r.StatusCode)
	}
	c := e.invite(e.A, inviteOpt{user: tX, from: tA, extra: []sip.Header{sip.NewHeader("Require", "foo-ext")}})
	r = finalOf(t, c.tx)
	if r.StatusCode != 420 || r.GetHeader("Unsupported") == nil {
		t.Errorf("Require: %d Unsupported %v, want 420", r.StatusCode, r.GetHeader("Unsupported"))
	}
	if n := len(e.B.reqs); n != 0 {
		t.Errorf("B received %d requests", n)
	}
	e.idle()
}

// TestReferInDialogRefused: a REFER inside a call is refused and never
// reaches the other party (SPEC §4.1).
func TestReferInDialogRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c, _ := e.answer(inviteOpt{user: tX, from: tA, sdp: sdpOffer})
	req := c.request(sip.REFER, c.seq+1, "")
	c.seq++
	req.AppendHeader(sip.NewHeader("Refer-To", "<sip:"+tStranger+"@evil.example>"))
	if r := finalOf(t, e.A.start(req)); r.StatusCode != 405 {
		t.Errorf("REFER in dialog: %d, want 405", r.StatusCode)
	}
	if r := c.do(sip.BYE, ""); r.StatusCode != 200 {
		t.Fatalf("BYE %d", r.StatusCode)
	}
	// B's next request is the BYE: the REFER never crossed.
	e.B.respond(e.B.expect(sip.BYE), 200, "", "")
	e.cdr()
}

// TestInviteRetransmission: the same INVITE sent twice (same branch) makes
// one B leg and one call (SPEC §4.1).
func TestInviteRetransmission(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.invite(e.A, inviteOpt{user: tX, from: tA, sdp: sdpOffer})
	in := e.B.expect(sip.INVITE)
	if err := e.A.tp.WriteMsg(c.inv); err != nil { // the retransmission
		t.Fatal(err)
	}
	waitStatus(t, c.tx, 100)
	e.B.respond(in, 486, "b1", "")
	if r := finalOf(t, c.tx); r.StatusCode != 486 {
		t.Fatalf("A got %d", r.StatusCode)
	}
	e.cdr()
	e.idle() // a second call would still be waiting for its B leg
	select {
	case r := <-e.B.reqs:
		t.Fatalf("B got a second %s", r.req.Method)
	default:
	}
	select {
	case r := <-e.cdrs:
		t.Fatalf("a second CDR: %+v", r)
	default:
	}
}

// TestMissingAck: A never ACKs its 200: after 64·T1 both legs get BYE and
// the CDR says 7505 (SPEC §4.1).
func TestMissingAck(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.invite(e.A, inviteOpt{user: tX, from: tA, sdp: sdpOffer})
	in := e.B.expect(sip.INVITE)
	e.B.respond(in, 200, "b1", sdpAnswer)
	e.B.expect(sip.ACK)
	if r := finalOf(t, c.tx); r.StatusCode != 200 {
		t.Fatalf("A got %d", r.StatusCode)
	}
	// A stays silent. Both BYEs follow after 64·T1.
	e.B.respond(e.B.expect(sip.BYE), 200, "", "")
	byeA := e.A.expect(sip.BYE)
	if toTag(byeA.req) == "" || byeA.req.CallID().Value() != c.callID {
		t.Errorf("BYE to A outside A's dialog")
	}
	e.A.respond(byeA, 200, "", "")
	rec := e.cdr()
	if rec.ULFailReason != 7505 || rec.SIPStatusCode != 0 || rec.FwdAnswerTime == "" {
		t.Errorf("CDR cause %d status %d answer %q", rec.ULFailReason, rec.SIPStatusCode, rec.FwdAnswerTime)
	}
	e.idle()
}

// TestForkedSecond200: B's INVITE is answered twice with different To tags
// (a fork): the second answer gets ACK + BYE, the call stays on the first.
func TestForkedSecond200(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.invite(e.A, inviteOpt{user: tX, from: tA, sdp: sdpOffer})
	in := e.B.expect(sip.INVITE)
	e.B.respond(in, 200, "fork1", sdpAnswer)
	e.B.expect(sip.ACK)
	r := finalOf(t, c.tx)
	c.answered(r, "")
	e.B.respond(in, 200, "fork2", sdpAnswer)
	got := e.B.expectAll(sip.ACK, sip.BYE)
	for m, r := range got {
		if toTag(r.req) != "fork2" {
			t.Errorf("%s for the fork has To tag %q", m, toTag(r.req))
		}
	}
	e.B.respond(got[sip.BYE], 200, "", "")
	// The call on fork1 goes on: A hangs up, B's BYE is in fork1's dialog.
	if r := c.do(sip.BYE, ""); r.StatusCode != 200 {
		t.Fatalf("BYE %d", r.StatusCode)
	}
	bye := e.B.expect(sip.BYE)
	if toTag(bye.req) != "fork1" {
		t.Errorf("BYE To tag %q, want fork1", toTag(bye.req))
	}
	e.B.respond(bye, 200, "", "")
	if rec := e.cdr(); rec.ULFailReason != 0 || rec.CallRelDirection != 1 {
		t.Errorf("CDR cause %d relDir %d", rec.ULFailReason, rec.CallRelDirection)
	}
	e.idle()
}

// panicLookup panics when routing the number it is given.
type panicLookup struct {
	routing.Lookup
	trigger routing.Number
}

func (p panicLookup) XNumber(n routing.Number) (routing.XNumber, routing.App, bool, error) {
	if n == p.trigger {
		panic("lookup exploded for " + string(n))
	}
	return p.Lookup.XNumber(n)
}

// TestPanicRecovered: a panic while handling a call is recovered, counted
// and answered 500; the server keeps working.
func TestPanicRecovered(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withDeps(func(d *Deps) { d.Lookup = panicLookup{d.Lookup, "+8617000000003"} }))
	c := e.invite(e.A, inviteOpt{user: "+8617000000003", from: tA})
	if r := finalOf(t, c.tx); r.StatusCode != 500 {
		t.Fatalf("A got %d, want 500", r.StatusCode)
	}
	if rec := e.cdr(); rec.ULFailReason != 7102 {
		t.Errorf("CDR cause %d", rec.ULFailReason)
	}
	e.idle()
	if got := e.metric("xnum_sip_panics_total", nil); got != 1 {
		t.Errorf("panics metric %v", got)
	}
	c = e.invite(e.A, inviteOpt{user: tX, from: tStranger})
	if r := finalOf(t, c.tx); r.StatusCode != 403 {
		t.Errorf("after the panic: %d", r.StatusCode)
	}
}

// TestMaxCallDuration: sip.max_call_duration ends an answered call with BYE
// on both legs, 8010.
func TestMaxCallDuration(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withDeps(func(d *Deps) { d.SIP.MaxCallDuration = 300 * time.Millisecond }))
	e.answer(inviteOpt{user: tX, from: tA, sdp: sdpOffer})
	bye := e.A.expect(sip.BYE)
	if q := reasonQ850(bye.req); q != 16 {
		t.Errorf("BYE Reason cause %d", q)
	}
	e.A.respond(bye, 200, "", "")
	e.B.respond(e.B.expect(sip.BYE), 200, "", "")
	if rec := e.cdr(); rec.ULFailReason != 8010 || rec.CallRelDirection != 0 {
		t.Errorf("CDR cause %d relDir %d", rec.ULFailReason, rec.CallRelDirection)
	}
	e.idle()
}
