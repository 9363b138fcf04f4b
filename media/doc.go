// Package media is xnum's media plane: it terminates RTP on both legs of a
// relayed call and carries the audio the signalling plane (package sip)
// decides on (SPEC §4.3).
//
// What the package owns:
//   - G.711 μ-law/A-law coding and the direct A↔μ transcoding tables
//     (ITU-T G.711; g711.go);
//   - prompts: 8 kHz mono WAV files converted on load to PCMU and PCMA
//     payload bytes, and the named sets the calls pick from (wav.go,
//     prompt.go); the ringback tone (tone.go);
//   - RTP ports: an allocator over media.rtp_ports that hands out even RTP
//     ports with RTCP on the next odd one and quarantines released ports
//     until late packets have drained (ports.go);
//   - legs: one local UDP socket pair per party, the address filter (strict
//     or symmetric latching), RTCP termination, the RTP timeout, and one
//     outgoing stream whose SSRC, sequence numbers and timestamps stay
//     continuous whatever feeds it — prompt, ringback or the other party
//     (leg*.go, sequencer.go, RFC 3550 §5.1);
//   - the player that paces local audio in 20 ms frames (player.go) and the
//     bridge that forwards between two legs, remapping payload types and
//     converting A-law↔μ-law when the legs differ (bridge.go);
//   - RFC 4733 telephone-event decoding and the DTMF collector of the AXE
//     mode as a pure state machine (dtmf.go, collector.go);
//   - the small SDP subset a G.711 relay needs: parse the peer's audio
//     description, answer or offer ours (sdp.go, RFC 3264, RFC 4566).
//
// The package knows nothing of SIP: package sip creates legs, feeds them the
// peer's SDP and asks for prompts and bridges. docs/MEDIA.md describes that
// API and the design choices.
package media
