package media

// G.711 companding (ITU-T G.711, 11/1988): μ-law (RFC 3551 §4.5.14 PCMU,
// static payload type 0) and A-law (PCMA, payload type 8), 8 bits a sample
// at 8000 Hz. Linear samples here are 16-bit signed; μ-law carries 14 bits
// of them and A-law 13, so encoding drops the low 2 or 3 bits.
//
// Decoding is a 256-entry table per law. A↔μ transcoding is a direct
// 256-byte table per direction (G.711 §3 Tables 3 and 4 describe the
// conversion as decode to a uniform value, then encode in the other law):
// the bridge converts a payload in place without touching 16-bit samples.

const (
	ulawBias = 0x84  // 132: added before the segment search so segment 0 starts at 0 (G.711 Table 2)
	ulawClip = 32635 // largest magnitude that still fits segment 7 after the bias
)

// Code tables, built once from the functions below. They are never
// written after package initialisation.
var (
	ulawDecode             = buildDecode(decodeULawSlow)
	alawDecode             = buildDecode(decodeALawSlow)
	ulawToALaw, alawToULaw = buildTranscode()
)

func buildDecode(dec func(byte) int16) (t [256]int16) {
	for i := range t {
		t[i] = dec(byte(i))
	}
	return t
}

// buildTranscode builds the direct conversion tables. μ→A takes the A-law
// code whose value is nearest the μ-law value (ties towards the smaller
// magnitude). A→μ takes, among the μ-law codes that convert back to the
// same A-law code, the one nearest in value, so that A→μ→A is transparent
// wherever μ-law has a code for it (the property G.711 §3 asks of its
// conversion tables); codes no μ-law value reaches take the nearest value.
// Signs never change: the sign bit is bit 7 in both laws.
func buildTranscode() (u2a, a2u [256]byte) {
	for u := range 256 {
		u2a[u] = nearest(byte(u), decodeULawSlow(byte(u)), decodeALawSlow, func(byte) bool { return true })
	}
	for a := range 256 {
		back := func(u byte) bool { return u2a[u] == byte(a) }
		if !reaches(back) {
			back = func(byte) bool { return true }
		}
		a2u[a] = nearest(byte(a), decodeALawSlow(byte(a)), decodeULawSlow, back)
	}
	return u2a, a2u
}

// nearest returns the code allowed by ok whose decoded value is nearest v,
// with the sign bit of from (bit 7 set means positive in both laws, so −0
// stays negative), preferring the smaller magnitude on a tie.
func nearest(from byte, v int16, dec func(byte) int16, ok func(byte) bool) byte {
	best, bestD, bestM := byte(0), int32(1<<30), int32(1<<30)
	for c := range 256 {
		if byte(c)&0x80 != from&0x80 || !ok(byte(c)) {
			continue
		}
		w := dec(byte(c))
		d, m := abs32(int32(w)-int32(v)), abs32(int32(w))
		if d < bestD || d == bestD && m < bestM {
			best, bestD, bestM = byte(c), d, m
		}
	}
	return best
}

func reaches(ok func(byte) bool) bool {
	for c := range 256 {
		if ok(byte(c)) {
			return true
		}
	}
	return false
}

func abs32(x int32) int32 {
	if x < 0 {
		return -x
	}
	return x
}

// EncodeULaw codes one 16-bit linear sample as μ-law (G.711 Table 2a).
func EncodeULaw(s int16) byte {
	x := int32(s)
	var sign byte
	if x < 0 {
		x, sign = -x, 0x80
	}
	if x > ulawClip {
		x = ulawClip
	}
	x += ulawBias
	// Segment = position of the highest set bit above bit 7 (bits 7..14).
	seg := byte(0)
	for v := x >> 8; v != 0 && seg < 7; v >>= 1 {
		seg++
	}
	mant := byte(x>>(seg+3)) & 0x0F
	// G.711 transmits the one's complement of sign|segment|mantissa.
	return ^(sign | seg<<4 | mant)
}

// decodeULawSlow is G.711 Table 2a read backwards: the middle of the
// quantisation interval, minus the bias.
func decodeULawSlow(u byte) int16 {
	u = ^u
	t := (int32(u&0x0F)<<3 + ulawBias) << ((u & 0x70) >> 4)
	if u&0x80 != 0 {
		return int16(ulawBias - t)
	}
	return int16(t - ulawBias)
}

// EncodeALaw codes one 16-bit linear sample as A-law (G.711 Table 1a).
func EncodeALaw(s int16) byte {
	x := int32(s) >> 3 // 13-bit
	mask := byte(0xD5) // sign bit set for positive values, even bits inverted
	if x < 0 {
		x = -x - 1 // G.711 codes negative values in one's complement
		mask = 0x55
	}
	seg := byte(0)
	for v := x >> 5; v != 0; v >>= 1 {
		seg++
	}
	if seg > 7 {
		return 0x7F ^ mask
	}
	var mant byte
	if seg < 2 {
		mant = byte(x>>1) & 0x0F
	} else {
		mant = byte(x>>seg) & 0x0F
	}
	return (seg<<4 | mant) ^ mask
}

// decodeALawSlow is G.711 Table 1a read backwards: the middle of the
// interval, scaled to 16 bits.
func decodeALawSlow(a byte) int16 {
	a ^= 0x55
	seg := (a & 0x70) >> 4
	t := int32(a&0x0F) << 4
	if seg == 0 {
		t += 8
	} else {
		t = (t + 0x108) << (seg - 1)
	}
	if a&0x80 != 0 {
		return int16(t)
	}
	return int16(-t)
}

// DecodeULaw returns the 16-bit linear value of a μ-law code.
func DecodeULaw(u byte) int16 { return ulawDecode[u] }

// DecodeALaw returns the 16-bit linear value of an A-law code.
func DecodeALaw(a byte) int16 { return alawDecode[a] }

// ULawToALaw converts one μ-law code to the A-law code of the same value.
func ULawToALaw(u byte) byte { return ulawToALaw[u] }

// ALawToULaw converts one A-law code to the μ-law code of the same value.
func ALawToULaw(a byte) byte { return alawToULaw[a] }

// TranscodeULawToALaw converts src to dst (which may be src itself, for an
// in-place conversion); dst must be at least as long as src.
func TranscodeULawToALaw(dst, src []byte) {
	dst = dst[:len(src)]
	for i, u := range src {
		dst[i] = ulawToALaw[u]
	}
}

// TranscodeALawToULaw converts src to dst (which may be src itself).
func TranscodeALawToULaw(dst, src []byte) {
	dst = dst[:len(src)]
	for i, a := range src {
		dst[i] = alawToULaw[a]
	}
}

// EncodeSamples codes linear samples in codec c (PCMU or PCMA) into dst,
// which must hold len(samples) bytes.
func EncodeSamples(c Codec, dst []byte, samples []int16) {
	dst = dst[:len(samples)]
	enc := EncodeULaw
	if c == PCMA {
		enc = EncodeALaw
	}
	for i, s := range samples {
		dst[i] = enc(s)
	}
}

// DecodeSamples decodes G.711 bytes of codec c into dst, which must hold
// len(src) samples.
func DecodeSamples(c Codec, dst []int16, src []byte) {
	dst = dst[:len(src)]
	t := &ulawDecode
	if c == PCMA {
		t = &alawDecode
	}
	for i, b := range src {
		dst[i] = t[b]
	}
}
