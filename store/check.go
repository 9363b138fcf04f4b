package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/xnum/xnum/cdr"
	"github.com/xnum/xnum/routing"
)

// CheckIndexes reads the whole store from one snapshot and verifies that
// every record and its index entries agree (the layout in keys.go). It
// returns nil, or ErrInconsistent joined with each disagreement found.
// It holds everything in memory: a diagnostic for tests and operators, not
// something to run on the hot path.
func (s *Store) CheckIndexes() error {
	var probs []error
	bad := func(format string, args ...any) {
		probs = append(probs, fmt.Errorf(format, args...))
	}
	err := s.snapshot(func(r reader) error {
		var c contents
		if err := c.load(r, bad); err != nil {
			return err
		}
		c.check(bad)
		return nil
	})
	if err != nil {
		return err
	}
	if len(probs) == 0 {
		return nil
	}
	return errors.Join(append([]error{ErrInconsistent}, probs...)...)
}

type pair struct{ a, b string }

// contents is every key of the store, decoded.
type contents struct {
	apps     map[string]routing.App
	xs       map[routing.Number]routing.XNumber
	appX     map[pair]bool // (appKey, X)
	bindings map[string]routing.Binding
	bindX    map[pair]bool             // (X, id)
	party    map[pair]string           // (X, number) → id
	counts   map[routing.Number]uint64 // X → pairs
	expiry   map[pair]bool             // (expires ns, id)
	modes    modeContents              // AX, AXE, AXYB families (check_modes.go)
}

func (c *contents) load(r reader, bad func(string, ...any)) error {
	c.apps = map[string]routing.App{}
	c.xs = map[routing.Number]routing.XNumber{}
	c.appX = map[pair]bool{}
	c.bindings = map[string]routing.Binding{}
	c.bindX = map[pair]bool{}
	c.party = map[pair]string{}
	c.counts = map[routing.Number]uint64{}
	c.expiry = map[pair]bool{}
	c.modes.init()
	decode := func(k, v []byte, into any) bool {
		if err := json.Unmarshal(v, into); err != nil {
			bad("undecodable %s: %v", safeKey(k), err)
			return false
		}
		return true
	}
	return scanRange(r, nil, nil, func(k, v []byte) error {
		switch {
		case bytes.Equal(k, keySchema):
		case bytes.HasPrefix(k, pfxApp):
			var a routing.App
			if decode(k, v, &a) {
				if a.Key != string(k[len(pfxApp):]) {
					bad("app key %s holds app %q", safeKey(k), a.Key)
				}
				c.apps[a.Key] = a
			}
		case bytes.HasPrefix(k, pfxX):
			var x routing.XNumber
			if decode(k, v, &x) {
				if string(x.Number) != string(k[len(pfxX):]) {
					bad("x key %s holds %s", safeKey(k), x.Number.Masked())
				}
				c.xs[x.Number] = x
			}
		case bytes.HasPrefix(k, pfxAppX):
			app, x, _ := split2(pfxAppX, k)
			c.appX[pair{app, x}] = true
		case bytes.HasPrefix(k, pfxBinding):
			var b routing.Binding
			if decode(k, v, &b) {
				if b.ID != string(k[len(pfxBinding):]) {
					bad("binding key %s holds %s", safeKey(k), b.ID)
				}
				c.bindings[b.ID] = b
			}
		case bytes.HasPrefix(k, pfxBindX):
			x, id, _ := split2(pfxBindX, k)
			c.bindX[pair{x, id}] = true
		case bytes.HasPrefix(k, pfxParty):
			x, n, _ := split2(pfxParty, k)
			c.party[pair{x, n}] = string(v)
		case bytes.HasPrefix(k, pfxCount):
			c.counts[routing.Number(k[len(pfxCount):])] = decodeCount(v)
		case bytes.HasPrefix(k, pfxExpiry):
			t, id, ok := splitTimeKey(pfxExpiry, k)
			if !ok {
				bad("bad expiry key %s", safeKey(k))
			}
			c.expiry[pair{fmt.Sprint(t.UnixNano()), id}] = true
		case bytes.HasPrefix(k, pfxCDR):
			var rec cdr.Record
			if _, icid, ok := splitTimeKey(pfxCDR, k); !ok || !decode(k, v, &rec) || rec.ICID != icid {
				bad("bad cdr %s", safeKey(k))
			}
		case isOutboxKey(k), isCallKey(k): // outbox.go, calls.go: no index to check
		case c.modes.load(k, v, decode, bad):
		default:
			bad("key %s in no family", safeKey(k))
		}
		return nil
	})
}

func (c *contents) check(bad func(string, ...any)) {
	c.modes.check(c, bad)
	for n, x := range c.xs {
		if _, ok := c.apps[x.AppKey]; !ok {
			bad("x %s: app %q missing", n.Masked(), x.AppKey)
		}
		if !c.appX[pair{x.AppKey, string(n)}] {
			bad("x %s: app index entry missing", n.Masked())
		}
	}
	for p := range c.appX {
		if x, ok := c.xs[routing.Number(p.b)]; !ok || x.AppKey != p.a {
			bad("app index (%q, %s) names no such x", p.a, routing.Mask(p.b))
		}
	}
	perX := map[routing.Number]uint64{}
	for id, b := range c.bindings {
		perX[b.X]++
		if x, ok := c.xs[b.X]; !ok || x.AppKey != b.AppKey {
			bad("binding %s: x %s not in app %q", id, b.X.Masked(), b.AppKey)
		}
		if !c.bindX[pair{string(b.X), id}] {
			bad("binding %s: x index entry missing", id)
		}
		for _, n := range []routing.Number{b.A, b.B} {
			if got := c.party[pair{string(b.X), string(n)}]; got != id {
				bad("binding %s: party %s on %s points at %q", id, n.Masked(), b.X.Masked(), got)
			}
		}
		if !b.Expires.IsZero() && !c.expiry[pair{fmt.Sprint(b.Expires.UnixNano()), id}] {
			bad("binding %s: expiry entry missing", id)
		}
	}
	for p := range c.bindX {
		if b, ok := c.bindings[p.b]; !ok || string(b.X) != p.a {
			bad("x index (%s, %s) names no such binding", routing.Mask(p.a), p.b)
		}
	}
	for p, id := range c.party {
		b, ok := c.bindings[id]
		if isA, isB := b.Party(routing.Number(p.b)); !ok || string(b.X) != p.a || !(isA || isB) {
			bad("party index (%s, %s) → %q disagrees", routing.Mask(p.a), routing.Mask(p.b), id)
		}
	}
	for p := range c.expiry {
		if b, ok := c.bindings[p.b]; !ok || fmt.Sprint(b.Expires.UnixNano()) != p.a {
			bad("expiry index (%s, %s) disagrees", p.a, p.b)
		}
	}
	for x, n := range c.counts {
		if perX[x] != n {
			bad("x %s: pair count %d, bindings %d", x.Masked(), n, perX[x])
		}
	}
	for x, n := range perX {
		if _, ok := c.counts[x]; !ok {
			bad("x %s: pair count missing, bindings %d", x.Masked(), n)
		}
	}
}
