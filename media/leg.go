package media

import (
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Leg is xnum's media end towards one party: a local RTP socket on an even
// port and its RTCP socket on the next, the party's address from its SDP,
// the payload types it negotiated, and one outgoing stream (Sequencer) fed
// by a playback or by the bridged leg.
//
// Received RTP is filtered by source (Latching), counted as liveness,
// decoded for DTMF when it is a telephone-event, and forwarded when the
// leg is bridged. Received RTCP is filtered the same way, counted as
// liveness and dropped: RTCP is terminated per leg, never forwarded
// (SPEC §4.3), since its reports describe a stream the other party never
// sees.
//
// Each socket has one goroutine doing blocking reads (docs/MEDIA.md has
// the measurements behind that choice). All methods are safe for
// concurrent use.
type Leg struct {
	eng        *Engine
	port       int
	rtp, rtcp  *net.UDPConn
	latching   Latching
	digits     chan byte
	timedOut   chan struct{}
	done       chan struct{}
	wg         sync.WaitGroup
	closeOnce  sync.Once
	timeoutOne sync.Once

	remote  atomic.Pointer[remote]
	payload atomic.Pointer[Payload]
	peer    atomic.Pointer[Leg] // the bridged leg packets are forwarded to
	bridge  atomic.Pointer[Bridge]
	rec     atomic.Pointer[recTap] // the recording this party's audio goes to

	expect      atomic.Bool
	expectSince atomic.Int64 // engine clock, ns: when RTP became expected
	lastRx      atomic.Int64 // engine clock, ns: last accepted RTP or RTCP

	// outMu guards the outgoing stream: the sequencer and the playback,
	// and orders the writes so that packets leave in sequence order.
	outMu   sync.Mutex
	out     *Sequencer
	playing *Playback

	stats legCounters
}

// remote is the peer's transport address. It is replaced whole, never
// modified, so the reader can load it without a lock.
type remote struct {
	rtp     netip.AddrPort // from SDP
	rtcpIP  netip.Addr     // RTCP accepted from this host
	latched netip.AddrPort // LatchSymmetric: the source learned, zero until then
}

// target is where RTP for the peer goes: the learned source when
// latching, else the signalled address.
func (r *remote) target() netip.AddrPort {
	if r.latched.IsValid() {
		return r.latched
	}
	return r.rtp
}

type legCounters struct {
	rtpIn, rtcpIn, foreign, malformed, forwarded, played, dropped, digits atomic.Uint64
}

// LegStats counts a leg's packets since it opened.
type LegStats struct {
	RTPIn     uint64 // RTP packets accepted from the peer
	RTCPIn    uint64 // RTCP packets accepted (and dropped: never forwarded)
	Foreign   uint64 // packets dropped because of their source address
	Malformed uint64 // packets that are no RTP/RTCP
	Forwarded uint64 // packets relayed out of this leg from the bridged leg
	Played    uint64 // local frames (prompt, ringback) sent to the peer
	Dropped   uint64 // not sent: unknown payload type, no address yet, or held back by a prompt
	Digits    uint64 // DTMF key presses decoded
}

func (s *LegStats) add(o LegStats) {
	s.RTPIn += o.RTPIn
	s.RTCPIn += o.RTCPIn
	s.Foreign += o.Foreign
	s.Malformed += o.Malformed
	s.Forwarded += o.Forwarded
	s.Played += o.Played
	s.Dropped += o.Dropped
	s.Digits += o.Digits
}

func newLeg(e *Engine, port int, rtpConn, rtcpConn *net.UDPConn) *Leg {
	l := &Leg{
		eng:      e,
		port:     port,
		rtp:      rtpConn,
		rtcp:     rtcpConn,
		latching: e.cfg.Latching,
		digits:   make(chan byte, 32),
		timedOut: make(chan struct{}),
		done:     make(chan struct{}),
		out:      NewSequencer(),
	}
	l.payload.Store(&Payload{Codec: PCMU, Audio: PayloadPCMU})
	l.remote.Store(&remote{})
	now := int64(e.now())
	l.expectSince.Store(now)
	l.lastRx.Store(now)
	return l
}

func (l *Leg) start() {
	l.wg.Add(2)
	go l.readRTP()
	go l.readRTCP()
}

// Port is the local RTP port (RTCP is Port+1): what our SDP for this party
// advertises in m=audio.
func (l *Leg) Port() int { return l.port }

// LocalAddr is the bound RTP address.
func (l *Leg) LocalAddr() netip.AddrPort {
	return netip.AddrPortFrom(l.eng.cfg.Address, uint16(l.port))
}

// SSRC is the synchronisation source of everything this leg sends.
func (l *Leg) SSRC() uint32 { return l.out.SSRC() }

// SetRemote sets the peer's RTP address from its SDP (c= address, m= port;
// RTCP is accepted from the same host, RFC 3605 a=rtcp may name another
// port but never another host here). It also restarts the RTP-timeout
// window and, with symmetric latching, forgets the learned source — a
// re-INVITE is the one moment a new source may be learned. An unspecified
// address (c=0.0.0.0, RFC 3264 §8.4 old-style hold) sends nothing.
func (l *Leg) SetRemote(rtp netip.AddrPort) {
	rtp = netip.AddrPortFrom(rtp.Addr().Unmap(), rtp.Port())
	l.remote.Store(&remote{rtp: rtp, rtcpIP: rtp.Addr()})
	l.expectSince.Store(int64(l.eng.now()))
}

// Relatch forgets the learned source (LatchSymmetric) so that the next
// packet's source is accepted; SIP calls it on a re-INVITE when the
// address did not change. No effect with LatchStrict.
func (l *Leg) Relatch() {
	r := *l.remote.Load()
	r.latched = netip.AddrPort{}
	r.rtcpIP = r.rtp.Addr()
	l.remote.Store(&r)
}

// Remote is the address RTP to the peer goes to (the learned one when
// latching), invalid before SetRemote.
func (l *Leg) Remote() netip.AddrPort { return l.remote.Load().target() }

// SetPayload sets the payload types the peer negotiated on this leg. The
// leg plays prompts in p.Codec with p.Audio, and the bridge maps the other
// leg's payload types onto these.
func (l *Leg) SetPayload(p Payload) {
	l.payload.Store(&p)
}

// Payload is the leg's current payload mapping.
func (l *Leg) Payload() Payload { return *l.payload.Load() }

// SetExpectRTP says whether the peer is expected to send RTP — true while
// the direction xnum signalled to this peer receives (sendrecv, recvonly),
// false on hold (sendonly, inactive); see Direction.Receives. The RTP
// timeout runs only while it is true, and restarts from now when it turns
// true.
func (l *Leg) SetExpectRTP(on bool) {
	if on && !l.expect.Load() {
		l.expectSince.Store(int64(l.eng.now()))
	}
	l.expect.Store(on)
}

// Timeout is closed once the leg has expected RTP and received neither RTP
// nor RTCP for the engine's timeout (SPEC §4.3; the call ends with 7505 or
// 7506 by the side).
func (l *Leg) Timeout() <-chan struct{} { return l.timedOut }

// Digits delivers the DTMF keys the peer sends as RFC 4733 events, each
// once ('0'–'9', '*', '#', 'A'–'D'). Keys arriving while nobody reads are
// kept up to 32, then dropped.
func (l *Leg) Digits() <-chan byte { return l.digits }

// Done is closed when the leg is closed.
func (l *Leg) Done() <-chan struct{} { return l.done }

// Stats returns the leg's counters.
func (l *Leg) Stats() LegStats {
	c := &l.stats
	return LegStats{
		RTPIn: c.rtpIn.Load(), RTCPIn: c.rtcpIn.Load(), Foreign: c.foreign.Load(),
		Malformed: c.malformed.Load(), Forwarded: c.forwarded.Load(), Played: c.played.Load(),
		Dropped: c.dropped.Load(), Digits: c.digits.Load(),
	}
}

// checkTimeout fires the timeout when due; true if it fired now.
func (l *Leg) checkTimeout(now, timeout time.Duration) bool {
	if !l.expect.Load() {
		return false
	}
	last := time.Duration(max(l.lastRx.Load(), l.expectSince.Load()))
	if now-last < timeout {
		return false
	}
	fired := false
	l.timeoutOne.Do(func() { close(l.timedOut); fired = true })
	return fired
}

// Close stops the playback, leaves the bridge, closes both sockets, waits
// for the readers and returns the ports to quarantine. Idempotent.
func (l *Leg) Close() error {
	l.closeOnce.Do(func() {
		close(l.done)
		l.StopPlayback()
		if br := l.bridge.Load(); br != nil {
			br.Close()
		}
		l.rtp.Close()
		l.rtcp.Close()
		l.wg.Wait()
		l.eng.forget(l)
	})
	return nil
}
