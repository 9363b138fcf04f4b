package media

import (
	"math/rand/v2"
	"time"
)

// Sequencer makes one continuous RTP stream out of several sources, the
// way the far end must see it: xnum is the synchronisation source of every
// packet it sends a party (RFC 3550 §3: a B2BUA that terminates RTP is an
// end system, not a translator), so one SSRC per leg, sequence numbers
// that increase by one per packet and timestamps that advance with the
// audio — whether the packets come from a prompt, the ringback tone or the
// other party, and however often the source changes (RFC 3550 §5.1).
//
// Within one source the sequencer only adds offsets, so the source's own
// gaps (lost packets) and timestamp jumps (silence suppression, RFC 3551
// §4.1) pass through unchanged. When the source changes, the new source is
// anchored: its first packet gets the next sequence number and a timestamp
// that advances by the wall-clock time since the last packet sent — at
// least the duration of that packet, so the two never overlap — and the
// marker bit, which RFC 3551 §4.1 asks for at the start of a talkspurt so
// the receiver resynchronises its jitter buffer.
//
// A Sequencer is not safe for concurrent use; a Leg guards its own.
type Sequencer struct {
	ssrc uint32

	started bool
	src     uint64 // key of the current source
	seqOff  uint16
	tsOff   uint32

	lastSeq uint16 // highest sequence number sent
	lastTS  uint32 // timestamp of that packet
	lastDur uint32 // its duration in samples
	lastAt  time.Duration
}

// NewSequencer returns a stream with a random SSRC and random first
// sequence number and timestamp (RFC 3550 §5.1, §8).
func NewSequencer() *Sequencer {
	s := &Sequencer{ssrc: rand.Uint32()}
	s.lastSeq = uint16(rand.Uint32())
	s.lastTS = rand.Uint32()
	return s
}

// SSRC is the synchronisation source of the stream.
func (s *Sequencer) SSRC() uint32 { return s.ssrc }

// Next maps one packet of source src — its own sequence number, timestamp
// and duration in samples — onto the stream at time now (any monotonic
// clock). It returns the packet's outgoing sequence number and timestamp,
// and whether it is the first packet of a new source (set the marker bit).
func (s *Sequencer) Next(src uint64, seq uint16, ts uint32, samples uint32, now time.Duration) (oseq uint16, ots uint32, first bool) {
	if !s.started || src != s.src {
		first = true
		nextTS := s.lastTS
		if s.started {
			gap := uint32(0)
			if now > s.lastAt {
				gap = uint32((now - s.lastAt) * ClockRate / time.Second)
			}
			nextTS += max(gap, s.lastDur)
		}
		s.src, s.started = src, true
		s.seqOff = s.lastSeq + 1 - seq
		s.tsOff = nextTS - ts
	}
	oseq, ots = seq+s.seqOff, ts+s.tsOff
	// Only a newer packet moves the anchor: a reordered one keeps its
	// place (RFC 3550 §A.1 compares sequence numbers modulo 2^16).
	if first || int16(oseq-s.lastSeq) > 0 {
		s.lastSeq, s.lastTS, s.lastDur, s.lastAt = oseq, ots, samples, now
	}
	return oseq, ots, first
}
