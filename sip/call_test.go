package sip

import (
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"

	"github.com/xnum/xnum/cdr"
)

// answer drives a call from A through xnum to B up to the point where both
// dialogs are confirmed, checking what each side sees on the way. It returns
// A's call and B's dialog.
func (e *tenv) answer(o inviteOpt) (*tcall, *tdlg) {
	e.t.Helper()
	t := e.t
	c := e.invite(e.A, o)
	in := e.B.expect(sip.INVITE)
	e.lastBInvite = in.req.Body()
	bd := e.B.dialogOf(in, "btag-"+sip.GenerateTagN(8))
	e.B.respond(in, 180, bd.localTag, "")
	waitStatus(t, c.tx, 180)
	e.B.respond(in, 200, bd.localTag, sdpAnswer)
	if o.sdp != "" {
		e.B.expect(sip.ACK)
	}
	r := finalOf(t, c.tx)
	if r.StatusCode != 200 {
		t.Fatalf("A got %d, want 200", r.StatusCode)
	}
	c.answered(r, "")
	return c, bd
}

func TestAnsweredThenCallerHangsUp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c, _ := e.answer(inviteOpt{user: tX, from: tA, display: "Alice Secret", sdp: sdpOffer})
	if r := c.do(sip.BYE, ""); r.StatusCode != 200 {
		t.Fatalf("BYE: %d", r.StatusCode)
	}
	bye := e.B.expect(sip.BYE)
	e.B.respond(bye, 200, "", "")
	rec := e.cdr()
	want := cdr.Record{
		Direction: 0, SPID: "sp-demo", AppKey: "demo", BindNum: tX, CallerNum: tA, CalleeNum: tX,
		FwdDisplayNum: tX, FwdDstNum: tB, ULFailReason: 0, SIPStatusCode: 0,
		CallRelDirection: cdr.RelCaller, ServiceType: "004", UserData: "order-42",
	}
	checkRecord(t, rec, want)
	for name, v := range map[string]string{"callInTime": rec.CallInTime, "fwdStartTime": rec.FwdStartTime,
		"fwdAlertingTime": rec.FwdAlertingTime, "fwdAnswerTime": rec.FwdAnswerTime, "callEndTime": rec.CallEndTime,
		"icid": rec.ICID, "sessionId": rec.SessionID, "subscriptionId": rec.SubscriptionID} {
		if v == "" {
			t.Errorf("CDR %s empty", name)
		}
	}
	if rec.FailTime != "" || rec.FwdUnaswRsn != 0 {
		t.Errorf("answered call has failTime %q fwdUnaswRsn %d", rec.FailTime, rec.FwdUnaswRsn)
	}
	e.idle()
	if got := e.metric("xnum_sip_calls_total", map[string]string{"result": "answered", "cause": "0"}); got != 1 {
		t.Errorf("answered calls metric = %v", got)
	}
}

func TestAnsweredThenCalleeHangsUp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c, bd := e.answer(inviteOpt{user: tX, from: tA, sdp: sdpOffer})
	tx := bd.send(sip.BYE, "")
	bye := e.A.expect(sip.BYE)
	if toTag(bye.req) != c.localTag || bye.req.CallID().Value() != c.callID {
		t.Errorf("BYE to A is not in A's dialog: %s", bye.req.String())
	}
	e.A.respond(bye, 200, "", "")
	if r := finalOf(t, tx); r.StatusCode != 200 {
		t.Fatalf("B's BYE: %d", r.StatusCode)
	}
	rec := e.cdr()
	if rec.CallRelDirection != cdr.RelCallee || rec.ULFailReason != 0 || rec.SIPStatusCode != 0 {
		t.Errorf("CDR relDir %d cause %d status %d", rec.CallRelDirection, rec.ULFailReason, rec.SIPStatusCode)
	}
	e.idle()
}

// TestCalleeCallsBack: B dials X and reaches A, shown X (SPEC §3 AXB).
func TestCalleeCallsBack(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.invite(e.A, inviteOpt{user: tX, from: tB, sdp: sdpOffer}) // B's number calling from A's UA
	in := e.B.expect(sip.INVITE)
	if u := in.req.Recipient.User; u != tA {
		t.Errorf("B leg Request-URI user %q, want %q", u, tA)
	}
	if u := in.req.From().Address.User; u != tX {
		t.Errorf("B leg From user %q, want %q", u, tX)
	}
	e.B.respond(in, 486, "b1", "")
	if r := finalOf(t, c.tx); r.StatusCode != 486 {
		t.Fatalf("A got %d", r.StatusCode)
	}
	rec := e.cdr()
	checkRecord(t, rec, cdr.Record{AppKey: "demo", BindNum: tX, CallerNum: tB, CalleeNum: tX,
		FwdDisplayNum: tX, FwdDstNum: tA, ULFailReason: 8102, SIPStatusCode: 486, CallRelDirection: cdr.RelCallee,
		ServiceType: "004", UserData: "order-42", SPID: "sp-demo", FwdUnaswRsn: 17})
}

// checkRecord compares the fields of want that identify the outcome.
func checkRecord(t *testing.T, got, want cdr.Record) {
	t.Helper()
	type f struct {
		name      string
		got, want any
	}
	for _, x := range []f{
		{"direction", got.Direction, want.Direction},
		{"spId", got.SPID, want.SPID},
		{"appKey", got.AppKey, want.AppKey},
		{"bindNum", got.BindNum, want.BindNum},
		{"callerNum", got.CallerNum, want.CallerNum},
		{"calleeNum", got.CalleeNum, want.CalleeNum},
		{"fwdDisplayNum", got.FwdDisplayNum, want.FwdDisplayNum},
		{"fwdDstNum", got.FwdDstNum, want.FwdDstNum},
		{"fwdUnaswRsn", got.FwdUnaswRsn, want.FwdUnaswRsn},
		{"ulFailReason", got.ULFailReason, want.ULFailReason},
		{"sipStatusCode", got.SIPStatusCode, want.SIPStatusCode},
		{"callRelDirection", got.CallRelDirection, want.CallRelDirection},
		{"serviceType", got.ServiceType, want.ServiceType},
		{"userData", got.UserData, want.UserData},
	} {
		if x.got != x.want {
			t.Errorf("CDR %s = %v, want %v", x.name, x.got, x.want)
		}
	}
}

var _ = strings.Contains
