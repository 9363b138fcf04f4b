package sip

// Releasing a call before it is answered: ring timeout, A's CANCEL (or BYE
// of its early dialog), and giving up the B leg however far it got.

import (
	"time"

	"github.com/xnum/xnum/routing"
)

// onRingTimeout: no answer within sip.ring_timeout → 480 to A, CANCEL to B,
// 8035 (SPEC §3 item 4).
func (c *call) onRingTimeout() {
	if c.bState != bAnswered && c.bState != bFailed && c.localRingTimeout() {
		return // A answered locally: BYE (mode_local.go)
	}
	if c.aFinal != 0 || c.ended || c.bState == bAnswered || c.bState == bFailed {
		return
	}
	c.finalToA(c.s.d.Table.For(routing.CauseRingTimeout), relPlatform, resultFailed)
	c.abandonB()
}

// onCancel: A cancelled its INVITE (or hung up an early dialog). The cause
// depends on how far B got (SPEC §4.2): no B leg 8009, before B's 18x 7501,
// after 7502. sent487 tells whether sipgo's transaction already answered.
func (c *call) onCancel(sent487 bool) {
	if c.aFinal != 0 {
		return // our final response went first: the CANCEL has no effect (RFC 3261 §9.2)
	}
	t := c.s.d.Table
	if c.cancelCollect(sent487) {
		return
	}
	if p := c.prompt; p != nil {
		c.prompt = nil
		if p.stop != nil {
			p.stop()
		}
		c.settleCancel(p.rel, sent487)
		return
	}
	cause := routing.CauseCancelNoBLeg
	switch {
	case c.bState == bNone:
	case !c.times.fwdAlert.IsZero():
		cause = routing.CauseCancelAfter18x
	default:
		cause = routing.CauseCancelBefore18x
	}
	c.settleCancel(t.For(cause), sent487)
	c.abandonB()
}

func (c *call) settleCancel(rel routing.Release, sent487 bool) {
	if !sent487 {
		rel487 := rel
		rel487.SIPStatus = 487
		c.finalToA(rel487, relCaller, resultCancelled)
		return
	}
	c.aFinal = 487
	c.setOutcome(rel, 487, relCaller, resultCancelled)
	c.ended = true
	c.ringAt = time.Time{}
}

// abandonB gives up the B leg however far it got: CANCEL once B has sent a
// provisional (deferred until then, RFC 3261 §9.1), ACK + BYE once it
// answered.
func (c *call) abandonB() {
	switch c.bState {
	case bTrying:
		c.cancelB = true
		c.cancelAt = time.Now().Add(64 * c.s.t1)
	case bProceeding, bEarly:
		c.sendCancel()
	case bAnswered:
		if !c.bAckSent {
			c.ackBUnanswered()
		}
		c.byeLeg(legB, c.out.rel)
	}
}

// giveUpB: B answered neither our INVITE nor our CANCEL within 64·T1
// (RFC 3261 §9.1): the transaction is destroyed.
func (c *call) giveUpB() {
	if c.bState == bTrying || c.bState == bProceeding || c.bState == bEarly {
		c.bTx.Terminate()
		c.bState = bFailed
		c.bRes, c.bDone = nil, nil
	}
}

func (c *call) onShutdown(force bool) {
	if !c.ended {
		if c.aFinal == 0 {
			c.finalToA(c.s.d.Table.For(routing.CauseInternal), relPlatform, resultFailed)
			c.abandonB()
		} else {
			c.hangup(c.s.d.Table.For(routing.CauseNormal), relPlatform, legNone)
		}
	}
	if force {
		c.exitNow = true
	}
}
