package main

// Media through the whole binary (SPEC §4.3, issue 3): a SIPp caller plays
// real RTP from pcap files — G.711 A-law speech and SIPp's RFC 4733 DTMF
// captures, whose first packet has duration 0 — and the callee's media is
// an RTP socket of this test. xnum relays in its default relay mode.

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/xnum/xnum/media"
)

const sippShare = "/usr/share/sip-tester/"

// pcapRTP reads the RTP payloads of a pcap of UDP/IPv4 over Ethernet, as
// SIPp's play_pcap_audio sends them.
func pcapRTP(t testing.TB, path string) []*rtp.Packet {
	t.Helper()
	d, err := os.ReadFile(path)
	if err != nil {
		skipOutsideCI(t, "pcap not available: %v", err)
	}
	if len(d) < 24 || binary.LittleEndian.Uint32(d) != 0xa1b2c3d4 {
		t.Fatalf("%s: not a little-endian pcap", path)
	}
	var out []*rtp.Packet
	for off := 24; off+16 <= len(d); {
		incl := int(binary.LittleEndian.Uint32(d[off+8:]))
		off += 16
		if off+incl > len(d) {
			break
		}
		frame := d[off : off+incl]
		off += incl
		const udpPayload = 14 + 20 + 8 // Ethernet, IPv4 without options, UDP
		if len(frame) <= udpPayload {
			continue
		}
		var p rtp.Packet
		if err := p.Unmarshal(frame[udpPayload:]); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, &p)
	}
	return out
}

// goAhead sends the caller's scenario (uac_media.xml) its next command
// through the sync hub, as a callee SIPp would.
type goAhead struct {
	conn   net.Conn
	callID string
}

func (g goAhead) send(t testing.TB) {
	t.Helper()
	if _, err := fmt.Fprintf(g.conn, "Call-ID: %s\r\nX-Party: uas\r\n\x1b", g.callID); err != nil {
		t.Fatal(err)
	}
}

// TestE2EMediaRelay: A (SIPp) offers PCMA only and plays 7 s of A-law
// speech then the keys 1 and #; B's media (this test's socket) answered
// PCMU only. B receives every packet — the speech as μ-law decoding to the
// same audio, the keys as telephone-events decoding to "1#" — as one
// continuous stream whose source is always xnum, never A's media address;
// nothing of A's identity reaches B's SDP, c= included, and the reverse.
func TestE2EMediaRelay(t *testing.T) {
	t.Parallel()
	pcapRTP(t, sippShare+"g711a.pcap") // skips the test when SIPp ships no pcaps
	e := newEnv(t, envOpts{})
	xnumIP := netip.MustParseAddr(e.net.ip(hostXnum))
	callerMedia := e.net.ip(hostCaller + mediaShift)

	bConn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP(e.net.ip(hostTrunk + mediaShift))})
	if err != nil {
		t.Fatal(err)
	}
	defer bConn.Close()
	bAddr := bConn.LocalAddr().(*net.UDPAddr)

	pcaps := []string{sippShare + "g711a.pcap", sippShare + "dtmf_2833_1.pcap", sippShare + "dtmf_2833_pound.pcap"}
	run := e.startCall(t, callSpec{
		Caller: alice, Callee: &bob, Sync: true,
		Scenario: "uac_media.xml",
		Mutate: func(s *scn) {
			s.Formats, s.Pcaps = "8 101", pcaps
		},
		CalleeScenario: "uas_media.xml",
		CalleeMutate: func(s *scn) {
			s.Formats, s.MediaAddr, s.MediaPort = "0 101", bAddr.IP.String(), fmt.Sprint(bAddr.Port)
		},
	})
	hubConn, err := net.Dial("tcp4", run.hub.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer hubConn.Close()
	next := goAhead{conn: hubConn, callID: strings.NewReplacer("%u", "1").Replace(run.res.uac.opts.CallID)}

	buf := make([]byte, 2048)
	recv := func(i int) *rtp.Packet {
		t.Helper()
		bConn.SetReadDeadline(time.Now().Add(20 * time.Second))
		k, src, err := bConn.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatalf("B's media: %d packets, then %v", i, err)
		}
		if src.Addr() != xnumIP {
			t.Fatalf("RTP reached B from %v: only xnum (%v) may send it (A's media is %s)", src, xnumIP, callerMedia)
		}
		var p rtp.Packet
		if err := p.Unmarshal(append([]byte(nil), buf[:k]...)); err != nil {
			t.Fatal(err)
		}
		return &p
	}

	// Each pcap in turn, the next one once every packet of the previous
	// one is in (SIPp cuts a playback short when the next starts).
	var (
		prevIn, prevOut *rtp.Packet
		dec             media.DTMFDecoder
		keys            []byte
		want            = make([]int16, 1024)
		got             = make([]int16, 1024)
		i               int
	)
	for _, pcap := range pcaps {
		next.send(t)
		for _, in := range pcapRTP(t, pcap) {
			out := recv(i)
			// One stream: xnum's SSRC throughout; sequence numbers move as
			// the source's own did (a gap or a repeated end-of-event packet
			// passes as it was sent) and by exactly one where the source
			// changed (speech → keys).
			if prevOut != nil {
				wantStep := uint16(1)
				if in.SSRC == prevIn.SSRC {
					wantStep = in.SequenceNumber - prevIn.SequenceNumber
				}
				if out.SSRC != prevOut.SSRC || out.SequenceNumber-prevOut.SequenceNumber != wantStep {
					t.Fatalf("packet %d: SSRC %#x seq %d after %#x/%d, want the seq to move by %d",
						i, out.SSRC, out.SequenceNumber, prevOut.SSRC, prevOut.SequenceNumber, wantStep)
				}
			}
			switch in.PayloadType {
			case 8: // A's A-law speech reaches B as μ-law of the same sound
				if out.PayloadType != 0 || len(out.Payload) != len(in.Payload) {
					t.Fatalf("speech packet %d: PT %d, %d bytes (sent %d bytes)", i, out.PayloadType, len(out.Payload), len(in.Payload))
				}
				w, g := want[:len(in.Payload)], got[:len(in.Payload)]
				media.DecodeSamples(media.PCMA, w, in.Payload)
				media.DecodeSamples(media.PCMU, g, out.Payload)
				for k := range w {
					if d := int(g[k]) - int(w[k]); d > 1024 || d < -1024 {
						t.Fatalf("speech packet %d sample %d: B heard %d, A sent %d", i, k, g[k], w[k])
					}
				}
			case 101: // keys: B's payload type for telephone-event (101 too)
				if out.PayloadType != 101 || string(out.Payload) != string(in.Payload) {
					t.Fatalf("event packet %d: PT %d payload %x, sent %x", i, out.PayloadType, out.Payload, in.Payload)
				}
				if d, ok := dec.Push(out.Timestamp, out.Payload); ok {
					keys = append(keys, d)
				}
			}
			prevIn, prevOut = in, out
			i++
		}
	}
	if string(keys) != "1#" {
		t.Errorf("keys heard at B: %q, want \"1#\" (each once)", keys)
	}
	next.send(t) // A hangs up
	res := run.wait(t)
	res.checkNoLeaks(t)
	inv := res.uas.firstReceived("an INVITE", func(m sipMsg) bool { return m.IsRequest("INVITE") })
	if !strings.Contains(inv.Text, "c=IN IP4 "+xnumIP.String()) {
		t.Errorf("B's INVITE does not offer xnum's media address:\n%s", inv.Text)
	}
	if rec := e.lastCDR(byBindNum(demoX), 1); rec.FwdAnswerTime == "" || rec.ULFailReason != 0 || rec.CallRelDirection != 1 {
		t.Errorf("CDR: answered %q cause %d released by %d", rec.FwdAnswerTime, rec.ULFailReason, rec.CallRelDirection)
	}
}
