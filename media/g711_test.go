package media

import (
	"encoding/binary"
	"os"
	"testing"
)

// Known values of G.711 (Tables 1a/2a): the extremes and the smallest
// magnitudes of each law, and the silence codes.
func TestG711KnownValues(t *testing.T) {
	for _, c := range []struct {
		name string
		got  int16
		want int16
	}{
		{"μ 0xFF (+0)", DecodeULaw(0xFF), 0},
		{"μ 0x7F (−0)", DecodeULaw(0x7F), 0},
		{"μ 0x80 (+max)", DecodeULaw(0x80), 32124},
		{"μ 0x00 (−max)", DecodeULaw(0x00), -32124},
		{"μ 0xFE", DecodeULaw(0xFE), 8},
		{"A 0xD5 (+min)", DecodeALaw(0xD5), 8},
		{"A 0x55 (−min)", DecodeALaw(0x55), -8},
		{"A 0xAA (+max)", DecodeALaw(0xAA), 32256},
		{"A 0x2A (−max)", DecodeALaw(0x2A), -32256},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
	for _, c := range []struct {
		name      string
		got, want byte
	}{
		{"μ(0)", EncodeULaw(0), 0xFF},
		{"μ(32767)", EncodeULaw(32767), 0x80},
		{"μ(−32768)", EncodeULaw(-32768), 0x00},
		{"A(0)", EncodeALaw(0), 0xD5},
		{"A(−1)", EncodeALaw(-1), 0x55},
		{"A(32767)", EncodeALaw(32767), 0xAA},
		{"A(−32768)", EncodeALaw(-32768), 0x2A},
		{"μ→A silence", ULawToALaw(0xFF), 0xD5},
		{"μ→A +max", ULawToALaw(0x80), 0xAA},
		{"μ→A −max", ULawToALaw(0x00), 0x2A},
		{"A→μ +min", ALawToULaw(0xD5), 0xFE},
		{"A→μ +max", ALawToULaw(0xAA), 0x80},
		{"A→μ −max", ALawToULaw(0x2A), 0x00},
	} {
		if c.got != c.want {
			t.Errorf("%s = %#02x, want %#02x", c.name, c.got, c.want)
		}
	}
}

// The decode tables match an independent implementation code for code
// (testdata/g711/README says how the files were made).
func TestG711DecodeMatchesReference(t *testing.T) {
	for _, c := range []struct {
		file string
		dec  func(byte) int16
	}{
		{"testdata/g711/ulaw_decode.s16le", DecodeULaw},
		{"testdata/g711/alaw_decode.s16le", DecodeALaw},
	} {
		ref, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		if len(ref) != 512 {
			t.Fatalf("%s: %d bytes", c.file, len(ref))
		}
		for i := range 256 {
			if got, want := c.dec(byte(i)), int16(binary.LittleEndian.Uint16(ref[2*i:])); got != want {
				t.Errorf("%s: code %#02x = %d, want %d", c.file, i, got, want)
			}
		}
	}
}

// Every code survives decode → encode, and every linear sample encodes to
// the code whose interval holds it: the decoded value is never further
// than one quantisation step away, and encoding is monotonic.
func TestG711RoundTrip(t *testing.T) {
	for i := range 256 {
		u := byte(i)
		want := u
		if u == 0x7F { // −0 has no encoding of its own
			want = 0xFF
		}
		if got := EncodeULaw(DecodeULaw(u)); got != want {
			t.Errorf("μ %#02x → %d → %#02x", u, DecodeULaw(u), got)
		}
		if got := EncodeALaw(DecodeALaw(u)); got != u {
			t.Errorf("A %#02x → %d → %#02x", u, DecodeALaw(u), got)
		}
	}
	prevU, prevA := int16(-32768), int16(-32768)
	for x := -32768; x <= 32767; x++ {
		s := int16(x)
		du, da := DecodeULaw(EncodeULaw(s)), DecodeALaw(EncodeALaw(s))
		if du < prevU || da < prevA {
			t.Fatalf("encoding not monotonic at %d", x)
		}
		prevU, prevA = du, da
		if d := abs32(int32(du) - int32(s)); d > 1024 || (x > -256 && x < 256 && d > 8) {
			t.Fatalf("μ: %d decodes back as %d", x, du)
		}
		if d := abs32(int32(da) - int32(s)); d > 1024 || (x > -256 && x < 256 && d > 16) {
			t.Fatalf("A: %d decodes back as %d", x, da)
		}
	}
}

// The direct tables keep the sign, pick the nearest value of the other
// law, and make A→μ→A transparent for every A-law code some μ-law value
// reaches.
func TestG711Transcode(t *testing.T) {
	transparent := 0
	for i := range 256 {
		c := byte(i)
		a := ULawToALaw(c)
		if (DecodeALaw(a) < 0) != (c&0x80 == 0) {
			t.Errorf("μ %#02x → A %#02x changes sign", c, a)
		}
		for j := range 256 {
			if byte(j)&0x80 == c&0x80 && // same sign
				abs32(int32(DecodeALaw(byte(j)))-int32(DecodeULaw(c))) < abs32(int32(DecodeALaw(a))-int32(DecodeULaw(c))) {
				t.Errorf("μ %#02x (%d) → A %#02x (%d), but A %#02x (%d) is nearer",
					c, DecodeULaw(c), a, DecodeALaw(a), j, DecodeALaw(byte(j)))
			}
		}
		if ULawToALaw(ALawToULaw(c)) == c {
			transparent++
		}
		if d := abs32(int32(DecodeULaw(ALawToULaw(c))) - int32(DecodeALaw(c))); d > 512 {
			t.Errorf("A %#02x (%d) → μ %d", c, DecodeALaw(c), DecodeULaw(ALawToULaw(c)))
		}
	}
	// 16 A-law codes (8 a sign) lie where μ-law has no nearer code.
	if transparent < 240 {
		t.Errorf("A→μ→A transparent for %d codes, want ≥ 240", transparent)
	}

	in := []byte{0x00, 0x55, 0x80, 0xD5, 0xFF}
	buf := append([]byte(nil), in...)
	TranscodeALawToULaw(buf, buf)
	TranscodeULawToALaw(buf, buf)
	for i := range in {
		if ULawToALaw(ALawToULaw(in[i])) != buf[i] {
			t.Errorf("in-place transcode of %#02x gave %#02x", in[i], buf[i])
		}
	}
}

func TestEncodeDecodeSamples(t *testing.T) {
	samples := []int16{0, 1000, -1000, 32767, -32768}
	for _, c := range []Codec{PCMU, PCMA} {
		b := make([]byte, len(samples))
		EncodeSamples(c, b, samples)
		back := make([]int16, len(b))
		DecodeSamples(c, back, b)
		for i := range samples {
			if d := abs32(int32(back[i]) - int32(samples[i])); d > 1024 {
				t.Errorf("%v: %d → %d", c, samples[i], back[i])
			}
		}
	}
}
