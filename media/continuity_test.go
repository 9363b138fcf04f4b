package media

import (
	"bytes"
	"testing"
	"time"
)

// rtpSeen lets a test wait until a leg's reader has handled a packet.
func rtpSeen(e *Engine) chan *Leg {
	c := make(chan *Leg, 64)
	e.testHookRTP = func(l *Leg) { c <- l }
	return c
}

func waitHandled(t *testing.T, seen chan *Leg, l *Leg) {
	t.Helper()
	for {
		select {
		case got := <-seen:
			if got == l {
				return
			}
		case <-time.After(recvWait):
			t.Fatal("packet not handled")
		}
	}
}

func shortPrompt(frames int) *Prompt {
	p, err := ParseWAV(wavFile(wavePCM, 1, 8000, 16, pcmBytes(sine(frames*FrameSamples, 1000, 8000)), false))
	if err != nil {
		panic(err)
	}
	return p
}

// The SPEC §4.3 sequence on A's leg — a prompt, ringback while B is
// reached, B's early media, then B's answer from another SSRC — reaches A
// as one stream: one SSRC, sequence +1 every packet, timestamps never
// going back or overlapping, the marker at each change of source. B's
// audio held back while the prompt plays, then replacing the ringback.
func TestPromptRingbackBridgeContinuity(t *testing.T) {
	tk := newTickers()
	e := newTestEngine(t, func(c *Config) { c.NewTicker = tk.New })
	seen := rtpSeen(e)
	a, b, A, B, _ := bridgedPair(t, e, payA, payU)

	p := shortPrompt(5)
	pb := a.Play(PromptSource(p), Ringback())
	sc := &streamCheck{t: t}
	recv := func() []byte {
		t.Helper()
		pkt, _ := A.recv()
		sc.add(pkt)
		return pkt.Payload
	}

	// Prompt frame 1 leaves at once; B's early packet meanwhile is held
	// back: the caller hears the prompt out.
	if got := recv(); !bytes.Equal(got, p.Payload(PCMA)[:FrameSamples]) {
		t.Fatal("first frame is not the prompt")
	}
	B.sendAudio(legAddr(b), PayloadPCMU, frame(0x40))
	waitHandled(t, seen, b)
	if a.Stats().Dropped != 1 {
		t.Fatalf("B's packet during the prompt: %+v", a.Stats())
	}
	ticker := <-tk.made
	for i := 1; i < 5; i++ {
		ticker.tick(pb)
		if got := recv(); !bytes.Equal(got, p.Payload(PCMA)[i*FrameSamples:(i+1)*FrameSamples]) {
			t.Fatalf("frame %d is not the prompt", i)
		}
	}
	// Then ringback, seamless: same source, no marker.
	ring := Ringback()
	want := make([]byte, FrameSamples)
	for range 10 {
		ticker.tick(pb)
		ring.Frame(PCMA, want)
		pkt, _ := A.recv()
		sc.add(pkt)
		if pkt.Marker || !bytes.Equal(pkt.Payload, want) {
			t.Fatal("ringback frame differs or has the marker")
		}
	}
	// B's early media replaces the ringback.
	for i := range 20 {
		B.sendAudio(legAddr(b), PayloadPCMU, frame(0x50+byte(i)))
		pkt, _ := A.recv()
		sc.add(pkt)
		wantA := make([]byte, FrameSamples)
		TranscodeULawToALaw(wantA, frame(0x50+byte(i)))
		if !bytes.Equal(pkt.Payload, wantA) || pkt.PayloadType != PayloadPCMA {
			t.Fatalf("early media packet %d differs", i)
		}
		if pkt.Marker != (i == 0) {
			t.Fatalf("early media packet %d: marker %v", i, pkt.Marker)
		}
	}
	<-pb.Done()
	if pb.Finished() {
		t.Fatal("ringback reported finished; it was replaced")
	}
	// B answers from another media source: new SSRC, new sequence.
	B.ssrc, B.seq, B.ts = 0xabcdef01, 7, 99
	for i := range 20 {
		B.sendAudio(legAddr(b), PayloadPCMU, frame(0x70+byte(i)))
		pkt, _ := A.recv()
		sc.add(pkt)
		if pkt.Marker != (i == 0) {
			t.Fatalf("answer packet %d: marker %v", i, pkt.Marker)
		}
	}
	if sc.n != 5+10+20+20 {
		t.Fatalf("%d packets", sc.n)
	}
}

// A prompt played to a bridged party mid-call (the last-minute warning)
// comes in the same stream, and the party's audio resumes after it.
func TestPromptMidCallKeepsStream(t *testing.T) {
	tk := newTickers()
	e := newTestEngine(t, func(c *Config) { c.NewTicker = tk.New })
	_, b, A, B, _ := bridgedPair(t, e, payU, payU)
	sc := &streamCheck{t: t}
	for i := range 5 {
		A.sendAudio(legAddr(b.peer.Load()), PayloadPCMU, frame(byte(i)))
		pkt, _ := B.recv()
		sc.add(pkt)
	}
	pb := b.Play(PromptSource(shortPrompt(3)))
	pkt, _ := B.recv()
	sc.add(pkt)
	if !pkt.Marker {
		t.Fatal("no marker at the prompt's start")
	}
	ticker := <-tk.made
	for range 2 {
		ticker.tick(pb)
		pkt, _ := B.recv()
		sc.add(pkt)
	}
	ticker.tick(pb) // nothing left: the playback ends
	<-pb.Done()
	if !pb.Finished() {
		t.Fatal("prompt not finished")
	}
	A.sendAudio(legAddr(b.peer.Load()), PayloadPCMU, frame(9))
	pkt, _ = B.recv()
	sc.add(pkt)
	if !pkt.Marker || !bytes.Equal(pkt.Payload, frame(9)) {
		t.Fatal("A's audio did not resume after the prompt")
	}
}

// Stop (barge-in) ends the playback; nothing more is sent.
func TestPlaybackStop(t *testing.T) {
	tk := newTickers()
	e := newTestEngine(t, func(c *Config) { c.NewTicker = tk.New })
	l := newTestLeg(t, e)
	A := newParty(t, partyAIP)
	l.SetRemote(A.addr())
	pb := l.Play(PromptSource(shortPrompt(50)))
	A.recv()
	<-tk.made
	pb.Stop()
	<-pb.Done()
	if pb.Finished() || l.Stats().Played != 1 {
		t.Fatalf("finished %v, stats %+v", pb.Finished(), l.Stats())
	}
	// A new playback replaces nothing and continues the stream.
	pb2 := l.Play(PromptSource(shortPrompt(1)))
	pkt, _ := A.recv()
	if !pkt.Marker {
		t.Fatal("no marker on the new playback")
	}
	(<-tk.made).tick(pb2)
	<-pb2.Done()
	if !pb2.Finished() {
		t.Fatal("second playback not finished")
	}
}

// The ringback tone: 450 Hz for 1 s, silence for 4 s, looping.
func TestRingbackCadence(t *testing.T) {
	r := Ringback()
	f := make([]byte, FrameSamples)
	samples := make([]int16, FrameSamples)
	for cycle := range 2 {
		crossings := 0
		var prev int16
		for i := range 250 {
			if !r.Frame(PCMU, f) {
				t.Fatal("ringback ended")
			}
			DecodeSamples(PCMU, samples, f)
			peak := int32(0)
			for _, s := range samples {
				peak = max(peak, abs32(int32(s)))
				if (s >= 0) != (prev >= 0) {
					crossings++
				}
				prev = s
			}
			if on := i < 50; on != (peak > 5000) {
				t.Fatalf("cycle %d frame %d: peak %d", cycle, i, peak)
			}
		}
		// 450 Hz: 900 sign changes a second, give or take the edges.
		if crossings < 895 || crossings > 905 {
			t.Fatalf("cycle %d: %d zero crossings in the 1 s burst", cycle, crossings)
		}
	}
	if !Ringback().Interruptible() || PromptSource(shortPrompt(1)).Interruptible() {
		t.Fatal("interruptibility")
	}
}
