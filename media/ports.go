package media

import (
	"fmt"
	"sync"
	"time"
)

// PortAllocator hands out RTP ports from media.rtp_ports: always an even
// port for RTP with RTCP on the odd port above it (RFC 3550 §11; RFC 3551
// §11 asks for the even/odd pair). Released ports go to the back of a FIFO
// and rest there for the quarantine before anyone gets them again, so the
// late packets of a finished call (a peer that keeps sending until it has
// processed the BYE) drain into a closed port instead of reaching the next
// call that gets it. FIFO order also spreads reuse over the whole range.
//
// Safe for concurrent use.
type PortAllocator struct {
	mu         sync.Mutex
	queue      []portEntry // ring buffer of free pairs, oldest release first
	head, n    int
	quarantine time.Duration
	now        func() time.Time
	inUse      map[int]bool
}

type portEntry struct {
	port     int
	released time.Time // zero: never used
}

// NewPortAllocator covers the even ports of [lo, hi] whose odd partner is
// also ≤ hi. now is the clock (time.Now when nil).
func NewPortAllocator(lo, hi int, quarantine time.Duration, now func() time.Time) (*PortAllocator, error) {
	if lo < 1 || hi > 65535 || lo > hi || quarantine < 0 {
		return nil, fmt.Errorf("%w: rtp ports %d-%d, quarantine %v", ErrBadConfig, lo, hi, quarantine)
	}
	if now == nil {
		now = time.Now
	}
	a := &PortAllocator{quarantine: quarantine, now: now, inUse: make(map[int]bool)}
	for p := lo + lo%2; p+1 <= hi; p += 2 {
		a.queue = append(a.queue, portEntry{port: p})
	}
	if len(a.queue) == 0 {
		return nil, fmt.Errorf("%w: rtp ports %d-%d hold no even/odd pair", ErrBadConfig, lo, hi)
	}
	a.n = len(a.queue)
	return a, nil
}

// Acquire returns a free even port (its RTCP partner is port+1), or
// ErrNoPorts when every pair is in use or still in quarantine.
func (a *PortAllocator) Acquire() (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.n == 0 {
		return 0, ErrNoPorts
	}
	e := a.queue[a.head]
	// The queue is in release order, so if the oldest is still resting
	// every other one is too.
	if !e.released.IsZero() && a.now().Sub(e.released) < a.quarantine {
		return 0, ErrNoPorts
	}
	a.head = (a.head + 1) % len(a.queue)
	a.n--
	a.inUse[e.port] = true
	return e.port, nil
}

// Release puts a port back; it rests for the quarantine first. Releasing a
// port that is not in use does nothing.
func (a *PortAllocator) Release(port int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.inUse[port] {
		return
	}
	delete(a.inUse, port)
	a.queue[(a.head+a.n)%len(a.queue)] = portEntry{port: port, released: a.now()}
	a.n++
}

// Pairs is the number of RTP/RTCP pairs the allocator covers.
func (a *PortAllocator) Pairs() int { return len(a.queue) }

// InUse is the number of pairs handed out and not released.
func (a *PortAllocator) InUse() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.inUse)
}
