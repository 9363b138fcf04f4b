package store

import (
	"maps"
	"sync"

	"github.com/xnum/xnum/routing"
)

// xcache mirrors x\x00{X} and its app for XNumber, which runs on every
// INVITE (SPEC §3 step 1). Only positive answers are cached: dialled numbers
// that are no X come from an unbounded space.
//
// A reader that missed reads Pebble and then stores its result only if no
// invalidation happened in between (gen unchanged); every mutation of apps or
// numbers bumps gen and clears the map after its commit and before it is
// acknowledged. So an entry is never older than the last acknowledged change.
type xcache struct {
	mu  sync.RWMutex
	gen uint64
	m   map[routing.Number]xentry
}

type xentry struct {
	x   routing.XNumber
	app routing.App
}

func (c *xcache) init() { c.m = make(map[routing.Number]xentry) }

func (c *xcache) get(n routing.Number) (xentry, uint64, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.m[n]
	return e, c.gen, ok
}

func (c *xcache) put(n routing.Number, e xentry, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen {
		c.m[n] = e
	}
}

func (c *xcache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.m)
}

// cloneApp copies the one reference field of App so that callers never share
// the cached map.
func cloneApp(a routing.App) routing.App {
	a.Prompts = maps.Clone(a.Prompts)
	return a
}
