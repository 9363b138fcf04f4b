package sip

// Relay mode end to end inside the package: sipgo UAs for signalling and
// real UDP RTP peers on both legs (SPEC §4.3, issue 3 "How it is shown").

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/xnum/xnum/cdr"
	"github.com/xnum/xnum/media"
)

// relayCall is an answered relayed call with both parties' media ends and
// xnum's addresses for each.
type relayCall struct {
	c        *tcall
	bd       *tdlg
	pa, pb   *rtpPeer
	toA, toB netip.AddrPort // xnum's leg for A, for B (where each party sends)
	aSDP     []byte         // xnum's 200 to A
	bSDP     []byte         // xnum's offer to B
}

// answerRelayed sets up A→X→B with the given descriptions.
func (e *mediaEnv) answerRelayed(aFormats, bFormats []string) *relayCall {
	e.t.Helper()
	t := e.t
	rc := &relayCall{pa: newRTPPeer(t, aMediaHost), pb: newRTPPeer(t, bMediaHost)}
	rc.c = e.invite(e.A, inviteOpt{user: tX, from: tA, sdp: rc.pa.sdp("alice", "sendrecv", aFormats...)})
	in := e.B.expect(sip.INVITE)
	rc.bSDP = in.req.Body()
	rc.toB, _ = mediaOf(t, rc.bSDP)
	rc.bd = e.B.dialogOf(in, "btag-"+sip.GenerateTagN(8))
	e.B.respond(in, 200, rc.bd.localTag, rc.pb.sdp("bob", "sendrecv", bFormats...))
	e.B.expect(sip.ACK)
	r := finalOf(t, rc.c.tx)
	if r.StatusCode != 200 {
		t.Fatalf("A got %d", r.StatusCode)
	}
	rc.aSDP = r.Body()
	rc.toA, _ = mediaOf(t, rc.aSDP)
	rc.c.answered(r, "")
	return rc
}

// hangupByA ends the call from A and waits for B's BYE.
func (e *mediaEnv) hangupByA(rc *relayCall) {
	e.t.Helper()
	if r := rc.c.do(sip.BYE, ""); r.StatusCode != 200 {
		e.t.Fatalf("BYE: %d", r.StatusCode)
	}
	bye := e.B.expect(sip.BYE)
	e.B.respond(bye, 200, "", "")
}

// TestRelayAnswered: both parties see only xnum in SDP (c= media.advertise,
// xnum's o=), every frame each party sends arrives at the other, in order,
// as one continuous stream from xnum's leg, and the legs are freed at the
// end (SPEC §4.3).
func TestRelayAnswered(t *testing.T) {
	t.Parallel()
	e := newMediaEnv(t, mediaEnvConfig{})
	rc := e.answerRelayed([]string{fPCMU, fPCMA, fTE}, []string{fPCMU, fTE})

	// SDP: each side gets xnum's address and identity, nothing of the other.
	for _, tc := range []struct {
		what string
		body []byte
		not  []string
	}{
		{"B's offer", rc.bSDP, []string{aMediaHost, aHost, "alice"}},
		{"A's answer", rc.aSDP, []string{bMediaHost, bHost, "bob"}},
	} {
		noneOf(t, tc.what, tc.body, tc.not...)
		addr, a := mediaOf(t, tc.body)
		if addr.Addr().String() != xHost {
			t.Errorf("%s: c= %v, want xnum's %s", tc.what, addr.Addr(), xHost)
		}
		if u, _, _ := originOf(t, tc.body); u != "xnum" {
			t.Errorf("%s: o= user %q", tc.what, u)
		}
		if f := a.Formats[0]; f.Name != "PCMU" {
			t.Errorf("%s: first format %s, want A's PCMU", tc.what, f.Name)
		}
	}

	// 50 frames each way at the normal rate (one every 20 ms).
	const n = 50
	tick := time.NewTicker(media.FramePeriod)
	defer tick.Stop()
	for i := range n {
		<-tick.C
		rc.pa.send(rc.toA, 0, frameOf(0xA0, i))
		rc.pb.send(rc.toB, 0, frameOf(0xB0, i))
	}
	for _, dir := range []struct {
		name string
		rx   *rtpPeer
		from netip.AddrPort
		tag  byte
	}{{"A→B", rc.pb, rc.toB, 0xA0}, {"B→A", rc.pa, rc.toA, 0xB0}} {
		s := &stream{t: t}
		for i := range n {
			in := dir.rx.recv()
			if in.src != dir.from {
				t.Fatalf("%s: packet %d from %v, want xnum's leg %v", dir.name, i, in.src, dir.from)
			}
			if in.pkt.PayloadType != 0 || !bytes.Equal(in.pkt.Payload, frameOf(dir.tag, i)) {
				t.Fatalf("%s: packet %d PT %d, payload differs (lost or reordered)", dir.name, i, in.pkt.PayloadType)
			}
			s.add(in.pkt)
		}
	}
	e.hangupByA(rc)
	if rec := e.cdr(); rec.ULFailReason != 0 || rec.CallRelDirection != cdr.RelCaller {
		t.Errorf("CDR %d/%d", rec.ULFailReason, rec.CallRelDirection)
	}
	e.idle()
	if n := e.eng.Legs(); n != 0 {
		t.Errorf("%d legs left open", n)
	}
}

// TestRelayCodecConversion: A offers PCMA only, B answers PCMU only (in
// its 183 and its 200). A hears B's early media and B's voice as correct
// A-law, B hears A as μ-law, telephone-events cross with each leg's payload
// type, and the 200 to A repeats the 183's SDP byte for byte (RFC 3261
// §13.2.1).
func TestRelayCodecConversion(t *testing.T) {
	t.Parallel()
	e := newMediaEnv(t, mediaEnvConfig{})
	pa, pb := newRTPPeer(t, aMediaHost), newRTPPeer(t, bMediaHost)
	c := e.invite(e.A, inviteOpt{user: tX, from: tA, sdp: pa.sdp("alice", "sendrecv", fPCMA, fTE)})
	in := e.B.expect(sip.INVITE)
	toB, offerB := mediaOf(t, in.req.Body())
	if offerB.Formats[0].Name != "PCMA" {
		t.Errorf("B's offer starts with %s, want A's PCMA", offerB.Formats[0].Name)
	}
	bd := e.B.dialogOf(in, "btag-conv")
	bAnswer := pb.sdp("bob", "sendrecv", fPCMU, "100 telephone-event/8000")
	e.B.respond(in, 183, bd.localTag, bAnswer)
	r183 := waitStatus(t, c.tx, 183)
	toA, answerA := mediaOf(t, r183.Body())
	if len(answerA.Formats) == 0 || answerA.Formats[0].Name != "PCMA" {
		t.Fatalf("A's answer: %s", r183.Body())
	}
	noneOf(t, "A's 183", r183.Body(), bMediaHost, "bob")

	// B's early media (a 1 kHz tone in μ-law) reaches A as A-law.
	tone := toneSamples(media.FrameSamples, 1000, 12000)
	ulaw := make([]byte, media.FrameSamples)
	media.EncodeSamples(media.PCMU, ulaw, tone)
	pb.send(toB, 0, ulaw)
	got := pa.recv()
	if got.src != toA || got.pkt.PayloadType != 8 {
		t.Fatalf("early media from %v PT %d", got.src, got.pkt.PayloadType)
	}
	checkTone(t, "B→A", media.PCMA, got.pkt.Payload, tone)

	e.B.respond(in, 200, bd.localTag, bAnswer)
	e.B.expect(sip.ACK)
	r := finalOf(t, c.tx)
	if r.StatusCode != 200 || !bytes.Equal(r.Body(), r183.Body()) {
		t.Fatalf("200 to A (%d) does not repeat the 183's SDP:\n%s\n---\n%s", r.StatusCode, r.Body(), r183.Body())
	}
	c.answered(r, "")

	// A's tone in A-law reaches B as μ-law.
	alaw := make([]byte, media.FrameSamples)
	media.EncodeSamples(media.PCMA, alaw, tone)
	pa.send(toA, 8, alaw)
	got = pb.recv()
	if got.src != toB || got.pkt.PayloadType != 0 {
		t.Fatalf("A's audio at B from %v PT %d", got.src, got.pkt.PayloadType)
	}
	checkTone(t, "A→B", media.PCMU, got.pkt.Payload, tone)

	// A's key 5 (PT 101 on A's leg) reaches B as PT 100.
	pa.send(toA, 101, media.TelephoneEvent{Event: 5, Volume: 10, Duration: 0}.AppendTo(nil))
	if got = pb.recv(); got.pkt.PayloadType != 100 || got.pkt.Payload[0] != 5 {
		t.Fatalf("event at B: PT %d payload %v", got.pkt.PayloadType, got.pkt.Payload)
	}
	e.hangupByA(&relayCall{c: c})
	e.cdr()
}

func toneSamples(n int, hz, amp float64) []int16 {
	out := make([]int16, n)
	for i := range out {
		// A cheap sine: parabolic approximation is enough for a match test.
		x := float64(i) * hz / media.ClockRate
		x -= float64(int(x))
		v := 4 * x * (1 - x)
		if x > 0.5 {
			v = -4 * (x - 0.5) * (1 - (x - 0.5))
		}
		out[i] = int16(v * amp)
	}
	return out
}

// checkTone decodes a payload and compares it with the samples sent, within
// the quantisation of two G.711 codings.
func checkTone(t testing.TB, what string, c media.Codec, payload []byte, want []int16) {
	t.Helper()
	heard := make([]int16, len(payload))
	media.DecodeSamples(c, heard, payload)
	if len(heard) != len(want) {
		t.Fatalf("%s: %d samples, want %d", what, len(heard), len(want))
	}
	for i := range want {
		if d := int(heard[i]) - int(want[i]); d > 1024 || d < -1024 {
			t.Fatalf("%s: sample %d heard %d, sent %d", what, i, heard[i], want[i])
		}
	}
}

// TestRelayFiltersAndRTCP: a third address injecting RTP and RTCP into both
// legs is dropped; RTCP from a party is terminated and never reaches the
// other; after all that, the first packet each party receives is the other
// party's frame (SPEC §4.3).
func TestRelayFiltersAndRTCP(t *testing.T) {
	t.Parallel()
	e := newMediaEnv(t, mediaEnvConfig{})
	rc := e.answerRelayed([]string{fPCMU}, []string{fPCMU})
	st := newRTPPeer(t, strangerMediaHost)
	for _, to := range []netip.AddrPort{rc.toA, rc.toB} {
		st.send(to, 0, frameOf(0x55, 0))
		st.sendRTCP(to)
	}
	rc.pa.sendRTCP(rc.toA)
	rc.pb.sendRTCP(rc.toB)
	waitUntil(t, "the injected packets and RTCP to be handled", func() bool {
		s := e.eng.Stats()
		return s.Foreign >= 4 && s.RTCPIn >= 2
	})
	rc.pa.send(rc.toA, 0, frameOf(0xA1, 1))
	rc.pb.send(rc.toB, 0, frameOf(0xB1, 1))
	if got := rc.pb.recv(); !bytes.Equal(got.pkt.Payload, frameOf(0xA1, 1)) {
		t.Errorf("B's first packet is not A's frame (a stranger's got through?)")
	}
	if got := rc.pa.recv(); !bytes.Equal(got.pkt.Payload, frameOf(0xB1, 1)) {
		t.Errorf("A's first packet is not B's frame")
	}
	if n := rc.pa.rtcpCount() + rc.pb.rtcpCount(); n != 0 {
		t.Errorf("%d RTCP packets crossed to a party", n)
	}
	if s := e.eng.Stats(); s.Forwarded != 2 {
		t.Errorf("forwarded %d packets, want the 2 frames", s.Forwarded)
	}
	e.hangupByA(rc)
	e.cdr()
}
