package sip

// The media of a call (SPEC §4.3). In relay mode — and in passthrough mode
// for a call that must play something — xnum terminates RTP on both legs:
// each party gets an SDP written by xnum alone (media.advertise, a port of
// media.rtp_ports, its own o= identity), never a rewrite of the other
// party's, and package media forwards between the two legs. docs/MEDIA.md
// is the media side of this contract, docs/SIP.md the signalling side.

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/xnum/xnum/media"
	"github.com/xnum/xnum/routing"
)

// PromptBook finds the audio of a prompt (SPEC §4.3): the app's own when
// it uploaded one, else the built-in one. false plays nothing — an unknown
// name, "none", or a prompt the app silenced. *media.PromptLibrary is one.
type PromptBook interface {
	Prompt(appKey, name string) (*media.Prompt, bool)
}

// Media modes (media.mode).
const (
	MediaRelay       = "relay"
	MediaPassthrough = "passthrough"
)

// ptime of every description xnum writes: its own audio is in 20 ms frames.
const ourPtime = 20

// callMedia is the media state of one call. Only the call's loop touches it.
type callMedia struct {
	on   bool // RTP anchored on xnum for this call
	a, b *media.Leg

	offerA   *media.Audio // A's initial offer; nil for a late offer or when unusable
	offerErr error        // why A's offer is unusable (nil when there is none)
	payA     media.Payload
	payB     media.Payload
	haveB    bool   // B's description is applied to leg b
	answerA  []byte // xnum's answer to A's offer: every 18x and the 200 carry it
	earlyA   bool   // answerA went out in an 18x: A may be hearing us already
	offerB   *media.Audio
	answered bool // the call is up: RTP timeouts run

	// Each party's own direction as its latest description says, and the
	// direction xnum last signalled to it.
	dirA, dirB media.Direction
	ourA, ourB media.Direction
	// The address each party's description names (what strict latching
	// accepts).
	remA, remB netip.AddrPort

	timeoutA, timeoutB <-chan struct{}

	// Recording (SPEC §4.3): the hint tone plays first, then both parties
	// are recorded.
	recHint  <-chan struct{} // the hint's end on A's leg, nil when none plays
	rec      *media.Recording
	recStart time.Time
}

// parseOffer reads A's initial offer once, in every mode: relay needs it,
// and passthrough needs it for a prompt.
func (c *call) parseOffer() {
	if c.s.d.Media == nil || c.aOffer == nil {
		return
	}
	a, err := media.ParseSDP(c.aOffer)
	if err != nil {
		c.m.offerErr = err
		return
	}
	p, err := a.Negotiate()
	if err != nil {
		c.m.offerErr = err
		return
	}
	c.m.offerA, c.m.payA, c.m.dirA = a, p, a.Direction
}

// mediaErr classifies a failure of the media plane for the call's release.
func mediaErr(err error) error {
	switch {
	case errors.Is(err, media.ErrNoCodec), errors.Is(err, media.ErrNoAudio), errors.Is(err, media.ErrBadSDP):
		return fmt.Errorf("%w: %w", ErrNoCodec, err)
	default:
		return fmt.Errorf("%w: %w", ErrMedia, err)
	}
}

// openA opens A's leg and writes xnum's answer to A's offer. The codec is
// A's first G.711 and stays for the whole call (SPEC §4.3); the answer is
// kept byte for byte, so the 200 repeats the 183 (RFC 3261 §13.2.1).
func (c *call) openA() error {
	if c.m.a != nil {
		return nil
	}
	l, err := c.s.d.Media.NewLeg()
	if err != nil {
		return mediaErr(err)
	}
	c.m.a = l
	if c.m.offerA == nil {
		return nil // late offer: the remote comes with A's answer in the ACK
	}
	c.m.remA = c.m.offerA.RTP()
	l.SetRemote(c.m.remA)
	l.SetPayload(c.m.payA)
	c.m.ourA = c.m.dirA.Reverse()
	c.m.answerA, err = c.describe(legA, c.m.payA.Formats(), c.m.ourA)
	return err
}

// describe writes xnum's description for one leg, with that leg's o=
// identity (version raised only when the body changes, RFC 3264 §8).
func (c *call) describe(id legID, formats []media.Format, dir media.Direction) ([]byte, error) {
	l := c.m.a
	if id == legB {
		l = c.m.b
	}
	body := media.BuildSDP(media.SDPParams{Addr: c.s.mediaAddr, Port: l.Port(), Formats: formats, Ptime: ourPtime, Direction: dir})
	return c.leg(id).sdp.rewrite(body, c.s.advHost)
}

// prompt resolves a prompt name for this call's app.
func (c *call) promptOf(name string) (*media.Prompt, bool) {
	if name == "" || c.s.d.Prompts == nil {
		return nil, false
	}
	return c.s.d.Prompts.Prompt(c.dec.App.Key, name)
}

// canPlayToA: A offered a codec xnum has (SPEC §4.3: else no prompt).
func (c *call) canPlayToA() bool {
	return c.s.d.Media != nil && c.m.offerA != nil
}

// mustAnchor: in passthrough mode, a call that plays something to its
// parties stays relayed for its whole life (SPEC §4.3).
func (c *call) mustAnchor() bool {
	b := c.dec.Options
	if c.m.a != nil {
		return true // A already talks to xnum's leg (callin ringback, AXE collection)
	}
	if c.canPlayToA() {
		if _, ok := c.promptOf(b.PreVoice.CallerHintTone); ok {
			return true
		}
	}
	_, ok := c.promptOf(b.LastMinVoice)
	_, hint := c.promptOf(b.PreVoice.CalleeHintTone)
	return ok || hint || c.wantsRecording()
}

// wantsRecording: the binding asks for it and its app allows it (SPEC §4.3,
// §5: recordFlag needs the app's recording option).
func (c *call) wantsRecording() bool {
	return c.s.d.RecordDir != "" && c.dec.Options.RecordFlag && c.dec.App.Recording
}

// connectMedia opens both legs and bridges them before the B INVITE leaves,
// and returns B's offer (nil for a late offer: B's 200 will carry its
// offer). With a preVoice prompt, A gets the 183 now and hears the prompt,
// then ringback until B's early media replaces it (SPEC §3 item 4, §4.3).
func (c *call) connectMedia() ([]byte, error) {
	if c.m.offerErr != nil {
		return nil, mediaErr(c.m.offerErr)
	}
	if err := c.openA(); err != nil {
		return nil, err
	}
	l, err := c.s.d.Media.NewLeg()
	if err != nil {
		return nil, mediaErr(err)
	}
	c.m.b = l
	if _, err := media.NewBridge(c.m.a, c.m.b); err != nil {
		return nil, mediaErr(err)
	}
	if c.m.offerA == nil {
		return nil, nil
	}
	c.m.ourB = c.m.dirA // xnum sends to B what A sends, and the reverse
	body, err := c.describe(legB, media.OfferFormats(c.m.payA.Codec, c.m.payA.HasEvents()), c.m.ourB)
	if err != nil {
		return nil, err
	}
	if p, ok := c.promptOf(c.dec.Options.PreVoice.CallerHintTone); ok {
		c.earlyToA(183)
		c.m.a.Play(media.PromptSource(p), media.Ringback())
	}
	return body, nil
}

// earlyToA sends A an 18x carrying xnum's answer.
func (c *call) earlyToA(status int) {
	if c.aFinal != 0 {
		c.m.earlyA = true
		return // A has its 200 already (mode_local.go): nothing is early any more
	}
	res := c.s.response(c.aReq, status, c.a.localTag)
	res.AppendHeader(c.s.contact(c.a.transport))
	setSDP(res, c.m.answerA)
	c.m.earlyA = true
	c.s.respond(c.aTx, res)
}

// applyB reads B's answer (early offer) from an 18x or the 200 and points
// leg b at it; B keeps A's codec when it offers it, else the laws are
// converted (SPEC §4.3).
func (c *call) applyB(body []byte) error {
	a, err := media.ParseSDP(body)
	if err != nil {
		return err
	}
	p, err := a.NegotiatePrefer(c.m.payA.Codec)
	if err != nil {
		return err
	}
	c.m.remB = a.RTP()
	c.m.b.SetRemote(c.m.remB)
	c.m.b.SetPayload(p)
	c.m.payB, c.m.dirB, c.m.haveB = p, a.Direction, true
	return nil
}

// bProvisionalBody is the SDP of the 18x relayed to A in relay mode: xnum's
// answer once B's early media has a description, or once A has it already.
func (c *call) bProvisionalBody(sdp []byte) []byte {
	if c.m.offerA == nil {
		return nil // late offer: no description before the 200
	}
	if sdp != nil {
		_ = c.applyB(sdp) // unusable early SDP: B's 200 decides
	}
	if c.m.haveB || c.m.earlyA {
		c.m.earlyA = true
		return c.m.answerA
	}
	return nil
}

// b2xxBody is the SDP of the 200 to A in relay mode: for an early offer,
// the answer A already has (B's answer is applied to leg b); for a late
// offer, xnum's offer to A built on B's offer.
func (c *call) b2xxBody(sdp []byte) ([]byte, error) {
	if c.m.offerA != nil {
		if sdp != nil {
			if err := c.applyB(sdp); err != nil && !c.m.haveB {
				return nil, mediaErr(err)
			}
		}
		if !c.m.haveB {
			return nil, mediaErr(media.ErrBadSDP)
		}
		return c.m.answerA, nil
	}
	if sdp == nil {
		return nil, mediaErr(media.ErrNoAudio)
	}
	a, err := media.ParseSDP(sdp)
	if err != nil {
		return nil, mediaErr(err)
	}
	p, err := a.Negotiate()
	if err != nil {
		return nil, mediaErr(err)
	}
	c.m.remB = a.RTP()
	c.m.b.SetRemote(c.m.remB)
	c.m.b.SetPayload(p)
	c.m.offerB, c.m.payB, c.m.dirB, c.m.haveB = a, p, a.Direction, true
	c.m.ourA = c.m.dirB
	return c.describe(legA, media.OfferFormats(p.Codec, p.HasEvents()), c.m.ourA)
}

// lateAnswer takes A's answer from its ACK (late offer) and returns xnum's
// answer to B's offer for the ACK to B. ok is false when A's answer is
// missing or unusable: B still gets an answer, and the call is released.
func (c *call) lateAnswer(sdp []byte) (body []byte, ok bool) {
	c.m.ourB = c.m.dirB.Reverse()
	body, err := c.describe(legB, c.m.payB.Formats(), c.m.ourB)
	if err != nil {
		return nil, false
	}
	if sdp == nil {
		return body, false
	}
	a, err := media.ParseSDP(sdp)
	if err != nil {
		return body, false
	}
	p, err := a.NegotiatePrefer(c.m.payB.Codec)
	if err != nil {
		return body, false
	}
	c.m.remA = a.RTP()
	c.m.a.SetRemote(c.m.remA)
	c.m.a.SetPayload(p)
	c.m.payA, c.m.dirA = p, a.Direction
	c.expectRTP()
	return body, true
}

// mediaAnswered: the 200 went to A. Local audio to A stops (B's media takes
// over), and the RTP timeouts start (SPEC §4.3).
func (c *call) mediaAnswered() {
	if !c.m.on {
		return
	}
	c.m.a.StopPlayback()
	c.m.answered = true
	c.m.timeoutA, c.m.timeoutB = c.m.a.Timeout(), c.m.b.Timeout()
	c.expectRTP()
	// B hears preVoice.calleeHintTone first (SPEC §5), then, like A, the
	// recording notice; A's voice waits while B's prompts play.
	var toB []media.Source
	if p, ok := c.promptOf(c.dec.Options.PreVoice.CalleeHintTone); ok {
		toB = append(toB, media.PromptSource(p))
	}
	if c.wantsRecording() {
		toB = c.recordHint(toB)
	}
	if len(toB) > 0 {
		c.m.b.Play(toB...)
	}
}

// recordHint plays recordHintTone (the built-in recording notice when the
// binding names none) to A now and adds it to what B hears; recording
// starts when A's ends.
func (c *call) recordHint(toB []media.Source) []media.Source {
	name := c.dec.Options.RecordHintTone
	if name == "" {
		name = routing.PromptRecording
	}
	p, ok := c.promptOf(name)
	if !ok {
		c.startRecording()
		return toB
	}
	c.m.recHint = c.m.a.Play(media.PromptSource(p)).Done()
	return append(toB, media.PromptSource(p))
}

// startRecording opens <record.dir>/<appKey>/<sessionId>.wav, A left and
// B right. The app's folder is what makes a recording downloadable by its
// app only (SPEC §5).
func (c *call) startRecording() {
	c.m.recHint = nil
	if c.ended || c.m.rec != nil {
		return
	}
	app := c.dec.App.Key
	if app == "" || app == "." || app == ".." || strings.ContainsAny(app, `/\`) {
		c.s.log.Warn("sip recording not started: app key unusable as a folder")
		return
	}
	dir := filepath.Join(c.s.d.RecordDir, app)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		c.s.log.Warn("sip recording not started", "err", err)
		return
	}
	rec, err := media.StartRecording(filepath.Join(dir, c.recordName()), c.m.a, c.m.b)
	if err != nil {
		c.s.log.Warn("sip recording not started", "err", err)
		return
	}
	c.m.rec, c.m.recStart = rec, c.s.now()
}

// recordName is the recording's file name: the call's sessionId, which
// the CDR and the events carry too (SPEC §6.1).
func (c *call) recordName() string { return c.sessionID + ".wav" }

// expectRTP: the RTP timeout of a leg runs only while its party is expected
// to send — its own description says it sends and xnum's says it receives
// (hold stops it, resuming restarts it).
func (c *call) expectRTP() {
	if !c.m.answered {
		return
	}
	c.m.a.SetExpectRTP(c.m.dirA.Sends() && c.m.ourA.Receives())
	c.m.b.SetExpectRTP(c.m.dirB.Sends() && c.m.ourB.Receives())
}

// onRTPTimeout: a party that should send stopped (SPEC §4.2: 7505 on A's
// leg, 7506 on B's; BYE both).
func (c *call) onRTPTimeout(id legID) {
	if id == legA {
		c.m.timeoutA = nil
	} else {
		c.m.timeoutB = nil
	}
	if c.ended || c.aFinal != 200 {
		return
	}
	c.hangup(c.s.d.Table.ForRTPTimeout(id == legA), relPlatform, legNone)
}

// closeMedia frees the legs (their ports go to quarantine). It runs after
// every BYE has left.
func (c *call) closeMedia() {
	if c.m.rec != nil {
		if _, err := c.m.rec.Close(); err != nil {
			c.s.log.Warn("sip recording not completed", "err", err)
		}
	}
	for _, l := range []*media.Leg{c.m.a, c.m.b} {
		if l != nil {
			l.Close()
		}
	}
}

// mediaLeg is leg id's media end.
func (c *call) mediaLeg(id legID) *media.Leg {
	if id == legA {
		return c.m.a
	}
	return c.m.b
}

// startPrompt plays a rejected call's prompt to A as early media — 183 with
// xnum's answer, the prompt once — and the loop sends the final response
// when it ends (onPromptDone). false when there is nothing A can hear:
// no prompt, "none", a late offer, or no codec in common (SPEC §4.3).
func (c *call) startPrompt(rel routing.Release) bool {
	if !c.canPlayToA() {
		return false
	}
	p, ok := c.promptOf(rel.Prompt)
	if !ok {
		return false
	}
	c.m.on = true
	if err := c.openA(); err != nil {
		c.s.log.Debug("sip prompt not played", "err", err)
		return false
	}
	c.earlyToA(183)
	pb := c.m.a.Play(media.PromptSource(p))
	c.prompt = &promptPlay{rel: rel, done: pb.Done(), stop: pb.Stop}
	return true
}

// playLastMinute plays lastMinVoice to both parties (SPEC §3 item 4); the
// bridged audio waits while it plays.
func (c *call) playLastMinute() {
	p, ok := c.promptOf(c.dec.Options.LastMinVoice)
	if !ok || !c.m.on || c.ended {
		return
	}
	c.m.a.Play(media.PromptSource(p))
	c.m.b.Play(media.PromptSource(p))
}
