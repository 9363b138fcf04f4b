package sip

// X mode (SPEC §3): nothing is stored; every call to an X of an X-mode app
// asks the enterprise. A gets a provisional response at once and hears
// ringback while the callin request is out (at most xmode.callin_timeout);
// the answer goes through routing.DecideXMode: connect → the B leg to the
// callee it names, shown X, its maxDuration honoured; close → 480 / 8017;
// no answer, non-2xx, malformed → 403 / 8014.
//
// The request runs on a goroutine of its own so that the call's loop keeps
// serving A meanwhile: a CANCEL (or a shutdown) ends the call at once, and
// the loop's exit cancels the request (endSteps). The outcome comes back
// to the loop as an evRun event; a call that is over by then drops it.

import (
	"context"

	"github.com/xnum/xnum/cdr"
	"github.com/xnum/xnum/media"
	"github.com/xnum/xnum/routing"
)

// startCallin sends A its ringing and the callin request on its way.
// false (refuse with 8014) when no Callin is wired.
func (c *call) startCallin() bool {
	cl := c.s.d.Callin
	if cl == nil {
		return false
	}
	c.ringbackToA()
	ctx, stop := context.WithCancel(context.Background())
	c.mode.callinStop = stop
	app, ev := c.dec.App, c.callinEvent()
	go func() {
		r := cl.Callin(ctx, app, ev)
		c.runOnLoop(func() { c.onCallinResult(r) })
	}()
	return true
}

// callinEvent is the callin event of SPEC §6.1 for this call: A's real
// number, the X dialled, no binding (X mode has none).
func (c *call) callinEvent() cdr.Event {
	return newEvent(cdr.EventCallIn, c.times.in, c.sessionID, string(c.rc.Caller), string(c.rc.Dialled), "", "")
}

// ringbackToA: A hears ringback while routing waits (SPEC §4.3): 183 with
// xnum's answer and the ringback tone when A can hear xnum, else a plain
// 180 (A's phone rings locally).
func (c *call) ringbackToA() {
	if c.canPlayToA() {
		c.m.on = true
		err := c.openA()
		if err == nil {
			c.earlyToA(183)
			c.m.a.Play(media.Ringback())
			return
		}
		c.s.log.Debug("sip ringback not played", "err", err)
	}
	res := c.s.response(c.aReq, 180, c.a.localTag)
	res.AppendHeader(c.s.contact(c.a.transport))
	c.s.respond(c.aTx, res)
}

// onCallinResult finishes the X-mode decision with the enterprise's answer.
func (c *call) onCallinResult(r routing.CallinResult) {
	if stop := c.mode.callinStop; stop != nil {
		c.mode.callinStop = nil // the request is over
		stop()
	}
	if c.aFinal != 0 || c.ended {
		return // A cancelled meanwhile
	}
	if r.Err != nil {
		c.s.log.Debug("sip callin failed", "err", r.Err)
	}
	c.dec = routing.DecideXMode(c.mode.first, r, c.s.d.Plan, c.s.d.Lookup, c.s.d.Table)
	if !c.dec.Connect {
		c.reject(c.dec.Release)
		return
	}
	c.connect()
}
