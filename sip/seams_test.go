package sip

import (
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/xnum/xnum/routing"
)

// fakePrompts "plays" a prompt until the test closes done.
type fakePrompts struct {
	played  chan string
	done    chan struct{}
	stopped chan struct{}
}

func (f *fakePrompts) Play(prompt string, offer []byte) ([]byte, <-chan struct{}, func()) {
	f.played <- prompt
	return []byte("v=0\r\no=media 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 20000 RTP/AVP 0\r\n"),
		f.done, func() { close(f.stopped) }
}

// TestPromptSeam: a refused call with a prompt plays it as early media (183
// with SDP) before its final response (SPEC §4.3); a caller who cancels
// during the prompt stops it.
func TestPromptSeam(t *testing.T) {
	t.Parallel()
	f := &fakePrompts{played: make(chan string, 1), done: make(chan struct{}), stopped: make(chan struct{})}
	e := newEnv(t, withDeps(func(d *Deps) { d.Prompts = f }))
	c := e.invite(e.A, inviteOpt{user: tX, from: tStranger, sdp: sdpOffer})
	if p := <-f.played; p != routing.PromptNoBinding {
		t.Errorf("prompt %q", p)
	}
	r := waitStatus(t, c.tx, 183)
	if !strings.Contains(string(r.Body()), "o=xnum ") {
		t.Errorf("183 SDP: %s", r.Body())
	}
	close(f.done)
	if r := finalOf(t, c.tx); r.StatusCode != 403 || reasonQ850(r) != 21 {
		t.Errorf("after the prompt: %d cause %d", r.StatusCode, reasonQ850(r))
	}
	if rec := e.cdr(); rec.ULFailReason != 8014 {
		t.Errorf("CDR cause %d", rec.ULFailReason)
	}

	// Cancelled while the prompt plays.
	f2 := &fakePrompts{played: make(chan string, 1), done: make(chan struct{}), stopped: make(chan struct{})}
	e2 := newEnv(t, withDeps(func(d *Deps) { d.Prompts = f2 }))
	c = e2.invite(e2.A, inviteOpt{user: tX, from: tStranger, sdp: sdpOffer})
	<-f2.played
	waitStatus(t, c.tx, 183)
	c.cancel()
	if r := finalOf(t, c.tx); r.StatusCode != 487 {
		t.Errorf("cancelled prompt: %d", r.StatusCode)
	}
	select {
	case <-f2.stopped:
	case <-time.After(waitFor):
		t.Error("prompt not stopped")
	}
	if rec := e2.cdr(); rec.ULFailReason != 8014 || rec.SIPStatusCode != 487 || rec.CallRelDirection != 1 {
		t.Errorf("CDR cause %d status %d relDir %d", rec.ULFailReason, rec.SIPStatusCode, rec.CallRelDirection)
	}
}

// TestAllowedSources: a source outside trunk.allowed_sources is dropped
// without an answer; a listed one is served.
func TestAllowedSources(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withDeps(func(d *Deps) { d.Trunk.AllowedSources = []string{"127.0.0.3/32"} }))
	d := &tdlg{p: e.A, callID: "x", localURI: sip.Uri{Scheme: "sip", User: "a", Host: aHost},
		remoteURI: sip.Uri{Scheme: "sip", Host: xHost}, localTag: "t",
		target: sip.Uri{Scheme: "sip", Host: xHost, Port: e.srv.advPort}}
	tx := d.send(sip.OPTIONS, "")
	waitUntil(t, "the datagram to be dropped", func() bool { return e.metric("xnum_sip_dropped_total", nil) >= 1 })
	select {
	case r := <-tx.Responses():
		t.Errorf("dropped source got %d", r.StatusCode)
	default:
	}
	d2 := &tdlg{p: e.B, callID: "y", localURI: sip.Uri{Scheme: "sip", User: "b", Host: bHost},
		remoteURI: sip.Uri{Scheme: "sip", Host: xHost}, localTag: "t",
		target: sip.Uri{Scheme: "sip", Host: xHost, Port: e.srv.advPort}}
	if r := d2.do(sip.OPTIONS, ""); r.StatusCode != 200 {
		t.Errorf("allowed source got %d", r.StatusCode)
	}
}

// TestMaxDurationChoice: the binding's maxDuration caps the call when it is
// shorter than sip.max_call_duration (SPEC §3 item 4).
func TestMaxDurationChoice(t *testing.T) {
	s := &Server{maxCall: 4 * time.Hour}
	for _, tc := range []struct{ binding, want time.Duration }{
		{0, 4 * time.Hour},
		{time.Minute, time.Minute},
		{5 * time.Hour, 4 * time.Hour},
	} {
		c := &call{s: s, dec: routing.Decision{MaxDuration: tc.binding}}
		if got := c.maxDuration(); got != tc.want {
			t.Errorf("binding %v: %v, want %v", tc.binding, got, tc.want)
		}
	}
}
