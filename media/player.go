package media

import (
	"time"
)

// FramePeriod is the packet interval of local audio (ptime 20, RFC 3551
// §4.5.14).
const FramePeriod = 20 * time.Millisecond

// Playback is local audio playing on a leg: a list of sources played in
// order, one 20 ms frame per tick, through the leg's sequencer so the peer
// hears one continuous stream. It ends when the last source is exhausted,
// when Stop is called, when another Play replaces it, when the bridged
// leg's media replaces an interruptible source (ringback), or when the leg
// closes.
type Playback struct {
	leg   *Leg
	items []Source
	src   uint64 // sequencer source key: one per playback
	stop  chan struct{}
	done  chan struct{}

	// Under leg.outMu.
	idx      int
	seq      uint16
	ts       uint32
	ended    bool
	finished bool
	frame    [rtpHeaderLen + FrameSamples]byte
}

// localSource marks sequencer keys of playbacks, apart from the 32-bit
// SSRCs of forwarded streams.
const localSource = 1 << 40

// Play starts playing the sources in order — typically
// PromptSource(p) alone for a rejected call, or PromptSource(preVoice)
// then Ringback() while B is being reached. A playback already on the leg
// is stopped first. The first frame leaves at once, the next ones every
// 20 ms.
func (l *Leg) Play(sources ...Source) *Playback {
	pb := &Playback{
		leg:   l,
		items: sources,
		src:   localSource | l.eng.srcID.Add(1),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	l.outMu.Lock()
	if old := l.playing; old != nil {
		old.endLocked(false)
	}
	l.playing = pb
	l.outMu.Unlock()
	go pb.run()
	return pb
}

// StopPlayback stops whatever plays on the leg (barge-in, or before
// bridging).
func (l *Leg) StopPlayback() {
	l.outMu.Lock()
	if pb := l.playing; pb != nil {
		pb.endLocked(false)
	}
	l.outMu.Unlock()
}

// Stop ends the playback; no frame of it is sent after Stop returns.
func (pb *Playback) Stop() {
	pb.leg.outMu.Lock()
	pb.endLocked(false)
	pb.leg.outMu.Unlock()
}

// Done is closed when the playback has ended, whatever the reason.
func (pb *Playback) Done() <-chan struct{} { return pb.done }

// Finished reports whether the playback played every source to its end
// (false while playing and when it was stopped or replaced). Read it after
// Done is closed.
func (pb *Playback) Finished() bool {
	pb.leg.outMu.Lock()
	defer pb.leg.outMu.Unlock()
	return pb.finished
}

// endLocked ends the playback; leg.outMu held.
func (pb *Playback) endLocked(finished bool) {
	if pb.ended {
		return
	}
	pb.ended, pb.finished = true, finished
	if pb.leg.playing == pb {
		pb.leg.playing = nil
	}
	close(pb.stop)
}

// interruptibleLocked reports whether the current source gives way to
// forwarded media; leg.outMu held.
func (pb *Playback) interruptibleLocked() bool {
	return pb.idx < len(pb.items) && pb.items[pb.idx].Interruptible()
}

func (pb *Playback) run() {
	defer close(pb.done)
	if !pb.leg.sendFrame(pb) {
		return
	}
	t := pb.leg.eng.cfg.NewTicker(FramePeriod)
	defer t.Stop()
	for {
		select {
		case <-pb.stop:
			return
		case <-pb.leg.done:
			pb.Stop()
			return
		case <-t.C():
		}
		if !pb.leg.sendFrame(pb) {
			return
		}
	}
}

// sendFrame sends the playback's next frame; false when it has ended.
func (l *Leg) sendFrame(pb *Playback) bool {
	l.outMu.Lock()
	defer l.outMu.Unlock()
	if pb.ended {
		return false
	}
	pay := l.payload.Load()
	b := pb.frame[:]
	for pb.idx < len(pb.items) && !pb.items[pb.idx].Frame(pay.Codec, b[rtpHeaderLen:]) {
		pb.idx++
	}
	if pb.idx == len(pb.items) {
		pb.endLocked(true)
		return false
	}
	dst := l.remote.Load().target()
	seq, ts, first := l.out.Next(pb.src, pb.seq, pb.ts, FrameSamples, l.eng.now())
	pb.seq++
	pb.ts += FrameSamples
	if !dst.IsValid() {
		l.stats.dropped.Add(1)
		return true
	}
	b[0] = 2 << 6 // RTP version 2, no padding, extension or CSRC
	writeHeader(b, first, pay.Audio, seq, ts, l.out.SSRC())
	if _, err := l.rtp.WriteToUDPAddrPort(b, dst); err != nil {
		l.stats.dropped.Add(1)
		return true
	}
	l.stats.played.Add(1)
	return true
}
