package sip

import (
	"context"
	"fmt"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/xnum/xnum/cdr"
	"github.com/xnum/xnum/routing"
)

// CDR callRelDirection values, named for the call flow.
const (
	relPlatform = cdr.RelPlatform
	relCaller   = cdr.RelCaller
	relCallee   = cdr.RelCallee
)

// Results of the calls metric.
const (
	resultAnswered  = "answered"
	resultRejected  = "rejected"
	resultFailed    = "failed"
	resultCancelled = "cancelled"
)

// outcome is how the attempt ended, fixed once (the first release wins).
type outcome struct {
	set     bool
	rel     routing.Release
	aStatus int // sipStatusCode: final status sent to A, 0 when answered
	relDir  int
	result  string
}

func (c *call) setOutcome(rel routing.Release, aStatus, dir int, result string) {
	if c.out.set {
		return
	}
	c.out = outcome{set: true, rel: rel, aStatus: aStatus, relDir: dir, result: result}
	c.times.end = c.s.now()
}

// start runs as the INVITE arrives: 100 Trying at once (RFC 3261 §8.2.6.1),
// then who calls whom (SPEC §2.1), the loop guard (SPEC §2), routing.Decide
// (SPEC §3), and either a final response or the B leg.
func (c *call) start() {
	s := c.s
	c.times.in = s.now()
	c.sessionID = s.ids.record()
	s.respond(c.aTx, s.response(c.aReq, 100, ""))
	c.setupA()
	c.parseOffer()
	c.rc = s.routingCall(c.aReq)
	if c.rc.Caller != "" && s.d.IsX(c.rc.Caller) {
		c.reject(s.d.Table.For(routing.CauseLoop))
		return
	}
	c.dec = routing.Decide(c.rc, s.d.Lookup, s.d.Table, s.now())
	c.decided = true
	c.eventCallIn()
	c.drainInbox() // a CANCEL that came in while routing
	if c.aFinal != 0 || c.ended {
		return
	}
	if s.d.testCollect != nil {
		if spec := s.d.testCollect(c); spec != nil && c.startCollect(*spec) {
			return
		}
	}
	if c.dec.Next != routing.StepNone && c.startStep() {
		return // X-mode callin, AXE extension (mode_step.go)
	}
	if !c.dec.Connect {
		c.reject(c.dec.Release)
		return
	}
	c.connect()
}

// setupA records the A dialog from the INVITE (RFC 3261 §12.1.1) and
// registers it, so that A's requests carrying xnum's To tag find the call.
func (c *call) setupA() {
	req, a := c.aReq, &c.a
	if cid := req.CallID(); cid != nil {
		a.callID = string(*cid)
	}
	a.remoteTag = fromTag(req)
	if to := req.To(); to != nil {
		a.localURI = to.Address
	}
	if f := req.From(); f != nil {
		a.remoteURI = f.Address
	}
	if cs := req.CSeq(); cs != nil {
		a.remoteSeq = cs.SeqNo
	}
	a.localSeq = initialSeq()
	a.target = a.remoteURI
	if ct := req.Contact(); ct != nil {
		a.target = ct.Address
	}
	a.routes = recordRoutes(req.GetHeaders("Record-Route"), false)
	a.transport = "UDP"
	if sip.IsReliable(req.Transport()) {
		a.transport = "TCP"
		a.dest = req.Source() // in-dialog requests reuse A's connection
	}
	a.sdp = newSDPIdentity()
	c.s.register(a)
	c.aOffer = sdpBody(req)
}

// reject releases a refused call towards A: its prompt first as early
// media when it has one and A can hear it (SPEC §4.3), then the final
// response of the release.
func (c *call) reject(rel routing.Release) {
	if c.startPrompt(rel) {
		return
	}
	c.finalToA(rel, relPlatform, resultRejected)
}

func (c *call) onPromptDone() {
	p := c.prompt
	c.prompt = nil
	if c.aFinal == 0 {
		c.finalToA(p.rel, relPlatform, resultRejected)
	} else {
		c.localPromptDone(p) // A answered locally: BYE (mode_local.go)
	}
}

// sendFinal sends A's one final response unless another went first: a 487
// for a CANCEL, sent by cancel.go or by sipgo's transaction (which then
// refuses ours with an error).
func (c *call) sendFinal(res *sip.Response) bool {
	c.aMu.Lock()
	defer c.aMu.Unlock()
	if c.aSent != 0 {
		return false
	}
	if err := c.aTx.Respond(res); err != nil {
		c.s.log.Debug("sip final response refused", "status", res.StatusCode, "err", err)
		c.aSent = 487
		return false
	}
	c.aSent = res.StatusCode
	return true
}

// fail releases the call towards A on an error of ours.
func (c *call) fail(err error) {
	status, cause := Classify(err)
	rel := c.s.d.Table.For(cause)
	rel.SIPStatus = status
	c.s.log.Debug("sip call failed", "err", err)
	c.finalToA(rel, relPlatform, resultFailed)
	c.abandonB()
}

// finalToA sends A its final non-2xx response: xnum's status and phrase and
// the RFC 3326 Reason with the release's Q.850 cause (SPEC §4.2).
func (c *call) finalToA(rel routing.Release, dir int, result string) {
	status := rel.SIPStatus
	if status < 300 {
		status = 500
	}
	res := c.s.response(c.aReq, status, c.a.localTag)
	res.AppendHeader(reasonHeader(rel))
	if !c.sendFinal(res) {
		c.onCancel(true) // A's CANCEL got its 487 first
		return
	}
	c.aFinal = status
	c.setOutcome(rel, status, dir, result)
	c.ended = true
	c.ringAt = time.Time{}
}

// connect places the B leg (SPEC §3 item 4, §4.1).
func (c *call) connect() {
	s := c.s
	c.b.sdp = newSDPIdentity()
	c.m.on = s.d.Media != nil && (s.relayAll || c.mustAnchor())
	var body []byte
	if c.m.on {
		b, err := c.connectMedia()
		if err != nil {
			c.fail(err)
			return
		}
		body = b
	} else if c.aOffer != nil {
		b, err := c.b.sdp.rewrite(c.aOffer, s.advHost)
		if err != nil {
			c.fail(err)
			return
		}
		body = b
	}
	req, err := c.bInvite(body)
	if err != nil {
		c.fail(err)
		return
	}
	s.register(&c.b)
	tx, err := s.clientTx(req)
	if err != nil {
		c.fail(fmt.Errorf("%w: %w", ErrBLegSend, err))
		return
	}
	c.bReq, c.bTx = req, tx
	c.bRes, c.bDone = tx.Responses(), tx.Done()
	tx.OnRetransmission(c.retransHook(legB))
	c.bState = bTrying
	c.times.fwdStart = s.now()
	c.eventCallOut()
	c.ringAt = time.Now().Add(s.ringTimeout)
}

// clientTx starts a client transaction. Only a TCP connection setup can
// block, so only then is the wait bounded.
func (s *Server) clientTx(req *sip.Request) (*sip.ClientTx, error) {
	withLength(req)
	if req.Transport() == "UDP" {
		return s.txl.Request(context.Background(), req)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 64*s.t1)
	defer cancel()
	return s.txl.Request(ctx, req)
}

// retransHook receives the 2xx that sipgo does not pass up a second time: a
// retransmission (our ACK was lost) or another fork's answer. When the call
// is gone the answer is refused on the spot (ACK + BYE).
// It holds the call through c.self only (call.go).
func (c *call) retransHook(id legID) sip.FnTxResponse {
	ref, s := c.self, c.s
	return func(r *sip.Response) {
		if c := ref.Load(); c == nil || !c.inbox.push(event{kind: ev2xx, leg: id, res: r}) {
			s.killStray(r)
		}
	}
}

func (c *call) onBResponse(r *sip.Response) {
	if r.StatusCode < 200 {
		if r.StatusCode > 100 {
			c.early.take() // seen in order: nothing to catch up
		}
		c.onBProvisional(r)
		return
	}
	c.missedProvisionals() // 18x that this answer overtook in sipgo (early.go)
	switch {
	case r.StatusCode < 300:
		c.onB2xx(r)
	default:
		c.onBFailure(r)
	}
}

// onBProvisional relays B's ringing and early media to A with xnum's Contact
// and SDP identity (SPEC §4.1), and sends a CANCEL that was waiting for B's
// first provisional (RFC 3261 §9.1).
func (c *call) onBProvisional(r *sip.Response) {
	if c.bState < bProceeding {
		c.bState = bProceeding
	}
	if c.cancelB {
		c.sendCancel()
	}
	if r.StatusCode == 100 || r.StatusCode >= 199 {
		return
	}
	c.bState = bEarly
	if c.times.fwdAlert.IsZero() {
		c.times.fwdAlert = c.s.now()
		c.eventAlerting()
	}
	if c.aFinal != 0 || c.ended {
		return
	}
	status := 180
	if r.StatusCode == 183 {
		status = 183
	}
	res := c.s.response(c.aReq, status, c.a.localTag)
	res.AppendHeader(c.s.contact(c.a.transport))
	if c.m.on {
		setSDP(res, c.bProvisionalBody(sdpBody(r)))
	} else if sdp := sdpBody(r); sdp != nil {
		if body, err := c.a.sdp.rewrite(sdp, c.s.advHost); err == nil {
			setSDP(res, body)
		}
	}
	c.s.respond(c.aTx, res)
}

// onB2xx: B answered. A gets 200 with B's SDP rewritten; B gets its ACK now
// (early offer) or with A's answer (late offer, RFC 3261 §13.2.1). If A is
// already gone, B's answer gets ACK + BYE (SPEC §4.1: CANCEL crossing 200).
func (c *call) onB2xx(r *sip.Response) {
	s := c.s
	c.bState, c.bFinal = bAnswered, r.StatusCode
	c.bRes, c.bDone = nil, nil
	c.ringAt, c.cancelAt = time.Time{}, time.Time{}
	b := &c.b
	b.remoteTag = toTag(r)
	if ct := r.Contact(); ct != nil {
		b.target = ct.Address
	}
	b.routes = recordRoutes(r.GetHeaders("Record-Route"), true)
	c.times.fwdAnswer = s.now()
	if c.mode.local && !c.ended {
		c.localB2xx(r) // A is up already (mode_local.go)
		return
	}
	if c.aFinal != 0 || c.ended {
		c.abandonB()
		return
	}
	var body []byte
	if c.m.on {
		bb, err := c.b2xxBody(sdpBody(r))
		if err != nil {
			c.fail(err)
			return
		}
		body = bb
	} else if sdp := sdpBody(r); sdp != nil {
		bb, err := c.a.sdp.rewrite(sdp, s.advHost)
		if err != nil {
			c.fail(err)
			return
		}
		body = bb
	}
	late := c.aOffer == nil
	if !late {
		c.ackB(nil)
	}
	res := s.response(c.aReq, 200, c.a.localTag)
	res.AppendHeader(s.contact(c.a.transport))
	res.AppendHeader(s.allowHdr)
	setSDP(res, body)
	c.persistAnswered() // synced before A's 200 (SPEC §7)
	if !c.sendFinal(res) {
		c.onCancel(true) // A's CANCEL won the race and got its 487
		return
	}
	c.aFinal = 200
	c.eventAnswer()
	c.pend[legA] = s.newPending(c.aTx, res, c.a.remoteSeq, c.a.transport)
	c.pend[legA].initial = true
	c.pend[legA].relayAck = late
	c.acks[legA] = c.aTx.Acks()
	s.m.answer.Observe(s.now().Sub(c.times.in).Seconds())
	c.mediaAnswered()
	if d := c.maxDuration(); d > 0 {
		now := time.Now()
		c.maxAt = now.Add(d)
		if _, ok := c.promptOf(c.dec.Options.LastMinVoice); ok && c.m.on {
			c.lastMinAt = now.Add(max(d-s.lastMinLead, 0))
		}
	}
}

// maxDuration is the lesser of sip.max_call_duration and the binding's
// maxDuration, counted from answer (SPEC §3 item 4).
func (c *call) maxDuration() time.Duration {
	d := c.s.maxCall
	if m := c.dec.MaxDuration; m > 0 && m < d {
		d = m
	}
	return d
}

// onBFailure maps B's final failure to A's release through the one table
// (SPEC §4.2): B's status, phrase, Contact and headers never reach A.
func (c *call) onBFailure(r *sip.Response) {
	c.bState, c.bFinal = bFailed, r.StatusCode
	c.bRes, c.bDone = nil, nil
	c.ringAt, c.cancelAt = time.Time{}, time.Time{}
	c.bQ850 = reasonQ850(r)
	if c.localBFailure(r.StatusCode, relCallee) {
		return // A answered locally: BYE (mode_local.go)
	}
	if c.aFinal != 0 || c.ended {
		return // A was answered already (CANCEL, ring timeout): B's 487
	}
	rel := c.s.d.Table.BFailure(r.StatusCode, c.bQ850)
	c.unasw = c.bQ850
	if c.unasw == 0 {
		c.unasw = rel.Q850
	}
	c.finalToA(rel, relCallee, resultFailed)
}

// onBDone: the B INVITE transaction ended without a final response (Timer B,
// transport error): as a 408 from B.
func (c *call) onBDone() {
	c.bRes, c.bDone = nil, nil
	if c.bFinal != 0 {
		return
	}
	c.bState = bFailed
	c.cancelAt = time.Time{}
	if c.localBFailure(408, relPlatform) {
		return // A answered locally: BYE (mode_local.go)
	}
	if c.aFinal != 0 || c.ended {
		return
	}
	c.finalToA(c.s.d.Table.BFailure(408, 0), relPlatform, resultFailed)
}
