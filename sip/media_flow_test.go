package sip

import (
	"bytes"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/xnum/xnum/cdr"
	"github.com/xnum/xnum/media"
	"github.com/xnum/xnum/routing"
	"github.com/xnum/xnum/store"
)

// testClock is a settable clock for the media engine (RTP timeouts).
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

// TestRelayLateOffer: A's INVITE has no SDP. B gets none either; B's offer
// in its 200 reaches A as xnum's offer, A's answer in its ACK reaches B as
// xnum's answer in B's ACK, and media flows (SPEC §4.1 late offer, §4.3).
func TestRelayLateOffer(t *testing.T) {
	t.Parallel()
	e := newMediaEnv(t, mediaEnvConfig{})
	pa, pb := newRTPPeer(t, aMediaHost), newRTPPeer(t, bMediaHost)
	c := e.invite(e.A, inviteOpt{user: tX, from: tA})
	in := e.B.expect(sip.INVITE)
	if len(in.req.Body()) != 0 {
		t.Fatalf("late offer: B's INVITE has a body:\n%s", in.req.Body())
	}
	bd := e.B.dialogOf(in, "btag-late")
	e.B.respond(in, 200, bd.localTag, pb.sdp("bob", "sendrecv", fPCMA, "96 telephone-event/8000"))
	r := finalOf(t, c.tx)
	toA, offerA := mediaOf(t, r.Body())
	noneOf(t, "xnum's offer to A", r.Body(), bMediaHost, "bob")
	if offerA.Formats[0].Name != "PCMA" {
		t.Errorf("offer to A starts with %s, want B's PCMA", offerA.Formats[0].Name)
	}
	c.answered(r, pa.sdp("alice", "sendrecv", fPCMU))
	ack := e.B.expect(sip.ACK)
	toB, answerB := mediaOf(t, ack.req.Body())
	noneOf(t, "xnum's answer to B", ack.req.Body(), aMediaHost, "alice")
	if answerB.Formats[0].Name != "PCMA" || answerB.Formats[0].PT != 8 {
		t.Errorf("answer to B: %+v", answerB.Formats)
	}
	pa.send(toA, 0, frameOf(0xA2, 0))
	if got := pb.recv(); got.src != toB || got.pkt.PayloadType != 8 {
		t.Fatalf("A→B: from %v PT %d", got.src, got.pkt.PayloadType)
	}
	pb.send(toB, 8, frameOf(0xB2, 0))
	if got := pa.recv(); got.src != toA || got.pkt.PayloadType != 0 {
		t.Fatalf("B→A: from %v PT %d", got.src, got.pkt.PayloadType)
	}
	e.hangupByA(&relayCall{c: c})
	e.cdr()
}

// TestRelayLateOfferByeBeforeAck: A's BYE overtakes its ACK of a late
// offer (UDP, or two requests handled in another order). B's 200 carried
// the offer, so B's ACK must still carry an answer (RFC 3261 §13.2.1):
// xnum's own, from the relay; then B gets its BYE.
func TestRelayLateOfferByeBeforeAck(t *testing.T) {
	t.Parallel()
	e := newMediaEnv(t, mediaEnvConfig{})
	pb := newRTPPeer(t, bMediaHost)
	c := e.invite(e.A, inviteOpt{user: tX, from: tA})
	in := e.B.expect(sip.INVITE)
	bd := e.B.dialogOf(in, "btag-late-bye")
	e.B.respond(in, 200, bd.localTag, pb.sdp("bob", "sendrecv", fPCMA))
	r := finalOf(t, c.tx)
	if r.StatusCode != 200 {
		t.Fatalf("A got %d", r.StatusCode)
	}
	c.remoteTag = toTag(r) // A's dialog, but no ACK: BYE first
	if ct := r.Contact(); ct != nil {
		c.target = ct.Address
	}
	bye := c.send(sip.BYE, "")
	got := e.B.expectAll(sip.ACK, sip.BYE)
	ack := got[sip.ACK]
	_, answerB := mediaOf(t, ack.req.Body())
	noneOf(t, "xnum's answer to B", ack.req.Body(), aMediaHost, "alice")
	if len(answerB.Formats) == 0 || answerB.Formats[0].Name != "PCMA" {
		t.Errorf("answer to B: %+v", answerB.Formats)
	}
	e.B.respond(got[sip.BYE], 200, "", "")
	if res := finalOf(t, bye); res.StatusCode != 200 {
		t.Errorf("A's BYE got %d", res.StatusCode)
	}
	e.cdr()
}

// TestRelayHoldAndTimeout: on hold (inactive) neither leg expects RTP, so
// an hour of silence ends nothing; after the resume, B falling silent for
// media.timeout while A still sends ends the call with BYE to both, 7506
// (SPEC §4.2, §4.3). The engine's clock is the test's.
func TestRelayHoldAndTimeout(t *testing.T) {
	t.Parallel()
	clk := &testClock{t: time.Unix(1_800_000_000, 0)}
	const timeout = 10 * time.Second
	e := newMediaEnv(t, mediaEnvConfig{clock: clk.Now, timeout: timeout})
	rc := e.answerRelayed([]string{fPCMU}, []string{fPCMU})

	// A holds: the hold crosses to B as xnum's offer; B answers inactive.
	tx := rc.c.send(sip.INVITE, rc.pa.sdp("alice", "inactive", fPCMU))
	in := e.B.expect(sip.INVITE)
	if !strings.Contains(string(in.req.Body()), "a=inactive") {
		t.Fatalf("hold did not reach B:\n%s", in.req.Body())
	}
	noneOf(t, "B's re-INVITE", in.req.Body(), aMediaHost, "alice")
	e.B.respond(in, 200, rc.bd.localTag, rc.pb.sdp("bob", "inactive", fPCMU))
	e.B.expect(sip.ACK)
	r := finalOf(t, tx)
	if r.StatusCode != 200 || !strings.Contains(string(r.Body()), "a=inactive") {
		t.Fatalf("hold answer %d:\n%s", r.StatusCode, r.Body())
	}
	rc.c.ack(rc.c.seq, "")
	if n := e.eng.CheckTimeouts(clk.Advance(time.Hour)); n != 0 {
		t.Fatalf("%d legs timed out on hold", n)
	}

	// Resume.
	tx = rc.c.send(sip.INVITE, rc.pa.sdp("alice", "sendrecv", fPCMU))
	in = e.B.expect(sip.INVITE)
	e.B.respond(in, 200, rc.bd.localTag, rc.pb.sdp("bob", "sendrecv", fPCMU))
	e.B.expect(sip.ACK)
	if r := finalOf(t, tx); r.StatusCode != 200 || !strings.Contains(string(r.Body()), "a=sendrecv") {
		t.Fatalf("resume answer %d:\n%s", r.StatusCode, r.Body())
	}
	rc.c.ack(rc.c.seq, "")
	if n := e.eng.CheckTimeouts(clk.Advance(timeout / 2)); n != 0 {
		t.Fatalf("%d legs timed out after half the timeout", n)
	}
	rc.pa.send(rc.toA, 0, frameOf(0xA3, 0)) // A is alive at t/2 …
	rc.pb.recv()
	if n := e.eng.CheckTimeouts(clk.Advance(timeout/2 + time.Second)); n != 1 { // … B is not
		t.Fatalf("%d legs timed out, want B's", n)
	}
	byes := map[string]*sip.Request{}
	byeA := e.A.expect(sip.BYE)
	e.A.respond(byeA, 200, "", "")
	byes["A"] = byeA.req
	byeB := e.B.expect(sip.BYE)
	e.B.respond(byeB, 200, "", "")
	byes["B"] = byeB.req
	for who, b := range byes {
		if q := reasonQ850(b); q != 41 {
			t.Errorf("BYE to %s: Q.850 %d, want 41", who, q)
		}
	}
	rec := e.cdr()
	if rec.ULFailReason != 7506 || rec.CallRelDirection != cdr.RelPlatform {
		t.Errorf("CDR cause %d dir %d, want 7506 / platform", rec.ULFailReason, rec.CallRelDirection)
	}
}

// TestRelayRejectPrompt: a stranger's call plays "请使用绑定号码呼叫" as early
// media: 183 with xnum's SDP, every frame of the prompt file in the
// caller's codec on one stream, then 403 (SPEC §4.2, §4.3). A caller that
// offers no codec xnum has gets the 403 with no prompt.
func TestRelayRejectPrompt(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../media/prompts/" + routing.PromptNoBinding + ".wav")
	if err != nil {
		t.Fatal(err)
	}
	file, err := media.ParseWAV(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := file.Payload(media.PCMA)
	e := newMediaEnv(t, mediaEnvConfig{})
	pa := newRTPPeer(t, aMediaHost)
	c := e.invite(e.A, inviteOpt{user: tX, from: tStranger, sdp: pa.sdp("carol", "sendrecv", fPCMA, fTE)})
	r := waitStatus(t, c.tx, 183)
	from, ans := mediaOf(t, r.Body())
	if ans.Formats[0].Name != "PCMA" {
		t.Fatalf("183 SDP: %s", r.Body())
	}
	frames := (len(want) + media.FrameSamples - 1) / media.FrameSamples
	var heard []byte
	s := &stream{t: t}
	for i := range frames {
		in := pa.recv()
		if in.src != from || in.pkt.PayloadType != 8 {
			t.Fatalf("frame %d from %v PT %d", i, in.src, in.pkt.PayloadType)
		}
		s.add(in.pkt)
		heard = append(heard, in.pkt.Payload...)
	}
	if !bytes.Equal(heard[:len(want)], want) {
		t.Fatal("the prompt heard is not the prompt file")
	}
	if f := finalOf(t, c.tx); f.StatusCode != 403 || reasonQ850(f) != 21 {
		t.Fatalf("after the prompt: %d cause %d", f.StatusCode, reasonQ850(f))
	}
	if rec := e.cdr(); rec.ULFailReason != 8014 || rec.SIPStatusCode != 403 {
		t.Errorf("CDR %d/%d", rec.ULFailReason, rec.SIPStatusCode)
	}

	// No codec in common: no 183, no prompt.
	c = e.invite(e.A, inviteOpt{user: tX, from: tStranger, sdp: pa.sdp("carol", "sendrecv", "18 G729/8000")})
	for {
		r := nextRes(t, c.tx)
		if r.StatusCode == 183 {
			t.Fatal("183 for a caller without a common codec")
		}
		if r.StatusCode >= 200 {
			if r.StatusCode != 403 {
				t.Fatalf("status %d", r.StatusCode)
			}
			break
		}
	}
	e.cdr()
}

// TestRelayRejectPromptCancelled: a caller hanging up during the prompt
// stops it; the CDR keeps the refusal's cause with 487.
func TestRelayRejectPromptCancelled(t *testing.T) {
	t.Parallel()
	e := newMediaEnv(t, mediaEnvConfig{})
	pa := newRTPPeer(t, aMediaHost)
	c := e.invite(e.A, inviteOpt{user: tX, from: tStranger, sdp: pa.sdp("carol", "sendrecv", fPCMU)})
	waitStatus(t, c.tx, 183)
	pa.recv() // the prompt plays
	c.cancel()
	if r := finalOf(t, c.tx); r.StatusCode != 487 {
		t.Fatalf("cancelled prompt: %d", r.StatusCode)
	}
	rec := e.cdr()
	if rec.ULFailReason != 8014 || rec.SIPStatusCode != 487 || rec.CallRelDirection != cdr.RelCaller {
		t.Errorf("CDR cause %d status %d relDir %d", rec.ULFailReason, rec.SIPStatusCode, rec.CallRelDirection)
	}
	e.idle()
	if n := e.eng.Legs(); n != 0 {
		t.Errorf("%d legs left", n)
	}
}

// TestRelayNoCommonCodec: a connectable call whose caller offers no G.711
// is refused 488 before any B leg (SPEC §4.3).
func TestRelayNoCommonCodec(t *testing.T) {
	t.Parallel()
	e := newMediaEnv(t, mediaEnvConfig{})
	pa := newRTPPeer(t, aMediaHost)
	c := e.invite(e.A, inviteOpt{user: tX, from: tA, sdp: pa.sdp("alice", "sendrecv", "18 G729/8000")})
	if r := finalOf(t, c.tx); r.StatusCode != 488 {
		t.Fatalf("status %d, want 488", r.StatusCode)
	}
	if rec := e.cdr(); rec.ULFailReason != 7508 || rec.FwdStartTime != "" {
		t.Errorf("CDR cause %d fwdStart %q", rec.ULFailReason, rec.FwdStartTime)
	}
	if n := len(e.B.reqs); n != 0 {
		t.Errorf("B got %d requests", n)
	}
}

// bindWith adds a binding A2–X3–B2 of the demo app with extra settings.
func bindWith(t *testing.T, st *store.Store, f func(*store.BindRequest)) (x, a, b string) {
	t.Helper()
	r := store.BindRequest{AppKey: "demo", X: "+8617000000003", A: "+8613800000021", B: "+8613800000022"}
	f(&r)
	if _, err := st.BindAXB(r); err != nil {
		t.Fatal(err)
	}
	return string(r.X), string(r.A), string(r.B)
}

// TestRelayPreVoiceRingback: with preVoice, A gets a 183 at once and hears
// the prompt, then ringback (450 Hz, SPEC §4.3); B's 180 changes nothing;
// B's 183 audio then replaces the ringback; the whole stream is one SSRC
// with continuous sequence numbers and timestamps, and the 200 repeats the
// 183's SDP.
func TestRelayPreVoiceRingback(t *testing.T) {
	t.Parallel()
	e := newMediaEnv(t, mediaEnvConfig{})
	x, a, _ := bindWith(t, e.st, func(r *store.BindRequest) { r.PreVoice.CallerHintTone = "hint" })
	hint, _ := e.lib.Prompt("demo", "hint")
	pa, pb := newRTPPeer(t, aMediaHost), newRTPPeer(t, bMediaHost)
	c := e.invite(e.A, inviteOpt{user: x, from: a, sdp: pa.sdp("alice", "sendrecv", fPCMU)})
	r183 := waitStatus(t, c.tx, 183)
	toA, _ := mediaOf(t, r183.Body())
	in := e.B.expect(sip.INVITE)
	toB, _ := mediaOf(t, in.req.Body())
	bd := e.B.dialogOf(in, "btag-pre")

	s := &stream{t: t}
	next := func(what string) []byte {
		t.Helper()
		got := pa.recv()
		if got.src != toA {
			t.Fatalf("%s from %v", what, got.src)
		}
		s.add(got.pkt)
		return got.pkt.Payload
	}
	want := hint.Payload(media.PCMU)
	for i := 0; i < len(want)/media.FrameSamples; i++ {
		if p := next("prompt"); !bytes.Equal(p, want[i*media.FrameSamples:(i+1)*media.FrameSamples]) {
			t.Fatalf("prompt frame %d differs", i)
		}
	}
	ring := media.Ringback()
	ringFrame := make([]byte, media.FrameSamples)
	for i := range 10 {
		ring.Frame(media.PCMU, ringFrame)
		if p := next("ringback"); !bytes.Equal(p, ringFrame) {
			t.Fatalf("ringback frame %d is not the 450 Hz tone", i)
		}
	}
	e.B.respond(in, 180, bd.localTag, "")
	if r := waitStatus(t, c.tx, 180); !bytes.Equal(r.Body(), r183.Body()) {
		t.Errorf("180 after early media lost xnum's SDP: %q", r.Body())
	}
	bAnswer := pb.sdp("bob", "sendrecv", fPCMU)
	e.B.respond(in, 183, bd.localTag, bAnswer)
	waitStatus(t, c.tx, 183)
	const early = 20
	for i := range early {
		pb.send(toB, 0, frameOf(0xB7, i))
	}
	// Ringback until B's first frame, then only B's frames.
	seenB := 0
	for seenB < early {
		ring.Frame(media.PCMU, ringFrame)
		p := next("ringback or B's early media")
		switch {
		case bytes.Equal(p, frameOf(0xB7, seenB)):
			seenB++
		case seenB == 0 && bytes.Equal(p, ringFrame):
		default:
			t.Fatalf("after %d of B's frames: neither ringback nor B's next frame", seenB)
		}
	}
	e.B.respond(in, 200, bd.localTag, bAnswer)
	e.B.expect(sip.ACK)
	r := finalOf(t, c.tx)
	if !bytes.Equal(r.Body(), r183.Body()) {
		t.Fatalf("200 does not repeat the 183's SDP")
	}
	c.answered(r, "")
	pb.send(toB, 0, frameOf(0xB8, 0))
	if p := next("B's voice"); !bytes.Equal(p, frameOf(0xB8, 0)) {
		t.Fatal("B's voice after the answer")
	}
	e.hangupByA(&relayCall{c: c})
	e.cdr()
}

// TestMaxDurationLastMinute: lastMinVoice reaches both parties one lead
// before the end, then the call ends by BYE to both, 8010 (SPEC §3 item 4;
// the lead is shortened for the test).
func TestMaxDurationLastMinute(t *testing.T) {
	t.Parallel()
	e := newMediaEnv(t, mediaEnvConfig{deps: func(d *Deps) {
		d.SIP.MaxCallDuration = 1500 * time.Millisecond
		d.LastMinuteLead = time.Second
	}})
	x, a, _ := bindWith(t, e.st, func(r *store.BindRequest) { r.LastMinVoice = "hint" })
	hint, _ := e.lib.Prompt("demo", "hint")
	pa, pb := newRTPPeer(t, aMediaHost), newRTPPeer(t, bMediaHost)
	c := e.invite(e.A, inviteOpt{user: x, from: a, sdp: pa.sdp("alice", "sendrecv", fPCMU)})
	in := e.B.expect(sip.INVITE)
	bd := e.B.dialogOf(in, "btag-max")
	e.B.respond(in, 200, bd.localTag, pb.sdp("bob", "sendrecv", fPCMU))
	e.B.expect(sip.ACK)
	r := finalOf(t, c.tx)
	c.answered(r, "")
	want := hint.Payload(media.PCMU)
	for who, p := range map[string]*rtpPeer{"A": pa, "B": pb} {
		var heard []byte
		for len(heard) < len(want) {
			heard = append(heard, p.recv().pkt.Payload...)
		}
		if !bytes.Equal(heard, want) {
			t.Errorf("%s did not hear lastMinVoice", who)
		}
	}
	byeA := e.A.expect(sip.BYE)
	e.A.respond(byeA, 200, "", "")
	byeB := e.B.expect(sip.BYE)
	e.B.respond(byeB, 200, "", "")
	if q := reasonQ850(byeA.req); q != 16 {
		t.Errorf("BYE Q.850 %d", q)
	}
	if rec := e.cdr(); rec.ULFailReason != 8010 || rec.CallRelDirection != cdr.RelPlatform {
		t.Errorf("CDR %d/%d", rec.ULFailReason, rec.CallRelDirection)
	}
}

// TestPassthrough: media.mode passthrough relays the parties' SDP (it
// exposes their media addresses: docs/SIP.md), except for a call that must
// play something, which is anchored for its whole life; a rejected call
// still plays its prompt (SPEC §4.3).
func TestPassthrough(t *testing.T) {
	t.Parallel()
	e := newMediaEnv(t, mediaEnvConfig{mode: MediaPassthrough})
	pa := newRTPPeer(t, aMediaHost)

	c := e.invite(e.A, inviteOpt{user: tX, from: tA, sdp: pa.sdp("alice", "sendrecv", fPCMU)})
	in := e.B.expect(sip.INVITE)
	if !strings.Contains(string(in.req.Body()), "c=IN IP4 "+aMediaHost) {
		t.Errorf("passthrough: A's c= did not pass:\n%s", in.req.Body())
	}
	noneOf(t, "passthrough B offer", in.req.Body(), "alice-ua") // o= is still xnum's
	e.B.respond(in, 486, "btag-pt", "")
	finalOf(t, c.tx)
	e.cdr()

	x, a, _ := bindWith(t, e.st, func(r *store.BindRequest) { r.PreVoice.CallerHintTone = "hint" })
	c = e.invite(e.A, inviteOpt{user: x, from: a, sdp: pa.sdp("alice", "sendrecv", fPCMU)})
	in = e.B.expect(sip.INVITE)
	if addr, _ := mediaOf(t, in.req.Body()); addr.Addr().String() != xHost {
		t.Errorf("passthrough call with preVoice not anchored:\n%s", in.req.Body())
	}
	e.B.respond(in, 486, "btag-pt2", "")
	finalOf(t, c.tx)
	e.cdr()

	c = e.invite(e.A, inviteOpt{user: tX, from: tStranger, sdp: pa.sdp("carol", "sendrecv", fPCMU)})
	waitStatus(t, c.tx, 183)
	pa.recv()
	if r := finalOf(t, c.tx); r.StatusCode != 403 {
		t.Errorf("status %d", r.StatusCode)
	}
	e.cdr()
}

// TestCalleeHintTone: preVoice.calleeHintTone plays to B when it answers;
// A's voice reaches B after it (SPEC §5).
func TestCalleeHintTone(t *testing.T) {
	t.Parallel()
	e := newMediaEnv(t, mediaEnvConfig{})
	x, a, _ := bindWith(t, e.st, func(r *store.BindRequest) { r.PreVoice.CalleeHintTone = "hint" })
	hint, _ := e.lib.Prompt("demo", "hint")
	pa, pb := newRTPPeer(t, aMediaHost), newRTPPeer(t, bMediaHost)
	c := e.invite(e.A, inviteOpt{user: x, from: a, sdp: pa.sdp("alice", "sendrecv", fPCMU)})
	in := e.B.expect(sip.INVITE)
	e.B.respond(in, 200, "btag-ch", pb.sdp("bob", "sendrecv", fPCMA))
	e.B.expect(sip.ACK)
	r := finalOf(t, c.tx)
	toA, _ := mediaOf(t, r.Body())
	c.answered(r, "")
	want := hint.Payload(media.PCMA)
	var heard []byte
	for len(heard) < len(want) {
		heard = append(heard, pb.recv().pkt.Payload...)
	}
	if !bytes.Equal(heard, want) {
		t.Fatal("B did not hear calleeHintTone first")
	}
	// A speaks at the normal rate: its frames are held back while the hint
	// still owns B's stream (up to its last tick), then reach B.
	tick := time.NewTicker(media.FramePeriod)
	defer tick.Stop()
	for i := range 10 {
		<-tick.C
		pa.send(toA, 0, frameOf(0xA6, i))
	}
	conv := make([]byte, media.FrameSamples)
	media.TranscodeULawToALaw(conv, frameOf(0xA6, 9))
	for got := pb.recv(); !bytes.Equal(got.pkt.Payload, conv); got = pb.recv() {
	}
	e.hangupByA(&relayCall{c: c})
	e.cdr()
}
