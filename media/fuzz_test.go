package media

import (
	"errors"
	"testing"
)

// FuzzParseSDP: the peer's SDP is outside input. It never panics, and
// whatever it accepts has an address, a port and a negotiable or cleanly
// refused codec.
func FuzzParseSDP(f *testing.F) {
	f.Add([]byte(sippOffer))
	f.Add([]byte(phoneOffer))
	f.Add([]byte("v=0\r\nc=IN IP6 ::1\r\na=inactive\r\nm=audio 5 RTP/AVP 8\r\n"))
	f.Add([]byte("v=0\nm=audio 1/2 RTP/AVP 0 8 101\na=rtpmap:101 telephone-event/8000\na=fmtp:101\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := ParseSDP(body)
		if err != nil {
			if !errors.Is(err, ErrBadSDP) && !errors.Is(err, ErrNoAudio) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		if !a.Addr.IsValid() || a.Port <= 0 || a.Port > 65535 {
			t.Fatalf("accepted %+v", a)
		}
		if p, err := a.Negotiate(); err == nil && p.Codec == NoCodec {
			t.Fatal("negotiated no codec")
		} else if err != nil && !errors.Is(err, ErrNoCodec) {
			t.Fatal(err)
		}
	})
}

// FuzzParseWAV: uploaded prompts are outside input. It never panics, every
// refusal wraps ErrBadPrompt, and an accepted prompt has both payloads.
func FuzzParseWAV(f *testing.F) {
	pcm := pcmBytes(sine(160, 440, 1000))
	f.Add(wavFile(wavePCM, 1, 8000, 16, pcm, true))
	f.Add(wavFile(waveALaw, 1, 8000, 8, pcm[:160], false))
	f.Add(wavFile(waveULaw, 1, 8000, 8, pcm[:161], true))
	f.Add(wavFile(wavePCM, 2, 16000, 16, pcm, false))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseWAV(data)
		if err != nil {
			if !errors.Is(err, ErrBadPrompt) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		n := len(p.Samples())
		if n == 0 || len(p.Payload(PCMU)) != n || len(p.Payload(PCMA)) != n {
			t.Fatalf("prompt of %d samples, payloads %d/%d", n, len(p.Payload(PCMU)), len(p.Payload(PCMA)))
		}
	})
}

// FuzzDTMFDecoder: telephone-event payloads are outside input.
func FuzzDTMFDecoder(f *testing.F) {
	f.Add(uint32(0), []byte{1, 10, 0, 0})
	f.Add(uint32(7), []byte{11, 0x8a, 1, 0})
	f.Fuzz(func(t *testing.T, ts uint32, payload []byte) {
		var d DTMFDecoder
		k, ok := d.Push(ts, payload)
		if ok {
			if _, valid := DigitEvent(k); !valid {
				t.Fatalf("key %q", k)
			}
			if _, again := d.Push(ts, payload); again {
				t.Fatal("same packet counted twice")
			}
		}
	})
}
