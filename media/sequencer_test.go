package media

import (
	"testing"
	"time"
)

// A local source, then forwarded packets of two SSRCs, then the local
// source again: one stream, sequence +1 each packet, timestamps never
// overlapping, the marker on each switch only.
func TestSequencerSwitches(t *testing.T) {
	s := NewSequencer()
	now := time.Duration(0)
	var prevSeq uint16
	var prevTS, prevDur uint32
	step := func(src uint64, seq uint16, ts uint32, n int, wantMarker bool) {
		t.Helper()
		for i := range n {
			oseq, ots, first := s.Next(src, seq+uint16(i), ts+uint32(i)*160, 160, now)
			if now > 0 || i > 0 {
				if oseq != prevSeq+1 {
					t.Fatalf("src %d pkt %d: seq %d after %d", src, i, oseq, prevSeq)
				}
				if d := ots - prevTS; d < prevDur || d > 4*ClockRate {
					t.Fatalf("src %d pkt %d: ts advanced %d", src, i, d)
				}
			}
			if first != (i == 0 && wantMarker) {
				t.Fatalf("src %d pkt %d: first=%v", src, i, first)
			}
			prevSeq, prevTS, prevDur = oseq, ots, 160
			now += 20 * time.Millisecond
		}
	}
	step(1<<40, 0, 0, 50, true)            // prompt
	step(0xdeadbeef, 60000, 4e9, 50, true) // B's early media, seq wrapping
	now += 3 * time.Second                 // B silent (e.g. between early media and answer)
	step(0xfeedface, 7, 123, 50, true)     // B after answer, new SSRC
	step(1<<40|2, 0, 0, 10, true)          // a local prompt again
}

// Silence from the new source: its timestamp advances by the wall-clock
// gap, not by one packet.
func TestSequencerGapOnSwitch(t *testing.T) {
	s := NewSequencer()
	_, ts0, _ := s.Next(1, 0, 0, 160, 0)
	_, ts1, _ := s.Next(2, 500, 99, 160, time.Second)
	if ts1-ts0 != 8000 {
		t.Fatalf("ts advanced %d over 1 s, want 8000", ts1-ts0)
	}
	// A packet of the new source arriving at the same instant still does
	// not overlap the previous one.
	_, ts2, _ := s.Next(3, 0, 0, 160, time.Second)
	if ts2-ts1 != 160 {
		t.Fatalf("ts advanced %d, want 160", ts2-ts1)
	}
}

// Within a source, the source's own gaps and reordering pass through.
func TestSequencerKeepsSourceGaps(t *testing.T) {
	s := NewSequencer()
	a, ta, _ := s.Next(9, 100, 1000, 160, 0)
	b, tb, _ := s.Next(9, 103, 1480, 160, 60*time.Millisecond) // 2 lost
	c, tc, _ := s.Next(9, 102, 1320, 160, 61*time.Millisecond) // late
	d, _, _ := s.Next(9, 104, 1640, 160, 80*time.Millisecond)
	if b-a != 3 || tb-ta != 480 || c-a != 2 || tc-ta != 320 || d-a != 4 {
		t.Fatalf("seq %d %d %d %d ts %d %d %d", a, b, c, d, ta, tb, tc)
	}
}
