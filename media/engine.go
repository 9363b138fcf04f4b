package media

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Latching says which source a leg accepts RTP from (SPEC §4.3,
// media.latching).
type Latching uint8

const (
	// LatchStrict accepts packets only from the address signalled in the
	// peer's SDP (c= and m= port; RTCP from the same host).
	LatchStrict Latching = iota
	// LatchSymmetric accepts the first source that sends, and sends back
	// to it (symmetric RTP, RFC 4961 — for softphones behind NAT whose SDP
	// names a private address). It learns a new source only after
	// Relatch or SetRemote, i.e. on a re-INVITE.
	LatchSymmetric
)

// ParseLatching reads media.latching ("strict" or "symmetric").
func ParseLatching(s string) (Latching, error) {
	switch s {
	case "strict", "":
		return LatchStrict, nil
	case "symmetric":
		return LatchSymmetric, nil
	}
	return 0, fmt.Errorf("%w: media.latching %q", ErrBadConfig, s)
}

// DefaultQuarantine is how long a released port rests when Config leaves it
// zero: long enough for a peer to act on the BYE and stop sending.
const DefaultQuarantine = 5 * time.Second

// Ticker paces a playback every 20 ms. Tests substitute one they drive.
type Ticker interface {
	C() <-chan time.Time
	Stop()
}

type realTicker struct{ t *time.Ticker }

func (r realTicker) C() <-chan time.Time { return r.t.C }
func (r realTicker) Stop()               { r.t.Stop() }

// Config is the media engine's share of the configuration (configs.Media;
// cmd/xnum maps one onto the other).
type Config struct {
	// Address is the local IP the RTP sockets bind (media.address).
	Address netip.Addr
	// PortMin and PortMax bound the RTP ports (media.rtp_ports).
	PortMin, PortMax int
	// Quarantine is how long a released port pair rests before reuse
	// (DefaultQuarantine when zero).
	Quarantine time.Duration
	// Latching is the source filter of every leg (media.latching).
	Latching Latching
	// Timeout is the RTP timeout (media.timeout): a leg that expects RTP
	// and receives neither RTP nor RTCP for this long times out. Zero
	// disables it.
	Timeout time.Duration
	// SocketBuffer sets SO_RCVBUF and SO_SNDBUF of every socket in bytes;
	// zero keeps the system default.
	SocketBuffer int
	// Now is the clock (time.Now when nil). Tests inject one.
	Now func() time.Time
	// NewTicker makes the 20 ms pacer of playbacks (a time.Ticker when
	// nil). Tests inject one they drive.
	NewTicker func(time.Duration) Ticker
}

// Engine owns the RTP ports and the legs of all calls of one xnum process.
// Two engines (two servers in one test) share nothing.
type Engine struct {
	cfg   Config
	ports *PortAllocator
	epoch time.Time
	srcID atomic.Uint64

	mu     sync.Mutex
	legs   map[*Leg]struct{}
	closed bool
	gone   LegStats // counters of the legs closed so far

	// Test hooks, set before legs are made: testHookRTP runs after each
	// packet the RTP reader has handled (accepted or not), testHookRTCP
	// after each packet taken from an RTCP socket.
	testHookRTP  func(*Leg)
	testHookRTCP func()
}

// NewEngine checks the configuration and builds an engine. It opens no
// socket until a leg is made.
func NewEngine(cfg Config) (*Engine, error) {
	if !cfg.Address.IsValid() {
		return nil, fmt.Errorf("%w: media address not set", ErrBadConfig)
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("%w: media timeout %v", ErrBadConfig, cfg.Timeout)
	}
	if cfg.Quarantine == 0 {
		cfg.Quarantine = DefaultQuarantine
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewTicker == nil {
		cfg.NewTicker = func(d time.Duration) Ticker { return realTicker{time.NewTicker(d)} }
	}
	ports, err := NewPortAllocator(cfg.PortMin, cfg.PortMax, cfg.Quarantine, cfg.Now)
	if err != nil {
		return nil, err
	}
	return &Engine{cfg: cfg, ports: ports, epoch: cfg.Now(), legs: make(map[*Leg]struct{})}, nil
}

// since is the engine's monotonic clock: time since the engine started.
func (e *Engine) since(t time.Time) time.Duration { return t.Sub(e.epoch) }

func (e *Engine) now() time.Duration { return e.since(e.cfg.Now()) }

// NewLeg opens a leg: an RTP socket on an even port of the range and the
// RTCP socket on the port above it, both on Config.Address. Ports that
// another process holds are skipped (and rest in quarantine like released
// ones). ErrNoPorts when the range is exhausted.
func (e *Engine) NewLeg() (*Leg, error) {
	e.mu.Lock()
	closed := e.closed
	e.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	var lastErr error = ErrNoPorts
	for range e.ports.Pairs() {
		port, err := e.ports.Acquire()
		if err != nil {
			return nil, fmt.Errorf("%w (last bind error: %v)", ErrNoPorts, lastErr)
		}
		rtpConn, err := e.listen(port)
		if err != nil {
			e.ports.Release(port)
			lastErr = err
			continue
		}
		rtcpConn, err := e.listen(port + 1)
		if err != nil {
			rtpConn.Close()
			e.ports.Release(port)
			lastErr = err
			continue
		}
		l := newLeg(e, port, rtpConn, rtcpConn)
		e.mu.Lock()
		if e.closed {
			e.mu.Unlock()
			l.Close()
			return nil, ErrClosed
		}
		e.legs[l] = struct{}{}
		e.mu.Unlock()
		l.start()
		return l, nil
	}
	return nil, fmt.Errorf("%w (last bind error: %v)", ErrNoPorts, lastErr)
}

func (e *Engine) listen(port int) (*net.UDPConn, error) {
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(e.cfg.Address, uint16(port))))
	if err != nil {
		return nil, err
	}
	if n := e.cfg.SocketBuffer; n > 0 {
		c.SetReadBuffer(n)
		c.SetWriteBuffer(n)
	}
	return c, nil
}

// forget drops a closed leg and gives its ports back (to quarantine).
func (e *Engine) forget(l *Leg) {
	st := l.Stats()
	e.mu.Lock()
	delete(e.legs, l)
	e.gone.add(st)
	e.mu.Unlock()
	e.ports.Release(l.port)
}

// CheckTimeouts times out every leg that expects RTP and has received
// nothing (RTP or RTCP) for Config.Timeout up to now, and returns how many
// timed out in this pass. Run calls it periodically; tests call it with
// the time they want.
func (e *Engine) CheckTimeouts(now time.Time) int {
	if e.cfg.Timeout <= 0 {
		return 0
	}
	e.mu.Lock()
	legs := make([]*Leg, 0, len(e.legs))
	for l := range e.legs {
		legs = append(legs, l)
	}
	e.mu.Unlock()
	n := 0
	at := e.since(now)
	for _, l := range legs {
		if l.checkTimeout(at, e.cfg.Timeout) {
			n++
		}
	}
	return n
}

// Run checks RTP timeouts until ctx ends, a quarter of the timeout apart
// (at most a second), so a dead peer is noticed within 1.25× the timeout.
func (e *Engine) Run(ctx context.Context) {
	if e.cfg.Timeout <= 0 {
		<-ctx.Done()
		return
	}
	t := time.NewTicker(min(e.cfg.Timeout/4, time.Second))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			e.CheckTimeouts(e.cfg.Now())
		}
	}
}

// Legs is the number of open legs.
func (e *Engine) Legs() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.legs)
}

// Address is the local IP of every leg's sockets.
func (e *Engine) Address() netip.Addr { return e.cfg.Address }

// Stats sums the counters of every leg the engine has had, open or closed
// (for /metrics and tests).
func (e *Engine) Stats() LegStats {
	e.mu.Lock()
	defer e.mu.Unlock()
	sum := e.gone
	for l := range e.legs {
		sum.add(l.Stats())
	}
	return sum
}

// Ports is the engine's port allocator (for metrics).
func (e *Engine) Ports() *PortAllocator { return e.ports }

// Close closes every leg; NewLeg fails afterwards.
func (e *Engine) Close() {
	e.mu.Lock()
	e.closed = true
	legs := make([]*Leg, 0, len(e.legs))
	for l := range e.legs {
		legs = append(legs, l)
	}
	e.mu.Unlock()
	for _, l := range legs {
		l.Close()
	}
}
