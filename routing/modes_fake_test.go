package routing

import (
	"slices"
	"time"
)

// modeFake extends fakeLookup with the AX, AXE and AXYB lookups, in memory,
// and records the effects decisions have.
type modeFake struct {
	*fakeLookup
	ax        map[Number]AXBinding
	temps     map[Number]TempCallee
	axe       []AXEBinding
	callbacks map[string]Callback
	axyb      map[Number]AXYBBinding
	rels      []YRelation
	freeY     []Number // Ys AllocateY hands out, in order, per A
	modeErr   error    // returned by every mode lookup when set
	effectErr error    // returned by the effects when set
	puts      []Callback
	allocs    int
}

func newModeFake(now time.Time) *modeFake {
	return &modeFake{
		fakeLookup: newFake(now),
		ax:         map[Number]AXBinding{}, temps: map[Number]TempCallee{},
		callbacks: map[string]Callback{}, axyb: map[Number]AXYBBinding{},
	}
}

var _ ModeLookup = (*modeFake)(nil)

func (f *modeFake) AXBinding(x Number) (AXBinding, bool, error) {
	b, ok := f.ax[x]
	return b, ok, f.modeErr
}

func (f *modeFake) TakeTempCallee(x Number, id string, now time.Time) (Number, bool, error) {
	if f.effectErr != nil {
		return "", false, f.effectErr
	}
	c, ok := f.temps[x]
	delete(f.temps, x)
	if !ok || c.SubscriptionID != id || c.Expired(now) {
		return "", false, nil
	}
	return c.Callee, true, nil
}

func (f *modeFake) AXEByParty(x, a Number) (AXEBinding, bool, error) {
	for _, b := range f.axe {
		if b.X == x && b.A == a {
			return b, true, f.modeErr
		}
	}
	return AXEBinding{}, false, f.modeErr
}

func (f *modeFake) AXEByExt(x Number, ext string) (AXEBinding, bool, error) {
	for _, b := range f.axe {
		if b.X == x && b.Ext == ext {
			return b, true, f.modeErr
		}
	}
	return AXEBinding{}, false, f.modeErr
}

func (f *modeFake) AXEHasBinding(x Number, now time.Time) (bool, error) {
	for _, b := range f.axe {
		if b.X == x && !b.Expired(now) {
			return true, f.modeErr
		}
	}
	return false, f.modeErr
}

func (f *modeFake) Callback(id string) (Callback, bool, error) {
	c, ok := f.callbacks[id]
	return c, ok, f.modeErr
}

func (f *modeFake) PutCallback(c Callback) error {
	if f.effectErr != nil {
		return f.effectErr
	}
	f.puts = append(f.puts, c)
	f.callbacks[c.SubscriptionID] = c
	return nil
}

func (f *modeFake) AXYBBinding(x Number) (AXYBBinding, bool, error) {
	b, ok := f.axyb[x]
	return b, ok, f.modeErr
}

// The relation lookups search newest first: a store index entry names the
// latest relation of its key.
func (f *modeFake) YRelationByB(x, b Number) (YRelation, bool, error) {
	for _, r := range slices.Backward(f.rels) {
		if r.X == x && r.B == b {
			return r, true, f.modeErr
		}
	}
	return YRelation{}, false, f.modeErr
}

func (f *modeFake) YRelationByY(y, a Number) (YRelation, bool, error) {
	for _, r := range slices.Backward(f.rels) {
		if r.Y == y && r.A == a {
			return r, true, f.modeErr
		}
	}
	return YRelation{}, false, f.modeErr
}

func (f *modeFake) AXYBIsA(appKey string, a Number, now time.Time) (bool, error) {
	for _, b := range f.axyb {
		if b.AppKey == appKey && b.A == a && !b.Expired(now) {
			return true, f.modeErr
		}
	}
	return false, f.modeErr
}

func (f *modeFake) AllocateY(id string, b Number, now time.Time) (YRelation, error) {
	if f.effectErr != nil {
		return YRelation{}, f.effectErr
	}
	var bd AXYBBinding
	for _, x := range f.axyb {
		if x.ID == id {
			bd = x
		}
	}
	if bd.ID == "" {
		return YRelation{}, ErrBindingGone
	}
	for _, y := range f.freeY {
		if r, used, _ := f.YRelationByY(y, bd.A); used && !r.Expired(now) {
			continue
		}
		f.allocs++
		r := YRelation{ID: "r-" + string(b), BindingID: id, AppKey: bd.AppKey, X: bd.X, A: bd.A, Y: y, B: b,
			Created: now, Expires: bd.RelationExpiry(now)}
		f.rels = append(f.rels, r)
		return r, nil
	}
	return YRelation{}, ErrNoFreeY
}
