package sip

import (
	"testing"

	"github.com/emiago/sipgo/sip"
)

// lostProvisional hands B's 18x to the server's transport handler only, as
// the read loop does, without letting sipgo's transaction see it: what
// happens when B's final answer overtakes it on sipgo's goroutines and the
// transaction drops it (early.go).
func lostProvisional(e *tenv, in srvReq, status int, tag string) {
	res := sip.NewResponseFromRequest(in.req, status, "Peer Says Ringing", nil)
	res.To().Params.Add("tag", tag)
	res.AppendHeader(e.B.contact())
	e.srv.noteProvisional(res)
}

// TestAlertingOvertaken: B's 180 was read before its final answer but the
// transaction never passed it up. The call still reports alerting before
// answer (or before disconnect), with fwdAlertingTime in the CDR.
func TestAlertingOvertaken(t *testing.T) {
	t.Parallel()
	t.Run("200", func(t *testing.T) {
		t.Parallel()
		e, j, _ := eventEnv(t)
		c := e.invite(e.A, inviteOpt{user: tX, from: tA, sdp: sdpOffer})
		in := e.B.expect(sip.INVITE)
		bd := e.B.dialogOf(in, "btag-"+sip.GenerateTagN(8))
		lostProvisional(e, in, 180, bd.localTag)
		e.B.respond(in, 200, bd.localTag, sdpAnswer)
		e.B.expect(sip.ACK)
		r := finalOf(t, c.tx)
		if r.StatusCode != 200 {
			t.Fatalf("A got %d, want 200", r.StatusCode)
		}
		c.answered(r, "")
		if r := c.do(sip.BYE, ""); r.StatusCode != 200 {
			t.Fatalf("BYE: %d", r.StatusCode)
		}
		e.B.respond(e.B.expect(sip.BYE), 200, "", "")
		got, _ := j.session(t)
		if types(got) != "callin,callout,alerting,answer,disconnect,CDR" {
			t.Fatalf("journal %s, want callin,callout,alerting,answer,disconnect,CDR", types(got))
		}
		if rec := got[len(got)-1].rec; rec.FwdAlertingTime == "" {
			t.Errorf("CDR without fwdAlertingTime: %+v", rec)
		}
	})
	t.Run("486", func(t *testing.T) {
		t.Parallel()
		e, j, _ := eventEnv(t)
		c := e.invite(e.A, inviteOpt{user: tX, from: tA, sdp: sdpOffer})
		in := e.B.expect(sip.INVITE)
		lostProvisional(e, in, 183, "b1")
		e.B.respond(in, 486, "b1", "")
		finalOf(t, c.tx)
		got, _ := j.session(t)
		if types(got) != "callin,callout,alerting,disconnect,CDR" {
			t.Fatalf("journal %s, want callin,callout,alerting,disconnect,CDR", types(got))
		}
		if rec := got[len(got)-1].rec; rec.FwdAlertingTime == "" {
			t.Errorf("CDR without fwdAlertingTime: %+v", rec)
		}
	})
	t.Run("other INVITE", func(t *testing.T) {
		t.Parallel()
		e, j, _ := eventEnv(t)
		c := e.invite(e.A, inviteOpt{user: tX, from: tA, sdp: sdpOffer})
		in := e.B.expect(sip.INVITE)
		res := sip.NewResponseFromRequest(in.req, 180, "Ringing", nil)
		res.Via().Params.Add("branch", "z9hG4bK-not-this-invite")
		e.srv.noteProvisional(res)
		e.B.respond(in, 486, "b1", "")
		finalOf(t, c.tx)
		if got, _ := j.session(t); types(got) != "callin,callout,disconnect,CDR" {
			t.Fatalf("journal %s, want callin,callout,disconnect,CDR", types(got))
		}
	})
}
