package media

import (
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// Loopback addresses of the parties in these tests: xnum's media on one,
// each party on its own, and a stranger (SPEC §4.3 sentinel).
var (
	xnumIP     = netip.MustParseAddr("127.0.0.2")
	partyAIP   = netip.MustParseAddr("127.0.0.11")
	partyBIP   = netip.MustParseAddr("127.0.0.12")
	strangerIP = netip.MustParseAddr("127.0.0.13")
)

// recvWait bounds how long a test waits for a packet that must come. It is
// a failure bound, never a synchronisation: tests proceed on arrival.
const recvWait = 5 * time.Second

// syncClock is a settable clock safe for the engine's goroutines.
type syncClock struct {
	mu sync.Mutex
	t  time.Time
}

func newSyncClock() *syncClock { return &syncClock{t: time.Unix(1_700_000_000, 0)} }

func (c *syncClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *syncClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// manualTicker is a pacer the test drives: each Tick releases one frame.
type manualTicker struct{ c chan time.Time }

func (m *manualTicker) C() <-chan time.Time { return m.c }
func (m *manualTicker) Stop()               {}

// tickers hands the engine manual tickers and lets the test reach them.
type tickers struct {
	made chan *manualTicker
}

func newTickers() *tickers { return &tickers{made: make(chan *manualTicker, 16)} }

func (ts *tickers) New(time.Duration) Ticker {
	m := &manualTicker{c: make(chan time.Time)}
	ts.made <- m
	return m
}

// tick releases one frame of the playback, or reports false if it ended.
func (m *manualTicker) tick(pb *Playback) bool {
	select {
	case m.c <- time.Time{}:
		return true
	case <-pb.Done():
		return false
	}
}

type engineOpt func(*Config)

func newTestEngine(t testing.TB, opts ...engineOpt) *Engine {
	t.Helper()
	cfg := Config{Address: xnumIP, PortMin: 21000, PortMax: 21999, Quarantine: time.Millisecond}
	for _, o := range opts {
		o(&cfg)
	}
	e, err := NewEngine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

func newTestLeg(t testing.TB, e *Engine) *Leg {
	t.Helper()
	l, err := e.NewLeg()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// party is an RTP end on a loopback address: an RTP and an RTCP socket.
type party struct {
	t         testing.TB
	rtp, rtcp *net.UDPConn
	ssrc      uint32
	seq       uint16
	ts        uint32
}

func newParty(t testing.TB, ip netip.Addr) *party {
	t.Helper()
	listen := func() *net.UDPConn {
		c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	return &party{t: t, rtp: listen(), rtcp: listen(), ssrc: 0x5eed0000 | uint32(ip.As4()[3]), seq: 60000, ts: 1 << 31}
}

func (p *party) addr() netip.AddrPort { return p.rtp.LocalAddr().(*net.UDPAddr).AddrPort() }

// legAddr is where the party sends to reach a leg.
func legAddr(l *Leg) netip.AddrPort { return l.LocalAddr() }

func legRTCP(l *Leg) netip.AddrPort {
	return netip.AddrPortFrom(l.LocalAddr().Addr(), uint16(l.Port()+1))
}

func (p *party) sendRaw(to netip.AddrPort, b []byte) {
	p.t.Helper()
	if _, err := p.rtp.WriteToUDPAddrPort(b, to); err != nil {
		p.t.Fatal(err)
	}
}

// sendAudio sends one 20 ms frame of payload type pt and advances the
// party's stream.
func (p *party) sendAudio(to netip.AddrPort, pt uint8, payload []byte) {
	p.t.Helper()
	pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: p.seq, Timestamp: p.ts, SSRC: p.ssrc}, Payload: payload}
	b, err := pkt.Marshal()
	if err != nil {
		p.t.Fatal(err)
	}
	p.sendRaw(to, b)
	p.seq++
	p.ts += uint32(len(payload))
}

// recv reads the next RTP packet; it fails the test after recvWait.
func (p *party) recv() (*rtp.Packet, netip.AddrPort) {
	p.t.Helper()
	buf := make([]byte, 2048)
	p.rtp.SetReadDeadline(time.Now().Add(recvWait))
	n, src, err := p.rtp.ReadFromUDPAddrPort(buf)
	if err != nil {
		p.t.Fatalf("no packet: %v", err)
	}
	var pkt rtp.Packet
	if err := pkt.Unmarshal(buf[:n]); err != nil {
		p.t.Fatal(err)
	}
	return &pkt, src
}

// frame returns n bytes of a recognisable payload.
func frame(tag byte) []byte {
	b := make([]byte, FrameSamples)
	for i := range b {
		b[i] = tag + byte(i%7)
	}
	return b
}

// streamCheck asserts that packets form one continuous stream: one SSRC,
// sequence +1 each, timestamps advancing by at least the previous packet.
type streamCheck struct {
	t       *testing.T
	n       int
	ssrc    uint32
	seq     uint16
	ts      uint32
	lastLen int
}

func (s *streamCheck) add(p *rtp.Packet) {
	s.t.Helper()
	if s.n > 0 {
		if p.SSRC != s.ssrc {
			s.t.Fatalf("packet %d: SSRC %#x, stream has %#x", s.n, p.SSRC, s.ssrc)
		}
		if p.SequenceNumber != s.seq+1 {
			s.t.Fatalf("packet %d: seq %d after %d", s.n, p.SequenceNumber, s.seq)
		}
		if d := p.Timestamp - s.ts; d < uint32(s.lastLen) || d > 10*ClockRate {
			s.t.Fatalf("packet %d: timestamp advanced %d after a %d-sample packet", s.n, d, s.lastLen)
		}
	}
	s.n++
	s.ssrc, s.seq, s.ts, s.lastLen = p.SSRC, p.SequenceNumber, p.Timestamp, len(p.Payload)
}
