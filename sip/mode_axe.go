package sip

// AXE (SPEC §3, §4.3): a caller of an X with live bindings is asked for an
// extension. With the app's answerBeforeCollect (the default) A is answered
// first (many networks carry no DTMF in early media), else the prompt is
// early media. The digits are collected on A's leg by collect.go
// (media.Collector: N digits or '#', dtmf.first_digit, dtmf.inter_digit,
// dtmf.retries with the invalid-extension prompt, barge-in) and judged by
// routing.DecideExtension, which on a live extension writes the callback
// record and routes to that binding's A. Each attempt's digits are
// reported to the app as a collectInfo event (SPEC §6.1).
//
// When retries run out: no key ever → 8033, wrong keys → 8022 — the
// release's prompt, then 403 (or BYE when A was answered). A caller who
// hangs up before the transfer is 7516 (collect.go, mode_local.go).

import (
	"time"

	"github.com/xnum/xnum/cdr"
	"github.com/xnum/xnum/media"
	"github.com/xnum/xnum/routing"
)

// Defaults of the dtmf.* keys (SPEC §4.3) for a zero configs.DTMF.
const (
	defaultFirstDigit = 10 * time.Second
	defaultInterDigit = 5 * time.Second
)

// startExtension answers A when the app wants it, then collects. false
// (refuse with 8033) when A cannot hear xnum or send it keys: a late offer,
// no codec in common, no media engine.
func (c *call) startExtension() bool {
	if !c.canPlayToA() {
		return false
	}
	want := c.dec.Collect
	c.m.on = true
	if err := c.openA(); err != nil {
		c.s.log.Debug("sip extension collection not started", "err", err)
		return false
	}
	if want.AnswerFirst && !c.answerLocally() {
		return true // A's CANCEL won: the call is over
	}
	dt := c.s.d.DTMF
	spec := collectSpec{
		cfg: media.CollectorConfig{
			Digits:      want.Digits,
			FirstDigit:  orDefault(dt.FirstDigit, defaultFirstDigit),
			InterDigit:  orDefault(dt.InterDigit, defaultInterDigit),
			Retries:     max(dt.Retries, 0),
			Prompt:      want.Prompt,
			RetryPrompt: routing.PromptInvalidExt,
		},
	}
	var accepted routing.Decision
	spec.check = func(digits string) bool {
		d := routing.DecideExtension(c.mode.first, digits, c.s.d.Lookup, c.s.d.Table, c.s.now())
		c.eventCollectInfo(digits, d.SubscriptionID, d.UserData)
		if d.Connect {
			accepted = d
		}
		return d.Connect
	}
	spec.done = func(c *call, res media.Result, _ string) {
		switch res {
		case media.Collected:
			c.dec = accepted
			c.connect()
			c.ringbackWhileB()
		case media.NoDigits:
			c.refuseStep(routing.CauseNoDigits)
		default:
			c.refuseStep(routing.CauseBadExtension)
		}
	}
	if !c.startCollect(spec) {
		// Cannot happen with A's leg open; refuse rather than hang.
		c.refuseStep(routing.CauseNoDigits)
	}
	return true
}

// refuseStep ends a call whose step failed with cause: its prompt, then
// 403 — or BYE when A was answered (SPEC §4.2).
func (c *call) refuseStep(cause routing.Cause) {
	d := c.mode.first
	d.Connect, d.Next = false, routing.StepNone
	d.Release = c.s.d.Table.For(cause)
	d.Direction = cdr.DirRefused
	d.Callee, d.Display = "", ""
	c.dec = d
	if c.mode.local {
		c.releaseLocal(d.Release, relPlatform, true)
		return
	}
	c.reject(d.Release)
}

// eventCollectInfo reports one attempt's digits to the app (SPEC §6.1
// collectInfo, digitInfo); sub and userData are the binding's they
// reached, "" for none (every event carries both, SPEC §6.1).
func (c *call) eventCollectInfo(digits, sub, userData string) {
	if !c.reports() {
		return
	}
	ev := newEvent(cdr.EventCollectInfo, c.s.now(), c.sessionID, string(c.rc.Caller), string(c.rc.Dialled), sub, userData)
	ev.StatusInfo.DigitInfo = digits
	c.s.ev.q.push(queuedEvent{app: c.dec.App.Key, ev: ev})
}
