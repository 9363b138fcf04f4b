package media

import (
	"math"
	"sync"
)

// Source is local audio a Leg plays, one 20 ms frame at a time (RFC 3551
// §4.5.14: G.711 at the default ptime of 20 ms is 160 bytes a packet).
// A Source has a position, so each playback needs its own.
type Source interface {
	// Frame fills dst (FrameSamples bytes) with the next frame coded in
	// c, and returns false when there is nothing more to play.
	Frame(c Codec, dst []byte) bool
	// Interruptible reports whether the other party's media replaces
	// this source as soon as it flows: true for ringback (SPEC §4.3: B's
	// early media replaces it), false for a prompt, which the caller
	// hears to its end unless it is stopped (barge-in).
	Interruptible() bool
}

// silence is the G.711 code of a zero sample.
func silence(c Codec) byte {
	if c == PCMA {
		return 0xD5
	}
	return 0xFF
}

// PromptSource plays p once. Its last frame is padded with silence.
func PromptSource(p *Prompt) Source { return &promptSource{p: p} }

type promptSource struct {
	p   *Prompt
	pos int
}

func (s *promptSource) Frame(c Codec, dst []byte) bool {
	src := s.p.Payload(c)
	if s.pos >= len(src) {
		return false
	}
	n := copy(dst[:FrameSamples], src[s.pos:])
	for i := n; i < FrameSamples; i++ {
		dst[i] = silence(c)
	}
	s.pos += FrameSamples
	return true
}

func (s *promptSource) Interruptible() bool { return false }

// Ringback tone of SPEC §4.3 — the Chinese ringing tone of YD/T 1970:
// 450 Hz, 1 s on, 4 s off, looping. The level is about −10 dBm0 (peak 7000
// of 32767; 0 dBm0 is a sine of peak ≈ 22 300 in 16-bit G.711 terms).
const (
	RingbackHz  = 450
	ringOn      = 1 * ClockRate
	ringOff     = 4 * ClockRate
	ringbackAmp = 7000
)

// ringCycle is one 5 s period of the tone in both laws, built on first use
// and never written after. 450 Hz fits exactly 450 periods in the 1 s
// burst, so every burst starts and ends at phase zero — no click.
var ringCycle = sync.OnceValue(func() [2][]byte {
	samples := make([]int16, ringOn+ringOff)
	for i := range ringOn {
		samples[i] = int16(math.Round(ringbackAmp * math.Sin(2*math.Pi*RingbackHz*float64(i)/ClockRate)))
	}
	u, a := make([]byte, len(samples)), make([]byte, len(samples))
	EncodeSamples(PCMU, u, samples)
	EncodeSamples(PCMA, a, samples)
	return [2][]byte{u, a}
})

// Ringback plays the ringback tone for ever. The off period is sent as
// silence frames, not as a pause, so the stream (and NAT bindings and the
// peer's jitter buffer) never stall.
func Ringback() Source { return &ringback{} }

type ringback struct{ pos int }

func (r *ringback) Frame(c Codec, dst []byte) bool {
	cyc := ringCycle()[0]
	if c == PCMA {
		cyc = ringCycle()[1]
	}
	copy(dst[:FrameSamples], cyc[r.pos:])
	r.pos = (r.pos + FrameSamples) % len(cyc)
	return true
}

func (r *ringback) Interruptible() bool { return true }
