package media

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
)

// A RIFF/WAVE reader for prompts (SPEC §4.3: 8 kHz mono WAV in A-law,
// μ-law or 16-bit PCM). The format is the Microsoft RIFF layout: a "RIFF"
// header whose form type is "WAVE", then chunks of a 4-byte id, a
// little-endian 32-bit size and the data, padded to an even length. Only
// "fmt " and "data" matter here; every other chunk (LIST, fact, cue …) is
// skipped. docs/MEDIA.md says why this is not a library.

// WAVE format tags of the fmt chunk.
const (
	wavePCM        = 0x0001
	waveALaw       = 0x0006
	waveULaw       = 0x0007
	waveExtensible = 0xFFFE // the real tag is the first two bytes of the sub-format GUID
)

// MaxPromptBytes bounds a prompt file: ten minutes of 16-bit audio at
// 8 kHz, far beyond any announcement, so an upload cannot exhaust memory.
const MaxPromptBytes = 10 * 60 * ClockRate * 2

type waveFormat struct {
	tag      uint16
	channels uint16
	rate     uint32
	bits     uint16
}

// ReadWAV reads a WAV prompt and converts it on load to 16-bit samples and
// to both G.711 payloads, so that playing it to a PCMU or a PCMA leg is a
// copy. Anything but 8 kHz mono A-law, μ-law or 16-bit PCM, or a file that
// is not WAV at all, fails with an error wrapping ErrBadPrompt.
func ReadWAV(r io.Reader) (*Prompt, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxPromptBytes+1024))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadPrompt, err)
	}
	if len(data) > MaxPromptBytes+1023 {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrBadPrompt, MaxPromptBytes)
	}
	return ParseWAV(data)
}

// ParseWAV is ReadWAV over bytes already in memory.
func ParseWAV(data []byte) (*Prompt, error) {
	if len(data) < 12 || !bytes.Equal(data[0:4], []byte("RIFF")) || !bytes.Equal(data[8:12], []byte("WAVE")) {
		return nil, fmt.Errorf("%w: not a RIFF/WAVE file", ErrBadPrompt)
	}
	var (
		f       waveFormat
		haveFmt bool
		audio   []byte
		found   bool
	)
	for rest := data[12:]; len(rest) >= 8 && !found; {
		id, size := string(rest[0:4]), binary.LittleEndian.Uint32(rest[4:8])
		rest = rest[8:]
		body := rest
		if uint64(size) < uint64(len(rest)) {
			body = rest[:size]
		}
		switch id {
		case "fmt ":
			var err error
			if f, err = parseFmt(body); err != nil {
				return nil, err
			}
			haveFmt = true
		case "data":
			// A writer that streamed the file may leave the size at 0 or
			// 0xFFFFFFFF; the body is then whatever follows.
			if size == 0 || size == 0xFFFFFFFF {
				body = rest
			}
			audio, found = body, true
		}
		skip := len(body) + len(body)&1 // chunks are padded to even sizes
		if skip > len(rest) {
			skip = len(rest)
		}
		rest = rest[skip:]
	}
	switch {
	case !haveFmt:
		return nil, fmt.Errorf("%w: no fmt chunk before the data", ErrBadPrompt)
	case !found:
		return nil, fmt.Errorf("%w: no data chunk", ErrBadPrompt)
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	return promptFrom(f.tag, audio)
}

func parseFmt(b []byte) (waveFormat, error) {
	if len(b) < 16 {
		return waveFormat{}, fmt.Errorf("%w: fmt chunk of %d bytes", ErrBadPrompt, len(b))
	}
	f := waveFormat{
		tag:      binary.LittleEndian.Uint16(b[0:2]),
		channels: binary.LittleEndian.Uint16(b[2:4]),
		rate:     binary.LittleEndian.Uint32(b[4:8]),
		bits:     binary.LittleEndian.Uint16(b[14:16]),
	}
	if f.tag == waveExtensible {
		// WAVEFORMATEXTENSIBLE: cbSize(2) validBits(2) channelMask(4) then
		// the sub-format GUID, whose first two bytes are the format tag.
		if len(b) < 40 {
			return waveFormat{}, fmt.Errorf("%w: short extensible fmt chunk", ErrBadPrompt)
		}
		f.tag = binary.LittleEndian.Uint16(b[24:26])
	}
	return f, nil
}

func (f waveFormat) check() error {
	switch {
	case f.channels != 1:
		return fmt.Errorf("%w: %d channels, want mono", ErrBadPrompt, f.channels)
	case f.rate != ClockRate:
		return fmt.Errorf("%w: %d Hz, want %d", ErrBadPrompt, f.rate, ClockRate)
	case f.tag == wavePCM && f.bits == 16,
		(f.tag == waveALaw || f.tag == waveULaw) && f.bits == 8:
		return nil
	}
	return fmt.Errorf("%w: format %#04x with %d bits a sample", ErrBadPrompt, f.tag, f.bits)
}

// promptFrom converts the data chunk. G.711 input keeps its own law byte
// for byte and goes through the direct table for the other law, so an
// A-law file reaches a PCMA leg exactly as recorded.
func promptFrom(tag uint16, audio []byte) (*Prompt, error) {
	var p Prompt
	switch tag {
	case wavePCM:
		n := len(audio) / 2
		p.samples = make([]int16, n)
		for i := range n {
			p.samples[i] = int16(binary.LittleEndian.Uint16(audio[2*i:]))
		}
		p.ulaw, p.alaw = make([]byte, n), make([]byte, n)
		EncodeSamples(PCMU, p.ulaw, p.samples)
		EncodeSamples(PCMA, p.alaw, p.samples)
	case waveULaw:
		p.ulaw = append([]byte(nil), audio...)
		p.alaw = make([]byte, len(audio))
		TranscodeULawToALaw(p.alaw, p.ulaw)
		p.samples = make([]int16, len(audio))
		DecodeSamples(PCMU, p.samples, p.ulaw)
	case waveALaw:
		p.alaw = append([]byte(nil), audio...)
		p.ulaw = make([]byte, len(audio))
		TranscodeALawToULaw(p.ulaw, p.alaw)
		p.samples = make([]int16, len(audio))
		DecodeSamples(PCMA, p.samples, p.alaw)
	}
	if len(p.samples) == 0 {
		return nil, fmt.Errorf("%w: no audio in the data chunk", ErrBadPrompt)
	}
	return &p, nil
}
