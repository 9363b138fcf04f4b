package sip

import (
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/xnum/xnum/routing"
)

// legNone is "no leg" for hangup's except argument.
const legNone legID = 2

// onRequest handles a request of one of the call's dialogs (RFC 3261 §12.2.2).
func (c *call) onRequest(id legID, req *sip.Request, tx *sip.ServerTx) {
	l := c.leg(id)
	if req.IsAck() {
		c.onAck(id, req)
		return
	}
	if l.remoteTag == "" || fromTag(req) != l.remoteTag || (c.ended && req.Method != sip.BYE) {
		c.s.reject(tx, req, ErrNoDialog)
		return
	}
	switch req.Method {
	case sip.BYE:
		c.onBye(id, req, tx)
	case sip.INVITE, sip.UPDATE:
		c.onModify(id, req, tx)
	default:
		c.s.reject(tx, req, ErrNoDialog)
	}
}

// onBye: either party hangs up. It gets 200, the other party a BYE, and the
// CDR a normal clear with the side that released (SPEC §4.2, §6.2). A BYE of
// A's early dialog ends the attempt like a CANCEL.
func (c *call) onBye(id legID, req *sip.Request, tx *sip.ServerTx) {
	c.s.respond(tx, c.s.response(req, 200, ""))
	l := c.leg(id)
	if id == legA && c.aFinal == 0 {
		c.onCancel(false)
		return
	}
	l.byeSent = true // this dialog is over: never BYE it ourselves
	if id == legA && c.byeAOnAck {
		c.byeAOnAck = false
	}
	if c.ended {
		return
	}
	if id == legA && c.localBye() {
		return // A gave up before B answered (mode_local.go)
	}
	dir := relCaller
	if id == legB {
		dir = relCallee
	}
	c.hangup(c.s.d.Table.For(routing.CauseNormal), dir, id)
}

// hangup releases an answered call: BYE on each leg but except (the one that
// hung up). A BYE to A before A acknowledged its 200 waits for that ACK or
// its timeout (RFC 3261 §15).
func (c *call) hangup(rel routing.Release, dir int, except legID) {
	if c.ended {
		return
	}
	c.setOutcome(rel, 0, dir, resultAnswered)
	c.ended = true
	c.maxAt = time.Time{}
	c.abortMod()
	if except != legB {
		if c.mode.local {
			c.abandonB() // B may not have answered yet (mode_local.go)
		} else {
			if !c.bAckSent {
				c.ackBUnanswered() // a late offer still waiting for A's answer
			}
			c.byeLeg(legB, rel)
		}
	}
	if except != legA {
		if c.pend[legA].tx != nil && c.pend[legA].initial {
			c.byeAOnAck, c.byeRel = true, rel
		} else {
			c.byeLeg(legA, rel)
		}
	}
}

// onAck matches the ACK of a 2xx we sent on leg id. When it answers a late
// offer, the answer crosses to the other leg in our ACK there.
func (c *call) onAck(id legID, req *sip.Request) {
	p := &c.pend[id]
	cs := req.CSeq()
	if p.tx == nil || cs == nil || cs.SeqNo != p.seq {
		return // a retransmitted or stray ACK
	}
	pp := *p
	*p = pending2xx{}
	c.acks[id] = nil
	if pp.mediaAck {
		c.localOfferAnswered(id, req)
	}
	lateFailed := false
	if pp.relayAck && pp.initial && c.m.on {
		// A's answer to xnum's offer (late offer): B gets xnum's answer.
		body, ok := c.lateAnswer(sdpBody(req))
		if !c.bAckSent {
			c.ackB(body)
		}
		lateFailed = !ok
	} else if pp.relayAck {
		o := other(id)
		var body []byte
		if sdp := sdpBody(req); sdp != nil {
			if b, err := c.leg(o).sdp.rewrite(sdp, c.s.advHost); err == nil {
				body = b
			}
		}
		if pp.initial {
			if !c.bAckSent {
				c.ackB(body)
			}
		} else {
			c.sendAck(o, pp.ackSeq, body)
		}
	}
	// The dialog is confirmed: the INVITE transaction has nothing left to
	// absorb (the sender stopped retransmitting at our 100), so it goes now
	// rather than holding the INVITE and its 2xx in memory until Timer L.
	pp.tx.Terminate()
	if pp.initial {
		if c.byeAOnAck {
			c.byeAOnAck = false
			c.byeLeg(legA, c.byeRel)
		}
	}
	if lateFailed {
		_, cause := Classify(ErrNoCodec)
		c.hangup(c.s.d.Table.For(cause), relPlatform, legNone)
	}
}

// ackTimeout: 64·T1 after our 2xx the ACK has not come. The dialog is
// confirmed anyway and the session is ended (RFC 3261 §13.3.1.4): BYE on both
// legs, a network failure on that side (SPEC §4.1: 7505 for A).
func (c *call) ackTimeout(id legID) {
	p := c.pend[id]
	c.pend[id] = pending2xx{}
	c.acks[id] = nil
	if p.relayAck {
		if p.initial {
			if !c.bAckSent {
				var body []byte
				if c.m.on {
					body, _ = c.lateAnswer(nil)
				}
				c.ackB(body)
			}
		} else {
			c.sendAck(other(id), p.ackSeq, nil)
		}
	}
	if id == legA && p.initial && c.byeAOnAck {
		c.byeAOnAck = false
		c.byeLeg(legA, c.byeRel)
		return
	}
	if c.ended {
		return
	}
	cause := routing.CauseCallerNetwork
	if id == legB {
		cause = routing.CauseCalleeNetwork
	}
	c.hangup(c.s.d.Table.For(cause), relPlatform, legNone)
}

func (s *Server) newPending(tx *sip.ServerTx, res *sip.Response, seq uint32, transport string) pending2xx {
	now := time.Now()
	p := pending2xx{tx: tx, res: res, seq: seq, deadline: now.Add(64 * s.t1)}
	if transport == "UDP" {
		p.interval = s.t1
		p.next = now.Add(s.t1)
	}
	return p
}

// on2xxAgain: a further 2xx to one of our INVITEs. Another To tag is another
// fork's answer (ACK + BYE); the same tag says our ACK was lost (re-send it).
func (c *call) on2xxAgain(id legID, res *sip.Response) {
	l := c.leg(id)
	cs := res.CSeq()
	if cs == nil {
		return
	}
	if l.remoteTag == "" || toTag(res) != l.remoteTag {
		c.s.killStray(res)
		return
	}
	if a := c.lastAck[id]; a != nil && a.CSeq().SeqNo == cs.SeqNo {
		c.s.send(a)
	}
}

// onModify relays a re-INVITE or UPDATE to the other leg with the SDP
// rewritten for it (SPEC §4.1); one session change at a time per call.
func (c *call) onModify(id legID, req *sip.Request, tx *sip.ServerTx) {
	s := c.s
	l, o := c.leg(id), other(id)
	y := c.leg(o)
	// A answered by xnum itself (AXE collection, or B not answered yet):
	// no other leg to ask, xnum answers (modifyLocal).
	local := id == legA && c.mode.local && c.aFinal == 200 && c.bState != bAnswered
	if !local && (c.aFinal != 200 || c.bState != bAnswered) {
		s.respond(tx, s.response(req, 491, ""))
		return
	}
	cs := req.CSeq().SeqNo
	if cs <= l.remoteSeq {
		s.respond(tx, s.response(req, 500, "")) // RFC 3261 §12.2.2: out of order
		return
	}
	l.remoteSeq = cs
	// An ACK still owed to us does not block a new request (it may merely
	// have been overtaken), unless it is to carry an answer: then an offer
	// is outstanding on that leg.
	if c.mod != nil || c.pend[id].relayAck || c.pend[o].relayAck {
		if c.mod != nil && c.mod.from == id {
			// Its own previous request is still being answered (RFC 3261 §14.2).
			res := s.response(req, 500, "")
			res.AppendHeader(sip.NewHeader("Retry-After", "1"))
			s.respond(tx, res)
			return
		}
		s.respond(tx, s.response(req, 491, "")) // glare (RFC 3261 §14.1, RFC 3311 §5.2)
		return
	}
	if ct := req.Contact(); ct != nil {
		l.target = ct.Address // target refresh (RFC 3261 §12.2.2, RFC 3311 §5.2)
	}
	offer := sdpBody(req)
	if req.Method == sip.UPDATE && offer == nil {
		// A session refresh (RFC 4028): the other leg need not know.
		res := s.response(req, 200, "")
		res.AppendHeader(s.contact(l.transport))
		s.respond(tx, res)
		return
	}
	if local {
		c.modifyLocal(req, tx, offer)
		return
	}
	if c.m.on {
		c.modifyRelayed(id, req, tx, offer)
		return
	}
	var body []byte
	if offer != nil {
		b, err := y.sdp.rewrite(offer, s.advHost)
		if err != nil {
			s.respond(tx, s.response(req, 488, ""))
			return
		}
		body = b
	}
	mf := req.MaxForwards()
	if mf != nil && mf.Val() == 0 {
		s.reject(tx, req, ErrTooManyHops)
		return
	}
	y.localSeq++
	out := s.request(y, req.Method, y.localSeq)
	if mf != nil {
		v := sip.MaxForwardsHeader(mf.Val() - 1)
		out.ReplaceHeader(&v)
	}
	setSDP(out, body)
	ctx, err := s.clientTx(out)
	if err != nil {
		s.respond(tx, s.response(req, 500, ""))
		return
	}
	if req.Method == sip.INVITE {
		ctx.OnRetransmission(c.retransHook(o))
	}
	c.mod = &modification{from: id, req: req, tx: tx, out: out, ctx: ctx,
		res: ctx.Responses(), done: ctx.Done(), hadBody: offer != nil}
}

// onModResponse relays the other leg's final answer to a relayed request.
func (c *call) onModResponse(r *sip.Response) {
	if r.StatusCode < 200 {
		return
	}
	s, m := c.s, c.mod
	c.mod = nil
	x, y := c.leg(m.from), c.leg(other(m.from))
	if r.StatusCode >= 300 {
		status := r.StatusCode
		if status < 400 || status == 401 || status == 407 {
			status = 500 // never hand a party the other's redirect or challenge
		}
		s.respond(m.tx, s.response(m.req, status, ""))
		if m.media != nil {
			c.modRefused(m)
		}
		if r.StatusCode == 481 || r.StatusCode == 408 {
			// The other dialog is gone (RFC 3261 §12.2.1.2).
			c.hangup(s.d.Table.For(networkCause(other(m.from))), relPlatform, legNone)
		}
		return
	}
	if ct := r.Contact(); ct != nil {
		y.target = ct.Address
	}
	var body []byte
	if m.media != nil {
		body = c.modAnswered(m, sdpBody(r))
	} else if sdp := sdpBody(r); sdp != nil {
		if b, err := x.sdp.rewrite(sdp, s.advHost); err == nil {
			body = b
		}
	}
	isInvite := m.out.Method == sip.INVITE
	if isInvite && m.hadBody {
		c.sendAck(other(m.from), m.out.CSeq().SeqNo, nil)
	}
	res := s.response(m.req, 200, "")
	res.AppendHeader(s.contact(x.transport))
	setSDP(res, body)
	s.respond(m.tx, res)
	if isInvite {
		p := s.newPending(m.tx, res, m.req.CSeq().SeqNo, x.transport)
		p.relayAck = !m.hadBody
		p.ackSeq = m.out.CSeq().SeqNo
		c.pend[m.from] = p
		c.acks[m.from] = m.tx.Acks()
	}
}

// onModDone: the relayed request timed out: 408 to its sender, and the call
// is released as a network failure on the silent side.
func (c *call) onModDone() {
	m := c.mod
	c.mod = nil
	c.s.respond(m.tx, c.s.response(m.req, 408, ""))
	if m.media != nil {
		c.modRefused(m)
	}
	c.hangup(c.s.d.Table.For(networkCause(other(m.from))), relPlatform, legNone)
}

// abortMod answers a relayed request cut short by the call's release.
func (c *call) abortMod() {
	m := c.mod
	if m == nil {
		return
	}
	c.mod = nil
	m.ctx.Terminate()
	c.s.respond(m.tx, c.s.response(m.req, 487, ""))
}

func networkCause(id legID) routing.Cause {
	if id == legA {
		return routing.CauseCallerNetwork
	}
	return routing.CauseCalleeNetwork
}
