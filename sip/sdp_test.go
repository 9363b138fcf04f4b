package sip

import (
	"bytes"
	"strings"
	"testing"
)

func TestSDPRewrite(t *testing.T) {
	id := sdpIdentity{sessID: 42, version: 7}
	out, err := id.rewrite([]byte(sdpOffer), "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	want := "v=0\r\n" +
		"o=xnum 42 7 IN IP4 192.0.2.1\r\n" +
		"s=xnum\r\n" +
		"c=IN IP4 127.0.0.9\r\n" +
		"t=0 0\r\n" +
		"m=audio 40000 RTP/AVP 0 8 101\r\n" +
		"a=rtpmap:101 telephone-event/8000\r\n"
	if string(out) != want {
		t.Errorf("rewrite:\n%q\nwant\n%q", out, want)
	}
	// The same description again (a 200 repeating the 183): same version.
	if out2, _ := id.rewrite([]byte(sdpOffer), "192.0.2.1"); !bytes.Equal(out, out2) {
		t.Errorf("unchanged SDP changed version:\n%s", out2)
	}
	// Only the other party's o= changed: still the same session to this leg.
	other := strings.Replace(sdpOffer, "o=alice-ua 1111 1", "o=alice-ua 1111 2", 1)
	if out3, _ := id.rewrite([]byte(other), "192.0.2.1"); !bytes.Equal(out, out3) {
		t.Errorf("o= change alone changed version:\n%s", out3)
	}
	// A real change: version one up.
	hold := strings.Replace(sdpOffer, "t=0 0", "t=0 0\r\na=sendonly", 1)
	out4, _ := id.rewrite([]byte(hold), "192.0.2.1")
	if !strings.Contains(string(out4), "o=xnum 42 8 IN IP4") || !strings.Contains(string(out4), "a=sendonly") {
		t.Errorf("changed SDP:\n%s", out4)
	}
	// IPv6 address, LF line ends, no o= line at all.
	out5, err := id.rewrite([]byte("v=0\ns=x\nc=IN IP6 ::1\nm=audio 1 RTP/AVP 0\n"), "2001:db8::1")
	if err != nil || !strings.HasPrefix(string(out5), "v=0\r\no=xnum 42 9 IN IP6 2001:db8::1\r\ns=xnum\r\n") {
		t.Errorf("v6/LF/no o=: %q %v", out5, err)
	}
	if _, err := id.rewrite([]byte("hello"), "192.0.2.1"); err != ErrBadSDP {
		t.Errorf("non-SDP body: %v", err)
	}
}

func TestSDPRewriteAllocs(t *testing.T) {
	id := newSDPIdentity()
	body := []byte(sdpOffer)
	if n := testing.AllocsPerRun(100, func() { id.rewrite(body, "192.0.2.1") }); n > 1 {
		t.Errorf("rewrite allocates %v times, want 1 (the output)", n)
	}
}
