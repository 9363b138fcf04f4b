package media

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// The relay as package sip will drive it, SDP included (docs/MEDIA.md "API
// for the SIP layer"): A offers PCMA only, B answers PCMU only. A hears
// B's tone as correct A-law, B hears A's as μ-law, and neither party's
// address or SDP identity is in the description the other receives.
func TestCallFlowPCMAtoPCMU(t *testing.T) {
	e := newTestEngine(t)
	A, B := newParty(t, partyAIP), newParty(t, partyBIP)

	offerA := fmt.Sprintf("v=0\r\no=alice 111 222 IN IP4 %s\r\ns=talk\r\nc=IN IP4 %s\r\nt=0 0\r\n"+
		"m=audio %d RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n",
		partyAIP, partyAIP, A.addr().Port())
	audA, err := ParseSDP([]byte(offerA))
	if err != nil {
		t.Fatal(err)
	}
	payA, err := audA.Negotiate()
	if err != nil {
		t.Fatal(err)
	}
	legA := newTestLeg(t, e)
	legA.SetRemote(audA.RTP())
	legA.SetPayload(payA)
	dirA := audA.Direction.Reverse()
	legA.SetExpectRTP(dirA.Receives())
	answerA := BuildSDP(SDPParams{SessionID: 1, Version: 1, Addr: xnumIP.String(), Port: legA.Port(),
		Formats: payA.Formats(), Ptime: 20, Direction: dirA})

	legB := newTestLeg(t, e)
	offerB := BuildSDP(SDPParams{SessionID: 2, Version: 1, Addr: xnumIP.String(), Port: legB.Port(),
		Formats: OfferFormats(payA.Codec, payA.HasEvents()), Ptime: 20, Direction: audA.Direction})
	for _, leak := range []string{partyAIP.String(), "alice", "111", "talk"} {
		if strings.Contains(string(offerB), leak) {
			t.Fatalf("B's offer carries %q of A:\n%s", leak, offerB)
		}
	}
	if _, err := NewBridge(legA, legB); err != nil {
		t.Fatal(err)
	}

	answerB := fmt.Sprintf("v=0\r\no=bob 5 5 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"+
		"m=audio %d RTP/AVP 0 100\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:100 telephone-event/8000\r\n",
		partyBIP, partyBIP, B.addr().Port())
	audB, err := ParseSDP([]byte(answerB))
	if err != nil {
		t.Fatal(err)
	}
	payB, err := audB.NegotiatePrefer(payA.Codec)
	if err != nil || payB.Codec != PCMU || payB.Event != 100 {
		t.Fatalf("%+v %v", payB, err)
	}
	legB.SetRemote(audB.RTP())
	legB.SetPayload(payB)
	if strings.Contains(string(answerA), partyBIP.String()) || strings.Contains(string(answerA), "bob") {
		t.Fatalf("A's answer carries B:\n%s", answerA)
	}

	// B's 1 kHz tone in μ-law reaches A as A-law of the same tone.
	tone := sine(FrameSamples, 1000, 12000)
	ulaw := make([]byte, FrameSamples)
	EncodeSamples(PCMU, ulaw, tone)
	B.sendAudio(legAddr(legB), PayloadPCMU, ulaw)
	pkt, src := A.recv()
	if src != legAddr(legA) || pkt.PayloadType != PayloadPCMA || pkt.SSRC != legA.SSRC() {
		t.Fatalf("from %v PT %d SSRC %#x", src, pkt.PayloadType, pkt.SSRC)
	}
	heard := make([]int16, FrameSamples)
	DecodeSamples(PCMA, heard, pkt.Payload)
	for i := range tone {
		if d := abs32(int32(heard[i]) - int32(tone[i])); d > 1024 {
			t.Fatalf("sample %d: A heard %d, B sent %d", i, heard[i], tone[i])
		}
	}
	// A's key press (PT 101) reaches B as PT 100.
	A.sendKeys(legA, 101, "5")
	for range 7 {
		pkt, _ := B.recv()
		if pkt.PayloadType != 100 {
			t.Fatalf("event reached B as PT %d", pkt.PayloadType)
		}
	}
	if d := <-legA.Digits(); d != '5' {
		t.Fatalf("digit %q", d)
	}
	// The 200 repeats the 183's body: same params, same bytes.
	again := BuildSDP(SDPParams{SessionID: 1, Version: 1, Addr: xnumIP.String(), Port: legA.Port(),
		Formats: payA.Formats(), Ptime: 20, Direction: dirA})
	if !bytes.Equal(answerA, again) {
		t.Fatal("BuildSDP is not deterministic")
	}
}
