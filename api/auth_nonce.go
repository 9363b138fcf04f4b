package api

import (
	"container/heap"
	"sync"
	"time"
)

// defaultMaxNonces bounds the nonce memory: at ~150 bytes an entry about
// 75 MB in the worst case. With api.rate_limit 100/s and a ±300 s window one
// busy app fills 60 000 entries.
const defaultMaxNonces = 500_000

// nonceCache remembers each (appKey, Nonce) until its Created leaves the
// auth window (SPEC §5 [DESIGN]: a nonce is accepted once within the
// window). Memory is bounded: when full of live entries it refuses new ones
// (1010010) rather than forgetting a live one, which would reopen replay.
type nonceCache struct {
	mu   sync.Mutex
	seen map[string]time.Time // key → expiry
	exp  expiryHeap
	max  int
}

func newNonceCache(max int) *nonceCache {
	if max <= 0 {
		max = defaultMaxNonces
	}
	return &nonceCache{seen: make(map[string]time.Time), max: max}
}

// use records (app, nonce) until expires. It fails with ErrNonceReused when
// the pair is still remembered and ErrNonceCacheFull when no room is left.
func (c *nonceCache) use(app, nonce string, now, expires time.Time) error {
	key := app + "\x00" + nonce // a nonce is alphanumeric: no ambiguity
	c.mu.Lock()
	defer c.mu.Unlock()
	c.prune(now)
	if _, ok := c.seen[key]; ok {
		return ErrNonceReused
	}
	if len(c.seen) >= c.max {
		return ErrNonceCacheFull
	}
	c.seen[key] = expires
	heap.Push(&c.exp, expiryEntry{key: key, at: expires})
	return nil
}

// prune forgets every entry whose expiry is before now (an entry expiring at
// exactly now still guards a request whose Created is at the window's edge);
// each costs O(log n) once.
func (c *nonceCache) prune(now time.Time) {
	for len(c.exp) > 0 && c.exp[0].at.Before(now) {
		e := heap.Pop(&c.exp).(expiryEntry)
		delete(c.seen, e.key)
	}
}

func (c *nonceCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}

type expiryEntry struct {
	key string
	at  time.Time
}

// expiryHeap is a min-heap by expiry (container/heap).
type expiryHeap []expiryEntry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(expiryEntry)) }
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
