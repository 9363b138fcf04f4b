package sip

// A call answered locally: xnum answered A with its own 200 before any B
// leg existed (AXE answerBeforeCollect, mode_axe.go). A's dialog is
// confirmed, so from then on:
//   - B's 18x are not relayed: A hears ringback from xnum until B's early
//     media replaces it (SPEC §4.3), and B's 200 completes the bridge;
//   - anything that ends the attempt before B answers (B's refusal, the ring
//     timeout, a refused extension) ends A's dialog with BYE and the
//     release's Reason, after the release's prompt where it has one; the
//     CDR's sipStatusCode is 0 (A was answered, SPEC §6.2);
//   - A's BYE before B answered is A giving up: 7516 while the extension is
//     collected (SPEC §3: caller hung up before transfer), the cancel
//     causes of §4.2 (7501/7502) once B is being called; B gets its CANCEL.
// The call's hooks in call_setup.go, call_release.go and call_dialog.go
// come here when mode.local is set.

import (
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/xnum/xnum/media"
	"github.com/xnum/xnum/routing"
)

// answerLocally sends A xnum's 200 with the answer A's leg already has.
// false when A's CANCEL got its 487 first (the call is then over).
func (c *call) answerLocally() bool {
	s := c.s
	res := s.response(c.aReq, 200, c.a.localTag)
	res.AppendHeader(s.contact(c.a.transport))
	res.AppendHeader(s.allowHdr)
	setSDP(res, c.m.answerA)
	// A is answered from here on, so a crash must not lose the attempt:
	// its CDR so far is synced before the 200, as at B's answer (SPEC
	// §6.2, §7), and recovery reports it after a restart. localB2xx
	// overwrites it with the answered record; the CDR deletes it.
	c.persistAnswered()
	if !c.sendFinal(res) {
		c.forgetPersisted() // A's CANCEL got its 487 first: A was never answered
		c.onCancel(true)
		return false
	}
	c.aFinal = 200
	c.mode.local = true
	c.pend[legA] = s.newPending(c.aTx, res, c.a.remoteSeq, c.a.transport)
	c.pend[legA].initial = true
	c.acks[legA] = c.aTx.Acks()
	return true
}

// modifyLocal answers A's re-INVITE or UPDATE while xnum alone holds A's
// session (answered locally, B not answered): there is no other leg to
// ask, so xnum answers with its own session — the codec it chose, A's new
// address and direction taken (hold too) — as SPEC §4.1 allows where the
// other leg need not know. B, once it answers, is bridged to A's session
// as it is then. (491 is for glare, RFC 3261 §14.1: xnum has no offer of
// its own out to A here.)
func (c *call) modifyLocal(req *sip.Request, tx *sip.ServerTx, offer []byte) {
	s, x := c.s, c.leg(legA)
	cur := c.legState(legA)
	var body []byte
	mediaAck := offer == nil
	if mediaAck {
		// No offer: xnum offers in its 200, the answer comes in the ACK
		// (RFC 3261 §14.2), as for a relayed call.
		b, err := c.describe(legA, media.OfferFormats(cur.pay.Codec, cur.pay.HasEvents()), cur.our)
		if err != nil {
			s.respond(tx, s.response(req, 500, ""))
			return
		}
		body = b
	} else {
		if err := c.applyDescription(legA, offer); err != nil {
			s.respond(tx, s.response(req, 488, ""))
			return
		}
		xs := c.legState(legA)
		xs.our = media.AnswerThrough(xs.dir, media.SendRecv)
		b, err := c.describe(legA, xs.pay.Formats(), xs.our)
		if err != nil {
			c.setLegState(legA, cur)
			s.respond(tx, s.response(req, 500, ""))
			return
		}
		c.setLegState(legA, xs)
		c.expectRTP()
		body = b
	}
	res := s.response(req, 200, "")
	res.AppendHeader(s.contact(x.transport))
	setSDP(res, body)
	s.respond(tx, res)
	if req.Method == sip.INVITE {
		p := s.newPending(tx, res, req.CSeq().SeqNo, x.transport)
		p.mediaAck = mediaAck
		c.pend[legA] = p
		c.acks[legA] = tx.Acks()
	}
}

// ringbackWhileB: the B leg is on its way after a local prompt and A hears
// ringback until B's early media replaces it (SPEC §4.3) — unless a
// preVoice prompt, ringback after it, plays already (connectMedia).
func (c *call) ringbackWhileB() {
	if c.ended || c.m.a == nil || c.bState == bNone {
		return
	}
	if _, ok := c.promptOf(c.dec.Options.PreVoice.CallerHintTone); ok {
		return
	}
	c.m.a.Play(media.Ringback())
}

// localB2xx: B answered a call whose A side is up already. B gets its ACK;
// the bridge carries on from the ringback; timers start as for any
// answered call (SPEC §3 item 4).
func (c *call) localB2xx(r *sip.Response) {
	if c.m.on {
		if _, err := c.b2xxBody(sdpBody(r)); err != nil {
			status, cause := Classify(err)
			rel := c.s.d.Table.For(cause)
			rel.SIPStatus = status
			c.hangup(rel, relPlatform, legNone) // ACK and BYE to B, BYE to A
			return
		}
	}
	c.ackB(nil)
	c.persistAnswered()
	c.eventAnswer()
	c.mediaAnswered()
	if d := c.maxDuration(); d > 0 {
		now := time.Now()
		c.maxAt = now.Add(d)
		if _, ok := c.promptOf(c.dec.Options.LastMinVoice); ok && c.m.on {
			c.lastMinAt = now.Add(max(d-c.s.lastMinLead, 0))
		}
	}
}

// localBFailure: B refused (or its transaction died) before answering a
// call answered locally: A gets BYE with the release of B's answer. false
// when the call is not such a call (the usual path goes on).
func (c *call) localBFailure(status, dir int) bool {
	if !c.mode.local || c.ended {
		return false
	}
	rel := c.s.d.Table.BFailure(status, c.bQ850)
	c.unasw = c.bQ850
	if c.unasw == 0 {
		c.unasw = rel.Q850
	}
	c.releaseLocal(rel, dir, false)
	return true
}

// localRingTimeout: no answer from B within sip.ring_timeout (8035).
func (c *call) localRingTimeout() bool {
	if !c.mode.local || c.ended {
		return false
	}
	c.releaseLocal(c.s.d.Table.For(routing.CauseRingTimeout), relPlatform, false)
	return true
}

// localBye: A hung up a call answered locally before B answered. false
// when B answered (a normal clear) or the call is no such call.
func (c *call) localBye() bool {
	if !c.mode.local || c.bState == bAnswered {
		return false
	}
	if p := c.prompt; p != nil { // the refusal's prompt was playing
		c.prompt = nil
		if p.stop != nil {
			p.stop()
		}
		c.hangup(p.rel, relCaller, legA)
		return true
	}
	cause := routing.CauseHangupBeforeXfer
	switch {
	case c.coll != nil:
		k := c.coll
		c.coll = nil
		if k.pb != nil {
			k.pb.Stop()
		}
	case c.bState == bNone:
	case !c.times.fwdAlert.IsZero():
		cause = routing.CauseCancelAfter18x
	default:
		cause = routing.CauseCancelBefore18x
	}
	c.hangup(c.s.d.Table.For(cause), relCaller, legA)
	return true
}

// releaseLocal ends a call answered locally before B answered: B is given
// up (CANCEL once it sent a provisional), A gets BYE with rel's Reason —
// after rel's prompt when withPrompt and A can hear it.
func (c *call) releaseLocal(rel routing.Release, dir int, withPrompt bool) {
	if withPrompt && c.m.a != nil {
		if p, ok := c.promptOf(rel.Prompt); ok {
			c.abandonB()
			pb := c.m.a.Play(media.PromptSource(p))
			c.prompt = &promptPlay{rel: rel, done: pb.Done(), stop: pb.Stop}
			c.mode.promptDir = dir
			return // onPromptDone → localPromptDone
		}
	}
	c.hangup(rel, dir, legNone)
}

// localPromptDone: the refusal's prompt of a call answered locally has
// played: BYE now.
func (c *call) localPromptDone(p *promptPlay) bool {
	if !c.mode.local {
		return false
	}
	c.hangup(p.rel, c.mode.promptDir, legNone)
	return true
}
