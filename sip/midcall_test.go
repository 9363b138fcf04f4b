package sip

import (
	"strconv"
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
)

// originOf returns the o= line fields of an SDP body.
func originOf(t *testing.T, body []byte) (user, sess string, version int) {
	t.Helper()
	for _, l := range strings.Split(string(body), "\r\n") {
		if strings.HasPrefix(l, "o=") {
			f := strings.Fields(l[2:])
			if len(f) != 6 {
				t.Fatalf("bad o= line %q", l)
			}
			v, err := strconv.Atoi(f[2])
			if err != nil {
				t.Fatalf("bad o= version %q", l)
			}
			return f[0], f[1], v
		}
	}
	t.Fatalf("no o= line in %q", body)
	return
}

// TestReInviteBothWays: a re-INVITE from either party reaches the other
// with the SDP rewritten for that leg (o= xnum's, its version one up), and
// the answer comes back the same way (SPEC §4.1).
func TestReInviteBothWays(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c, bd := e.answer(inviteOpt{user: tX, from: tA, sdp: sdpOffer})

	// What each party saw last from xnum.
	bInv := e.lastBInvite // B leg's INVITE body
	_, bSess, bVer := originOf(t, bInv)

	// A → B: A puts B on hold.
	hold := strings.Replace(sdpOffer, "a=tool:AliceUA 1.0\r\n", "a=sendonly\r\n", 1)
	tx := c.send(sip.INVITE, hold)
	in := e.B.expect(sip.INVITE)
	if toTag(in.req) != bd.localTag || in.req.CallID().Value() != bd.callID {
		t.Fatalf("re-INVITE not in B's dialog")
	}
	u, s, v := originOf(t, in.req.Body())
	if u != "xnum" || s != bSess || v != bVer+1 {
		t.Errorf("re-INVITE o= %s %s %d, want xnum %s %d", u, s, v, bSess, bVer+1)
	}
	if !strings.Contains(string(in.req.Body()), "a=sendonly") {
		t.Errorf("the change did not cross: %s", in.req.Body())
	}
	bd.remoteTag = fromTag(in.req)
	bd.seq = 500
	e.B.respond(in, 200, bd.localTag, strings.Replace(sdpAnswer, "a=tool:BobPBX 9\r\n", "a=recvonly\r\n", 1))
	e.B.expect(sip.ACK) // the offer was in the INVITE: B's ACK goes at once
	r := finalOf(t, tx)
	if r.StatusCode != 200 || !strings.Contains(string(r.Body()), "a=recvonly") {
		t.Fatalf("A got %d %s", r.StatusCode, r.Body())
	}
	c.ack(c.seq, "")

	// B → A: B takes the call off hold.
	tx = bd.send(sip.INVITE, sdpAnswer)
	in = e.A.expect(sip.INVITE)
	if toTag(in.req) != c.localTag || in.req.CallID().Value() != c.callID {
		t.Fatalf("re-INVITE not in A's dialog")
	}
	if u, _, _ := originOf(t, in.req.Body()); u != "xnum" {
		t.Errorf("re-INVITE to A o= user %q", u)
	}
	e.A.respond(in, 200, "", sdpOffer)
	e.A.expect(sip.ACK)
	if r := finalOf(t, tx); r.StatusCode != 200 {
		t.Fatalf("B got %d", r.StatusCode)
	}
	bd.ack(bd.seq, "")

	if r := c.do(sip.BYE, ""); r.StatusCode != 200 {
		t.Fatalf("BYE %d", r.StatusCode)
	}
	e.B.respond(e.B.expect(sip.BYE), 200, "", "")
	if rec := e.cdr(); rec.ULFailReason != 0 {
		t.Errorf("CDR cause %d", rec.ULFailReason)
	}
	e.idle()
}

// TestGlare: B sends a re-INVITE while A's is pending on B's dialog: 491
// (RFC 3261 §14.1). A's then completes.
func TestGlare(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c, bd := e.answer(inviteOpt{user: tX, from: tA, sdp: sdpOffer})
	tx := c.send(sip.INVITE, sdpOffer)
	in := e.B.expect(sip.INVITE)
	if r := bd.do(sip.INVITE, sdpAnswer); r.StatusCode != 491 {
		t.Errorf("B's crossing re-INVITE: %d, want 491", r.StatusCode)
	}
	e.B.respond(in, 200, bd.localTag, sdpAnswer)
	e.B.expect(sip.ACK)
	if r := finalOf(t, tx); r.StatusCode != 200 {
		t.Fatalf("A's re-INVITE: %d", r.StatusCode)
	}
	c.ack(c.seq, "")
	// A second re-INVITE of A while its first is unanswered: 500 + Retry-After.
	tx = c.send(sip.INVITE, sdpOffer)
	in = e.B.expect(sip.INVITE)
	r := c.do(sip.INVITE, sdpOffer)
	if r.StatusCode != 500 || r.GetHeader("Retry-After") == nil {
		t.Errorf("overlapping re-INVITE: %d %v", r.StatusCode, r.GetHeader("Retry-After"))
	}
	e.B.respond(in, 488, bd.localTag, "")
	if r := finalOf(t, tx); r.StatusCode != 488 {
		t.Errorf("B's 488 relayed as %d", r.StatusCode)
	}
	c.do(sip.BYE, "")
	e.B.respond(e.B.expect(sip.BYE), 200, "", "")
	e.cdr()
	e.idle()
}

// TestUpdate: UPDATE with SDP is relayed; without SDP (a session refresh)
// it is answered locally.
func TestUpdate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c, bd := e.answer(inviteOpt{user: tX, from: tA, sdp: sdpOffer})
	if r := c.do(sip.UPDATE, ""); r.StatusCode != 200 {
		t.Errorf("refresh UPDATE: %d", r.StatusCode)
	}
	tx := c.send(sip.UPDATE, sdpOffer)
	in := e.B.expect(sip.UPDATE) // not the refresh: that one stayed local
	if toTag(in.req) != bd.localTag {
		t.Errorf("UPDATE outside B's dialog")
	}
	e.B.respond(in, 200, "", sdpAnswer)
	r := finalOf(t, tx)
	if r.StatusCode != 200 {
		t.Fatalf("UPDATE: %d", r.StatusCode)
	}
	if u, _, _ := originOf(t, r.Body()); u != "xnum" {
		t.Errorf("UPDATE answer o= user %q", u)
	}
	c.do(sip.BYE, "")
	e.B.respond(e.B.expect(sip.BYE), 200, "", "")
	e.cdr()
}

// TestLateOffer: A's INVITE has no SDP: B's neither; B's 200 carries the
// offer to A, and A's ACK the answer to B (RFC 3261 §13.2.1) — both
// rewritten. A late-offer re-INVITE works the same way.
func TestLateOffer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.invite(e.A, inviteOpt{user: tX, from: tA})
	in := e.B.expect(sip.INVITE)
	if len(in.req.Body()) != 0 {
		t.Fatalf("B leg has a body: %q", in.req.Body())
	}
	bd := e.B.dialogOf(in, "b1")
	e.B.respond(in, 200, "b1", sdpAnswer)
	r := finalOf(t, c.tx)
	if r.StatusCode != 200 {
		t.Fatalf("A got %d", r.StatusCode)
	}
	if u, _, _ := originOf(t, r.Body()); u != "xnum" || strings.Contains(string(r.Body()), "bob") {
		t.Errorf("offer to A not rewritten: %s", r.Body())
	}
	c.answered(r, sdpOffer)
	ack := e.B.expect(sip.ACK)
	if u, _, _ := originOf(t, ack.req.Body()); u != "xnum" || strings.Contains(string(ack.req.Body()), "alice") {
		t.Errorf("answer to B not rewritten: %s", ack.req.Body())
	}

	// Late-offer re-INVITE from A.
	tx := c.send(sip.INVITE, "")
	in = e.B.expect(sip.INVITE)
	if len(in.req.Body()) != 0 {
		t.Fatalf("re-INVITE to B has a body")
	}
	e.B.respond(in, 200, bd.localTag, sdpAnswer)
	r = finalOf(t, tx)
	if r.StatusCode != 200 || len(r.Body()) == 0 {
		t.Fatalf("A got %d with body %q", r.StatusCode, r.Body())
	}
	c.ack(c.seq, sdpOffer)
	ack = e.B.expect(sip.ACK)
	if len(ack.req.Body()) == 0 {
		t.Errorf("A's answer did not reach B in the ACK")
	}
	c.do(sip.BYE, "")
	e.B.respond(e.B.expect(sip.BYE), 200, "", "")
	if rec := e.cdr(); rec.ULFailReason != 0 {
		t.Errorf("CDR cause %d", rec.ULFailReason)
	}
	e.idle()
}
