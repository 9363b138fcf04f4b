package media

import (
	"encoding/binary"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
)

// maxPacket is the receive buffer: an Ethernet MTU's worth. G.711 at 20 ms
// is 172 bytes; anything longer than this is no voice packet of ours.
const maxPacket = 1500

// readRTP is the RTP socket's goroutine.
func (l *Leg) readRTP() {
	defer l.wg.Done()
	buf := make([]byte, maxPacket)
	var pkt rtp.Packet
	var dtmf DTMFDecoder
	hook := l.eng.testHookRTP
	for {
		n, src, err := l.rtp.ReadFromUDPAddrPort(buf)
		if err != nil {
			select {
			case <-l.done:
				return
			default:
				continue // e.g. ICMP port unreachable reported on a later read
			}
		}
		l.handleRTP(buf[:n], src, &pkt, &dtmf)
		if hook != nil {
			hook(l)
		}
	}
}

// handleRTP filters, counts, decodes and forwards one packet.
func (l *Leg) handleRTP(b []byte, src netip.AddrPort, pkt *rtp.Packet, dtmf *DTMFDecoder) {
	if !l.acceptRTP(src) {
		l.stats.foreign.Add(1)
		return
	}
	// RTCP multiplexed on the RTP port (RFC 5761 §4: packet types
	// 192–223 in the second byte) is liveness, never media.
	if len(b) >= 2 && b[1] >= 192 && b[1] <= 223 {
		l.alive(&l.stats.rtcpIn)
		return
	}
	if err := pkt.Unmarshal(b); err != nil || pkt.Version != 2 {
		l.stats.malformed.Add(1)
		return
	}
	now := l.alive(&l.stats.rtpIn)
	pay := l.payload.Load()
	if pay.HasEvents() && pkt.PayloadType == pay.Event {
		if d, ok := dtmf.Push(pkt.Timestamp, pkt.Payload); ok {
			l.stats.digits.Add(1)
			select {
			case l.digits <- d:
			default:
			}
		}
	}
	if t := l.rec.Load(); t != nil && pkt.PayloadType == pay.Audio && pay.Codec != NoCodec {
		t.r.push(t.ch, pay.Codec, pkt.Payload, time.Duration(now))
	}
	if to := l.peer.Load(); to != nil {
		to.forward(b, pkt, pay, now)
	}
}

// readRTCP is the RTCP socket's goroutine: filter, count, drop.
func (l *Leg) readRTCP() {
	defer l.wg.Done()
	buf := make([]byte, maxPacket)
	for {
		n, src, err := l.rtcp.ReadFromUDPAddrPort(buf)
		if err != nil {
			select {
			case <-l.done:
				return
			default:
				continue
			}
		}
		r := l.remote.Load()
		ip := r.rtcpIP
		if r.latched.IsValid() {
			ip = r.latched.Addr()
		}
		if !ip.IsValid() || src.Addr().Unmap() != ip {
			l.stats.foreign.Add(1)
			continue
		}
		// RFC 3550 §6.4: version 2, packet type 200–204 (SR, RR, SDES,
		// BYE, APP) first in a compound packet.
		if n < 8 || buf[0]>>6 != 2 || buf[1] < 200 || buf[1] > 204 {
			l.stats.malformed.Add(1)
			continue
		}
		l.alive(&l.stats.rtcpIn)
		if h := l.eng.testHookRTCP; h != nil {
			h()
		}
	}
}

// alive counts a packet from the peer in c, records it as the last sign of
// life, and returns the engine time.
func (l *Leg) alive(c *atomic.Uint64) int64 {
	c.Add(1)
	now := int64(l.eng.now())
	l.lastRx.Store(now)
	return now
}

// acceptRTP is the source filter of SPEC §4.3.
func (l *Leg) acceptRTP(src netip.AddrPort) bool {
	src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
	r := l.remote.Load()
	if l.latching == LatchStrict {
		return r.rtp.IsValid() && src == r.rtp
	}
	if r.latched.IsValid() {
		return src == r.latched
	}
	// Learn the first source. Only this goroutine latches, but SetRemote
	// may race with it: if it did, this packet is judged again next time.
	learned := *r
	learned.latched = src
	return l.remote.CompareAndSwap(r, &learned)
}

// forward sends a packet received on the bridged leg (with that leg's
// payload mapping from) to this leg's peer: payload type remapped, A-law↔
// μ-law converted when the legs differ, the header rewritten onto this
// leg's stream. b is the packet in the reader's buffer; it is modified in
// place.
func (l *Leg) forward(b []byte, pkt *rtp.Packet, from *Payload, now int64) {
	to := l.payload.Load()
	var (
		pt      uint8
		samples uint32
		audio   bool
	)
	switch {
	case pkt.PayloadType == from.Audio && from.Codec != NoCodec:
		pt, samples, audio = to.Audio, uint32(len(pkt.Payload)), true
	case from.HasEvents() && pkt.PayloadType == from.Event && to.HasEvents():
		pt = to.Event
	default:
		// Comfort noise, video, an event the peer cannot take: dropped.
		l.stats.dropped.Add(1)
		return
	}
	// Keep only the fixed header: CSRCs and header extensions describe
	// the other party's stream, and padding is not ours to keep
	// (RFC 3550 §5.1, §5.3.1).
	if len(b) != rtpHeaderLen+len(pkt.Payload) {
		n := copy(b[rtpHeaderLen:], pkt.Payload)
		b = b[:rtpHeaderLen+n]
		b[0] = 2 << 6
	}
	payload := b[rtpHeaderLen:]
	if audio && from.Codec != to.Codec {
		if to.Codec == PCMA {
			TranscodeULawToALaw(payload, payload)
		} else {
			TranscodeALawToULaw(payload, payload)
		}
	}

	l.outMu.Lock()
	defer l.outMu.Unlock()
	if pb := l.playing; pb != nil {
		if !pb.interruptibleLocked() {
			l.stats.dropped.Add(1) // a prompt is playing: the peer hears it out
			return
		}
		pb.endLocked(false) // ringback gives way to the other party
	}
	dst := l.remote.Load().target()
	if !dst.IsValid() {
		l.stats.dropped.Add(1)
		return
	}
	seq, ts, first := l.out.Next(uint64(pkt.SSRC), pkt.SequenceNumber, pkt.Timestamp, samples, time.Duration(now))
	marker := pkt.Marker || (first && audio)
	writeHeader(b, marker, pt, seq, ts, l.out.SSRC())
	if _, err := l.rtp.WriteToUDPAddrPort(b, dst); err != nil {
		l.stats.dropped.Add(1)
		return
	}
	l.stats.forwarded.Add(1)
}

const rtpHeaderLen = 12

// writeHeader fills the fixed RTP header fields the stream owns (RFC 3550
// §5.1): marker and payload type, sequence number, timestamp, SSRC. The
// first byte (version, padding, extension, CSRC count) is left as is.
func writeHeader(b []byte, marker bool, pt uint8, seq uint16, ts, ssrc uint32) {
	b[1] = pt & 0x7F
	if marker {
		b[1] |= 0x80
	}
	binary.BigEndian.PutUint16(b[2:], seq)
	binary.BigEndian.PutUint32(b[4:], ts)
	binary.BigEndian.PutUint32(b[8:], ssrc)
}
