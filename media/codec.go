package media

import "strings"

// Codec is an audio encoding xnum relays: the two G.711 laws (RFC 3551
// §4.5.14). Every codec here runs at 8000 Hz, one byte per sample.
type Codec uint8

// Codecs. The zero value is "none".
const (
	NoCodec Codec = iota
	PCMU          // G.711 μ-law
	PCMA          // G.711 A-law
)

// Static payload types (RFC 3551 §6 Table 4) and the clock rate shared by
// G.711 and telephone-event here.
const (
	PayloadPCMU = 0
	PayloadPCMA = 8
	ClockRate   = 8000
	// FrameSamples is one 20 ms packet at 8000 Hz — the default ptime
	// (RFC 3551 §4.5.14: G.711 frames are 20 ms unless a=ptime says so).
	FrameSamples = 160
)

// String is the rtpmap encoding name.
func (c Codec) String() string {
	switch c {
	case PCMU:
		return "PCMU"
	case PCMA:
		return "PCMA"
	}
	return "none"
}

// StaticPayload is the RFC 3551 static payload type of c.
func (c Codec) StaticPayload() uint8 {
	if c == PCMA {
		return PayloadPCMA
	}
	return PayloadPCMU
}

// codecByName maps an rtpmap encoding name (case-insensitive, RFC 4566
// §6) to a codec.
func codecByName(name string) Codec {
	switch strings.ToUpper(name) {
	case "PCMU":
		return PCMU
	case "PCMA":
		return PCMA
	}
	return NoCodec
}

// Payload is what one leg's peer negotiated: the payload type numbers it
// uses for audio and for telephone-events, and the audio codec. Payload
// types are per leg (RFC 3264 §5.1: the answerer's numbers may differ from
// the offerer's for the same codec), so the bridge rewrites them.
type Payload struct {
	Codec Codec
	Audio uint8 // payload type of Codec on this leg
	// Event is the telephone-event payload type (RFC 4733 §7.1.1, dynamic,
	// usually 101); 0 when the peer did not negotiate it.
	Event uint8
}

// HasEvents reports whether telephone-events were negotiated.
func (p Payload) HasEvents() bool { return p.Event >= 96 }
