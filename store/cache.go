package store

import (
	"maps"
	"sync"
	"sync/atomic"

	"github.com/xnum/xnum/routing"
)

// xcache mirrors x\x00{X} and its app for XNumber, and app\x00{key} for GetApp;
// XNumber which runs on every
// INVITE (SPEC §3 step 1). Only positive answers are cached: dialled numbers
// that are no X come from an unbounded space.
//
// Lookups are lock-free. The cache is a generation: a map that is never
// cleared, only replaced. A reader takes the current generation before it
// reads Pebble and stores what it read into that same generation. Every
// mutation of apps or numbers installs a fresh generation after its commit
// and before it is acknowledged, so a reader that read old data can only
// have stored it into a generation that is already gone, and a reader that
// started after the swap reads the committed data.
type xcache struct {
	cur atomic.Pointer[xgen]
}

type xgen struct {
	m sync.Map // routing.Number → xentry
	// no holds numbers known to be no X, at most maxNegative a generation:
	// the loop guard asks about every caller (SPEC §2), and a Pebble Get
	// per INVITE for an answer that only changes when numbers do was the
	// call path's largest read. The bound keeps an unbounded number space
	// from growing memory; past it, misses read Pebble as before.
	no   sync.Map // routing.Number → struct{}
	noN  atomic.Int64
	apps sync.Map // app key → routing.App, for GetApp (the dispatcher's per-push lookup)
}

type xentry struct {
	x   routing.XNumber
	app routing.App
}

func (c *xcache) init() { c.cur.Store(&xgen{}) }

// get returns the cached entry and the generation it looked in, for put.
func (c *xcache) get(n routing.Number) (xentry, *xgen, bool) {
	g := c.cur.Load()
	v, ok := g.m.Load(n)
	if !ok {
		return xentry{}, g, false
	}
	return v.(xentry), g, true
}

func (g *xgen) put(n routing.Number, e xentry) { g.m.Store(n, e) }

// maxNegative bounds xgen.no.
const maxNegative = 100_000

func (g *xgen) isNo(n routing.Number) bool {
	_, ok := g.no.Load(n)
	return ok
}

func (g *xgen) putNo(n routing.Number) {
	if g.noN.Load() >= maxNegative {
		return
	}
	if _, loaded := g.no.LoadOrStore(n, struct{}{}); !loaded {
		g.noN.Add(1)
	}
}

// app returns the cached app of key and the generation it looked in, for
// putApp. Apps share the X cache's generations: every app mutation sets
// tx.invalidate, so the same swap that retires stale X entries retires stale
// apps, after the commit and before the mutation returns.
func (c *xcache) app(key string) (routing.App, *xgen, bool) {
	g := c.cur.Load()
	v, ok := g.apps.Load(key)
	if !ok {
		return routing.App{}, g, false
	}
	return v.(routing.App), g, true
}

func (g *xgen) putApp(key string, a routing.App) { g.apps.Store(key, a) }

func (c *xcache) invalidate() { c.cur.Store(&xgen{}) }

// cloneApp copies the one reference field of App so that callers never share
// the cached map.
func cloneApp(a routing.App) routing.App {
	a.Prompts = maps.Clone(a.Prompts)
	return a
}

// bcache mirrors BindingByParty's answers that found a binding: the call
// path asks it on every AXB INVITE (SPEC §3 step 2), and with the outbox's
// insert-and-delete churn in the same LSM its Pebble Gets were the largest
// read left on the call path (docs/EVENTS.md "Speed"). It follows the X
// cache's rule: a generation is never cleared, only replaced, and every
// committed update (store.update: every bind, modify, unbind, sweep, app
// and number change) replaces it after its commit and before it returns,
// so an acknowledged change is seen by the next lookup. Writes outside
// update (outbox, CDRs, call state) touch no binding and keep it. Expiry
// is checked at each lookup against the store's clock. Misses are not
// kept: strangers come from an unbounded number space.
type bcache struct {
	cur atomic.Pointer[bgen]
}

type bgen struct {
	m sync.Map // partyRef → routing.Binding
	n atomic.Int64
}

// partyRef names one party of a binding on its X.
type partyRef struct{ x, n routing.Number }

// maxBindingCache bounds a generation; past it, lookups read Pebble.
const maxBindingCache = 1_000_000

func (c *bcache) init() { c.cur.Store(&bgen{}) }

func (c *bcache) invalidate() { c.cur.Store(&bgen{}) }

// get returns the cached binding and the generation it looked in, for put.
func (c *bcache) get(r partyRef) (routing.Binding, *bgen, bool) {
	g := c.cur.Load()
	v, ok := g.m.Load(r)
	if !ok {
		return routing.Binding{}, g, false
	}
	return v.(routing.Binding), g, true
}

func (g *bgen) put(r partyRef, b routing.Binding) {
	if g.n.Load() >= maxBindingCache {
		return
	}
	if _, loaded := g.m.LoadOrStore(r, b); !loaded {
		g.n.Add(1)
	}
}
