package media

import "errors"

// Sentinels. Messages are lower case; call sites wrap them with %w and
// callers test them with errors.Is.
var (
	// ErrBadPrompt: a prompt file is not an 8 kHz mono WAV in A-law, μ-law
	// or 16-bit PCM (SPEC §4.3). The admin API maps it to 1010002.
	ErrBadPrompt = errors.New("media: not an 8 kHz mono wav (a-law, μ-law or 16-bit pcm)")
	// ErrNoPorts: every RTP port of media.rtp_ports is in use or still
	// draining. The call fails as a platform fault.
	ErrNoPorts = errors.New("media: no free rtp port")
	// ErrClosed: the leg, bridge or engine was closed.
	ErrClosed = errors.New("media: closed")
	// ErrBadSDP: a body that is no session description, or whose audio
	// description cannot be read (RFC 4566). SIP answers 488 or 400.
	ErrBadSDP = errors.New("media: malformed sdp")
	// ErrNoAudio: the session description carries no usable m=audio line
	// (none, or port 0 only).
	ErrNoAudio = errors.New("media: no audio stream in sdp")
	// ErrNoCodec: the peer offers neither PCMU nor PCMA (SPEC §4.3: no
	// common codec → 488 Not Acceptable Here).
	ErrNoCodec = errors.New("media: no common codec")
	// ErrBusy: the leg already belongs to another bridge.
	ErrBusy = errors.New("media: leg already bridged")
	// ErrBadConfig: the engine configuration is unusable (the message says
	// which field).
	ErrBadConfig = errors.New("media: bad configuration")
)
