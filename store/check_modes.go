package store

import (
	"bytes"
	"fmt"
	"time"

	"github.com/xnum/xnum/routing"
)

// modeContents is every key of the AX, AXE and AXYB families, decoded, for
// CheckIndexes.
type modeContents struct {
	ax      map[string]routing.AXBinding
	axByX   map[string]string // X → id
	axByA   map[pair]string   // (A, X) → id
	temps   map[routing.Number]routing.TempCallee
	axe     map[string]routing.AXEBinding
	axeExt  map[pair]string // (X, ext) → id
	axePty  map[pair]string // (X, A) → id
	cbs     map[string]routing.Callback
	axyb    map[string]routing.AXYBBinding
	axybByX map[string]string // X → id
	axybByA map[pair]string   // (A, X) → id
	rels    map[string]routing.YRelation
	relOf   map[pair]bool   // (binding id, rid)
	relByB  map[pair]string // (X, B) → rid
	relByY  map[pair]string // (Y, A) → rid
	exp     map[[3]string]bool
}

func (m *modeContents) init() {
	*m = modeContents{
		ax: map[string]routing.AXBinding{}, axByX: map[string]string{}, axByA: map[pair]string{},
		temps: map[routing.Number]routing.TempCallee{},
		axe:   map[string]routing.AXEBinding{}, axeExt: map[pair]string{}, axePty: map[pair]string{},
		cbs:  map[string]routing.Callback{},
		axyb: map[string]routing.AXYBBinding{}, axybByX: map[string]string{}, axybByA: map[pair]string{},
		rels: map[string]routing.YRelation{}, relOf: map[pair]bool{}, relByB: map[pair]string{},
		relByY: map[pair]string{}, exp: map[[3]string]bool{},
	}
}

// load takes k if it belongs to a mode family and reports whether it did.
func (m *modeContents) load(k, v []byte, decode func(k, v []byte, into any) bool, bad func(string, ...any)) bool {
	rest := func(p []byte) string { return string(k[len(p):]) }
	two := func(p []byte) pair { a, b, _ := split2(p, k); return pair{a, b} }
	keyed := func(p []byte) func(id string) {
		return func(id string) {
			if id != rest(p) {
				bad("record key %s holds %s", safeKey(k), id)
			}
		}
	}
	dec := func(into any) bool { return decode(k, v, into) }
	switch {
	case bytes.HasPrefix(k, pfxAX):
		keepRecord(dec, keyed(pfxAX), m.ax, func(b routing.AXBinding) string { return b.ID })
	case bytes.HasPrefix(k, pfxAXByX):
		m.axByX[rest(pfxAXByX)] = string(v)
	case bytes.HasPrefix(k, pfxAXByA):
		m.axByA[two(pfxAXByA)] = string(v)
	case bytes.HasPrefix(k, pfxTemp):
		keepRecord(dec, keyed(pfxTemp), m.temps, func(c routing.TempCallee) routing.Number { return c.X })
	case bytes.HasPrefix(k, pfxAXE):
		keepRecord(dec, keyed(pfxAXE), m.axe, func(b routing.AXEBinding) string { return b.ID })
	case bytes.HasPrefix(k, pfxAXEExt):
		m.axeExt[two(pfxAXEExt)] = string(v)
	case bytes.HasPrefix(k, pfxAXEParty):
		m.axePty[two(pfxAXEParty)] = string(v)
	case bytes.HasPrefix(k, pfxCallback):
		keepRecord(dec, keyed(pfxCallback), m.cbs, func(c routing.Callback) string { return c.SubscriptionID })
	case bytes.HasPrefix(k, pfxAXYB):
		keepRecord(dec, keyed(pfxAXYB), m.axyb, func(b routing.AXYBBinding) string { return b.ID })
	case bytes.HasPrefix(k, pfxAXYBByX):
		m.axybByX[rest(pfxAXYBByX)] = string(v)
	case bytes.HasPrefix(k, pfxAXYBByA):
		m.axybByA[two(pfxAXYBByA)] = string(v)
	case bytes.HasPrefix(k, pfxRel):
		keepRecord(dec, keyed(pfxRel), m.rels, func(r routing.YRelation) string { return r.ID })
	case bytes.HasPrefix(k, pfxRelOfBind):
		m.relOf[two(pfxRelOfBind)] = true
	case bytes.HasPrefix(k, pfxRelByB):
		m.relByB[two(pfxRelByB)] = string(v)
	case bytes.HasPrefix(k, pfxRelByY):
		m.relByY[two(pfxRelByY)] = string(v)
	case bytes.HasPrefix(k, pfxModeExp):
		t, kind, id, ok := splitModeExpKey(k)
		if !ok {
			bad("bad expiry key %s", safeKey(k))
		}
		m.exp[[3]string{fmt.Sprint(t.UnixNano()), kind, id}] = true
	default:
		return false
	}
	return true
}

// keepRecord decodes a record into into under its id, checking that its
// key names that id.
func keepRecord[K ~string, R any](decode func(any) bool, keyed func(string), into map[K]R, id func(R) K) {
	var rec R
	if decode(&rec) {
		keyed(string(id(rec)))
		into[id(rec)] = rec
	}
}

// pairIndex checks that every entry (a, b) → id of idx names a record of
// recs that is at (a, b); show formats the pair for the message.
func pairIndex[R any](what string, idx map[pair]string, recs map[string]R, at func(R) pair,
	show func(pair) (string, string), bad func(string, ...any)) {
	for p, id := range idx {
		if r, ok := recs[id]; !ok || at(r) != p {
			a, b := show(p)
			bad("%s (%s, %s) → %q disagrees", what, a, b, id)
		}
	}
}

// masked shows both numbers of a pair masked.
func masked(p pair) (string, string) { return routing.Mask(p.a), routing.Mask(p.b) }

// modeChecker holds what the checks of every mode family share.
type modeChecker struct {
	c   *contents
	bad func(string, ...any)
	ids map[string]string // id → family, across every record family
}

// inApp reports a record whose X is not an X of its app.
func (k *modeChecker) inApp(what, id string, x routing.Number, app string) {
	if xn, ok := k.c.xs[x]; !ok || xn.AppKey != app {
		k.bad("%s %s: %s not an x of app %q", what, id, x.Masked(), app)
	}
}

// points reports a record that the index entry p of idx does not name.
func (k *modeChecker) points(what, id string, idx map[pair]string, p pair) {
	if idx[p] != id {
		k.bad("%s %s: index (%s, %s) → %q", what, id, routing.Mask(p.a), routing.Mask(p.b), idx[p])
	}
}

// owned reports an id that two records share.
func (k *modeChecker) owned(family, id string) {
	if f, dup := k.ids[id]; dup {
		k.bad("id %s names a %s and a %s", id, f, family)
	}
	k.ids[id] = family
}

// checkXA checks a family of bindings with a one-per-X index and an (A, X)
// index, the AX and the AXYB bindings; parts gives a binding's X, A and app.
func checkXA[R any](k *modeChecker, family string, recs map[string]R, byX map[string]string, byA map[pair]string,
	parts func(R) (x, a routing.Number, app string)) {
	for id, b := range recs {
		x, a, app := parts(b)
		k.owned(family, id)
		k.inApp(family+" binding", id, x, app)
		if byX[string(x)] != id {
			k.bad("%s binding %s: x index → %q", family, id, byX[string(x)])
		}
		k.points(family+" binding", id, byA, pair{string(a), string(x)})
	}
	for x, id := range byX {
		b, ok := recs[id]
		if bx, _, _ := parts(b); !ok || string(bx) != x {
			k.bad("%s x index %s → %q disagrees", family, routing.Mask(x), id)
		}
	}
	xa := func(b R) pair { x, a, _ := parts(b); return pair{string(a), string(x)} }
	pairIndex(family+" a index", byA, recs, xa, masked, k.bad)
}

// check verifies the mode families against each other and against the X
// numbers of c.
func (m *modeContents) check(c *contents, bad func(string, ...any)) {
	k := &modeChecker{c: c, bad: bad, ids: map[string]string{}}
	wantExp := m.expiries()
	for id := range c.bindings {
		k.owned("binding", id)
	}
	checkXA(k, "ax", m.ax, m.axByX, m.axByA, func(b routing.AXBinding) (routing.Number, routing.Number, string) { return b.X, b.A, b.AppKey })
	for x, tc := range m.temps {
		if b, ok := m.ax[tc.SubscriptionID]; !ok || b.X != x {
			bad("temporary callee on %s names binding %q not on it", x.Masked(), tc.SubscriptionID)
		}
	}
	for id, b := range m.axe {
		k.owned("axe", id)
		k.inApp("axe binding", id, b.X, b.AppKey)
		k.points("axe binding", id, m.axeExt, pair{string(b.X), b.Ext})
		k.points("axe binding", id, m.axePty, pair{string(b.X), string(b.A)})
	}
	pairIndex("axe extension index", m.axeExt, m.axe, func(b routing.AXEBinding) pair { return pair{string(b.X), b.Ext} }, func(p pair) (string, string) { return routing.Mask(p.a), p.b }, bad)
	pairIndex("axe party index", m.axePty, m.axe, func(b routing.AXEBinding) pair { return pair{string(b.X), string(b.A)} }, masked, bad)
	for id, cb := range m.cbs {
		if b, ok := m.axe[id]; !ok || b.X != cb.X {
			bad("callback record %s names no axe binding on its x", id)
		}
	}
	checkXA(k, "axyb", m.axyb, m.axybByX, m.axybByA, func(b routing.AXYBBinding) (routing.Number, routing.Number, string) { return b.X, b.A, b.AppKey })
	m.checkRelations(k)
	for e := range m.exp {
		if !wantExp[e] {
			bad("expiry entry (%s, %s, %s) names no such record", e[0], e[1], e[2])
		}
	}
	for e := range wantExp {
		if !m.exp[e] {
			bad("%s %s: expiry entry missing", e[1], e[2])
		}
	}
}

func (m *modeContents) checkRelations(k *modeChecker) {
	bad := k.bad
	for rid, r := range m.rels {
		k.owned("relation", rid)
		if b, ok := m.axyb[r.BindingID]; !ok || b.X != r.X || b.A != r.A || b.AppKey != r.AppKey {
			bad("relation %s: binding %q disagrees", rid, r.BindingID)
		}
		k.inApp("relation", rid, r.Y, r.AppKey)
		if !m.relOf[pair{r.BindingID, rid}] {
			bad("relation %s: binding index entry missing", rid)
		}
		k.points("relation", rid, m.relByB, pair{string(r.X), string(r.B)})
		k.points("relation", rid, m.relByY, pair{string(r.Y), string(r.A)})
	}
	for p := range m.relOf {
		if r, ok := m.rels[p.b]; !ok || r.BindingID != p.a {
			bad("relation index (%s, %s) disagrees", p.a, p.b)
		}
	}
	pairIndex("relation b index", m.relByB, m.rels, func(r routing.YRelation) pair { return pair{string(r.X), string(r.B)} }, masked, bad)
	pairIndex("relation y index", m.relByY, m.rels, func(r routing.YRelation) pair { return pair{string(r.Y), string(r.A)} }, masked, bad)
}

// expiries lists the me entries the records call for.
func (m *modeContents) expiries() map[[3]string]bool {
	out := map[[3]string]bool{}
	add := func(t time.Time, kind, id string) {
		if !t.IsZero() {
			out[[3]string{fmt.Sprint(t.UnixNano()), kind, id}] = true
		}
	}
	for id, b := range m.ax {
		add(b.Expires, kindAX, id)
	}
	for x, tc := range m.temps {
		add(tc.Expires, kindTemp, string(x))
	}
	for id, b := range m.axe {
		add(b.Expires, kindAXE, id)
	}
	for id, cb := range m.cbs {
		add(cb.Expires, kindCallback, id)
	}
	for id, b := range m.axyb {
		add(b.Expires, kindAXYB, id)
	}
	for id, r := range m.rels {
		add(r.Expires, kindRel, id)
	}
	return out
}
