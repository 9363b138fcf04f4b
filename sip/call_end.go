package sip

import (
	"context"
	"log/slog"
	"strconv"

	"github.com/xnum/xnum/cdr"
	"github.com/xnum/xnum/routing"
)

// finish runs when the loop exits: nothing of the call may remain — no
// registry entry, no queued request unanswered, no transaction left blocking
// sipgo. The CDR is emitted before the call stops counting as active, so
// that ActiveCalls()==0 means every record is out.
func (c *call) finish() {
	s := c.s
	if c.timer != nil {
		c.timer.Stop()
	}
	if p := c.prompt; p != nil {
		c.prompt = nil
		if p.stop != nil {
			p.stop()
		}
	}
	if c.bTx != nil && c.bFinal == 0 {
		c.bTx.Terminate() // a late answer is refused by onStrayResponse
	}
	c.abortMod()
	c.endSteps()   // the X-mode callin request, if still out
	c.closeMedia() // after every BYE has left (STYLE.md: BYE before freeing media)
	s.unregister(&c.a)
	s.unregister(&c.b)
	if c.cancelKey != "" {
		s.cancels.CompareAndDelete(c.cancelKey, c)
	}
	for _, ev := range c.inbox.close() {
		c.refuse(ev)
	}
	c.self.Store(nil) // late callbacks find no call, as the closed inbox would
	if !c.out.set {
		c.setOutcome(s.d.Table.For(routing.CauseInternal), c.aFinal, relPlatform, resultFailed)
	}
	c.eventDisconnect() // written before the CDR is emitted (events.go)
	c.emit()
	s.calls.Delete(c)
	s.callEnded()
	c.tail()
}

// refuse answers what was still queued for a call that is gone.
func (c *call) refuse(ev event) {
	switch ev.kind {
	case evRequest:
		if ev.tx != nil {
			c.s.reject(ev.tx, ev.req, ErrNoDialog)
		}
	case ev2xx:
		c.s.killStray(ev.res)
	}
}

// tail waits, off the books, for A's ACK of a non-2xx final response, so that
// sipgo never parks the ACK on a goroutine of its own until Timer H.
func (c *call) tail() {
	if c.aFinal < 300 {
		return
	}
	select {
	case <-c.aTx.Acks():
	case <-c.aTx.Done():
	}
}

// emit writes the attempt's CDR (SPEC §6.2) and counts the call.
func (c *call) emit() {
	s := c.s
	rec := c.record()
	if err := s.d.CDR.Emit(rec); err != nil {
		s.log.Warn("sip cdr not emitted", "icid", rec.ICID, "err", err)
	}
	s.m.ended(c.out.result, rec.ULFailReason)
	if s.log.Enabled(context.Background(), slog.LevelDebug) {
		s.log.Debug("sip call ended", "caller", c.rc.Caller, "dialled", c.rc.Dialled,
			"callee", c.dec.Callee, "result", c.out.result, "cause", rec.ULFailReason,
			"sipStatus", rec.SIPStatusCode, "session", rec.SessionID)
	}
}

// record is the CDR with every field this path knows.
func (c *call) record() cdr.Record {
	d, t := &c.dec, &c.times
	r := cdr.Record{
		ICID:             c.icid(),
		Direction:        d.Direction,
		SPID:             d.App.SPID,
		AppKey:           d.App.Key,
		BindNum:          string(c.rc.Dialled),
		SessionID:        c.sessionID,
		SubscriptionID:   d.SubscriptionID,
		CallerNum:        string(c.rc.Caller),
		CalleeNum:        string(c.rc.Dialled),
		CallInTime:       cdr.FormatTime(t.in),
		FwdStartTime:     cdr.FormatTime(t.fwdStart),
		FwdAlertingTime:  cdr.FormatTime(t.fwdAlert),
		FwdAnswerTime:    cdr.FormatTime(t.fwdAnswer),
		CallEndTime:      cdr.FormatTime(t.end),
		ULFailReason:     c.out.rel.Code(),
		SIPStatusCode:    c.out.aStatus,
		CallRelDirection: c.out.relDir,
		ServiceType:      d.ServiceType,
		UserData:         d.UserData,
		ExtendNumber:     d.ExtendNumber,
	}
	if !c.decided {
		r.Direction = cdr.DirRefused // refused before routing (loop guard)
	}
	if d.Connect {
		r.FwdDisplayNum = string(d.Display)
		r.FwdDstNum = string(d.Callee)
	}
	// failTime: the end of a call that never reached its callee (docs/SIP.md
	// "CDR"): refused with a final status, or released by BYE after xnum
	// answered A itself (AXE) without B ever answering.
	if t.fwdAnswer.IsZero() {
		r.FailTime = r.CallEndTime
	}
	if c.m.rec != nil { // SPEC §6.2: the recording of this call
		r.RecordFlag = 1
		r.RecordStartTime = cdr.FormatTime(c.m.recStart)
		r.RecordDomain = c.s.d.RecordDomain
		r.RecordObjectName = c.recordName()
	}
	// fwdUnaswRsn: the Q.850 cause of a B leg that was placed but never
	// answered: B's own (its Reason, else its status's row) when B's answer
	// ended the attempt, else the release's (cancel, ring timeout).
	if !t.fwdStart.IsZero() && t.fwdAnswer.IsZero() {
		r.FwdUnaswRsn = c.unasw
		if r.FwdUnaswRsn == 0 {
			r.FwdUnaswRsn = c.out.rel.Q850
		}
	}
	return r
}

// causeLabel renders a cause code for the metric label.
func causeLabel(code int) string { return strconv.Itoa(code) }
