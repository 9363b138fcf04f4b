package sip

// DTMF digit collection on A's leg (SPEC §4.3; the AXE mode routes with it).
// The call plays a prompt to A as early media and collects RFC 4733 key
// presses with media.Collector — N digits or '#', the first-digit and
// inter-digit timeouts, retries with the retry prompt, barge-in — all on
// the call's own loop: the keys, the prompt's end and the collector's one
// deadline are events of the loop like any other.
//
// How AXE plugs in: where routing says an extension must be collected, the
// call runs startCollect with the app's digit count, dtmf.* timers and the
// prompts (routing.PromptEnterExt, routing.PromptInvalidExt); check looks
// the digits up (the store's extension), done carries the outcome on:
// c.connect() to the bound number, or c.reject(table.For(8022/8033)).

import (
	"time"

	"github.com/xnum/xnum/media"
	"github.com/xnum/xnum/routing"
)

// collectSpec says what to collect and what to do with it.
type collectSpec struct {
	cfg media.CollectorConfig
	// check judges collected digits: true accepts them (the collection
	// ends Collected), false retries with cfg.RetryPrompt while retries
	// remain.
	check func(digits string) bool
	// done runs once on the call's loop with the outcome: Collected with
	// the accepted digits, NoDigits (8033) or WrongDigits (8022). It is
	// not called when A hangs up first.
	done func(c *call, res media.Result, digits string)
}

// collection is a collection in progress.
type collection struct {
	spec collectSpec
	col  *media.Collector
	pb   *media.Playback
}

// startCollect begins collecting on A's leg: A gets a 183 with xnum's
// answer and hears cfg.Prompt. false when A cannot hear anything (late
// offer, no common codec, no media engine): there is nothing to collect
// with.
func (c *call) startCollect(spec collectSpec) bool {
	if !c.canPlayToA() {
		return false
	}
	c.m.on = true
	if err := c.openA(); err != nil {
		c.s.log.Debug("sip collection not started", "err", err)
		return false
	}
	if !c.m.earlyA {
		c.earlyToA(183)
	}
	c.coll = &collection{spec: spec, col: media.NewCollector(spec.cfg)}
	c.collectStep(c.coll.col.Start(time.Now()))
	return true
}

// collectStep carries out what the collector asks for.
func (c *call) collectStep(st media.Step) {
	k := c.coll
	if k == nil {
		return
	}
	if st.StopPrompt && k.pb != nil {
		k.pb.Stop() // barge-in: the key counts, the prompt ends
		k.pb = nil
	}
	if st.Play != "" {
		if p, ok := c.promptOf(st.Play); ok {
			k.pb = c.m.a.Play(media.PromptSource(p))
		} else {
			k.pb = nil
			st = k.col.PromptDone(time.Now()) // nothing to hear: the timer starts now
			c.collectStep(st)
			return
		}
	}
	switch st.Result {
	case media.Collected:
		if k.spec.check(st.Digits) {
			k.col.Accept()
			c.endCollect(media.Collected, st.Digits)
		} else {
			c.collectStep(k.col.Reject(time.Now()))
		}
	case media.NoDigits, media.WrongDigits:
		c.endCollect(st.Result, "")
	}
}

func (c *call) endCollect(res media.Result, digits string) {
	k := c.coll
	c.coll = nil
	if k.pb != nil {
		k.pb.Stop()
	}
	k.spec.done(c, res, digits)
}

// collectChans are the loop's inputs of a collection (nil when none).
func (c *call) collectChans() (digits <-chan byte, promptDone <-chan struct{}) {
	if c.coll == nil {
		return nil, nil
	}
	if c.coll.pb != nil {
		promptDone = c.coll.pb.Done()
	}
	return c.m.a.Digits(), promptDone
}

func (c *call) onCollectDigit(d byte) {
	if c.coll != nil {
		c.collectStep(c.coll.col.Digit(d, time.Now()))
	}
}

func (c *call) onCollectPromptDone() {
	k := c.coll
	if k == nil || k.pb == nil {
		return
	}
	k.pb = nil
	c.collectStep(k.col.PromptDone(time.Now()))
}

func (c *call) onCollectTimer(now time.Time) {
	if k := c.coll; k != nil {
		if d := k.col.Deadline(); !d.IsZero() && !now.Before(d) {
			c.collectStep(k.col.Expire(now))
		}
	}
}

// cancelCollect: A hung up while its digits were being collected (SPEC
// §4.2: 7516, caller hung up before transfer).
func (c *call) cancelCollect(sent487 bool) bool {
	k := c.coll
	if k == nil {
		return false
	}
	c.coll = nil
	if k.pb != nil {
		k.pb.Stop()
	}
	c.settleCancel(c.s.d.Table.For(routing.CauseHangupBeforeXfer), sent487)
	return true
}
