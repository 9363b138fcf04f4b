package routing

import "time"

// Lookup is what routing needs from the store. The store implements it; a
// binding returned may be expired (Decide checks expiry itself).
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

// Decision is what the SIP layer carries out: either Connect (place the B
// leg to Callee showing Display) or Reject with Release.
type Decision struct {
	Connect bool
	Release Release // when !Connect

	App     App     // zero when the dialled number is no X
	X       XNumber // the dialled X
	Binding Binding // zero when there was none

	Callee      Number // real callee of the B leg
	Display     Number // shown number on the B leg (X or Y)
	Direction   int    // CDR direction (cdr.DirToBound …)
	ServiceType string // CDR serviceType
	MaxDuration time.Duration
}

// Decide applies SPEC §3's order of checks to one INVITE. It never fails: a
// store error becomes 7102. The table t supplies the releases.
func Decide(c Call, l Lookup, t *Table, now time.Time) Decision {
	var d Decision
	reject := func(cause Cause) Decision {
		d.Connect = false
		d.Release = t.For(cause)
		d.Direction = 2
		return d
	}
	if c.Dialled == "" {
		return reject(CauseUnprovisioned)
	}
	x, app, ok, err := l.XNumber(c.Dialled)
	if err != nil {
		return reject(CauseInternal)
	}
	if !ok {
		return reject(CauseUnprovisioned)
	}
	d.App, d.X, d.ServiceType = app, x, app.Mode.ServiceType()
	// 1. X status.
	if app.Frozen {
		return reject(CauseAppFrozen)
	}
	if x.Suspended {
		return reject(CauseXSuspended)
	}
	if c.Caller == "" {
		return reject(CauseNoBinding)
	}
	switch app.Mode {
	case ModeAXB:
		return decideAXB(c, l, t, now, d, reject)
	default:
		// The other modes arrive with their issue.
		return reject(CauseNoBinding)
	}
}

func decideAXB(c Call, l Lookup, t *Table, now time.Time, d Decision, reject func(Cause) Decision) Decision {
	b, ok, err := l.BindingByParty(d.X.Number, c.Caller)
	if err != nil {
		return reject(CauseInternal)
	}
	if !ok || b.Expired(now) {
		return reject(CauseNoBinding)
	}
	d.Binding = b
	// 2. Caller checks: a bound fixed-line number only receives calls.
	if c.CallerKind == KindFixed {
		return reject(CauseFixedLineCaller)
	}
	// 3. Mode routing.
	isA, isB := b.Party(c.Caller)
	switch {
	case isA && (b.Direction == 0 || b.Direction == 1):
		d.Callee = b.B
	case isB && (b.Direction == 0 || b.Direction == 2):
		d.Callee = b.A
	default:
		return reject(CauseDirection)
	}
	d.Connect = true
	d.Display = d.X.Number
	d.Direction = 0
	d.MaxDuration = time.Duration(b.MaxDuration) * time.Minute
	return d
}
