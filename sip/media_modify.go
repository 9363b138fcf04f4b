package sip

// Mid-call session changes of a relayed call (SPEC §4.1, §4.3): a re-INVITE
// or UPDATE with an offer is relayed to the other party as xnum's own offer
// on that leg, so hold and resume reach the other party, and the answer
// comes back as xnum's answer; a re-INVITE without an offer is answered
// locally with xnum's offer, since the other party need not know. Each
// party's new address re-latches its leg, and the RTP timeout follows the
// directions (hold stops it).

import (
	"net/netip"

	"github.com/emiago/sipgo/sip"

	"github.com/xnum/xnum/media"
)

// legMedia is what a description sets on one leg, kept to undo an offer the
// other party refused (RFC 3261 §14.1: the session stays as it was).
type legMedia struct {
	remote netip.AddrPort
	pay    media.Payload
	dir    media.Direction
	our    media.Direction
}

// modMedia is the media side of a relayed re-INVITE or UPDATE.
type modMedia struct {
	prevX, prevY legMedia
}

func (c *call) legState(id legID) legMedia {
	if id == legA {
		return legMedia{c.m.remA, c.m.payA, c.m.dirA, c.m.ourA}
	}
	return legMedia{c.m.remB, c.m.payB, c.m.dirB, c.m.ourB}
}

func (c *call) setLegState(id legID, s legMedia) {
	l := c.mediaLeg(id)
	if id == legA {
		if s.remote != c.m.remA {
			l.SetRemote(s.remote)
		}
		c.m.remA, c.m.payA, c.m.dirA, c.m.ourA = s.remote, s.pay, s.dir, s.our
	} else {
		if s.remote != c.m.remB {
			l.SetRemote(s.remote)
		}
		c.m.remB, c.m.payB, c.m.dirB, c.m.ourB = s.remote, s.pay, s.dir, s.our
	}
	l.SetPayload(s.pay)
}

// applyOffer points leg id at a party's new description, keeping the leg's
// codec when the party still offers it. A new description always re-latches
// (media.latching symmetric learns the source again, SPEC §4.3), even when
// the address did not change.
func (c *call) applyDescription(id legID, body []byte) error {
	a, err := media.ParseSDP(body)
	if err != nil {
		return err
	}
	cur := c.legState(id)
	p, err := a.NegotiatePrefer(cur.pay.Codec)
	if err != nil {
		return err
	}
	cur.remote, cur.pay, cur.dir = a.RTP(), p, a.Direction
	c.setLegState(id, cur)
	c.mediaLeg(id).Relatch()
	return nil
}

// modifyRelayed handles a session change from leg id of a relayed call,
// after the glare and sequence checks of onModify.
func (c *call) modifyRelayed(id legID, req *sip.Request, tx *sip.ServerTx, offer []byte) {
	s := c.s
	o := other(id)
	x, y := c.leg(id), c.leg(o)
	if offer == nil {
		// A re-INVITE without an offer: xnum offers on this leg itself,
		// and the answer comes in the ACK (RFC 3261 §14.2).
		cur := c.legState(id)
		body, err := c.describe(id, media.OfferFormats(cur.pay.Codec, cur.pay.HasEvents()), cur.our)
		if err != nil {
			s.respond(tx, s.response(req, 500, ""))
			return
		}
		res := s.response(req, 200, "")
		res.AppendHeader(s.contact(x.transport))
		setSDP(res, body)
		s.respond(tx, res)
		p := s.newPending(tx, res, req.CSeq().SeqNo, x.transport)
		p.mediaAck = true
		c.pend[id] = p
		c.acks[id] = tx.Acks()
		return
	}
	mm := &modMedia{prevX: c.legState(id), prevY: c.legState(o)}
	if err := c.applyDescription(id, offer); err != nil {
		s.respond(tx, s.response(req, 488, ""))
		return
	}
	mf := req.MaxForwards()
	if mf != nil && mf.Val() == 0 {
		c.setLegState(id, mm.prevX)
		s.reject(tx, req, ErrTooManyHops)
		return
	}
	ys := c.legState(o)
	ys.our = c.legState(id).dir // xnum sends to Y what X sends, and the reverse
	body, err := c.describe(o, media.OfferFormats(ys.pay.Codec, ys.pay.HasEvents()), ys.our)
	if err != nil {
		c.setLegState(id, mm.prevX)
		s.respond(tx, s.response(req, 500, ""))
		return
	}
	c.setLegState(o, ys)
	y.localSeq++
	out := s.request(y, req.Method, y.localSeq)
	if mf != nil {
		v := sip.MaxForwardsHeader(mf.Val() - 1)
		out.ReplaceHeader(&v)
	}
	setSDP(out, body)
	ctx, err := s.clientTx(out)
	if err != nil {
		c.setLegState(id, mm.prevX)
		c.setLegState(o, mm.prevY)
		s.respond(tx, s.response(req, 500, ""))
		return
	}
	if req.Method == sip.INVITE {
		ctx.OnRetransmission(c.retransHook(o))
	}
	c.mod = &modification{from: id, req: req, tx: tx, out: out, ctx: ctx,
		res: ctx.Responses(), done: ctx.Done(), hadBody: true, media: mm}
}

// modAnswered builds xnum's answer to the party that sent the relayed offer
// from the other party's answer (absent or unusable: its session stays).
func (c *call) modAnswered(m *modification, answer []byte) []byte {
	id, o := m.from, other(m.from)
	if answer != nil {
		_ = c.applyDescription(o, answer)
	}
	xs := c.legState(id)
	xs.our = media.AnswerThrough(xs.dir, c.legState(o).dir)
	c.setLegState(id, xs)
	c.expectRTP()
	body, err := c.describe(id, xs.pay.Formats(), xs.our)
	if err != nil {
		return nil
	}
	return body
}

// modRefused undoes the offer the other party refused.
func (c *call) modRefused(m *modification) {
	c.setLegState(m.from, m.media.prevX)
	c.setLegState(other(m.from), m.media.prevY)
	c.expectRTP()
}

// localOfferAnswered takes the answer to xnum's own offer from the ACK.
func (c *call) localOfferAnswered(id legID, ack *sip.Request) {
	if sdp := sdpBody(ack); sdp != nil {
		if c.applyDescription(id, sdp) == nil {
			c.expectRTP()
		}
	}
}
