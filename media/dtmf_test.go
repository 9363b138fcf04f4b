package media

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func ev(event uint8, end bool, dur uint16) []byte {
	return TelephoneEvent{Event: event, End: end, Volume: 10, Duration: dur}.AppendTo(nil)
}

func TestDTMFDecoder(t *testing.T) {
	type pkt struct {
		ts      uint32
		payload []byte
	}
	// One key press as RFC 4733 senders make it: first packet duration
	// 0, growing durations, three end packets.
	press := func(ts uint32, e uint8) []pkt {
		return []pkt{
			{ts, ev(e, false, 0)}, {ts, ev(e, false, 160)}, {ts, ev(e, false, 320)},
			{ts, ev(e, true, 480)}, {ts, ev(e, true, 480)}, {ts, ev(e, true, 480)},
		}
	}
	cat := func(ps ...[]pkt) (out []pkt) {
		for _, p := range ps {
			out = append(out, p...)
		}
		return out
	}
	for _, c := range []struct {
		name string
		pkts []pkt
		want string
	}{
		{"one press", press(1000, 1), "1"},
		{"first packet duration 0 only", []pkt{{5, ev(7, false, 0)}}, "7"},
		{"same key twice", cat(press(1000, 1), press(3000, 1)), "11"},
		{"all keys", cat(press(0, 0), press(1e3, 9), press(2e3, 10), press(3e3, 11), press(4e3, 12), press(5e3, 15)), "09*#AD"},
		{"first packets lost", []pkt{{9, ev(4, false, 320)}, {9, ev(4, true, 480)}}, "4"},
		{"only end packets", []pkt{{9, ev(4, true, 480)}, {9, ev(4, true, 480)}, {9, ev(4, true, 480)}}, "4"},
		{"late end of the previous event", cat(press(1000, 2)[:4], press(2000, 3)[:2], []pkt{{1000, ev(2, true, 480)}}), "23"},
		{"timestamp wraps", cat(press(0xFFFFFF00, 5), press(0x100, 6)), "56"},
		{"short payload ignored", []pkt{{1, []byte{1, 2}}}, ""},
		{"unknown event ignored", []pkt{{1, ev(16, false, 0)}}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var d DTMFDecoder
			var got strings.Builder
			for _, p := range c.pkts {
				if k, ok := d.Push(p.ts, p.payload); ok {
					got.WriteByte(k)
				}
			}
			if got.String() != c.want {
				t.Fatalf("got %q, want %q", got.String(), c.want)
			}
		})
	}
}

func TestTelephoneEventRoundTrip(t *testing.T) {
	in := TelephoneEvent{Event: 11, End: true, Volume: 63, Duration: 0xBEEF}
	out, err := ParseTelephoneEvent(in.AppendTo(nil))
	if err != nil || out != in {
		t.Fatalf("%+v %v", out, err)
	}
	for _, k := range []byte("0123456789*#ABCD") {
		e, ok := DigitEvent(k)
		if back, ok2 := EventDigit(e); !ok || !ok2 || back != k {
			t.Fatalf("%c ↔ %d", k, e)
		}
	}
	if _, ok := DigitEvent('x'); ok {
		t.Fatal("x is a key")
	}
}

// sendKeys is a Go RFC 4733 sender: each key a new timestamp, first packet
// duration 0 with the marker, then durations 160…, three end packets.
func (p *party) sendKeys(leg *Leg, pt uint8, keys string) {
	for _, k := range []byte(keys) {
		e, _ := DigitEvent(k)
		start := p.ts
		for i, dur := range []uint16{0, 160, 320, 480, 640, 640, 640} {
			p.ts = start
			p.sendAudio(legAddr(leg), pt, ev(e, i >= 4, dur))
		}
		p.ts = start + 800
	}
}

func readDigits(t *testing.T, l *Leg, n int) string {
	t.Helper()
	var b strings.Builder
	for range n {
		select {
		case d := <-l.Digits():
			b.WriteByte(d)
		case <-time.After(recvWait):
			t.Fatalf("only %q arrived", b.String())
		}
	}
	return b.String()
}

// Keys from a Go sender arrive once each, repeated keys included; the
// trailing sentinel key proves nothing extra came before it.
func TestLegDigitsFromGoSender(t *testing.T) {
	e := newTestEngine(t)
	l := newTestLeg(t, e)
	l.SetPayload(payU)
	A := newParty(t, partyAIP)
	l.SetRemote(A.addr())
	A.sendKeys(l, 101, "1#11*09D")
	if got := readDigits(t, l, 8); got != "1#11*09D" {
		t.Fatalf("got %q", got)
	}
	if l.Stats().Digits != 8 {
		t.Fatalf("stats %+v", l.Stats())
	}
}

// SIPp's RFC 2833/4733 captures (package sip-tester): each holds one key
// press — a first packet of duration 0 with the marker, then three end
// packets with the same sequence number. Sent to a leg, each counts once.
func TestLegDigitsFromSIPpPcaps(t *testing.T) {
	files, _ := filepath.Glob("/usr/share/sip-tester/dtmf_2833_*.pcap")
	if len(files) == 0 {
		t.Skip("sip-tester (SIPp) not installed; make test installs it")
	}
	e := newTestEngine(t)
	l := newTestLeg(t, e)
	l.SetPayload(payU)
	A := newParty(t, partyAIP)
	l.SetRemote(A.addr())
	for _, f := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "dtmf_2833_"), ".pcap")
		want := map[string]string{"pound": "#", "star": "*"}[name]
		if want == "" {
			want = name
		}
		pkts, err := readPcapUDP(f)
		if err != nil {
			t.Fatal(err)
		}
		if len(pkts) < 4 {
			t.Fatalf("%s: %d packets", f, len(pkts))
		}
		for _, p := range pkts {
			if p[1]&0x7F != 101 {
				t.Fatalf("%s: payload type %d", f, p[1]&0x7F)
			}
			A.sendRaw(legAddr(l), p)
		}
		A.ts = binary.BigEndian.Uint32(pkts[0][4:]) + 8000
		A.sendKeys(l, 101, "D")
		if got := readDigits(t, l, 2); got != want+"D" {
			t.Errorf("%s: got %q, want %q", filepath.Base(f), got, want+"D")
		}
	}
}

// readPcapUDP returns the UDP payloads of a classic libpcap file of
// Ethernet frames carrying IPv4 (the format SIPp ships; "pcap-savefile",
// tcpdump.org). Enough for test captures; not a general reader.
func readPcapUDP(path string) ([][]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < 24 {
		return nil, fmt.Errorf("%s: short", path)
	}
	var bo binary.ByteOrder = binary.LittleEndian
	switch binary.LittleEndian.Uint32(b) {
	case 0xa1b2c3d4, 0xa1b23c4d:
	case 0xd4c3b2a1, 0x4d3cb2a1:
		bo = binary.BigEndian
	default:
		return nil, fmt.Errorf("%s: not a pcap file", path)
	}
	if link := bo.Uint32(b[20:]); link != 1 {
		return nil, fmt.Errorf("%s: link type %d, want Ethernet", path, link)
	}
	var out [][]byte
	for off := 24; off+16 <= len(b); {
		incl := int(bo.Uint32(b[off+8:]))
		off += 16
		if off+incl > len(b) {
			return nil, fmt.Errorf("%s: truncated record", path)
		}
		frame := b[off : off+incl]
		off += incl
		eth := 14
		if len(frame) >= 18 && binary.BigEndian.Uint16(frame[12:]) == 0x8100 {
			eth = 18 // 802.1Q tag
		}
		if len(frame) < eth+20 || binary.BigEndian.Uint16(frame[eth-2:]) != 0x0800 {
			continue
		}
		ip := frame[eth:]
		ihl := int(ip[0]&0x0F) * 4
		if ip[9] != 17 || len(ip) < ihl+8 {
			continue // not UDP
		}
		udp := ip[ihl:]
		ulen := int(binary.BigEndian.Uint16(udp[4:]))
		if ulen < 8 || ulen > len(udp) {
			continue
		}
		out = append(out, udp[8:ulen])
	}
	return out, nil
}
