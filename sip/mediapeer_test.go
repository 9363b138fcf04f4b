package sip

// Test parties' media: a real RTP/RTCP socket pair per party on its own
// loopback address (A 127.0.0.12, B 127.0.0.13, a stranger 127.0.0.14;
// xnum's RTP sockets on 127.0.0.1), and an env whose server relays media
// through a real media.Engine.

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/xnum/xnum/media"
)

const (
	aMediaHost        = "127.0.0.12"
	bMediaHost        = "127.0.0.13"
	strangerMediaHost = "127.0.0.14"
)

// mediaEnvConfig tunes newMediaEnv.
type mediaEnvConfig struct {
	mode    string           // media.mode; "" = relay
	clock   func() time.Time // engine clock; nil = real time
	timeout time.Duration    // media.timeout; 0 = off
	latch   media.Latching
	deps    func(*Deps)
}

// mediaEnv is a tenv with a media engine and a prompt library.
type mediaEnv struct {
	*tenv
	eng *media.Engine
	lib *media.PromptLibrary
}

var mediaPortBase atomic.Int32

// newMediaEnv starts the usual env (store, A, B, xnum) with a media engine
// on xnum's address. Each env gets its own RTP port range, so parallel tests
// never compete for a port.
func newMediaEnv(t *testing.T, mc mediaEnvConfig) *mediaEnv {
	t.Helper()
	lo := 30000 + int(mediaPortBase.Add(1)%100)*200
	eng, err := media.NewEngine(media.Config{
		Address: netip.MustParseAddr(xHost), PortMin: lo, PortMax: lo + 199,
		Quarantine: time.Millisecond, Latching: mc.latch, Timeout: mc.timeout, Now: mc.clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Close)
	builtin, err := media.BuiltinPrompts()
	if err != nil {
		t.Fatal(err)
	}
	lib := media.NewPromptLibrary(builtin)
	lib.App("demo").Put("hint", testPrompt(t, 5, 0x11))
	e := newEnv(t, withDeps(func(d *Deps) {
		d.Media, d.MediaMode, d.Prompts = eng, mc.mode, lib
		if mc.deps != nil {
			mc.deps(d)
		}
	}))
	return &mediaEnv{tenv: e, eng: eng, lib: lib}
}

// testPrompt is a prompt of n frames whose μ-law bytes are recognisable: a
// ramp starting at seed, the same in every frame.
func testPrompt(t testing.TB, frames int, seed byte) *media.Prompt {
	t.Helper()
	samples := make([]int16, frames*media.FrameSamples)
	for i := range samples {
		samples[i] = int16((int(seed)+i%160)*97) - 8000
	}
	p, err := media.ParseWAV(wavPCM(samples))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// wavPCM is an 8 kHz mono 16-bit WAV file of samples.
func wavPCM(samples []int16) []byte {
	data := make([]byte, 2*len(samples))
	for i, s := range samples {
		data[2*i], data[2*i+1] = byte(s), byte(uint16(s)>>8)
	}
	le32 := func(v int) []byte { return []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)} }
	var b []byte
	b = append(b, "RIFF"...)
	b = append(b, le32(36+len(data))...)
	b = append(b, "WAVEfmt "...)
	b = append(b, le32(16)...)
	b = append(b, 1, 0, 1, 0) // PCM, mono
	b = append(b, le32(8000)...)
	b = append(b, le32(16000)...)
	b = append(b, 2, 0, 16, 0)
	b = append(b, "data"...)
	b = append(b, le32(len(data))...)
	return append(b, data...)
}

// rtpPeer is one party's media end: RTP on an even port, RTCP above it.
type rtpPeer struct {
	t         testing.TB
	host      string
	rtp, rtcp *net.UDPConn
	in        chan rtpIn
	ssrc      uint32
	seq       uint16
	ts        uint32

	mu      sync.Mutex
	rtcpGot int
}

type rtpIn struct {
	pkt *rtp.Packet
	src netip.AddrPort
}

func newRTPPeer(t testing.TB, host string) *rtpPeer {
	t.Helper()
	p := &rtpPeer{t: t, host: host, in: make(chan rtpIn, 4096), ssrc: 0xa0000000 | uint32(len(host))<<8, seq: 65500, ts: 1 << 31}
	for port := 40000; ; port += 2 {
		if port > 48000 {
			t.Fatal("no free even port pair")
		}
		r, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(host), Port: port})
		if err != nil {
			continue
		}
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(host), Port: port + 1})
		if err != nil {
			r.Close()
			continue
		}
		p.rtp, p.rtcp = r, c
		break
	}
	t.Cleanup(func() { p.rtp.Close(); p.rtcp.Close() })
	go func() {
		buf := make([]byte, 2048)
		for {
			n, src, err := p.rtp.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			var pkt rtp.Packet
			if err := pkt.Unmarshal(append([]byte(nil), buf[:n]...)); err != nil {
				continue
			}
			p.in <- rtpIn{&pkt, src}
		}
	}()
	go func() {
		buf := make([]byte, 2048)
		for {
			if _, _, err := p.rtcp.ReadFromUDPAddrPort(buf); err != nil {
				return
			}
			p.mu.Lock()
			p.rtcpGot++
			p.mu.Unlock()
		}
	}()
	return p
}

func (p *rtpPeer) port() int { return p.rtp.LocalAddr().(*net.UDPAddr).Port }

// sdp is the party's description: its identity in o=, s=, i= and its
// address in c=, with the given formats (rtpmap for each) and direction.
func (p *rtpPeer) sdp(who string, dir string, formats ...string) string {
	var pts []string
	var maps []string
	for _, f := range formats {
		pt, enc, _ := strings.Cut(f, " ")
		pts = append(pts, pt)
		maps = append(maps, "a=rtpmap:"+pt+" "+enc+"\r\n")
	}
	return fmt.Sprintf("v=0\r\no=%s-ua 4242 1 IN IP4 %s\r\ns=%s secret session\r\ni=%s private\r\nc=IN IP4 %s\r\nt=0 0\r\n"+
		"m=audio %d RTP/AVP %s\r\n%sa=%s\r\n", who, p.host, who, who, p.host, p.port(), strings.Join(pts, " "), strings.Join(maps, ""), dir)
}

// Formats for sdp.
const (
	fPCMU = "0 PCMU/8000"
	fPCMA = "8 PCMA/8000"
	fTE   = "101 telephone-event/8000"
)

// send sends one packet of payload type pt to `to` and advances the stream.
func (p *rtpPeer) send(to netip.AddrPort, pt uint8, payload []byte) {
	p.t.Helper()
	pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: p.seq, Timestamp: p.ts, SSRC: p.ssrc}, Payload: payload}
	b, err := pkt.Marshal()
	if err != nil {
		p.t.Fatal(err)
	}
	if _, err := p.rtp.WriteToUDPAddrPort(b, to); err != nil {
		p.t.Fatal(err)
	}
	p.seq++
	p.ts += uint32(len(payload))
}

// sendRTCP sends a receiver report to the RTCP port of `to`'s pair.
func (p *rtpPeer) sendRTCP(to netip.AddrPort) {
	p.t.Helper()
	rr := []byte{0x80, 201, 0, 1, 0, 0, 0, 1} // RR, no report blocks (RFC 3550 §6.4.2)
	dst := netip.AddrPortFrom(to.Addr(), to.Port()+1)
	if _, err := p.rtcp.WriteToUDPAddrPort(rr, dst); err != nil {
		p.t.Fatal(err)
	}
}

// recv returns the next RTP packet; it fails the test after waitFor.
func (p *rtpPeer) recv() rtpIn {
	p.t.Helper()
	select {
	case r := <-p.in:
		return r
	case <-time.After(waitFor):
		p.t.Fatalf("%s: no RTP packet", p.host)
		return rtpIn{}
	}
}

func (p *rtpPeer) rtcpCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rtcpGot
}

// mediaOf is where xnum's description says to send RTP.
func mediaOf(t testing.TB, body []byte) (netip.AddrPort, *media.Audio) {
	t.Helper()
	a, err := media.ParseSDP(body)
	if err != nil {
		t.Fatalf("xnum's SDP: %v\n%s", err, body)
	}
	return a.RTP(), a
}

// noneOf fails when body carries any of the tokens (another party's
// address or SDP identity).
func noneOf(t testing.TB, what string, body []byte, tokens ...string) {
	t.Helper()
	for _, tok := range tokens {
		if strings.Contains(string(body), tok) {
			t.Errorf("%s carries %q:\n%s", what, tok, body)
		}
	}
}

// frameOf is a 160-byte payload whose bytes name the packet.
func frameOf(tag byte, i int) []byte {
	b := make([]byte, media.FrameSamples)
	for k := range b {
		b[k] = tag ^ byte(i) ^ byte(k*3)
	}
	return b
}

// stream checks that packets form one continuous RTP stream (RFC 3550
// §5.1): one SSRC, sequence numbers +1, timestamps advancing by at least
// the previous packet's duration.
type stream struct {
	t       testing.TB
	n       int
	ssrc    uint32
	seq     uint16
	ts      uint32
	lastLen int
}

func (s *stream) add(p *rtp.Packet) {
	s.t.Helper()
	if s.n > 0 {
		if p.SSRC != s.ssrc {
			s.t.Fatalf("packet %d: SSRC %#x, stream has %#x", s.n, p.SSRC, s.ssrc)
		}
		if p.SequenceNumber != s.seq+1 {
			s.t.Fatalf("packet %d: seq %d after %d", s.n, p.SequenceNumber, s.seq)
		}
		if d := p.Timestamp - s.ts; d < uint32(s.lastLen) || d > 10*media.ClockRate {
			s.t.Fatalf("packet %d: timestamp advanced %d after a %d-sample packet", s.n, d, s.lastLen)
		}
	}
	s.n++
	s.ssrc, s.seq, s.ts, s.lastLen = p.SSRC, p.SequenceNumber, p.Timestamp, len(p.Payload)
}

// sendKey sends one RFC 4733 key press: a first packet of duration 0 (the
// case some stacks drop), one more, and the end packet three times, all on
// the event's timestamp (RFC 4733 §2.5.1).
func (p *rtpPeer) sendKey(to netip.AddrPort, pt uint8, key byte) {
	p.t.Helper()
	ev, ok := media.DigitEvent(key)
	if !ok {
		p.t.Fatalf("no event for %q", key)
	}
	send := func(marker bool, e media.TelephoneEvent) {
		pkt := rtp.Packet{Header: rtp.Header{Version: 2, Marker: marker, PayloadType: pt, SequenceNumber: p.seq, Timestamp: p.ts, SSRC: p.ssrc},
			Payload: e.AppendTo(nil)}
		b, _ := pkt.Marshal()
		if _, err := p.rtp.WriteToUDPAddrPort(b, to); err != nil {
			p.t.Fatal(err)
		}
		p.seq++
	}
	send(true, media.TelephoneEvent{Event: ev, Volume: 10})
	send(false, media.TelephoneEvent{Event: ev, Volume: 10, Duration: 160})
	for range 3 {
		send(false, media.TelephoneEvent{Event: ev, End: true, Volume: 10, Duration: 320})
	}
	p.ts += 800
}
