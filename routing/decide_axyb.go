package routing

import (
	"errors"
	"time"
)

// decideAXYB routes a call to a number of an AXYB app (SPEC §3). The number
// is either the X of a live A–X binding, or a Y serving B–Y relations:
//
//   - X: A dialling its own X → 8032; a caller B → A shown the Y of B's
//     relation, allocated now when B has none (8031 when no Y is free).
//   - Y: A → B of A's relation on Y, shown X; none → 8030 when the caller is
//     an A of the app, else 8014.
//
// callDirection 1 refuses B → X, 2 refuses A → Y (8016). The fixed-line
// rule applies to A, the bound party; B is a caller who gets a relation, not
// a bound number [DESIGN].
func decideAXYB(c Call, l AXYBLookup, t *Table, now time.Time, d Decision) Decision {
	n := d.X.Number
	b, ok, err := l.AXYBBinding(n)
	if err != nil {
		return d.reject(t, CauseInternal)
	}
	if ok && !b.Expired(now) {
		return decideAXYBX(c, l, t, now, d.bound(b.ID, b.CallOptions), b)
	}
	r, ok, err := l.YRelationByY(n, c.Caller)
	if err != nil {
		return d.reject(t, CauseInternal)
	}
	if ok && !r.Expired(now) {
		b, ok, err = l.AXYBBinding(r.X)
		if err != nil {
			return d.reject(t, CauseInternal)
		}
		if ok && b.ID == r.BindingID && !b.Expired(now) {
			return decideAXYBY(c, t, d.bound(b.ID, b.CallOptions), b, r)
		}
	}
	isA, err := l.AXYBIsA(d.App.Key, c.Caller, now)
	if err != nil {
		return d.reject(t, CauseInternal)
	}
	if isA {
		if c.CallerKind == KindFixed {
			return d.reject(t, CauseFixedLineCaller)
		}
		return d.reject(t, CauseNoRelation)
	}
	return d.reject(t, CauseNoBinding)
}

// decideAXYBX: a call to the X of binding b.
func decideAXYBX(c Call, l AXYBLookup, t *Table, now time.Time, d Decision, b AXYBBinding) Decision {
	if c.Caller == b.A {
		if c.CallerKind == KindFixed {
			return d.reject(t, CauseFixedLineCaller)
		}
		return d.reject(t, CauseOwnX)
	}
	if b.Direction == 1 {
		return d.reject(t, CauseDirection)
	}
	r, ok, err := l.YRelationByB(b.X, c.Caller)
	if err != nil {
		return d.reject(t, CauseInternal)
	}
	if !ok || r.BindingID != b.ID || r.Expired(now) {
		r, err = l.AllocateY(b.ID, c.Caller, now)
		switch {
		case errors.Is(err, ErrNoFreeY):
			return d.reject(t, CauseNoFreeY)
		case errors.Is(err, ErrBindingGone):
			return d.reject(t, CauseNoBinding)
		case err != nil:
			return d.reject(t, CauseInternal)
		}
	}
	d.Y = r.Y
	return d.connect(b.A, r.Y, dirToBound)
}

// decideAXYBY: A calls Y of its live relation r with B.
func decideAXYBY(c Call, t *Table, d Decision, b AXYBBinding, r YRelation) Decision {
	d.Y = r.Y
	if c.CallerKind == KindFixed {
		return d.reject(t, CauseFixedLineCaller)
	}
	if b.Direction == 2 {
		return d.reject(t, CauseDirection)
	}
	return d.connect(r.B, r.X, dirToBound)
}
