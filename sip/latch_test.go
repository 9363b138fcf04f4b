package sip

import (
	"bytes"
	"testing"

	"github.com/emiago/sipgo/sip"

	"github.com/xnum/xnum/media"
)

// TestSymmetricLatching: with media.latching symmetric, a caller behind NAT
// whose RTP comes from another address than its SDP names is heard, and
// gets B's audio back at that source; once latched, a stranger is dropped;
// a re-INVITE is the one moment a new source may be learned (SPEC §4.3).
func TestSymmetricLatching(t *testing.T) {
	t.Parallel()
	e := newMediaEnv(t, mediaEnvConfig{latch: media.LatchSymmetric})
	rc := e.answerRelayed([]string{fPCMU}, []string{fPCMU})
	nat := newRTPPeer(t, "127.0.0.15") // where A's packets really come from
	st := newRTPPeer(t, strangerMediaHost)

	nat.send(rc.toA, 0, frameOf(0xA4, 0))
	if got := rc.pb.recv(); !bytes.Equal(got.pkt.Payload, frameOf(0xA4, 0)) {
		t.Fatal("A's first packet from its NAT address did not reach B")
	}
	rc.pb.send(rc.toB, 0, frameOf(0xB4, 0))
	if got := nat.recv(); got.src != rc.toA || !bytes.Equal(got.pkt.Payload, frameOf(0xB4, 0)) {
		t.Fatal("B's audio did not go back to A's learned source")
	}
	st.send(rc.toA, 0, frameOf(0x55, 0))
	waitUntil(t, "the stranger's packet to be dropped", func() bool { return e.eng.Stats().Foreign >= 1 })
	nat.send(rc.toA, 0, frameOf(0xA4, 1))
	if got := rc.pb.recv(); !bytes.Equal(got.pkt.Payload, frameOf(0xA4, 1)) {
		t.Fatal("after the stranger, B got something else than A's next packet")
	}

	// A re-INVITE (same description): the next source is learned anew.
	tx := rc.c.send(sip.INVITE, rc.pa.sdp("alice", "sendrecv", fPCMU))
	in := e.B.expect(sip.INVITE)
	e.B.respond(in, 200, rc.bd.localTag, rc.pb.sdp("bob", "sendrecv", fPCMU))
	e.B.expect(sip.ACK)
	if r := finalOf(t, tx); r.StatusCode != 200 {
		t.Fatalf("re-INVITE: %d", r.StatusCode)
	}
	rc.c.ack(rc.c.seq, "")
	moved := newRTPPeer(t, "127.0.0.16")
	moved.send(rc.toA, 0, frameOf(0xA5, 0))
	if got := rc.pb.recv(); !bytes.Equal(got.pkt.Payload, frameOf(0xA5, 0)) {
		t.Fatal("after the re-INVITE, A's new source was not learned")
	}
	nat.send(rc.toA, 0, frameOf(0xA4, 2)) // the old source is now foreign
	moved.send(rc.toA, 0, frameOf(0xA5, 1))
	if got := rc.pb.recv(); !bytes.Equal(got.pkt.Payload, frameOf(0xA5, 1)) {
		t.Fatal("the old source still reaches B after re-latching")
	}
	e.hangupByA(rc)
	e.cdr()
}
