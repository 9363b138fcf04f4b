package routing

import "time"

// Lookup is what routing needs from the store for the AXB path and the
// checks every mode shares. The store implements it; a binding returned may
// be expired (Decide checks expiry itself). The other modes' lookups are in
// lookup.go.
type Lookup interface {
	// XNumber returns the X and its app, ok=false when n is no X of the platform.
	XNumber(n Number) (x XNumber, app App, ok bool, err error)
	// BindingByParty returns the AXB binding on x in which n is A or B.
	BindingByParty(x, n Number) (b Binding, ok bool, err error)
}

// Call is an arriving call as routing sees it: numbers already normalised by
// the SIP layer (an invalid or anonymous caller has Caller == "").
type Call struct {
	Caller     Number
	CallerKind Kind
	Dialled    Number // the X (Request-URI user), "" when not a valid number
}

// Step is what the SIP layer must do before a decision is final.
type Step int

const (
	// StepNone: the decision is final; Connect or Release says what to do.
	StepNone Step = iota
	// StepCollect (AXE): play Collect.Prompt, collect Collect.Digits DTMF
	// digits (SPEC §4.3), then call DecideExtension with them.
	StepCollect
	// StepCallin (X mode): POST the callin event to App.CallinURL (SPEC §3,
	// §6.1), then call DecideXMode with the outcome.
	StepCallin
)

// Collect describes the AXE extension collection (SPEC §4.3).
type Collect struct {
	Digits      int    // extension length of the app (1–4)
	AnswerFirst bool   // answer A before the prompt (app answerBeforeCollect)
	Prompt      string // the prompt to play: PromptEnterExt
}

// Decision is what the SIP layer carries out: either Connect (place the B
// leg to Callee showing Display) or Reject with Release. With Next !=
// StepNone the decision is not final yet: the SIP layer carries out the step
// and asks routing again; Release then holds the release to use if the step
// cannot be carried out at all (a SIP layer that knows no steps rejects with
// it: 8033 for AXE, 8014 for X mode).
type Decision struct {
	Connect bool
	Release Release // when !Connect
	Next    Step

	Call    Call    // the call decided on
	App     App     // zero when the dialled number is no X
	X       XNumber // the dialled X (or Y)
	Binding Binding // AXB: zero when there was none

	// Every mode: the binding that routed or was refused (CDR
	// subscriptionId; "" when there was none), its userData, and its call
	// settings (preVoice, recording, lastMinVoice).
	SubscriptionID string
	UserData       string
	Options        CallOptions

	Callee       Number // real callee of the B leg
	Display      Number // shown number on the B leg (X or Y)
	Direction    int    // CDR direction (cdr.DirToBound …)
	ServiceType  string // CDR serviceType
	MaxDuration  time.Duration
	ExtendNumber string  // AXE: the extension that reached A (CDR extendNumber)
	Y            Number  // AXYB: the Y of the relation used
	Collect      Collect // StepCollect
}

// Decide applies SPEC §3's order of checks to one INVITE. It never fails: a
// store error becomes 7102. The table t supplies the releases. A rejected
// call keeps the app, X and binding it got as far as, for the CDR. The only
// store writes are the declared effects of lookup.go (AX temporary callee
// consumed, AXYB Y allocated); AXE's callback record is written by
// DecideExtension.
func Decide(c Call, l Lookup, t *Table, now time.Time) Decision {
	d := Decision{Call: c}
	if c.Dialled == "" {
		return d.reject(t, CauseUnprovisioned)
	}
	x, app, ok, err := l.XNumber(c.Dialled)
	if err != nil {
		return d.reject(t, CauseInternal)
	}
	if !ok {
		return d.reject(t, CauseUnprovisioned)
	}
	d.App, d.X, d.ServiceType = app, x, app.Mode.ServiceType()
	// 1. X status.
	if app.Frozen {
		return d.reject(t, CauseAppFrozen)
	}
	if x.Suspended {
		return d.reject(t, CauseXSuspended)
	}
	// 2. Caller checks. An anonymous or unparseable caller counts as "no
	// binding" (SPEC §2.1); a caller that is itself one of our X numbers is a
	// loop or a forged caller ID (SPEC §2 loop and fraud guard → 482). The
	// fixed-line rule needs the mode's bindings: each mode applies it.
	if c.Caller == "" {
		return d.reject(t, CauseNoBinding)
	}
	if _, _, isX, err := l.XNumber(c.Caller); err != nil {
		return d.reject(t, CauseInternal)
	} else if isX {
		return d.reject(t, CauseLoop)
	}
	// 3. Mode routing.
	switch app.Mode {
	case ModeAXB:
		return decideAXB(c, l, t, now, d)
	case ModeAX:
		if ml, ok := l.(AXLookup); ok {
			return decideAX(c, ml, t, now, d)
		}
	case ModeAXE:
		if ml, ok := l.(AXELookup); ok {
			return decideAXE(c, ml, t, now, d)
		}
	case ModeAXYB:
		if ml, ok := l.(AXYBLookup); ok {
			return decideAXYB(c, ml, t, now, d)
		}
	case ModeX:
		return decideX(t, d)
	default:
		return d.reject(t, CauseNoBinding)
	}
	// A Lookup without the mode's lookups is a wiring fault.
	return d.reject(t, CauseInternal)
}

// reject turns d into a refusal with the release of cause.
func (d Decision) reject(t *Table, cause Cause) Decision {
	d.Connect = false
	d.Next = StepNone
	d.Release = t.For(cause)
	d.Direction = dirRefused
	d.Callee, d.Display = "", ""
	return d
}

// connect turns d into a B leg to callee showing display.
func (d Decision) connect(callee, display Number, dir int) Decision {
	d.Connect = true
	d.Next = StepNone
	d.Release = Release{}
	d.Callee, d.Display, d.Direction = callee, display, dir
	d.MaxDuration = time.Duration(d.Options.MaxDuration) * time.Minute
	return d
}

// bound records the binding that routed (or was refused) for the CDR.
func (d Decision) bound(id string, o CallOptions) Decision {
	d.SubscriptionID, d.UserData, d.Options = id, o.UserData, o
	return d
}

// CDR direction values (SPEC §6.2); cdr declares the same constants for its
// readers, routing cannot import cdr.
const (
	dirToBound = 0
	dirToTemp  = 1 // temporary callee, X-mode callee, callback
	dirRefused = 2
)

func decideAXB(c Call, l Lookup, t *Table, now time.Time, d Decision) Decision {
	b, ok, err := l.BindingByParty(d.X.Number, c.Caller)
	if err != nil {
		return d.reject(t, CauseInternal)
	}
	// 3. Expired bindings count as absent even before the sweep deletes them.
	if !ok || b.Expired(now) {
		return d.reject(t, CauseNoBinding)
	}
	d.Binding = b
	d = d.bound(b.ID, b.Options())
	// 2. Caller checks, continued: a fixed-line number bound on this X only
	// receives calls through it [HW]; an unbound landline got 8014 above.
	if c.CallerKind == KindFixed {
		return d.reject(t, CauseFixedLineCaller)
	}
	// 3. Mode routing: callDirection 0 both, 1 only A → B, 2 only B → A.
	isA, isB := b.Party(c.Caller)
	switch {
	case isA && (b.Direction == 0 || b.Direction == 1):
		return d.connect(b.B, d.X.Number, dirToBound)
	case isB && (b.Direction == 0 || b.Direction == 2):
		return d.connect(b.A, d.X.Number, dirToBound)
	default:
		return d.reject(t, CauseDirection)
	}
}
