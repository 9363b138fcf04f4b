package media

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"os"
	"sync"
	"time"
)

// Recording writes a call to one stereo WAV file (SPEC §4.3): 8 kHz 16-bit
// PCM, the first leg's party in the left channel and the second's in the
// right. Each channel is what that party sends, decoded from G.711 as it
// arrives — the voice the other party hears, before any prompt xnum plays
// over it.
//
// Alignment is by arrival time: a party's packets are appended to its
// channel in order, and a channel that has nothing for longer than a
// jitter allowance (silence suppression, hold, a party that never speaks)
// is filled with silence up to the wall-clock position, so the two
// channels stay within that allowance of each other. Samples are written
// as soon as both channels have them, through a buffer: memory stays small
// whatever the call's length.
type Recording struct {
	path string
	legs [2]*Leg

	mu      sync.Mutex
	f       *os.File
	w       *bufio.Writer
	start   time.Duration // engine clock at the start
	pending [2][]int16    // samples not yet written, per channel
	written int64         // frames (sample pairs) written
	err     error
	closed  bool
	scratch []int16
	out     []byte
}

// recordSlack is how far behind the wall clock a channel may lag before
// silence fills it: long enough for network jitter, short enough that the
// channels stay in step.
const recordSlack = 100 * time.Millisecond

// wavHeaderLen is the size of the RIFF, fmt and data chunk headers.
const wavHeaderLen = 44

// StartRecording creates the file at path and records left's and right's
// parties into it until Close. A leg records into one recording at a time;
// the previous one is replaced.
//
// The legs are tapped before the file appears, under the recording's lock
// (packets wait for the file): once the file exists, every packet is
// recorded.
func StartRecording(path string, left, right *Leg) (*Recording, error) {
	r := &Recording{path: path, legs: [2]*Leg{left, right}, start: left.eng.now()}
	r.mu.Lock()
	tl, tr := &recTap{r: r, ch: 0}, &recTap{r: r, ch: 1}
	oldL, oldR := left.rec.Swap(tl), right.rec.Swap(tr)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err == nil {
		r.f, r.w = f, bufio.NewWriterSize(f, 32<<10)
		if _, err = r.w.Write(wavHeader(0)); err != nil {
			f.Close()
			os.Remove(path)
		}
	}
	if err != nil {
		r.closed = true
		r.mu.Unlock()
		left.rec.CompareAndSwap(tl, oldL)
		right.rec.CompareAndSwap(tr, oldR)
		return nil, fmt.Errorf("media: recording: %w", err)
	}
	r.mu.Unlock()
	return r, nil
}

// recTap is a leg's place in a recording.
type recTap struct {
	r  *Recording
	ch int
}

// Path is the file being written.
func (r *Recording) Path() string { return r.path }

// push appends one packet's payload (in codec c) to channel ch at engine
// time now.
func (r *Recording) push(ch int, c Codec, payload []byte, now time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || r.err != nil {
		return
	}
	r.fill(ch, now)
	if cap(r.scratch) < len(payload) {
		r.scratch = make([]int16, len(payload))
	}
	s := r.scratch[:len(payload)]
	DecodeSamples(c, s, payload)
	r.pending[ch] = append(r.pending[ch], s...)
	r.flush()
}

// fill pads the channels with silence before a packet of channel ch
// arrives at time now: a channel more than recordSlack behind the clock
// was silent — the arriving one is padded up to now, so its audio lands
// where it was spoken, the other one up to now less the slack.
func (r *Recording) fill(ch int, now time.Duration) {
	at := samplesIn(now - r.start)
	limit := at - samplesIn(recordSlack)
	for c := range r.pending {
		have := r.written + int64(len(r.pending[c]))
		if have >= limit {
			continue
		}
		to := limit
		if c == ch {
			to = at
		}
		r.pending[c] = append(r.pending[c], make([]int16, to-have)...)
	}
}

func samplesIn(d time.Duration) int64 { return int64(max(d, 0)) * ClockRate / int64(time.Second) }

// flush writes the frames both channels have.
func (r *Recording) flush() {
	n := min(len(r.pending[0]), len(r.pending[1]))
	if n == 0 {
		return
	}
	if cap(r.out) < 4*n {
		r.out = make([]byte, 4*n)
	}
	b := r.out[:4*n]
	for i := range n {
		binary.LittleEndian.PutUint16(b[4*i:], uint16(r.pending[0][i]))
		binary.LittleEndian.PutUint16(b[4*i+2:], uint16(r.pending[1][i]))
	}
	if _, err := r.w.Write(b); err != nil {
		r.err = err
	}
	r.written += int64(n)
	for ch := range r.pending {
		r.pending[ch] = append(r.pending[ch][:0], r.pending[ch][n:]...)
	}
}

// Close stops recording, pads the shorter channel, completes the WAV
// header and closes the file. It returns the recorded duration.
// Idempotent.
func (r *Recording) Close() (time.Duration, error) {
	for ch, l := range r.legs {
		if t := l.rec.Load(); t != nil && t.r == r && t.ch == ch {
			l.rec.CompareAndSwap(t, nil)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return r.duration(), r.err
	}
	r.closed = true
	n := max(len(r.pending[0]), len(r.pending[1]))
	for ch := range r.pending {
		r.pending[ch] = append(r.pending[ch], make([]int16, n-len(r.pending[ch]))...)
	}
	r.flush()
	err := r.err
	if err == nil {
		err = r.w.Flush()
	}
	if err == nil {
		_, err = r.f.WriteAt(wavHeader(r.written), 0)
	}
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	r.err = err
	return r.duration(), err
}

func (r *Recording) duration() time.Duration {
	return time.Duration(r.written) * time.Second / ClockRate
}

// wavHeader is the 44-byte header of a stereo 8 kHz 16-bit PCM WAV file of
// frames sample pairs.
func wavHeader(frames int64) []byte {
	data := uint32(frames * 4)
	h := make([]byte, 0, wavHeaderLen)
	h = append(h, "RIFF"...)
	h = binary.LittleEndian.AppendUint32(h, 36+data)
	h = append(h, "WAVEfmt "...)
	h = binary.LittleEndian.AppendUint32(h, 16)
	h = binary.LittleEndian.AppendUint16(h, wavePCM)
	h = binary.LittleEndian.AppendUint16(h, 2)         // channels
	h = binary.LittleEndian.AppendUint32(h, ClockRate) // sample rate
	h = binary.LittleEndian.AppendUint32(h, ClockRate*4)
	h = binary.LittleEndian.AppendUint16(h, 4) // block align
	h = binary.LittleEndian.AppendUint16(h, 16)
	h = append(h, "data"...)
	return binary.LittleEndian.AppendUint32(h, data)
}
