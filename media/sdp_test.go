package media

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

const sippOffer = "v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.11\r\ns=-\r\nc=IN IP4 127.0.0.11\r\nt=0 0\r\n" +
	"m=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"

const phoneOffer = "v=0\r\no=- 1 1 IN IP4 10.0.0.5\r\ns=call\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\na=sendrecv\r\n" +
	"m=video 0 RTP/AVP 96\r\nc=IN IP4 10.9.9.9\r\n" +
	"m=audio 0 RTP/AVP 8\r\n" +
	"m=audio 49170 RTP/AVP 18 8 0 101 13\r\nc=IN IP4 10.0.0.6\r\n" +
	"a=rtpmap:18 G729/8000\r\na=fmtp:18 annexb=no\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n" +
	"a=ptime:20\r\na=sendonly\r\n"

func TestParseSDP(t *testing.T) {
	a, err := ParseSDP([]byte(sippOffer))
	if err != nil {
		t.Fatal(err)
	}
	if a.RTP() != netip.MustParseAddrPort("127.0.0.11:6000") || a.Direction != SendRecv || len(a.Formats) != 1 {
		t.Fatalf("%+v", a)
	}
	p, err := a.Negotiate()
	if err != nil || p != (Payload{Codec: PCMU, Audio: 0}) || p.HasEvents() {
		t.Fatalf("%+v %v", p, err)
	}

	// Port-0 streams skipped, media-level c= and direction win, static
	// types without rtpmap known, fmtp attached to its format, a video
	// section's c= ignored.
	a, err = ParseSDP([]byte(strings.ReplaceAll(phoneOffer, "\r\n", "\n")))
	if err != nil {
		t.Fatal(err)
	}
	if a.RTP() != netip.MustParseAddrPort("10.0.0.6:49170") || a.Direction != SendOnly || a.Ptime != 20 {
		t.Fatalf("%+v", a)
	}
	if len(a.Formats) != 5 || a.Formats[0].Name != "G729" || a.Formats[0].Fmtp != "annexb=no" ||
		a.Formats[1].Name != "PCMA" || a.Formats[3].Fmtp != "0-16" {
		t.Fatalf("%+v", a.Formats)
	}
	p, _ = a.Negotiate()
	if p != (Payload{Codec: PCMA, Audio: 8, Event: 101}) {
		t.Fatalf("%+v", p)
	}
	if p, _ = a.NegotiatePrefer(PCMU); p.Codec != PCMU || p.Audio != 0 {
		t.Fatalf("prefer PCMU: %+v", p)
	}

	// Session-level c= and direction apply when the media has none.
	a, _ = ParseSDP([]byte("v=0\r\nc=IN IP6 ::1\r\na=inactive\r\nm=audio 5 RTP/AVP 8\r\n"))
	if a.Addr != netip.MustParseAddr("::1") || a.Direction != Inactive {
		t.Fatalf("%+v", a)
	}
}

func TestParseSDPErrors(t *testing.T) {
	for _, c := range []struct {
		body string
		err  error
	}{
		{"", ErrBadSDP},
		{"hello", ErrBadSDP},
		{"v=0\r\nm=video 5 RTP/AVP 96\r\n", ErrNoAudio},
		{"v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 0 RTP/AVP 0\r\n", ErrNoAudio},
		{"v=0\r\nm=audio 5 RTP/AVP 0\r\n", ErrBadSDP},                          // no c=
		{"v=0\r\nc=IN IP4 host.example\r\nm=audio 5 RTP/AVP 0\r\n", ErrBadSDP}, // not an IP
		{"v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio x RTP/AVP 0\r\n", ErrBadSDP},
		{"v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 5 RTP/AVP 300\r\n", ErrBadSDP},
		{"v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio\r\n", ErrBadSDP},
	} {
		if _, err := ParseSDP([]byte(c.body)); !errors.Is(err, c.err) {
			t.Errorf("%q: %v, want %v", c.body, err, c.err)
		}
	}
	a, _ := ParseSDP([]byte("v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 5 RTP/AVP 18 97\r\na=rtpmap:97 PCMU/16000\r\n"))
	if _, err := a.Negotiate(); !errors.Is(err, ErrNoCodec) {
		t.Fatalf("G.729 and 16 kHz μ-law negotiated: %v", err)
	}
}

// Our SDP: only our address, port and the negotiated formats; it parses
// back to the same stream.
func TestBuildSDP(t *testing.T) {
	pay := Payload{Codec: PCMA, Audio: 8, Event: 101}
	body := BuildSDP(SDPParams{SessionID: 42, Version: 7, Addr: "192.0.2.1", Port: 20002,
		Formats: pay.Formats(), Ptime: 20, Direction: RecvOnly})
	want := "v=0\r\no=xnum 42 7 IN IP4 192.0.2.1\r\ns=xnum\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n" +
		"m=audio 20002 RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n" +
		"a=fmtp:101 0-15\r\na=ptime:20\r\na=recvonly\r\n"
	if string(body) != want {
		t.Fatalf("got\n%s\nwant\n%s", body, want)
	}
	a, err := ParseSDP(body)
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := a.Negotiate(); p != pay || a.Port != 20002 || a.Direction != RecvOnly {
		t.Fatalf("%+v %+v", a, p)
	}
	if v6 := BuildSDP(SDPParams{Addr: "2001:db8::1", Port: 2, Formats: pay.Formats()}); !strings.Contains(string(v6), "c=IN IP6 2001:db8::1\r\n") {
		t.Fatalf("%s", v6)
	}
}

func TestDirection(t *testing.T) {
	for _, c := range []struct {
		d            Direction
		sends, recvs bool
		reverse      Direction
	}{
		{SendRecv, true, true, SendRecv},
		{SendOnly, true, false, RecvOnly},
		{RecvOnly, false, true, SendOnly},
		{Inactive, false, false, Inactive},
	} {
		if c.d.Sends() != c.sends || c.d.Receives() != c.recvs || c.d.Reverse() != c.reverse {
			t.Errorf("%v", c.d)
		}
	}
}

func TestOfferFormats(t *testing.T) {
	f := OfferFormats(PCMA, true)
	if len(f) != 3 || f[0].PT != 8 || f[1].PT != 0 || f[2].PT != TelephoneEventPT || f[2].Fmtp != "0-15" {
		t.Fatalf("%+v", f)
	}
	if f = OfferFormats(PCMU, false); len(f) != 2 || f[0].Name != "PCMU" || f[1].Name != "PCMA" {
		t.Fatalf("%+v", f)
	}
}
