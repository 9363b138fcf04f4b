package media

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// A recording of a bridged call: A speaks for half a second, then B; the
// file is a stereo 8 kHz 16-bit WAV of the call's length, A's tone in the
// left channel where A spoke, B's in the right where B spoke, silence
// elsewhere (SPEC §4.3). The engine clock is the test's.
func TestRecordingStereo(t *testing.T) {
	clk := newSyncClock()
	e := newTestEngine(t, func(c *Config) { c.Now = clk.Now })
	a, b, A, B, _ := bridgedPair(t, e, payU, payA)
	path := filepath.Join(t.TempDir(), "call.wav")
	rec, err := StartRecording(path, a, b)
	if err != nil {
		t.Fatal(err)
	}
	toneA, toneB := sine(FrameSamples, 1000, 9000), sine(FrameSamples, 500, 6000)
	ua, al := make([]byte, FrameSamples), make([]byte, FrameSamples)
	EncodeSamples(PCMU, ua, toneA)
	EncodeSamples(PCMA, al, toneB)
	const frames = 25
	for range frames { // A speaks, in μ-law
		A.sendAudio(legAddr(a), PayloadPCMU, ua)
		B.recv() // handled: the clock may move
		clk.Advance(FramePeriod)
	}
	for range frames { // then B, in A-law
		B.sendAudio(legAddr(b), PayloadPCMA, al)
		A.recv()
		clk.Advance(FramePeriod)
	}
	d, err := rec.Close()
	if err != nil {
		t.Fatal(err)
	}
	if want := 2 * frames * FramePeriod; d != want {
		t.Fatalf("recorded %v, want %v", d, want)
	}
	if _, err := rec.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	le16 := func(o int) uint16 { return binary.LittleEndian.Uint16(raw[o:]) }
	le32 := func(o int) uint32 { return binary.LittleEndian.Uint32(raw[o:]) }
	if string(raw[0:4]) != "RIFF" || string(raw[8:16]) != "WAVEfmt " || le16(20) != 1 || le16(22) != 2 ||
		le32(24) != 8000 || le16(34) != 16 || string(raw[36:40]) != "data" {
		t.Fatalf("header %q", raw[:44])
	}
	n := int(le32(40)) / 4
	if n != 2*frames*FrameSamples || int(le32(4)) != len(raw)-8 {
		t.Fatalf("data %d frames, RIFF size %d of %d bytes", n, le32(4), len(raw))
	}
	left, right := make([]int16, n), make([]int16, n)
	for i := range n {
		left[i] = int16(le16(44 + 4*i))
		right[i] = int16(le16(44 + 4*i + 2))
	}
	half := frames * FrameSamples
	near := func(ch []int16, want []int16, what string) {
		t.Helper()
		for i := range ch {
			w := int32(0)
			if want != nil {
				w = int32(want[i%FrameSamples])
			}
			if d := abs32(int32(ch[i]) - w); d > 600 {
				t.Fatalf("%s: sample %d is %d, want about %d", what, i, ch[i], w)
			}
		}
	}
	near(left[:half], toneA, "left while A speaks")
	near(left[half:], nil, "left while B speaks")
	near(right[:half], nil, "right while A speaks")
	near(right[half:], toneB, "right while B speaks")

	// A packet after Close records nothing and does not fail.
	A.sendAudio(legAddr(a), PayloadPCMU, ua)
	B.recv()
	if st, _ := os.Stat(path); st.Size() != int64(44+4*n) {
		t.Errorf("file changed after Close: %d bytes", st.Size())
	}
}
