package store

import (
	"bytes"
	"fmt"

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
	keyed := func(p []byte, id string) {
		if id != rest(p) {
			bad("record key %s holds %s", safeKey(k), id)
		}
	}
	switch {
	case bytes.HasPrefix(k, pfxAX):
		var b routing.AXBinding
		if decode(k, v, &b) {
			keyed(pfxAX, b.ID)
			m.ax[b.ID] = b
		}
	case bytes.HasPrefix(k, pfxAXByX):
		m.axByX[rest(pfxAXByX)] = string(v)
	case bytes.HasPrefix(k, pfxAXByA):
		m.axByA[two(pfxAXByA)] = string(v)
	case bytes.HasPrefix(k, pfxTemp):
		var c routing.TempCallee
		if decode(k, v, &c) {
			keyed(pfxTemp, string(c.X))
			m.temps[c.X] = c
		}
	case bytes.HasPrefix(k, pfxAXE):
		var b routing.AXEBinding
		if decode(k, v, &b) {
			keyed(pfxAXE, b.ID)
			m.axe[b.ID] = b
		}
	case bytes.HasPrefix(k, pfxAXEExt):
		m.axeExt[two(pfxAXEExt)] = string(v)
	case bytes.HasPrefix(k, pfxAXEParty):
		m.axePty[two(pfxAXEParty)] = string(v)
	case bytes.HasPrefix(k, pfxCallback):
		var c routing.Callback
		if decode(k, v, &c) {
			keyed(pfxCallback, c.SubscriptionID)
			m.cbs[c.SubscriptionID] = c
		}
	case bytes.HasPrefix(k, pfxAXYB):
		var b routing.AXYBBinding
		if decode(k, v, &b) {
			keyed(pfxAXYB, b.ID)
			m.axyb[b.ID] = b
		}
	case bytes.HasPrefix(k, pfxAXYBByX):
		m.axybByX[rest(pfxAXYBByX)] = string(v)
	case bytes.HasPrefix(k, pfxAXYBByA):
		m.axybByA[two(pfxAXYBByA)] = string(v)
	case bytes.HasPrefix(k, pfxRel):
		var r routing.YRelation
		if decode(k, v, &r) {
			keyed(pfxRel, r.ID)
			m.rels[r.ID] = r
		}
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

// check verifies the mode families against each other and against the X
// numbers of c.
func (m *modeContents) check(c *contents, bad func(string, ...any)) {
	inApp := func(what, id string, x routing.Number, app string) {
		if xn, ok := c.xs[x]; !ok || xn.AppKey != app {
			bad("%s %s: %s not an x of app %q", what, id, x.Masked(), app)
		}
	}
	points := func(what, id string, idx map[pair]string, p pair) {
		if idx[p] != id {
			bad("%s %s: index (%s, %s) → %q", what, id, routing.Mask(p.a), routing.Mask(p.b), idx[p])
		}
	}
	wantExp := m.expiries()
	ids := map[string]string{} // id → family, across every record family
	owned := func(family, id string) {
		if f, dup := ids[id]; dup {
			bad("id %s names a %s and a %s", id, f, family)
		}
		ids[id] = family
	}
	for id := range c.bindings {
		owned("binding", id)
	}
	for id, b := range m.ax {
		owned("ax", id)
		inApp("ax binding", id, b.X, b.AppKey)
		if m.axByX[string(b.X)] != id {
			bad("ax binding %s: x index → %q", id, m.axByX[string(b.X)])
		}
		points("ax binding", id, m.axByA, pair{string(b.A), string(b.X)})
	}
	for x, id := range m.axByX {
		if b, ok := m.ax[id]; !ok || string(b.X) != x {
			bad("ax x index %s → %q disagrees", routing.Mask(x), id)
		}
	}
	for p, id := range m.axByA {
		if b, ok := m.ax[id]; !ok || string(b.A) != p.a || string(b.X) != p.b {
			bad("ax a index (%s, %s) → %q disagrees", routing.Mask(p.a), routing.Mask(p.b), id)
		}
	}
	for x, tc := range m.temps {
		if b, ok := m.ax[tc.SubscriptionID]; !ok || b.X != x {
			bad("temporary callee on %s names binding %q not on it", x.Masked(), tc.SubscriptionID)
		}
	}
	for id, b := range m.axe {
		owned("axe", id)
		inApp("axe binding", id, b.X, b.AppKey)
		points("axe binding", id, m.axeExt, pair{string(b.X), b.Ext})
		points("axe binding", id, m.axePty, pair{string(b.X), string(b.A)})
	}
	for p, id := range m.axeExt {
		if b, ok := m.axe[id]; !ok || string(b.X) != p.a || b.Ext != p.b {
			bad("axe extension index (%s, %s) → %q disagrees", routing.Mask(p.a), p.b, id)
		}
	}
	for p, id := range m.axePty {
		if b, ok := m.axe[id]; !ok || string(b.X) != p.a || string(b.A) != p.b {
			bad("axe party index (%s, %s) → %q disagrees", routing.Mask(p.a), routing.Mask(p.b), id)
		}
	}
	for id, cb := range m.cbs {
		if b, ok := m.axe[id]; !ok || b.X != cb.X {
			bad("callback record %s names no axe binding on its x", id)
		}
	}
	for id, b := range m.axyb {
		owned("axyb", id)
		inApp("axyb binding", id, b.X, b.AppKey)
		if m.axybByX[string(b.X)] != id {
			bad("axyb binding %s: x index → %q", id, m.axybByX[string(b.X)])
		}
		points("axyb binding", id, m.axybByA, pair{string(b.A), string(b.X)})
	}
	for x, id := range m.axybByX {
		if b, ok := m.axyb[id]; !ok || string(b.X) != x {
			bad("axyb x index %s → %q disagrees", routing.Mask(x), id)
		}
	}
	for p, id := range m.axybByA {
		if b, ok := m.axyb[id]; !ok || string(b.A) != p.a || string(b.X) != p.b {
			bad("axyb a index (%s, %s) → %q disagrees", routing.Mask(p.a), routing.Mask(p.b), id)
		}
	}
	m.checkRelations(c, bad, inApp, points, owned)
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

func (m *modeContents) checkRelations(c *contents, bad func(string, ...any),
	inApp func(string, string, routing.Number, string), points func(string, string, map[pair]string, pair),
	owned func(string, string)) {
	for rid, r := range m.rels {
		owned("relation", rid)
		if b, ok := m.axyb[r.BindingID]; !ok || b.X != r.X || b.A != r.A || b.AppKey != r.AppKey {
			bad("relation %s: binding %q disagrees", rid, r.BindingID)
		}
		inApp("relation", rid, r.Y, r.AppKey)
		if !m.relOf[pair{r.BindingID, rid}] {
			bad("relation %s: binding index entry missing", rid)
		}
		points("relation", rid, m.relByB, pair{string(r.X), string(r.B)})
		points("relation", rid, m.relByY, pair{string(r.Y), string(r.A)})
	}
	for p := range m.relOf {
		if r, ok := m.rels[p.b]; !ok || r.BindingID != p.a {
			bad("relation index (%s, %s) disagrees", p.a, p.b)
		}
	}
	for p, rid := range m.relByB {
		if r, ok := m.rels[rid]; !ok || string(r.X) != p.a || string(r.B) != p.b {
			bad("relation b index (%s, %s) → %q disagrees", routing.Mask(p.a), routing.Mask(p.b), rid)
		}
	}
	for p, rid := range m.relByY {
		if r, ok := m.rels[rid]; !ok || string(r.Y) != p.a || string(r.A) != p.b {
			bad("relation y index (%s, %s) → %q disagrees", routing.Mask(p.a), routing.Mask(p.b), rid)
		}
	}
}

// expiries lists the me entries the records call for.
func (m *modeContents) expiries() map[[3]string]bool {
	out := map[[3]string]bool{}
	add := func(t interface{ IsZero() bool }, ns int64, kind, id string) {
		if !t.IsZero() {
			out[[3]string{fmt.Sprint(ns), kind, id}] = true
		}
	}
	for id, b := range m.ax {
		add(b.Expires, b.Expires.UnixNano(), kindAX, id)
	}
	for x, tc := range m.temps {
		add(tc.Expires, tc.Expires.UnixNano(), kindTemp, string(x))
	}
	for id, b := range m.axe {
		add(b.Expires, b.Expires.UnixNano(), kindAXE, id)
	}
	for id, cb := range m.cbs {
		add(cb.Expires, cb.Expires.UnixNano(), kindCallback, id)
	}
	for id, b := range m.axyb {
		add(b.Expires, b.Expires.UnixNano(), kindAXYB, id)
	}
	for id, r := range m.rels {
		add(r.Expires, r.Expires.UnixNano(), kindRel, id)
	}
	return out
}
