package sip

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/xnum/xnum/routing"
)

// bInvite builds the B leg's INVITE from a whitelist (SPEC §4.1): fresh
// Call-ID, tag, branch and CSeq; From = the shown number (X) at xnum;
// To and Request-URI = the callee at trunk.outbound in trunk.number_format;
// xnum's Contact; P-Asserted-Identity = X when trunk.b_leg_pai; A's
// Max-Forwards less one; the SDP already rewritten. Nothing else of A's
// INVITE is read, so nothing else can leak: no PAI, Remote-Party-ID,
// Privacy, Diversion, History-Info, Identity, display name, User-Agent, X-*
// or Contact user of A.
func (c *call) bInvite(body []byte) (*sip.Request, error) {
	s, d, b := c.s, &c.dec, &c.b
	callee := s.d.Plan.Format(d.Callee, s.national)
	shown := s.d.Plan.Format(d.Display, s.national)
	if callee == "" || shown == "" || !SafeHeaderValue(callee) || !SafeHeaderValue(shown) {
		return nil, ErrHeaderInjection
	}
	b.callID = s.ids.callID()
	b.localTag = s.ids.tag()
	b.localSeq = initialSeq()
	b.localURI = sip.Uri{Scheme: "sip", User: shown, Host: s.advHost}
	b.remoteURI = sip.Uri{Scheme: "sip", User: callee, Host: s.outHost, Port: s.outPort}
	b.target = b.remoteURI
	b.transport = s.outTransport

	req := s.request(b, sip.INVITE, b.localSeq)
	mf := sip.MaxForwardsHeader(c.maxFwd - 1) // SPEC §4.1: decremented and carried
	req.ReplaceHeader(&mf)
	if s.bLegPAI {
		req.AppendHeader(sip.NewHeader("P-Asserted-Identity", "<sip:"+shown+"@"+s.advHost+">"))
	}
	req.AppendHeader(s.allowHdr)
	setSDP(req, body)
	return req, nil
}

// sendAck sends the ACK for our 2xx-answered INVITE number seq on leg id
// (RFC 3261 §13.2.2.4: its own transaction, sent straight to the transport)
// and keeps it for the 2xx retransmissions that say it was lost.
func (c *call) sendAck(id legID, seq uint32, body []byte) {
	ack := c.s.request(c.leg(id), sip.ACK, seq)
	setSDP(ack, body)
	c.s.send(ack)
	c.lastAck[id] = ack
}

// ackBUnanswered ACKs B's 2xx when A's answer will never come: A hung up
// (its BYE may overtake its ACK) or went away first. A late offer's 2xx
// carried B's offer, and the ACK must carry an answer (RFC 3261 §13.2.1):
// with the relay xnum answers it with its own description; the call is
// released right after. Without the relay, or when B's offer was never
// read, the ACK goes without one.
func (c *call) ackBUnanswered() {
	var body []byte
	if c.aOffer == nil && c.m.on && c.m.haveB {
		body, _ = c.lateAnswer(nil)
	}
	c.ackB(body)
}

func (c *call) ackB(body []byte) {
	c.sendAck(legB, c.bReq.CSeq().SeqNo, body)
	c.bAckSent = true
}

// byeLeg ends one dialog, with the release's cause in a Reason header
// (RFC 3326). Nobody waits for the answer.
func (c *call) byeLeg(id legID, rel routing.Release) {
	l := c.leg(id)
	if l.byeSent || l.callID == "" {
		return
	}
	l.byeSent = true
	l.localSeq++
	bye := c.s.request(l, sip.BYE, l.localSeq)
	bye.AppendHeader(reasonHeader(rel))
	c.s.fireAndForget(bye)
}

// sendCancel cancels the B INVITE (RFC 3261 §9.1): same Request-URI, Call-ID,
// From, To, top Via and CSeq number as the INVITE. B then has 64·T1 to send
// its final answer.
func (c *call) sendCancel() {
	c.cancelB = false
	if c.cancelSent {
		return
	}
	c.cancelSent = true
	c.cancelAt = time.Now().Add(64 * c.s.t1)
	inv := c.bReq
	cancel := sip.NewRequest(sip.CANCEL, inv.Recipient)
	cancel.AppendHeader(inv.Via().Clone())
	for _, h := range inv.GetHeaders("Route") {
		cancel.AppendHeader(sip.HeaderClone(h))
	}
	mf := sip.MaxForwardsHeader(70)
	cancel.AppendHeader(&mf)
	cancel.AppendHeader(sip.HeaderClone(inv.From()))
	cancel.AppendHeader(sip.HeaderClone(inv.To()))
	cancel.AppendHeader(sip.HeaderClone(inv.CallID()))
	cancel.AppendHeader(&sip.CSeqHeader{SeqNo: inv.CSeq().SeqNo, MethodName: sip.CANCEL})
	c.s.route(cancel, c.b.transport, "", true)
	c.s.fireAndForget(cancel)
}

// killStray refuses a 2xx that belongs to no live dialog of ours — another
// fork's answer, or B answering after its call ended: ACK, then BYE
// (RFC 3261 §13.2.2.4, SPEC §4.1). Everything is taken from the response.
func (s *Server) killStray(res *sip.Response) {
	cid, cs, from, to := res.CallID(), res.CSeq(), res.From(), res.To()
	ct := res.Contact()
	if cid == nil || cs == nil || from == nil || to == nil || ct == nil || cs.MethodName != sip.INVITE {
		return
	}
	l := leg{
		callID: string(*cid), localTag: fromTag(res), remoteTag: toTag(res),
		localURI: from.Address, remoteURI: to.Address, target: ct.Address,
		routes: recordRoutes(res.GetHeaders("Record-Route"), true), transport: "UDP",
	}
	if sip.IsReliable(res.Transport()) {
		l.transport = "TCP"
	}
	s.send(s.request(&l, sip.ACK, cs.SeqNo))
	bye := s.request(&l, sip.BYE, cs.SeqNo+1)
	bye.AppendHeader(reasonHeader(s.d.Table.For(routing.CauseNormal)))
	s.fireAndForget(bye)
	s.log.Debug("sip stray 2xx refused with ACK and BYE")
}

// onStrayResponse gets the responses that match no client transaction. A
// 2xx to one of our INVITEs whose transaction is gone is either a
// retransmission for a live dialog (its call re-sends the ACK) or belongs to
// nothing any more (killStray).
func (s *Server) onStrayResponse(res *sip.Response) {
	cs, cid := res.CSeq(), res.CallID()
	if !res.IsSuccess() || cs == nil || cid == nil || cs.MethodName != sip.INVITE {
		return
	}
	// Only B legs can have lost their transaction, and they all go to the
	// outbound trunk: a 2xx from anywhere else is not ours to answer (and
	// must not make xnum send ACK and BYE wherever its Contact points).
	if ap, err := netip.ParseAddrPort(res.Source()); err != nil || ap.Addr().Unmap() != s.outIP {
		return
	}
	if v, ok := s.dialogs.Load(dialogKey(string(*cid), fromTag(res))); ok {
		ref := v.(*legRef)
		if ref.c.inbox.push(event{kind: ev2xx, leg: ref.leg, res: res}) {
			return
		}
	}
	s.killStray(res)
}

// send writes a request outside any transaction (ACK for a 2xx).
func (s *Server) send(req *sip.Request) {
	withLength(req)
	if err := s.tp.WriteMsg(req); err != nil {
		s.log.Debug("sip send failed", "method", string(req.Method), "err", err)
	}
}

// fireAndForget sends a request whose answer changes nothing (BYE, CANCEL)
// and drains its transaction so that sipgo never blocks on it.
func (s *Server) fireAndForget(req *sip.Request) {
	tx, err := s.clientTx(req)
	if err != nil {
		s.log.Debug("sip request not sent", "method", string(req.Method), "err", err)
		return
	}
	go func() {
		defer tx.Terminate()
		for {
			select {
			case r := <-tx.Responses():
				if r.StatusCode >= 200 {
					return
				}
			case <-tx.Done():
				return
			}
		}
	}()
}

// withLength gives a request without body its Content-Length: 0, mandatory
// over TCP (RFC 3261 §20.14); it comes last, after every other header.
func withLength(req *sip.Request) {
	if req.ContentLength() == nil {
		req.SetBody(nil)
	}
}

// sdpBody is a message's body when it is a session description; any other
// body (multipart with ISUP, which would carry A's number, or unknown
// types) is never relayed.
func sdpBody(m interface {
	Body() []byte
	ContentType() *sip.ContentTypeHeader
}) []byte {
	b := m.Body()
	if len(b) == 0 {
		return nil
	}
	ct := m.ContentType()
	if ct == nil {
		return nil
	}
	v := string(*ct)
	if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[:i]
	}
	if !strings.EqualFold(strings.TrimSpace(v), "application/sdp") {
		return nil
	}
	return b
}

// setSDP puts body (nil for none) into a message we build.
func setSDP(m interface {
	AppendHeader(sip.Header)
	SetBody([]byte)
}, body []byte) {
	if body != nil {
		ct := sip.ContentTypeHeader("application/sdp")
		m.AppendHeader(&ct)
	}
	m.SetBody(body)
}

// recordRoutes turns Record-Route headers into a route set: in order for
// the UAS side, reversed for the UAC side (RFC 3261 §12.1.1, §12.1.2).
func recordRoutes(hs []sip.Header, reverse bool) []sip.Uri {
	var out []sip.Uri
	for _, h := range hs {
		if rr, ok := h.(*sip.RecordRouteHeader); ok {
			out = append(out, rr.Address)
		}
	}
	if reverse {
		slices.Reverse(out)
	}
	return out
}

// reasonQ850 is the Q.850 cause of a response's Reason header (RFC 3326), 0
// when it carries none.
func reasonQ850(m sip.Message) int {
	for _, h := range m.GetHeaders("Reason") {
		for _, v := range strings.Split(h.Value(), ",") {
			parts := strings.Split(v, ";")
			if !strings.EqualFold(strings.TrimSpace(parts[0]), "Q.850") {
				continue
			}
			for _, p := range parts[1:] {
				k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
				if ok && strings.EqualFold(strings.TrimSpace(k), "cause") {
					if n, err := strconv.Atoi(strings.TrimSpace(val)); err == nil {
						return n
					}
				}
			}
		}
	}
	return 0
}
