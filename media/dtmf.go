package media

import (
	"encoding/binary"
	"fmt"
)

// RFC 4733 telephone-events: DTMF sent as RTP packets of their own payload
// type (usually 101) beside the audio. One key press is one event: several
// packets that share the RTP timestamp of the event's start, carrying a
// growing duration, the last three (retransmitted for safety, §2.5.1.4)
// with the E bit set.

// TelephoneEvent is the 4-byte payload of RFC 4733 §2.3:
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	|     event     |E|R| volume    |          duration             |
type TelephoneEvent struct {
	Event    uint8  // 0–9, 10 '*', 11 '#', 12–15 A–D (RFC 4733 §3.2)
	End      bool   // E: the last packet(s) of the event
	Volume   uint8  // 0–63, −dBm0
	Duration uint16 // in timestamp units since the event's timestamp
}

// ParseTelephoneEvent reads the first event of a payload (a payload may
// carry more than one block only with redundancy, RFC 4733 §2.5.1.5, which
// is not negotiated here).
func ParseTelephoneEvent(b []byte) (TelephoneEvent, error) {
	if len(b) < 4 {
		return TelephoneEvent{}, fmt.Errorf("media: telephone-event payload of %d bytes", len(b))
	}
	return TelephoneEvent{
		Event:    b[0],
		End:      b[1]&0x80 != 0,
		Volume:   b[1] & 0x3F,
		Duration: binary.BigEndian.Uint16(b[2:4]),
	}, nil
}

// AppendTo appends the 4-byte payload.
func (e TelephoneEvent) AppendTo(b []byte) []byte {
	flags := e.Volume & 0x3F
	if e.End {
		flags |= 0x80
	}
	return append(b, e.Event, flags, byte(e.Duration>>8), byte(e.Duration))
}

const eventDigits = "0123456789*#ABCD"

// EventDigit is the DTMF key of an event code (RFC 4733 §3.2 Table 7).
func EventDigit(ev uint8) (byte, bool) {
	if int(ev) >= len(eventDigits) {
		return 0, false
	}
	return eventDigits[ev], true
}

// DigitEvent is the event code of a DTMF key.
func DigitEvent(d byte) (uint8, bool) {
	for i := range len(eventDigits) {
		if eventDigits[i] == d {
			return uint8(i), true
		}
	}
	return 0, false
}

// DTMFDecoder turns a leg's telephone-event packets into key presses, each
// reported once, on the first packet of the event that arrives:
//   - a new event is a new RTP timestamp (RFC 4733 §2.5.1.3: all packets
//     of one event carry the timestamp of its start), so an event whose
//     first packet has duration 0 counts, and so does one whose first
//     packets were lost;
//   - the three end packets (§2.5.1.4), and any retransmission or late
//     packet of an event already reported, share that timestamp and are
//     not counted again. The last few events are remembered, so a packet
//     of the previous event that arrives after the next one began does
//     not count twice either.
//
// Not safe for concurrent use: a Leg's reader owns its decoder.
type DTMFDecoder struct {
	recent [4]eventKey
	next   int
	n      int
}

type eventKey struct {
	ts    uint32
	event uint8
}

// Push feeds one telephone-event packet: its RTP timestamp and payload.
// It returns the key when the packet starts an event not seen before.
func (d *DTMFDecoder) Push(ts uint32, payload []byte) (byte, bool) {
	ev, err := ParseTelephoneEvent(payload)
	if err != nil {
		return 0, false
	}
	k := eventKey{ts, ev.Event}
	for i := range d.n {
		if d.recent[i] == k {
			return 0, false
		}
	}
	d.recent[d.next] = k
	d.next = (d.next + 1) % len(d.recent)
	d.n = min(d.n+1, len(d.recent))
	return EventDigit(ev.Event)
}
