package sip

import "github.com/xnum/xnum/routing"

// PromptPlayer is the seam where the media issue plugs in the spoken prompt
// of a rejected call (SPEC §4.3): the prompt plays as early media — 183
// Session Progress with SDP — and the final response of SPEC §4.2 follows.
type PromptPlayer interface {
	// Play starts prompt for a caller whose SDP offer is offer. A nil
	// answer means nothing plays (no common codec, no media plane); else
	// answer goes to A in a 183, done is closed when the prompt has played,
	// and stop (may be nil) cuts it short when A cancels.
	Play(prompt string, offer []byte) (answer []byte, done <-chan struct{}, stop func())
}

// NoPrompts plays nothing: rejected calls get their final response at once.
// It is the player until the media issue provides one.
type NoPrompts struct{}

// Play implements PromptPlayer.
func (NoPrompts) Play(string, []byte) ([]byte, <-chan struct{}, func()) { return nil, nil, nil }

// promptPlay is a prompt in progress and the release that follows it.
type promptPlay struct {
	rel  routing.Release
	done <-chan struct{}
	stop func()
}
