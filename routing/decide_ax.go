package routing

import "time"

// decideAX routes a call to an X of an AX app (SPEC §3): anyone → X → A
// shown X; A → X → the temporary callee set within the last 60 s, which the
// call consumes; none → 8013.
func decideAX(c Call, l AXLookup, t *Table, now time.Time, d Decision) Decision {
	b, ok, err := l.AXBinding(d.X.Number)
	if err != nil {
		return d.reject(t, CauseInternal)
	}
	if !ok || b.Expired(now) {
		return d.reject(t, CauseNoBinding)
	}
	d = d.bound(b.ID, b.CallOptions)
	if c.Caller != b.A {
		// A fixed-line stranger is no bound party: it follows the mode.
		return d.connect(b.A, d.X.Number, dirToBound)
	}
	// 2. A bound fixed-line A only receives calls through X [HW].
	if c.CallerKind == KindFixed {
		return d.reject(t, CauseFixedLineCaller)
	}
	callee, ok, err := l.TakeTempCallee(d.X.Number, b.ID, now)
	if err != nil {
		return d.reject(t, CauseInternal)
	}
	if !ok {
		return d.reject(t, CauseNoTempCallee)
	}
	return d.connect(callee, d.X.Number, dirToTemp)
}
