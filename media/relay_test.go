package media

import (
	"bytes"
	"encoding/binary"
	"os"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/xnum/xnum/routing"
)

// bridgedPair makes two legs with their parties and remotes set, bridged.
func bridgedPair(t testing.TB, e *Engine, pa, pb Payload) (a, b *Leg, A, B *party, br *Bridge) {
	t.Helper()
	a, b = newTestLeg(t, e), newTestLeg(t, e)
	A, B = newParty(t, partyAIP), newParty(t, partyBIP)
	a.SetRemote(A.addr())
	b.SetRemote(B.addr())
	a.SetPayload(pa)
	b.SetPayload(pb)
	br, err := NewBridge(a, b)
	if err != nil {
		t.Fatal(err)
	}
	return a, b, A, B, br
}

var (
	payU = Payload{Codec: PCMU, Audio: PayloadPCMU, Event: 101}
	payA = Payload{Codec: PCMA, Audio: PayloadPCMA, Event: 96}
)

// Both directions at the normal rate (one packet each way every 20 ms)
// arrive complete, in order, as one continuous stream each. The parties
// read after sending: 100 packets sit easily in a socket buffer.
func TestBridgeNoLossAtNormalRate(t *testing.T) {
	e := newTestEngine(t)
	a, b, A, B, _ := bridgedPair(t, e, payU, payU)
	const n = 100
	tick := time.NewTicker(FramePeriod)
	defer tick.Stop()
	for i := range n {
		<-tick.C
		A.sendAudio(legAddr(a), PayloadPCMU, frame(1+byte(i)))
		B.sendAudio(legAddr(b), PayloadPCMU, frame(101+byte(i)))
	}
	for _, c := range []struct {
		p    *party
		from *Leg
		tag  byte
	}{{B, b, 1}, {A, a, 101}} {
		sc := &streamCheck{t: t}
		for i := range n {
			pkt, src := c.p.recv()
			if src != legAddr(c.from) {
				t.Fatalf("packet from %v, want the leg %v", src, legAddr(c.from))
			}
			if !bytes.Equal(pkt.Payload, frame(c.tag+byte(i))) {
				t.Fatalf("packet %d: payload changed or out of order", i)
			}
			sc.add(pkt)
		}
	}
	// The count follows each packet's write: the last packet can arrive
	// before its count does.
	s := a.Stats()
	for deadline := time.Now().Add(2 * time.Second); s.Forwarded < n && time.Now().Before(deadline); s = a.Stats() {
		time.Sleep(time.Millisecond)
	}
	if s.RTPIn != n || s.Forwarded != n || s.Foreign != 0 {
		t.Errorf("leg a: %+v", s)
	}
}

// A offers PCMA, B answers PCMU: each side gets its own law and payload
// type, and the audio is the same after conversion.
func TestBridgeTranscodesAndRemaps(t *testing.T) {
	e := newTestEngine(t)
	a, b, A, B, _ := bridgedPair(t, e, payA, payU)
	ulaw := frame(0x20)
	B.sendAudio(legAddr(b), PayloadPCMU, ulaw)
	pkt, _ := A.recv()
	want := make([]byte, len(ulaw))
	TranscodeULawToALaw(want, ulaw)
	if pkt.PayloadType != PayloadPCMA || !bytes.Equal(pkt.Payload, want) {
		t.Fatalf("A got PT %d payload %x…", pkt.PayloadType, pkt.Payload[:8])
	}
	alaw := frame(0x90)
	A.sendAudio(legAddr(a), PayloadPCMA, alaw)
	pkt, _ = B.recv()
	want = make([]byte, len(alaw))
	TranscodeALawToULaw(want, alaw)
	if pkt.PayloadType != PayloadPCMU || !bytes.Equal(pkt.Payload, want) {
		t.Fatalf("B got PT %d", pkt.PayloadType)
	}
	// A telephone-event from B (PT 101) reaches A as PT 96, unchanged.
	ev := TelephoneEvent{Event: 5, Duration: 0}.AppendTo(nil)
	B.sendAudio(legAddr(b), 101, ev)
	pkt, _ = A.recv()
	if pkt.PayloadType != 96 || !bytes.Equal(pkt.Payload, ev) {
		t.Fatalf("event reached A as PT %d %x", pkt.PayloadType, pkt.Payload)
	}
	// Comfort noise (PT 13) is not negotiated: dropped. The next audio
	// packet is what A receives next.
	B.sendAudio(legAddr(b), 13, []byte{40})
	B.sendAudio(legAddr(b), PayloadPCMU, ulaw)
	if pkt, _ = A.recv(); pkt.PayloadType != PayloadPCMA {
		t.Fatalf("A got PT %d after comfort noise", pkt.PayloadType)
	}
}

// A stranger on another address, and the right host from another port,
// inject packets into A's leg (strict latching): none reaches B, B gets
// the next real packet, and the leg counts them as foreign.
func TestStrangerDropped(t *testing.T) {
	e := newTestEngine(t)
	a, _, A, B, _ := bridgedPair(t, e, payU, payU)
	stranger := newParty(t, strangerIP)
	sameHost := newParty(t, partyAIP) // A's IP, another port
	for i := range 5 {
		stranger.sendAudio(legAddr(a), PayloadPCMU, frame(0xE0+byte(i)))
		sameHost.sendAudio(legAddr(a), PayloadPCMU, frame(0xF0+byte(i)))
	}
	A.sendAudio(legAddr(a), PayloadPCMU, frame(1))
	pkt, _ := B.recv()
	if !bytes.Equal(pkt.Payload, frame(1)) {
		t.Fatalf("B received an injected packet %x…", pkt.Payload[:4])
	}
	if s := a.Stats(); s.Foreign != 10 || s.RTPIn != 1 {
		t.Fatalf("stats %+v", s)
	}
}

// Symmetric latching: the first source is learned (a softphone behind NAT
// sends from another port than its SDP says), RTP goes back to it, anyone
// else is dropped, and Relatch lets a new source in.
func TestSymmetricLatching(t *testing.T) {
	e := newTestEngine(t, func(c *Config) { c.Latching = LatchSymmetric })
	a, _, _, B, _ := bridgedPair(t, e, payU, payU)
	natted := newParty(t, partyAIP) // not the address a's SDP named
	natted.sendAudio(legAddr(a), PayloadPCMU, frame(1))
	if pkt, _ := B.recv(); !bytes.Equal(pkt.Payload, frame(1)) {
		t.Fatal("first source not accepted")
	}
	if a.Remote() != natted.addr() {
		t.Fatalf("latched %v, want %v", a.Remote(), natted.addr())
	}
	// B's audio now goes to the learned address.
	B.sendAudio(legAddr(a.peer.Load()), PayloadPCMU, frame(2))
	if pkt, _ := natted.recv(); !bytes.Equal(pkt.Payload, frame(2)) {
		t.Fatal("not sent back to the learned source")
	}
	stranger := newParty(t, strangerIP)
	stranger.sendAudio(legAddr(a), PayloadPCMU, frame(0xEE))
	natted.sendAudio(legAddr(a), PayloadPCMU, frame(3))
	if pkt, _ := B.recv(); !bytes.Equal(pkt.Payload, frame(3)) {
		t.Fatal("stranger accepted after latching")
	}
	a.Relatch()
	stranger.sendAudio(legAddr(a), PayloadPCMU, frame(4))
	if pkt, _ := B.recv(); !bytes.Equal(pkt.Payload, frame(4)) {
		t.Fatal("no new source after Relatch")
	}
}

// RTCP from a party — on the RTCP port, and multiplexed on the RTP port —
// is counted and never reaches the other party.
func TestRTCPNeverForwarded(t *testing.T) {
	rtcpSeen := make(chan struct{}, 1)
	e := newTestEngine(t)
	e.testHookRTCP = func() { rtcpSeen <- struct{}{} }
	a, _, A, B, _ := bridgedPair(t, e, payU, payU)
	rr := []byte{0x81, 201, 0, 7, 0x5e, 0xed, 0, 11, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	if _, err := A.rtcp.WriteToUDPAddrPort(rr, legRTCP(a)); err != nil {
		t.Fatal(err)
	}
	A.sendRaw(legAddr(a), rr) // rtcp-mux style
	A.sendAudio(legAddr(a), PayloadPCMU, frame(9))
	pkt, _ := B.recv()
	if !bytes.Equal(pkt.Payload, frame(9)) || pkt.PayloadType != PayloadPCMU {
		t.Fatalf("B received %d/%x", pkt.PayloadType, pkt.Payload[:4])
	}
	// The RTCP socket has its own reader: wait for its hook.
	select {
	case <-rtcpSeen:
	case <-time.After(recvWait):
		t.Fatal("rtcp not received")
	}
	if s := a.Stats(); s.RTCPIn != 2 || s.Forwarded != 0 {
		t.Fatalf("stats %+v", s)
	}
}

// The prompt a caller hears decodes back to the prompt file: every frame
// arrives, in order, on one stream, and the samples match the WAV file
// read independently here (16-bit PCM, within one G.711 step).
func TestPromptHeardMatchesFile(t *testing.T) {
	raw, err := os.ReadFile("prompts/" + routing.PromptNoBinding + ".wav")
	if err != nil {
		t.Fatal(err)
	}
	want := wavSamples(t, raw)
	set, err := LoadPromptDir("prompts")
	if err != nil {
		t.Fatal(err)
	}
	p, _ := set.Get(routing.PromptNoBinding)

	for _, codec := range []Codec{PCMU, PCMA} {
		t.Run(codec.String(), func(t *testing.T) {
			tk := newTickers()
			e := newTestEngine(t, func(c *Config) { c.NewTicker = tk.New })
			l := newTestLeg(t, e)
			caller := newParty(t, partyAIP)
			l.SetRemote(caller.addr())
			l.SetPayload(Payload{Codec: codec, Audio: codec.StaticPayload()})
			pb := l.Play(PromptSource(p))
			frames := (len(want) + FrameSamples - 1) / FrameSamples
			var heard []int16
			sc := &streamCheck{t: t}
			var ticker *manualTicker
			for i := range frames {
				if i == 1 {
					ticker = <-tk.made
				}
				if i > 0 && !ticker.tick(pb) {
					t.Fatalf("playback ended after %d of %d frames", i, frames)
				}
				pkt, src := caller.recv()
				if src != legAddr(l) {
					t.Fatalf("prompt from %v", src)
				}
				if pkt.PayloadType != codec.StaticPayload() || (i == 0) != pkt.Marker {
					t.Fatalf("frame %d: PT %d marker %v", i, pkt.PayloadType, pkt.Marker)
				}
				sc.add(pkt)
				dec := make([]int16, len(pkt.Payload))
				DecodeSamples(codec, dec, pkt.Payload)
				heard = append(heard, dec...)
			}
			ticker.tick(pb) // the tick after the last frame ends it
			<-pb.Done()
			if !pb.Finished() {
				t.Fatal("playback not finished")
			}
			for i, s := range want {
				if d := abs32(int32(heard[i]) - int32(s)); d > 1024 || abs32(int32(s)) < 256 && d > 16 {
					t.Fatalf("sample %d: heard %d, file has %d", i, heard[i], s)
				}
			}
			for _, s := range heard[len(want):] {
				if abs32(int32(s)) > 8 {
					t.Fatalf("padding is not silence: %d", s)
				}
			}
		})
	}
}

// wavSamples reads a canonical 16-bit PCM WAV the simple way, apart from
// the package's reader.
func wavSamples(t *testing.T, b []byte) []int16 {
	t.Helper()
	i := bytes.Index(b, []byte("data"))
	if i < 0 || binary.LittleEndian.Uint16(b[20:]) != 1 || binary.LittleEndian.Uint16(b[34:]) != 16 {
		t.Fatal("not 16-bit PCM")
	}
	n := int(binary.LittleEndian.Uint32(b[i+4:])) / 2
	s := make([]int16, n)
	for k := range s {
		s[k] = int16(binary.LittleEndian.Uint16(b[i+8+2*k:]))
	}
	return s
}

// Nothing of one party's stream identity crosses: the other party sees
// the leg's address and SSRC, no CSRC list, no header extension, no
// padding — only the payload.
func TestForwardStripsIdentity(t *testing.T) {
	e := newTestEngine(t)
	a, b, A, B, _ := bridgedPair(t, e, payU, payU)
	in := rtp.Packet{
		Header: rtp.Header{Version: 2, Padding: true, PayloadType: PayloadPCMU, SequenceNumber: 1, Timestamp: 2,
			SSRC: A.ssrc, CSRC: []uint32{0xc5c5c5c5}, Extension: true, ExtensionProfile: 0xBEDE},
		Payload: frame(0x10), PaddingSize: 4,
	}
	if err := in.SetExtension(1, []byte{0xAA}); err != nil {
		t.Fatal(err)
	}
	raw, err := in.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	A.sendRaw(legAddr(a), raw)
	buf := make([]byte, 2048)
	B.rtp.SetReadDeadline(time.Now().Add(recvWait))
	n, src, err := B.rtp.ReadFromUDPAddrPort(buf)
	if err != nil {
		t.Fatal(err)
	}
	if src != legAddr(b) || src.Addr() == partyAIP {
		t.Fatalf("packet from %v", src)
	}
	if n != rtpHeaderLen+FrameSamples || buf[0] != 0x80 {
		t.Fatalf("%d bytes, first byte %#x", n, buf[0])
	}
	var out rtp.Packet
	out.Unmarshal(buf[:n])
	if out.SSRC != b.SSRC() || out.SSRC == A.ssrc || !bytes.Equal(out.Payload, frame(0x10)) {
		t.Fatalf("%+v", out.Header)
	}
}
