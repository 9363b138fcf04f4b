package sip

// The steps some modes need between routing.Decide and a final decision
// (routing/MODES.md): X mode asks the enterprise (StepCallin, mode_x.go),
// AXE collects an extension (StepCollect, mode_axe.go). Both run on the
// call's loop like everything else; what happens off the loop (the callin
// HTTP request) comes back through the inbox as an evRun event.
//
// An AXE app with answerBeforeCollect answers A with xnum's own 200 before
// any B leg exists ("answered locally"). From then on A's side of the call
// is up while B's is still being set up: B's 18x are not relayed (A hears
// ringback in-band), B's 200 only completes the bridge, and whatever ends
// the attempt before B answers ends A's dialog with BYE instead of a final
// response. mode_local.go carries that out.

import (
	"context"

	"github.com/xnum/xnum/routing"
)

// modeState is a call's part of the mode steps. Only the call's loop
// touches it.
type modeState struct {
	// first is the decision with the step, as routing.Decide returned it:
	// DecideExtension is always asked with it (routing/MODES.md).
	first routing.Decision
	// callinStop cancels the X-mode callin request in flight.
	callinStop context.CancelFunc
	// local: A was answered by xnum itself before any B leg
	// (mode_local.go); promptDir is the callRelDirection of the release
	// whose prompt plays before A's BYE.
	local     bool
	promptDir int
}

// startStep carries out the step of c.dec (Next != StepNone). false when
// the step cannot be carried out at all: the call is then refused with
// c.dec.Release, routing's fallback (8014 for X mode, 8033 for AXE).
func (c *call) startStep() bool {
	c.mode.first = c.dec
	switch c.dec.Next {
	case routing.StepCallin:
		return c.startCallin()
	case routing.StepCollect:
		return c.startExtension()
	}
	return false
}

// runOnLoop queues fn to run on the call's loop. From any goroutine; false
// when the call is over (fn never runs).
func (c *call) runOnLoop(fn func()) bool {
	return c.inbox.push(event{kind: evRun, run: fn})
}

// endSteps stops what a step still has running off the loop (finish).
func (c *call) endSteps() {
	if stop := c.mode.callinStop; stop != nil {
		c.mode.callinStop = nil
		stop()
	}
}
