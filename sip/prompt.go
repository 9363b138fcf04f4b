package sip

import "github.com/xnum/xnum/routing"

// promptPlay is a rejected call's prompt in progress (SPEC §4.3: 183 with
// SDP, the prompt once, then the final response) and the release that
// follows it.
type promptPlay struct {
	rel  routing.Release
	done <-chan struct{}
	stop func()
}
