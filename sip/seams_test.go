package sip

import (
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/xnum/xnum/routing"
)

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
