package sip

import (
	"testing"

	"github.com/emiago/sipgo/sip"
)

// BenchmarkAnsweredCall is one whole call through xnum per iteration — A's
// INVITE, B's 180 and 200, both ACKs, A's BYE and B's 200 — over loopback
// UDP with the real store. The figure includes the test UAs' own work; the
// SIPp run of make bench measures xnum alone.
func BenchmarkAnsweredCall(b *testing.B) {
	e := newEnv(b)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		c, _ := e.answer(inviteOpt{user: tX, from: tA, sdp: sdpOffer})
		c.do(sip.BYE, "")
		e.B.respond(e.B.expect(sip.BYE), 200, "", "")
		e.cdr()
	}
}

// BenchmarkRejectedCall: a stranger's INVITE refused after routing.
func BenchmarkRejectedCall(b *testing.B) {
	e := newEnv(b)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		c := e.invite(e.A, inviteOpt{user: tX, from: tStranger})
		finalOf(b, c.tx)
		e.cdr()
	}
}
