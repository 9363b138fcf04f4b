package sip

import (
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/xnum/xnum/cdr"
)

// TestCalleeFailures: each final failure of B becomes A's status through the
// one table of SPEC §4.2 — never B's own 503, redirect or challenge, never
// B's reason phrase or headers — with the CDR cause and fwdUnaswRsn.
func TestCalleeFailures(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tc := range []struct {
		name           string
		status         int
		hdrs           []sip.Header
		aStatus, q850  int
		cause, unaswRs int
	}{
		{"busy", 486, nil, 486, 17, 8102, 17},
		{"busy everywhere", 600, nil, 486, 17, 8102, 17},
		{"decline", 603, nil, 603, 21, 7504, 21},
		{"forbidden", 403, nil, 603, 21, 7504, 21},
		{"not found", 404, nil, 404, 1, 8100, 1},
		{"temporarily unavailable", 480, nil, 480, 18, 8101, 18},
		{"service unavailable", 503, []sip.Header{sip.NewHeader("Retry-After", "60")}, 480, 38, 7506, 38},
		{"server error", 500, nil, 480, 38, 7506, 38},
		{"redirect", 302, []sip.Header{&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "+8613912345678", Host: "redirect.example"}}}, 480, 3, 7508, 3},
		{"unauthorized", 401, []sip.Header{sip.NewHeader("WWW-Authenticate", `Digest realm="b.example", nonce="abc"`)}, 500, 41, 7508, 41},
		{"proxy auth", 407, []sip.Header{sip.NewHeader("Proxy-Authenticate", `Digest realm="b.example", nonce="abc"`)}, 500, 41, 7508, 41},
		{"busy with Reason 21", 486, []sip.Header{sip.NewHeader("Reason", `Q.850;cause=21;text="Call rejected"`)}, 486, 17, 7504, 21},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			c := e.invite(e.A, inviteOpt{user: tX, from: tA, sdp: sdpOffer})
			in := e.B.expect(sip.INVITE)
			e.B.respond(in, 180, "b-"+tc.name, "")
			waitStatus(t, c.tx, 180) // B's final goes only once A has seen the 180
			e.B.respond(in, tc.status, "b-"+tc.name, "", append(tc.hdrs, sip.NewHeader("X-Bob", "secret"))...)
			r := finalOf(t, c.tx)
			if r.StatusCode != tc.aStatus {
				t.Fatalf("A got %d, want %d", r.StatusCode, tc.aStatus)
			}
			if strings.Contains(r.Reason, "Peer") {
				t.Errorf("B's reason phrase reached A: %q", r.Reason)
			}
			if q := reasonQ850(r); q != tc.q850 {
				t.Errorf("Reason cause %d, want %d", q, tc.q850)
			}
			raw := r.String()
			for _, bad := range []string{"redirect.example", "13912345678", "Authenticate", "Retry-After", "X-Bob", "b-" + tc.name} {
				if strings.Contains(raw, bad) {
					t.Errorf("A's response carries %q:\n%s", bad, raw)
				}
			}
			rec := e.cdr()
			checkRecord(t, rec, cdr.Record{AppKey: "demo", SPID: "sp-demo", BindNum: tX, CallerNum: tA, CalleeNum: tX,
				FwdDisplayNum: tX, FwdDstNum: tB, FwdUnaswRsn: tc.unaswRs, ULFailReason: tc.cause,
				SIPStatusCode: tc.aStatus, CallRelDirection: cdr.RelCallee, ServiceType: "004", UserData: "order-42"})
			if rec.FwdAlertingTime == "" || rec.FwdAnswerTime != "" || rec.FailTime == "" {
				t.Errorf("CDR times alert %q answer %q fail %q", rec.FwdAlertingTime, rec.FwdAnswerTime, rec.FailTime)
			}
		})
	}
	e.t = t
	e.idle()
}

// TestRingTimeout: no answer within sip.ring_timeout → 480 (Q.850 19) to A,
// CANCEL to B, 8035.
func TestRingTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withDeps(func(d *Deps) { d.SIP.RingTimeout = 300 * time.Millisecond }))
	c := e.invite(e.A, inviteOpt{user: tX, from: tA, sdp: sdpOffer})
	in := e.B.expect(sip.INVITE)
	cancelled := make(chan struct{})
	in.tx.OnCancel(func(*sip.Request) { close(cancelled) })
	e.B.respond(in, 180, "b1", "")
	r := finalOf(t, c.tx)
	if r.StatusCode != 480 || reasonQ850(r) != 19 {
		t.Fatalf("A got %d cause %d, want 480 cause 19", r.StatusCode, reasonQ850(r))
	}
	select {
	case <-cancelled:
	case <-time.After(waitFor):
		t.Fatal("B got no CANCEL")
	}
	rec := e.cdr()
	if rec.ULFailReason != 8035 || rec.SIPStatusCode != 480 || rec.FwdUnaswRsn != 19 {
		t.Errorf("CDR cause %d status %d fwdUnaswRsn %d", rec.ULFailReason, rec.SIPStatusCode, rec.FwdUnaswRsn)
	}
	e.idle()
}
