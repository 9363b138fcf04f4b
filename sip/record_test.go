package sip

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/emiago/sipgo/sip"

	"github.com/xnum/xnum/media"
	"github.com/xnum/xnum/routing"
	"github.com/xnum/xnum/store"
)

// TestRecording: a binding with recordFlag on an app that allows
// recording: both parties hear recordHintTone, then the call is recorded
// into <record.dir>/<sessionId>.wav — stereo, A's voice in the left
// channel, B's in the right — and the CDR names it (SPEC §4.3, §6.2). The
// same binding on an app without the recording option records nothing.
func TestRecording(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := newMediaEnv(t, mediaEnvConfig{deps: func(d *Deps) { d.RecordDir, d.RecordDomain = dir, "rec.example:8080" }})
	if err := e.st.CreateApp(routing.App{Key: "rec", Secret: "s", SPID: "sp", Mode: routing.ModeAXB, Recording: true}); err != nil {
		t.Fatal(err)
	}
	if err := e.st.AddNumbers("rec", []routing.Number{"+8617000000100"}, "0755"); err != nil {
		t.Fatal(err)
	}
	const x, a, b = "+8617000000100", "+8613800000031", "+8613800000032"
	if _, err := e.st.BindAXB(store.BindRequest{AppKey: "rec", X: x, A: a, B: b, RecordFlag: true, RecordHintTone: "hint"}); err != nil {
		t.Fatal(err)
	}
	e.lib.App("rec").Put("hint", testPrompt(t, 5, 0x41))
	hint, _ := e.lib.Prompt("rec", "hint")

	pa, pb := newRTPPeer(t, aMediaHost), newRTPPeer(t, bMediaHost)
	c := e.invite(e.A, inviteOpt{user: x, from: a, sdp: pa.sdp("alice", "sendrecv", fPCMU)})
	in := e.B.expect(sip.INVITE)
	toB, _ := mediaOf(t, in.req.Body())
	bd := e.B.dialogOf(in, "btag-rec")
	e.B.respond(in, 200, bd.localTag, pb.sdp("bob", "sendrecv", fPCMA))
	e.B.expect(sip.ACK)
	r := finalOf(t, c.tx)
	toA, _ := mediaOf(t, r.Body())
	c.answered(r, "")
	for who, p := range map[string]*rtpPeer{"A": pa, "B": pb} {
		var heard []byte
		for len(heard) < len(hint.Payload(media.PCMU)) {
			heard = append(heard, p.recv().pkt.Payload...)
		}
		codec := media.PCMU
		if who == "B" {
			codec = media.PCMA
		}
		if string(heard) != string(hint.Payload(codec)) {
			t.Errorf("%s did not hear recordHintTone", who)
		}
	}
	waitUntil(t, "the recording to start", func() bool {
		m, _ := filepath.Glob(filepath.Join(dir, "rec", "*.wav"))
		return len(m) == 1
	})
	toneA, toneB := toneSamples(media.FrameSamples, 1000, 9000), toneSamples(media.FrameSamples, 400, 6000)
	ua, al := make([]byte, media.FrameSamples), make([]byte, media.FrameSamples)
	media.EncodeSamples(media.PCMU, ua, toneA)
	media.EncodeSamples(media.PCMA, al, toneB)
	const frames = 25
	base := e.eng.Stats().RTPIn
	for range frames {
		pa.send(toA, 0, ua)
		pb.send(toB, 8, al)
	}
	// Recorded as they arrive, before forwarding (which holds a party's
	// voice back while the other still hears the tail of its hint).
	waitUntil(t, "both parties' frames to be received", func() bool { return e.eng.Stats().RTPIn >= base+2*frames })
	e.hangupByA(&relayCall{c: c})
	rec := e.cdr()
	if rec.RecordFlag != 1 || rec.RecordObjectName != rec.SessionID+".wav" || rec.RecordStartTime == "" || rec.RecordDomain != "rec.example:8080" {
		t.Fatalf("CDR recordFlag %d object %q (session %q) start %q domain %q",
			rec.RecordFlag, rec.RecordObjectName, rec.SessionID, rec.RecordStartTime, rec.RecordDomain)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "rec", rec.RecordObjectName)) // the app's folder
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) < 44 || string(raw[:4]) != "RIFF" || binary.LittleEndian.Uint16(raw[22:]) != 2 || binary.LittleEndian.Uint32(raw[24:]) != 8000 {
		t.Fatalf("not a stereo 8 kHz WAV: %q", raw[:min(len(raw), 44)])
	}
	n := (len(raw) - 44) / 4
	if n < frames*media.FrameSamples {
		t.Fatalf("%d sample pairs, want at least %d", n, frames*media.FrameSamples)
	}
	for ch, want := range [][]int16{toneA, toneB} {
		s := make([]int16, n)
		for i := range n {
			s[i] = int16(binary.LittleEndian.Uint16(raw[44+4*i+2*ch:]))
		}
		// The party's first frame starts where its tone does: the first
		// loud sample, less the tone's own quiet start.
		loud := func(v int16) bool { return v > 200 || v < -200 }
		first, k0 := 0, 0
		for first < n && !loud(s[first]) {
			first++
		}
		for k0 < len(want) && !loud(want[k0]) {
			k0++
		}
		start := max(first-k0, 0)
		if n-start+4 < frames*media.FrameSamples {
			t.Fatalf("channel %d: the party's audio starts at %d of %d", ch, start, n)
		}
		matched := 0
		for off := max(start-4, 0); off <= min(start+4, n-frames*media.FrameSamples) && matched == 0; off++ {
			ok := true
			for i := range frames * media.FrameSamples {
				if d := int(s[off+i]) - int(want[i%media.FrameSamples]); d > 700 || d < -700 {
					ok = false
					break
				}
			}
			if ok {
				matched = off + 1
			}
		}
		if matched == 0 {
			t.Errorf("channel %d does not hold that party's %d frames", ch, frames)
		}
	}

	// The same settings on the demo app, which does not allow recording.
	x2, a2, _ := bindWith(t, e.st, func(r *store.BindRequest) { r.RecordFlag = true })
	c = e.invite(e.A, inviteOpt{user: x2, from: a2, sdp: pa.sdp("alice", "sendrecv", fPCMU)})
	in = e.B.expect(sip.INVITE)
	e.B.respond(in, 200, "btag-norec", pb.sdp("bob", "sendrecv", fPCMU))
	e.B.expect(sip.ACK)
	r = finalOf(t, c.tx)
	c.answered(r, "")
	e.hangupByA(&relayCall{c: c})
	if rec := e.cdr(); rec.RecordFlag != 0 || rec.RecordObjectName != "" {
		t.Errorf("recorded without the app's permission: %+v", rec)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*", "*.wav")); len(m) != 1 {
		t.Errorf("%d recordings, want 1", len(m))
	}
}
