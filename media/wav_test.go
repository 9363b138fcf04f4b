package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xnum/xnum/routing"
)

// wavFile builds a WAV file: fmt with the given tag, channels, rate and
// bits, optionally a LIST chunk before it, then data.
func wavFile(tag, channels uint16, rate uint32, bits uint16, data []byte, extra bool) []byte {
	var b bytes.Buffer
	chunk := func(id string, body []byte) {
		b.WriteString(id)
		binary.Write(&b, binary.LittleEndian, uint32(len(body)))
		b.Write(body)
		if len(body)%2 == 1 {
			b.WriteByte(0)
		}
	}
	b.WriteString("RIFF\x00\x00\x00\x00WAVE")
	if extra {
		chunk("LIST", []byte("INFOISFT\x03\x00\x00\x00xn\x00")) // odd length: exercises padding
	}
	fmtBody := make([]byte, 16)
	binary.LittleEndian.PutUint16(fmtBody[0:], tag)
	binary.LittleEndian.PutUint16(fmtBody[2:], channels)
	binary.LittleEndian.PutUint32(fmtBody[4:], rate)
	binary.LittleEndian.PutUint32(fmtBody[8:], rate*uint32(channels)*uint32(bits)/8)
	binary.LittleEndian.PutUint16(fmtBody[12:], channels*bits/8)
	binary.LittleEndian.PutUint16(fmtBody[14:], bits)
	chunk("fmt ", fmtBody)
	chunk("data", data)
	out := b.Bytes()
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out
}

func sine(n int, hz float64, amp float64) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(amp * math.Sin(2*math.Pi*hz*float64(i)/ClockRate))
	}
	return s
}

func pcmBytes(s []int16) []byte {
	b := make([]byte, 2*len(s))
	for i, v := range s {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
	}
	return b
}

func TestReadWAVFormats(t *testing.T) {
	samples := sine(800, 440, 12000)
	ulaw, alaw := make([]byte, len(samples)), make([]byte, len(samples))
	EncodeSamples(PCMU, ulaw, samples)
	EncodeSamples(PCMA, alaw, samples)

	for _, c := range []struct {
		name     string
		file     []byte
		wantU    []byte
		wantA    []byte
		exactPCM bool
	}{
		{"pcm16", wavFile(wavePCM, 1, 8000, 16, pcmBytes(samples), true), ulaw, alaw, true},
		{"ulaw", wavFile(waveULaw, 1, 8000, 8, ulaw, false), ulaw, nil, false},
		{"alaw", wavFile(waveALaw, 1, 8000, 8, alaw, true), nil, alaw, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := ReadWAV(bytes.NewReader(c.file))
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Samples()) != len(samples) || p.Duration().Milliseconds() != 100 {
				t.Fatalf("%d samples, %v", len(p.Samples()), p.Duration())
			}
			if c.exactPCM && !slices.Equal(p.Samples(), samples) {
				t.Error("16-bit samples changed on load")
			}
			if c.wantU != nil && !bytes.Equal(p.Payload(PCMU), c.wantU) {
				t.Error("PCMU payload differs")
			}
			if c.wantA != nil && !bytes.Equal(p.Payload(PCMA), c.wantA) {
				t.Error("PCMA payload differs")
			}
			// Both payloads carry the same audio: decoded, they stay
			// within one quantisation step of the original.
			for _, codec := range []Codec{PCMU, PCMA} {
				dec := make([]int16, len(samples))
				DecodeSamples(codec, dec, p.Payload(codec))
				for i := range dec {
					if d := abs32(int32(dec[i]) - int32(samples[i])); d > 1024 {
						t.Fatalf("%v sample %d: %d vs %d", codec, i, dec[i], samples[i])
					}
				}
			}
		})
	}
}

func TestReadWAVRejects(t *testing.T) {
	pcm := pcmBytes(sine(160, 440, 1000))
	for _, c := range []struct {
		name string
		file []byte
	}{
		{"stereo", wavFile(wavePCM, 2, 8000, 16, pcm, false)},
		{"16 kHz", wavFile(wavePCM, 1, 16000, 16, pcm, false)},
		{"8-bit pcm", wavFile(wavePCM, 1, 8000, 8, pcm, false)},
		{"24-bit pcm", wavFile(wavePCM, 1, 8000, 24, pcm, false)},
		{"float", wavFile(3, 1, 8000, 32, pcm, false)},
		{"empty data", wavFile(wavePCM, 1, 8000, 16, nil, false)},
		{"not wav", []byte("ID3\x04\x00 this is an mp3, honest")},
		{"riff but avi", append([]byte("RIFF\x10\x00\x00\x00AVI "), make([]byte, 16)...)},
		{"no fmt", []byte("RIFF\x0c\x00\x00\x00WAVEdata\x00\x00\x00\x00")},
		{"empty", nil},
		{"short fmt", []byte("RIFF\x14\x00\x00\x00WAVEfmt \x04\x00\x00\x00\x01\x00\x01\x00")},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseWAV(c.file)
			if !errors.Is(err, ErrBadPrompt) {
				t.Fatalf("err = %v, want ErrBadPrompt", err)
			}
		})
	}
}

func TestReadWAVTooLarge(t *testing.T) {
	big := wavFile(wavePCM, 1, 8000, 16, make([]byte, MaxPromptBytes+2048), false)
	if _, err := ReadWAV(bytes.NewReader(big)); !errors.Is(err, ErrBadPrompt) {
		t.Fatalf("err = %v", err)
	}
}

// The shipped prompts exist for every built-in name and load, and the set
// embedded in the binary is the directory's.
func TestBuiltinPrompts(t *testing.T) {
	set, err := BuiltinPrompts()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := LoadPromptDir("prompts")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(set.Names(), dir.Names()) {
		t.Fatalf("embedded %v, directory %v", set.Names(), dir.Names())
	}
	if m := set.Missing(routing.BuiltinPrompts...); len(m) != 0 {
		t.Fatalf("missing built-in prompts %v", m)
	}
	for _, n := range routing.BuiltinPrompts {
		p, _ := set.Get(n)
		if d := p.Duration().Seconds(); d < 0.5 || d > 8 {
			t.Errorf("%s lasts %.2fs", n, d)
		}
		if len(p.Payload(PCMU)) != len(p.Samples()) || len(p.Payload(PCMA)) != len(p.Samples()) {
			t.Errorf("%s: payload lengths differ from the sample count", n)
		}
		if d, _ := dir.Get(n); !bytes.Equal(d.Payload(PCMU), p.Payload(PCMU)) {
			t.Errorf("%s: embedded and directory prompts differ", n)
		}
	}
	if _, ok := set.Get(PromptNone); ok {
		t.Error("none found")
	}
}

func TestPromptSetLayers(t *testing.T) {
	base := NewPromptSet(nil)
	a, _ := ParseWAV(wavFile(wavePCM, 1, 8000, 16, pcmBytes(sine(160, 400, 1000)), false))
	b, _ := ParseWAV(wavFile(wavePCM, 1, 8000, 16, pcmBytes(sine(320, 400, 1000)), false))
	base.Put("no_binding", a)
	app := NewPromptSet(base)
	if p, ok := app.Get("no_binding"); !ok || p != a {
		t.Fatal("app set does not fall back to the built-in")
	}
	app.Put("no_binding", b)
	if p, _ := app.Get("no_binding"); p != b {
		t.Fatal("app prompt does not shadow the built-in")
	}
	if p, _ := base.Get("no_binding"); p != a {
		t.Fatal("upload leaked into the built-in set")
	}
	if got := app.Names(); !slices.Equal(got, []string{"no_binding"}) {
		t.Fatalf("names %v", got)
	}
}

func TestPromptDirRejectsBadFile(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "ok.wav"), wavFile(wavePCM, 1, 8000, 16, pcmBytes(sine(160, 400, 1000)), false), 0o644)
	os.WriteFile(filepath.Join(dir, "wide.wav"), wavFile(wavePCM, 1, 16000, 16, pcmBytes(sine(160, 400, 1000)), false), 0o644)
	_, err := LoadPromptDir(dir)
	if !errors.Is(err, ErrBadPrompt) || !strings.Contains(err.Error(), "wide.wav") {
		t.Fatalf("err = %v", err)
	}
}

func TestValidPromptName(t *testing.T) {
	for _, n := range []string{"no_binding", "welcome-2", "a"} {
		if err := ValidPromptName(n); err != nil {
			t.Errorf("%q: %v", n, err)
		}
	}
	for _, n := range []string{"", "none", "../etc", "Big", "a b", strings.Repeat("x", 65)} {
		if err := ValidPromptName(n); !errors.Is(err, ErrBadPrompt) {
			t.Errorf("%q accepted", n)
		}
	}
}

// The library: an app's upload shadows the built-in prompt for that app
// only; a silenced name and "none" play nothing.
func TestPromptLibrary(t *testing.T) {
	builtin := NewPromptSet(nil)
	a, _ := ParseWAV(wavFile(wavePCM, 1, 8000, 16, pcmBytes(sine(160, 400, 1000)), false))
	b, _ := ParseWAV(wavFile(wavePCM, 1, 8000, 16, pcmBytes(sine(320, 400, 1000)), false))
	builtin.Put("no_binding", a)
	builtin.Put("connecting", a)
	lib := NewPromptLibrary(builtin)
	lib.App("app1").Put("no_binding", b)
	lib.App("app1").Silence("connecting")
	for _, tc := range []struct {
		app, name string
		want      *Prompt
	}{
		{"app1", "no_binding", b},
		{"app2", "no_binding", a},
		{"app1", "connecting", nil},
		{"app2", "connecting", a},
		{"app2", PromptNone, nil},
		{"app2", "", nil},
		{"app2", "unknown", nil},
	} {
		p, ok := lib.Prompt(tc.app, tc.name)
		if p != tc.want || ok != (tc.want != nil) {
			t.Errorf("%s/%s: %p %v, want %p", tc.app, tc.name, p, ok, tc.want)
		}
	}
	if n := lib.App("app1").Names(); !slices.Equal(n, []string{"no_binding"}) {
		t.Errorf("names %v", n)
	}
}
