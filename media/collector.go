package media

import "time"

// Collector is the DTMF digit collector of the AXE mode (SPEC §4.3): it
// collects a fixed number of digits, or fewer ended by '#', with a timeout
// for the first digit and one between digits, a number of retries with the
// invalid-extension prompt, and barge-in (a key pressed while a prompt
// plays counts, and stops the prompt).
//
// It is a pure state machine: no goroutine, no timer, no clock of its own.
// The call's owner feeds it what happens — Start, PromptDone, Digit,
// Expire, Reject, each with the current time — and acts on the Step it
// returns: play or stop a prompt, arm a timer for Deadline, or take the
// result. That keeps every timing rule testable without waiting.
type Collector struct {
	cfg      CollectorConfig
	state    collectState
	digits   []byte
	attempts int // attempts that failed so far
	keyed    bool
	deadline time.Time
}

// CollectorConfig is the per-call configuration.
type CollectorConfig struct {
	Digits      int           // digits of an extension (1–4, per app)
	FirstDigit  time.Duration // dtmf.first_digit: after the prompt ends
	InterDigit  time.Duration // dtmf.inter_digit: after each digit
	Retries     int           // dtmf.retries: attempts after the first
	Prompt      string        // played first (routing.PromptEnterExt)
	RetryPrompt string        // played before each retry (routing.PromptInvalidExt)
}

type collectState uint8

const (
	collectIdle      collectState = iota
	collectPrompting              // a prompt plays; no timer
	collectWaiting                // prompt done, no digit yet: first-digit timer
	collectDigits                 // some digits: inter-digit timer
	collectChecking               // digits handed out; waiting for Accept/Reject
	collectDone
)

// Result is how a collection ended.
type Result uint8

const (
	// Pending: not ended yet.
	Pending Result = iota
	// Collected: Step.Digits holds the extension; the owner checks it and
	// calls Accept or Reject.
	Collected
	// NoDigits: retries ran out and no key was ever pressed (8033).
	NoDigits
	// WrongDigits: retries ran out after keys were pressed, wrong or too
	// few (8022).
	WrongDigits
)

// Step is what the owner must do after feeding the collector.
type Step struct {
	Play       string // start this prompt ("" for none)
	StopPrompt bool   // stop the prompt that plays (barge-in)
	Result     Result
	Digits     string // with Collected
}

// NewCollector returns a collector; call Start.
func NewCollector(cfg CollectorConfig) *Collector {
	cfg.Digits = max(cfg.Digits, 1)
	cfg.Retries = max(cfg.Retries, 0)
	return &Collector{cfg: cfg}
}

// Start begins the first attempt: play the prompt.
func (c *Collector) Start(now time.Time) Step {
	c.state = collectPrompting
	c.digits = c.digits[:0]
	c.deadline = time.Time{}
	return Step{Play: c.cfg.Prompt}
}

// Deadline is when Expire must be called; zero when no timer runs (a
// prompt plays, or the collection has ended).
func (c *Collector) Deadline() time.Time { return c.deadline }

// PromptDone tells that the prompt finished playing: the first-digit timer
// starts. Ignored once a digit has stopped the prompt.
func (c *Collector) PromptDone(now time.Time) Step {
	if c.state == collectPrompting {
		c.state = collectWaiting
		c.deadline = now.Add(c.cfg.FirstDigit)
	}
	return Step{}
}

// Digit feeds one key ('0'–'9', '*', '#', 'A'–'D').
func (c *Collector) Digit(d byte, now time.Time) Step {
	var s Step
	switch c.state {
	case collectPrompting:
		s.StopPrompt = true // barge-in: the key counts
	case collectWaiting, collectDigits:
	default:
		return s
	}
	c.keyed = true
	if d == '#' {
		// '#' ends the entry early (SPEC §4.3). With nothing before it,
		// the attempt is as good as a wrong entry.
		if len(c.digits) == 0 {
			return c.fail(s, now)
		}
		return c.collected(s)
	}
	c.digits = append(c.digits, d)
	if len(c.digits) >= c.cfg.Digits {
		return c.collected(s)
	}
	c.state = collectDigits
	c.deadline = now.Add(c.cfg.InterDigit)
	return s
}

// Expire tells that Deadline has passed (the owner's timer fired). Early
// or stale calls — now before the deadline, or no timer running — are
// ignored, so a timer that raced with a digit does no harm.
func (c *Collector) Expire(now time.Time) Step {
	if c.deadline.IsZero() || now.Before(c.deadline) {
		return Step{}
	}
	switch c.state {
	case collectWaiting, collectDigits:
		// No digit at all, or too few before the inter-digit timeout: the
		// attempt failed.
		return c.fail(Step{}, now)
	}
	return Step{}
}

// Accept ends the collection after the owner found the extension valid.
func (c *Collector) Accept() {
	c.state, c.deadline = collectDone, time.Time{}
}

// Reject tells that the collected extension is unknown or expired: retry
// with the invalid-extension prompt, or end with WrongDigits.
func (c *Collector) Reject(now time.Time) Step {
	if c.state != collectChecking {
		return Step{}
	}
	return c.fail(Step{}, now)
}

func (c *Collector) collected(s Step) Step {
	c.state, c.deadline = collectChecking, time.Time{}
	s.Result, s.Digits = Collected, string(c.digits)
	return s
}

// fail ends an attempt: retry while retries remain, else the result.
func (c *Collector) fail(s Step, now time.Time) Step {
	c.attempts++
	c.digits = c.digits[:0]
	if c.attempts > c.cfg.Retries {
		c.state, c.deadline = collectDone, time.Time{}
		s.Result = NoDigits
		if c.keyed {
			s.Result = WrongDigits
		}
		return s
	}
	c.state, c.deadline = collectPrompting, time.Time{}
	s.Play = c.cfg.RetryPrompt
	return s
}
