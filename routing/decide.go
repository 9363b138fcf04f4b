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
// store error becomes 7102. The table t supplies the releases. A rejected
// call keeps the app, X and binding it got as far as, for the CDR.
func Decide(c Call, l Lookup, t *Table, now time.Time) Decision {
	var d Decision
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
	// loop or a forged caller ID (SPEC §2 loop and fraud guard → 482).
	if c.Caller == "" {
		return d.reject(t, CauseNoBinding)
	}
	if _, _, isX, err := l.XNumber(c.Caller); err != nil {
		return d.reject(t, CauseInternal)
	} else if isX {
		return d.reject(t, CauseLoop)
	}
	switch app.Mode {
	case ModeAXB:
		return decideAXB(c, l, t, now, d)
	default:
		// The other modes arrive with their issue.
		return d.reject(t, CauseNoBinding)
	}
}

// reject turns d into a refusal with the release of cause.
func (d Decision) reject(t *Table, cause Cause) Decision {
	d.Connect = false
	d.Release = t.For(cause)
	d.Direction = dirRefused
	return d
}

// CDR direction values (SPEC §6.2); cdr declares the same constants for its
// readers, routing cannot import cdr.
const (
	dirToBound = 0
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
	// 2. Caller checks, continued: a fixed-line number bound on this X only
	// receives calls through it [HW]; an unbound landline got 8014 above.
	if c.CallerKind == KindFixed {
		return d.reject(t, CauseFixedLineCaller)
	}
	// 3. Mode routing: callDirection 0 both, 1 only A → B, 2 only B → A.
	isA, isB := b.Party(c.Caller)
	switch {
	case isA && (b.Direction == 0 || b.Direction == 1):
		d.Callee = b.B
	case isB && (b.Direction == 0 || b.Direction == 2):
		d.Callee = b.A
	default:
		return d.reject(t, CauseDirection)
	}
	d.Connect = true
	d.Display = d.X.Number
	d.Direction = dirToBound
	d.MaxDuration = time.Duration(b.MaxDuration) * time.Minute
	return d
}
