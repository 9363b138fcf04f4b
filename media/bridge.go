package media

import "sync"

// Bridge relays media between two legs in both directions: what A's peer
// sends goes out of B's leg to B's peer and back, each packet with the
// receiving leg's payload type, in its law (A-law↔μ-law converted by table
// when the legs negotiated different ones), on the receiving leg's own
// SSRC, sequence and timestamps (SPEC §4.3). Telephone-events pass when
// both legs negotiated them; other payload types (comfort noise, anything
// not G.711) are dropped. RTCP never crosses.
//
// A bridge may be made before B answers: B's early media then replaces the
// ringback playing on A's leg (SPEC §4.3), while a prompt playing on a leg
// holds the bridged media back until it ends or is stopped.
type Bridge struct {
	a, b *Leg
	once sync.Once
}

// NewBridge links two open legs. ErrBusy if either is already bridged;
// ErrClosed if either is closed.
func NewBridge(a, b *Leg) (*Bridge, error) {
	if a == b {
		return nil, ErrBusy
	}
	for _, l := range []*Leg{a, b} {
		select {
		case <-l.done:
			return nil, ErrClosed
		default:
		}
	}
	br := &Bridge{a: a, b: b}
	if !a.bridge.CompareAndSwap(nil, br) {
		return nil, ErrBusy
	}
	if !b.bridge.CompareAndSwap(nil, br) {
		a.bridge.Store(nil)
		return nil, ErrBusy
	}
	a.peer.Store(b)
	b.peer.Store(a)
	return br, nil
}

// Close unlinks the legs (they stay open). Idempotent; closing either leg
// closes its bridge.
func (br *Bridge) Close() {
	br.once.Do(func() {
		br.a.peer.Store(nil)
		br.b.peer.Store(nil)
		br.a.bridge.CompareAndSwap(br, nil)
		br.b.bridge.CompareAndSwap(br, nil)
	})
}
