package media

import (
	"bytes"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// The SDP subset a G.711 relay needs (RFC 4566 syntax, RFC 3264
// offer/answer): the first usable m=audio of the peer's description with
// its connection address, payload formats (rtpmap, fmtp), ptime and
// direction; and our own description for one leg. Session-level lines
// other than c= and the direction attribute are ignored; package sip owns
// o= and whatever else crosses between the legs.

// Direction is the stream direction attribute (RFC 3264 §5.1, §6.1),
// always as seen by the side that wrote it.
type Direction uint8

// Directions. The zero value is sendrecv, the default when none is given.
const (
	SendRecv Direction = iota
	SendOnly
	RecvOnly
	Inactive
)

func (d Direction) String() string {
	return [...]string{"sendrecv", "sendonly", "recvonly", "inactive"}[d&3]
}

// Sends reports whether the writer of the description sends media.
func (d Direction) Sends() bool { return d == SendRecv || d == SendOnly }

// Receives reports whether the writer receives media. Applied to the
// direction xnum signals on a leg, it is the value for SetExpectRTP.
func (d Direction) Receives() bool { return d == SendRecv || d == RecvOnly }

// Reverse is the direction an answerer takes for an offer of d (RFC 3264
// §6.1): sendonly ↔ recvonly; sendrecv and inactive stay.
func (d Direction) Reverse() Direction {
	switch d {
	case SendOnly:
		return RecvOnly
	case RecvOnly:
		return SendOnly
	}
	return d
}

// DirectionOf is the direction of a side that sends and/or receives.
func DirectionOf(sends, receives bool) Direction {
	switch {
	case sends && receives:
		return SendRecv
	case sends:
		return SendOnly
	case receives:
		return RecvOnly
	}
	return Inactive
}

// AnswerThrough is the direction xnum answers an offer of direction offer
// with, when the media comes from and goes to another party whose own
// direction is other (RFC 3264 §6.1): xnum sends only what the offerer
// will receive and the other party sends, and receives only what the
// offerer sends and the other party will receive.
func AnswerThrough(offer, other Direction) Direction {
	return DirectionOf(offer.Receives() && other.Sends(), offer.Sends() && other.Receives())
}

func parseDirection(attr string) (Direction, bool) {
	switch attr {
	case "sendrecv":
		return SendRecv, true
	case "sendonly":
		return SendOnly, true
	case "recvonly":
		return RecvOnly, true
	case "inactive":
		return Inactive, true
	}
	return 0, false
}

// Format is one payload format of an m= line with its a=rtpmap and
// a=fmtp (RFC 4566 §6).
type Format struct {
	PT   uint8
	Name string // encoding name as written, e.g. "PCMU", "telephone-event"
	Rate int    // clock rate
	Fmtp string // format parameters, e.g. "0-15"
}

// Audio is the peer's audio stream: the first m=audio line with a non-zero
// port (port 0 is a rejected or disabled stream, RFC 3264 §6).
type Audio struct {
	Addr      netip.Addr // c= at media level, else session level
	Port      int
	Proto     string   // "RTP/AVP" normally
	Formats   []Format // in the m= line's order of preference
	Ptime     int      // a=ptime in ms; 0 when absent
	Direction Direction
}

// RTP is the address to send RTP to.
func (a *Audio) RTP() netip.AddrPort { return netip.AddrPortFrom(a.Addr, uint16(a.Port)) }

// Negotiate picks this leg's payload: the first PCMU or PCMA in the peer's
// order of preference (RFC 3264 §6.1: the answerer should use the
// offerer's order) and telephone-event/8000 if offered. ErrNoCodec when
// the peer offers neither law — SIP answers 488.
func (a *Audio) Negotiate() (Payload, error) {
	return a.negotiate(NoCodec)
}

// NegotiatePrefer is Negotiate preferring codec c when the peer offers it:
// for B's answer, keep A's codec if B can, else take what B has and
// transcode (SPEC §4.3).
func (a *Audio) NegotiatePrefer(c Codec) (Payload, error) {
	return a.negotiate(c)
}

func (a *Audio) negotiate(prefer Codec) (Payload, error) {
	var p Payload
	for _, f := range a.Formats {
		c := codecByName(f.Name)
		switch {
		case c != NoCodec && f.Rate == ClockRate && (p.Codec == NoCodec || c == prefer && p.Codec != prefer):
			p.Codec, p.Audio = c, f.PT
		case strings.EqualFold(f.Name, "telephone-event") && f.Rate == ClockRate && p.Event == 0 && f.PT >= 96:
			p.Event = f.PT
		}
	}
	if p.Codec == NoCodec {
		return Payload{}, ErrNoCodec
	}
	return p, nil
}

// ParseSDP reads the peer's audio stream. ErrBadSDP for a body that is no
// session description or whose address or m= line cannot be read;
// ErrNoAudio when there is no audio stream with a port.
func ParseSDP(body []byte) (*Audio, error) {
	if !bytes.HasPrefix(body, []byte("v=")) {
		return nil, ErrBadSDP
	}
	var (
		sessAddr, mediaAddr netip.Addr
		sessDir             = SendRecv
		cur                 *Audio // the m=audio being read
		found               *Audio
		inOther             bool // inside some other m= section
	)
	rtpmap := map[uint8]int{} // PT → index in cur.Formats
	for _, raw := range strings.Split(string(body), "\n") {
		line := strings.TrimRight(raw, "\r")
		if len(line) < 2 || line[1] != '=' {
			continue
		}
		val := line[2:]
		switch line[0] {
		case 'm':
			if found == nil && cur != nil {
				found = finishAudio(cur, mediaAddr, sessAddr)
			}
			cur, inOther, mediaAddr = nil, true, netip.Addr{}
			if found != nil {
				continue
			}
			a, err := parseMediaLine(val)
			if err != nil {
				return nil, err
			}
			if a != nil {
				cur, inOther = a, false
				a.Direction = sessDir
				clear(rtpmap)
				for i, f := range a.Formats {
					rtpmap[f.PT] = i
				}
			}
		case 'c':
			addr, err := parseConnection(val)
			if err != nil {
				return nil, err
			}
			switch {
			case cur != nil:
				mediaAddr = addr
			case !inOther:
				sessAddr = addr
			}
		case 'a':
			name, arg, _ := strings.Cut(val, ":")
			if d, ok := parseDirection(name); ok {
				if cur != nil {
					cur.Direction = d
				} else if !inOther {
					sessDir = d
				}
				continue
			}
			if cur == nil {
				continue
			}
			switch name {
			case "rtpmap":
				parseRtpmap(cur, rtpmap, arg)
			case "fmtp":
				pt, params, _ := strings.Cut(arg, " ")
				if n, err := strconv.ParseUint(pt, 10, 7); err == nil {
					if i, ok := rtpmap[uint8(n)]; ok {
						cur.Formats[i].Fmtp = strings.TrimSpace(params)
					}
				}
			case "ptime":
				if n, err := strconv.Atoi(strings.TrimSpace(arg)); err == nil && n > 0 && n <= 1000 {
					cur.Ptime = n
				}
			}
		}
	}
	if found == nil && cur != nil {
		found = finishAudio(cur, mediaAddr, sessAddr)
	}
	if found == nil {
		return nil, ErrNoAudio
	}
	if !found.Addr.IsValid() {
		return nil, fmt.Errorf("%w: no connection address for audio", ErrBadSDP)
	}
	return found, nil
}

// finishAudio completes an m=audio section; nil when its port is 0.
func finishAudio(a *Audio, mediaAddr, sessAddr netip.Addr) *Audio {
	if a.Port == 0 {
		return nil
	}
	a.Addr = sessAddr
	if mediaAddr.IsValid() {
		a.Addr = mediaAddr
	}
	return a
}

// parseMediaLine reads "audio PORT[/n] PROTO FMT…"; nil for other media.
func parseMediaLine(val string) (*Audio, error) {
	f := strings.Fields(val)
	if len(f) < 3 {
		return nil, fmt.Errorf("%w: m=%s", ErrBadSDP, val)
	}
	if f[0] != "audio" {
		return nil, nil
	}
	portStr, _, _ := strings.Cut(f[1], "/")
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("%w: m=%s", ErrBadSDP, val)
	}
	a := &Audio{Port: port, Proto: f[2]}
	for _, s := range f[3:] {
		pt, err := strconv.ParseUint(s, 10, 7)
		if err != nil {
			return nil, fmt.Errorf("%w: payload type %q", ErrBadSDP, s)
		}
		// Static types need no rtpmap (RFC 3551 §6); rtpmap overrides.
		fm := Format{PT: uint8(pt)}
		switch pt {
		case PayloadPCMU:
			fm.Name, fm.Rate = "PCMU", ClockRate
		case PayloadPCMA:
			fm.Name, fm.Rate = "PCMA", ClockRate
		}
		a.Formats = append(a.Formats, fm)
	}
	return a, nil
}

// parseConnection reads "IN IP4 ADDR[/ttl]" (RFC 4566 §5.7).
func parseConnection(val string) (netip.Addr, error) {
	f := strings.Fields(val)
	if len(f) != 3 || f[0] != "IN" || (f[1] != "IP4" && f[1] != "IP6") {
		return netip.Addr{}, fmt.Errorf("%w: c=%s", ErrBadSDP, val)
	}
	host, _, _ := strings.Cut(f[2], "/")
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("%w: c=%s is no IP address", ErrBadSDP, val)
	}
	return addr.Unmap(), nil
}

// parseRtpmap reads "PT NAME/RATE[/CHANNELS]".
func parseRtpmap(a *Audio, idx map[uint8]int, arg string) {
	pt, enc, ok := strings.Cut(arg, " ")
	n, err := strconv.ParseUint(pt, 10, 7)
	if !ok || err != nil {
		return
	}
	i, ok := idx[uint8(n)]
	if !ok {
		return
	}
	parts := strings.Split(strings.TrimSpace(enc), "/")
	a.Formats[i].Name = parts[0]
	if len(parts) > 1 {
		if r, err := strconv.Atoi(parts[1]); err == nil {
			a.Formats[i].Rate = r
		}
	}
}

// Formats is what xnum puts in its m= line for a payload: the audio codec
// and, if negotiated, telephone-event with the 16 DTMF keys (RFC 4733
// §7.1.1 "0-15").
func (p Payload) Formats() []Format {
	f := []Format{{PT: p.Audio, Name: p.Codec.String(), Rate: ClockRate}}
	if p.HasEvents() {
		f = append(f, Format{PT: p.Event, Name: "telephone-event", Rate: ClockRate, Fmtp: "0-15"})
	}
	return f
}

// TelephoneEventPT is the payload type xnum offers for telephone-events
// (dynamic, RFC 4733 §7.1.1; 101 is what most equipment uses).
const TelephoneEventPT = 101

// OfferFormats is the m= line of xnum's offer to B (SPEC §4.3): A's codec
// first, so B keeps it if it can, the other G.711 law next, so the call
// still connects by converting, and telephone-event when A negotiated it.
// Payload types are the static ones; B's answer may use others, and the
// bridge maps them.
func OfferFormats(first Codec, events bool) []Format {
	other := PCMA
	if first == PCMA {
		other = PCMU
	}
	f := []Format{
		{PT: first.StaticPayload(), Name: first.String(), Rate: ClockRate},
		{PT: other.StaticPayload(), Name: other.String(), Rate: ClockRate},
	}
	if events {
		f = append(f, Format{PT: TelephoneEventPT, Name: "telephone-event", Rate: ClockRate, Fmtp: "0-15"})
	}
	return f
}

// SDPParams describes xnum's side of one leg.
type SDPParams struct {
	SessionID, Version uint64 // o= (RFC 4566 §5.2); package sip keeps them per leg
	Addr               string // media.advertise: the address the peer sends to
	Port               int    // the leg's Port()
	Formats            []Format
	Ptime              int // ms; 0 leaves a=ptime out (20 ms default for G.711)
	Direction          Direction
}

// BuildSDP writes xnum's session description for one leg: nothing in it
// comes from the other party, so no address, name or identifier of one
// party reaches the other (SPEC §4.3).
func BuildSDP(p SDPParams) []byte {
	ipv := "IP4"
	if a, err := netip.ParseAddr(p.Addr); err == nil && a.Is6() && !a.Is4In6() {
		ipv = "IP6"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "v=0\r\no=xnum %d %d IN %s %s\r\ns=xnum\r\nc=IN %s %s\r\nt=0 0\r\n",
		p.SessionID, p.Version, ipv, p.Addr, ipv, p.Addr)
	fmt.Fprintf(&b, "m=audio %d RTP/AVP", p.Port)
	for _, f := range p.Formats {
		fmt.Fprintf(&b, " %d", f.PT)
	}
	b.WriteString("\r\n")
	for _, f := range p.Formats {
		fmt.Fprintf(&b, "a=rtpmap:%d %s/%d\r\n", f.PT, f.Name, f.Rate)
		if f.Fmtp != "" {
			fmt.Fprintf(&b, "a=fmtp:%d %s\r\n", f.PT, f.Fmtp)
		}
	}
	if p.Ptime > 0 {
		fmt.Fprintf(&b, "a=ptime:%d\r\n", p.Ptime)
	}
	fmt.Fprintf(&b, "a=%s\r\n", p.Direction)
	return []byte(b.String())
}
