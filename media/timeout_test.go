package media

import (
	"testing"
	"time"
)

func timeoutEngine(t *testing.T) (*Engine, *syncClock, chan *Leg) {
	clk := newSyncClock()
	e := newTestEngine(t, func(c *Config) { c.Timeout = 10 * time.Second; c.Now = clk.Now })
	return e, clk, rtpSeen(e)
}

func timedOut(l *Leg) bool {
	select {
	case <-l.Timeout():
		return true
	default:
		return false
	}
}

// RTP expected and not received for the timeout: the leg times out, once.
// Any packet from the peer restarts the wait.
func TestRTPTimeout(t *testing.T) {
	e, clk, seen := timeoutEngine(t)
	l := newTestLeg(t, e)
	A := newParty(t, partyAIP)
	l.SetRemote(A.addr())
	l.SetExpectRTP(true)
	t0 := clk.Now()

	clk.Advance(8 * time.Second)
	A.sendAudio(legAddr(l), PayloadPCMU, frame(1))
	waitHandled(t, seen, l)
	if n := e.CheckTimeouts(t0.Add(17 * time.Second)); n != 0 || timedOut(l) {
		t.Fatal("timed out 9 s after a packet")
	}
	if n := e.CheckTimeouts(t0.Add(18 * time.Second)); n != 1 || !timedOut(l) {
		t.Fatalf("no timeout 10 s after the last packet (%d)", n)
	}
	if n := e.CheckTimeouts(t0.Add(time.Hour)); n != 0 {
		t.Fatal("timed out twice")
	}
}

// Hold: the direction xnum signals to the peer is sendonly (or inactive),
// so no RTP is expected and an hour of silence does not time out; when the
// call resumes the wait starts afresh.
func TestHoldDoesNotTimeOut(t *testing.T) {
	e, clk, _ := timeoutEngine(t)
	l := newTestLeg(t, e)
	l.SetRemote(newParty(t, partyBIP).addr())
	l.SetExpectRTP(SendOnly.Receives())
	clk.Advance(time.Hour)
	if e.CheckTimeouts(clk.Now()) != 0 || timedOut(l) {
		t.Fatal("held leg timed out")
	}
	l.SetExpectRTP(SendRecv.Receives()) // resumed now
	if e.CheckTimeouts(clk.Now().Add(9*time.Second)) != 0 {
		t.Fatal("timed out 9 s after resuming")
	}
	if e.CheckTimeouts(clk.Now().Add(10*time.Second)) != 1 {
		t.Fatal("no timeout 10 s after resuming")
	}
}

// RTCP alone keeps a leg alive (SPEC §4.3: RTCP counts as alive) — on the
// RTCP port and multiplexed on the RTP port — and is still not forwarded.
func TestRTCPKeepsAlive(t *testing.T) {
	e, clk, seen := timeoutEngine(t)
	rtcpSeen := make(chan struct{}, 1)
	e.testHookRTCP = func() { rtcpSeen <- struct{}{} }
	l := newTestLeg(t, e)
	A := newParty(t, partyAIP)
	l.SetRemote(A.addr())
	l.SetExpectRTP(true)
	t0 := clk.Now()
	rr := []byte{0x80, 201, 0, 1, 0, 0, 0, 1}

	clk.Advance(8 * time.Second)
	A.rtcp.WriteToUDPAddrPort(rr, legRTCP(l))
	<-rtcpSeen
	if e.CheckTimeouts(t0.Add(17*time.Second)) != 0 {
		t.Fatal("RTCP did not count as alive")
	}
	clk.Advance(8 * time.Second)
	A.sendRaw(legAddr(l), rr)
	waitHandled(t, seen, l)
	if e.CheckTimeouts(t0.Add(25*time.Second)) != 0 {
		t.Fatal("multiplexed RTCP did not count as alive")
	}
	// A stranger's packets do not keep the leg alive.
	clk.Advance(8 * time.Second)
	newParty(t, strangerIP).sendAudio(legAddr(l), PayloadPCMU, frame(1))
	waitHandled(t, seen, l)
	if e.CheckTimeouts(t0.Add(26*time.Second)) != 1 {
		t.Fatal("a stranger kept the leg alive")
	}
}

// A closed leg gives its ports back; they are reused only after the
// quarantine, and the engine forgets the leg.
func TestLegCloseReleasesPorts(t *testing.T) {
	clk := newSyncClock()
	e := newTestEngine(t, func(c *Config) {
		c.PortMin, c.PortMax, c.Quarantine, c.Now = 21100, 21103, time.Minute, clk.Now
	})
	l1, l2 := newTestLeg(t, e), newTestLeg(t, e)
	if l1.Port()%2 != 0 || l2.Port()%2 != 0 || l1.Port() == l2.Port() {
		t.Fatalf("ports %d %d", l1.Port(), l2.Port())
	}
	if _, err := e.NewLeg(); err == nil {
		t.Fatal("third leg from two pairs")
	}
	port := l1.Port()
	l1.Close()
	l1.Close()
	if e.Legs() != 1 {
		t.Fatalf("%d legs", e.Legs())
	}
	if _, err := e.NewLeg(); err == nil {
		t.Fatal("port reused during quarantine")
	}
	clk.Advance(time.Minute)
	l3 := newTestLeg(t, e)
	if l3.Port() != port {
		t.Fatalf("got %d, want the released %d", l3.Port(), port)
	}
}
