package sip

import (
	"bytes"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/xnum/xnum/media"
	"github.com/xnum/xnum/routing"
)

// collectEnv is a media env whose calls collect two digits after routing
// (the seam the AXE mode uses): "42" connects the call, anything else is
// refused 8022, no key at all 8033.
func collectEnv(t *testing.T) *mediaEnv {
	t.Helper()
	spec := func(c *call) *collectSpec {
		return &collectSpec{
			cfg: media.CollectorConfig{Digits: 2, FirstDigit: 300 * time.Millisecond, InterDigit: 300 * time.Millisecond,
				Retries: 1, Prompt: "long", RetryPrompt: "again"},
			check: func(d string) bool { return d == "42" },
			done: func(c *call, res media.Result, digits string) {
				switch res {
				case media.Collected:
					c.connect()
				case media.NoDigits:
					c.reject(c.s.d.Table.For(routing.CauseNoDigits))
				default:
					c.reject(c.s.d.Table.For(routing.CauseBadExtension))
				}
			},
		}
	}
	e := newMediaEnv(t, mediaEnvConfig{deps: func(d *Deps) { d.testCollect = spec }})
	e.lib.App("demo").Put("long", testPrompt(t, 100, 0x21))
	e.lib.App("demo").Put("again", testPrompt(t, 3, 0x31))
	e.lib.App("demo").Silence(routing.PromptInvalidExt) // the release plays nothing: shorter tests
	return e
}

// TestCollectBargeIn: keys pressed while the prompt plays count and stop it
// (barge-in); the two digits connect the call, and what A hears after its
// first key is no more prompt but B.
func TestCollectBargeIn(t *testing.T) {
	t.Parallel()
	e := collectEnv(t)
	pa, pb := newRTPPeer(t, aMediaHost), newRTPPeer(t, bMediaHost)
	c := e.invite(e.A, inviteOpt{user: tX, from: tA, sdp: pa.sdp("alice", "sendrecv", fPCMU, fTE)})
	r183 := waitStatus(t, c.tx, 183)
	toA, _ := mediaOf(t, r183.Body())
	prompt, _ := e.lib.Prompt("demo", "long")
	first := pa.recv()
	if !bytes.Equal(first.pkt.Payload, prompt.Payload(media.PCMU)[:media.FrameSamples]) {
		t.Fatal("first frame is not the prompt")
	}
	pa.sendKey(toA, 101, '4')
	pa.sendKey(toA, 101, '2')
	in := e.B.expect(sip.INVITE)
	toB, _ := mediaOf(t, in.req.Body())
	bd := e.B.dialogOf(in, "btag-coll")
	e.B.respond(in, 200, bd.localTag, pb.sdp("bob", "sendrecv", fPCMU))
	e.B.expect(sip.ACK)
	r := finalOf(t, c.tx)
	if r.StatusCode != 200 || !bytes.Equal(r.Body(), r183.Body()) {
		t.Fatalf("A got %d; SDP repeated: %v", r.StatusCode, bytes.Equal(r.Body(), r183.Body()))
	}
	c.answered(r, "")
	pb.send(toB, 0, frameOf(0xB9, 0))
	frames := 1
	for {
		got := pa.recv()
		if bytes.Equal(got.pkt.Payload, frameOf(0xB9, 0)) {
			break
		}
		frames++
	}
	if frames >= 100 {
		t.Errorf("A heard %d prompt frames: the key did not stop the prompt", frames)
	}
	e.hangupByA(&relayCall{c: c})
	if rec := e.cdr(); rec.ULFailReason != 0 || rec.FwdAnswerTime == "" {
		t.Errorf("CDR %d answered %q", rec.ULFailReason, rec.FwdAnswerTime)
	}
}

// TestCollectOutcomes: no key → the retry prompt, then 8033; wrong digits
// twice → 8022; "4#" is an early end with too few digits → wrong; and a
// caller hanging up during the collection → 7516.
func TestCollectOutcomes(t *testing.T) {
	t.Parallel()
	e := collectEnv(t)
	again, _ := e.lib.Prompt("demo", "again")
	for _, tc := range []struct {
		name  string
		keys  [][]byte // keys sent after each prompt starts
		cause int
	}{
		{"no key", nil, 8033},
		{"wrong twice", [][]byte{[]byte("99"), []byte("13")}, 8022},
		{"pound early then wrong", [][]byte{[]byte("4#"), []byte("77")}, 8022},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			pa := newRTPPeer(t, aMediaHost)
			c := e.invite(e.A, inviteOpt{user: tX, from: tA, sdp: pa.sdp("alice", "sendrecv", fPCMU, fTE)})
			toA, _ := mediaOf(t, waitStatus(t, c.tx, 183).Body())
			for i := range 2 { // the first attempt, then one retry
				if i < len(tc.keys) {
					pa.recv()
					for _, k := range tc.keys[i] {
						pa.sendKey(toA, 101, k)
					}
				}
				if i == 0 { // the retry prompt is heard
					for {
						if bytes.Equal(pa.recv().pkt.Payload, again.Payload(media.PCMU)[:media.FrameSamples]) {
							break
						}
					}
				}
			}
			if r := finalOf(t, c.tx); r.StatusCode != 403 {
				t.Fatalf("status %d", r.StatusCode)
			}
			if rec := e.cdr(); rec.ULFailReason != tc.cause {
				t.Errorf("cause %d, want %d", rec.ULFailReason, tc.cause)
			}
		})
	}
	e.t = t
	pa := newRTPPeer(t, aMediaHost)
	c := e.invite(e.A, inviteOpt{user: tX, from: tA, sdp: pa.sdp("alice", "sendrecv", fPCMU, fTE)})
	waitStatus(t, c.tx, 183)
	pa.recv()
	c.cancel()
	if r := finalOf(t, c.tx); r.StatusCode != 487 {
		t.Fatalf("cancel: %d", r.StatusCode)
	}
	if rec := e.cdr(); rec.ULFailReason != 7516 {
		t.Errorf("cancel during collection: cause %d, want 7516", rec.ULFailReason)
	}
	if n := len(e.B.reqs); n != 0 {
		t.Errorf("B got %d requests", n)
	}
}
