package main

// Events and CDRs of the media paths end to end (issue 5 item 2): the RTP
// timeout (SPEC §4.2: 7505 when the caller's leg goes silent, 7506 the
// callee's; BYE both, callRelDirection 0) and a recorded call (SPEC §4.3,
// §6.2: recordFlag, recordStartTime, recordDomain, recordObjectName; one
// sessionId across events, CDR and recording; the owning app downloads it,
// SPEC §5).

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/xnum/xnum/media"
	"github.com/xnum/xnum/routing"
)

// talker is a party's media socket: it learns xnum's address for its leg
// from the first packet xnum sends it (a prompt), then talks — a PCMU
// frame of its voice byte every 20 ms — until stopped. A silent talker
// (voice 0) only listens.
type talker struct {
	conn  *net.UDPConn
	xnum  string        // the only source allowed
	voice byte          // μ-law byte of every sample it sends; 0 = silent
	heard chan struct{} // closed at xnum's first packet
	stop  chan struct{}
	wg    sync.WaitGroup
	sent  int
	bad   []string
}

func newTalker(t *testing.T, ip, xnumIP string, voice byte) *talker {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP(ip)})
	if err != nil {
		t.Fatal(err)
	}
	k := &talker{conn: c, xnum: xnumIP, voice: voice, heard: make(chan struct{}), stop: make(chan struct{})}
	k.wg.Go(k.run)
	t.Cleanup(func() {
		k.halt()
		for _, b := range k.bad {
			t.Error(b)
		}
	})
	return k
}

// The parties' voices: two μ-law bytes a recording tells apart.
const voiceA, voiceB byte = 0x55, 0x2a

func (k *talker) addr() (string, string) {
	a := k.conn.LocalAddr().(*net.UDPAddr)
	return a.IP.String(), strconv.Itoa(a.Port)
}

func (k *talker) run() {
	buf := make([]byte, 2048)
	var peer *net.UDPAddr
	for peer == nil {
		n, src, err := k.conn.ReadFromUDP(buf)
		if err != nil {
			return // closed before xnum sent anything
		}
		var p rtp.Packet
		if src.IP.String() != k.xnum || p.Unmarshal(buf[:n]) != nil {
			k.bad = append(k.bad, "media from "+src.String()+": only xnum's RTP may arrive")
			continue
		}
		peer = src
	}
	close(k.heard)
	if k.voice == 0 {
		for { // listen (and drop) until closed
			if _, _, err := k.conn.ReadFromUDP(buf); err != nil {
				return
			}
		}
	}
	go func() { // drain what xnum relays
		for {
			if _, _, err := k.conn.ReadFromUDP(buf); err != nil {
				return
			}
		}
	}()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SSRC: 0x5eed}, Payload: bytes.Repeat([]byte{k.voice}, 160)}
	for {
		select {
		case <-k.stop:
			return
		case <-tick.C:
		}
		p.SequenceNumber++
		p.Timestamp += 160
		b, _ := p.Marshal()
		if _, err := k.conn.WriteToUDP(b, peer); err != nil {
			return
		}
		k.sent++
	}
}

func (k *talker) halt() {
	select {
	case <-k.stop:
	default:
		close(k.stop)
	}
	k.conn.Close()
	k.wg.Wait()
}

// TestE2EEventsRTPTimeout: media.timeout 2s (a margin for a loaded
// machine). The binding plays a prompt to each party (preVoice) so that
// the test's socket learns xnum's address for its leg; one party talks
// (every 20 ms), the other never sends: the silent side's
// leg times out (SPEC §4.2: 7505 caller's leg, 7506 callee's), xnum sends
// BYE with Q.850 41 on both legs, callRelDirection 0 (the platform).
func TestE2EEventsRTPTimeout(t *testing.T) {
	t.Parallel()
	const (
		app = "rtpev"
		x   = "+8617000000540"
	)
	a := alice.with("+8613800000541")
	b := bob.with("+8613800000542")
	m := newEvModeEnv(t, envOpts{Media: "  timeout: 2s\n"})
	m.app(app, "AXB", nil, x)
	sub := m.manage("POST", "/rest/caas/relationnumber/partners/v1.0", app, map[string]any{
		"relationNum": x, "callerNum": a.Number, "calleeNum": b.Number, "userData": "u-rtp",
		"preVoice": map[string]any{"callerHintTone": routing.PromptConnecting, "calleeHintTone": routing.PromptConnecting},
	})["subscriptionId"].(string)
	base := evWant{Service: "004", App: app, Caller: a.Number, Dialled: x, Display: x, Dst: b.Number,
		Sub: sub, UserData: "u-rtp", RelDir: 0, Dir: 0}
	xip := m.net.ip(hostXnum)

	m.run(t, "the callee stops sending: 7506", func(t *testing.T) {
		aMedia := newTalker(t, m.net.ip(hostCaller+mediaShift), xip, voiceA)
		run := m.startCall(t, callSpec{
			Caller: a, RURI: sipURI(x, m.sipAddr), Scenario: "uac_mode.xml",
			Mutate: func(s *scn) {
				s.MediaAddr, s.MediaPort = aMedia.addr()
				s.Expect, s.ByeReason = 200, q850(41)
			},
			Callee: &b, CalleeScenario: "uas_answer.xml", CalleeMutate: func(s *scn) { s.Ring = true }, // B's SIPp sends no RTP
		})
		run.wait(t)
		aMedia.halt()
		if aMedia.sent == 0 {
			t.Errorf("A never talked (xnum's prompt never reached A's socket)")
		}
		w := base
		w.Events, w.Cause = answeredSeq, 7506
		m.check(t, w)
	})
	m.run(t, "the caller stops sending: 7505", func(t *testing.T) {
		aMedia := newTalker(t, m.net.ip(hostCaller+mediaShift), xip, 0)
		bMedia := newTalker(t, m.net.ip(hostTrunk+mediaShift), xip, voiceB)
		run := m.startCall(t, callSpec{
			Caller: a, RURI: sipURI(x, m.sipAddr), Scenario: "uac_mode.xml",
			Mutate: func(s *scn) {
				s.MediaAddr, s.MediaPort = aMedia.addr()
				s.Expect, s.ByeReason = 200, q850(41)
			},
			Callee: &b, CalleeScenario: "uas_media.xml", NotifyAnswered: true,
			CalleeMutate: func(s *scn) { s.MediaAddr, s.MediaPort = bMedia.addr(); s.Formats = "0" },
		})
		run.wait(t)
		bMedia.halt()
		if bMedia.sent == 0 {
			t.Errorf("B never talked (calleeHintTone never reached B's socket)")
		}
		w := base
		w.Events, w.Cause = "callin,callout,answer,disconnect,fee", 7505 // uas_media answers without 180
		m.check(t, w)
	})
}

// TestE2EEventsRecorded: a binding with recordFlag in an app that records.
// Both parties hear the recording notice, then the call is recorded; the
// CDR says so (recordFlag 1, recordStartTime within the call, recordDomain
// = the API's address, recordObjectName = <sessionId>.wav: the events',
// the CDR's and the recording's one sessionId), the WAV has each party on
// its channel, and the owning app — only it — downloads it through the 301
// link (SPEC §5).
func TestE2EEventsRecorded(t *testing.T) {
	t.Parallel()
	const (
		app = "recev"
		x   = "+8617000000550"
	)
	a := alice.with("+8613800000551")
	b := bob.with("+8613800000552")
	m := newEvModeEnv(t, envOpts{})
	m.app(app, "AXB", map[string]any{"recording": true}, x)
	sub := m.manage("POST", "/rest/caas/relationnumber/partners/v1.0", app, map[string]any{
		"relationNum": x, "callerNum": a.Number, "calleeNum": b.Number, "recordFlag": true, "userData": "u-rec",
	})["subscriptionId"].(string)

	// Both parties talk from xnum's first packet to them (A: ringback, B:
	// the notice) to the end. A's SIPp hangs up after "keying" four digits
	// 300 ms apart: they leave SIPp's own media socket, which A's SDP does
	// not name, so xnum drops them; they only make the call outlast the
	// 0.2 s notice.
	aMedia := newTalker(t, m.net.ip(hostCaller+mediaShift), m.net.ip(hostXnum), voiceA)
	bMedia := newTalker(t, m.net.ip(hostTrunk+mediaShift), m.net.ip(hostXnum), voiceB)
	m.call(t, callSpec{
		Caller: a, RURI: sipURI(x, m.sipAddr), Scenario: "uac_mode.xml",
		Mutate: func(s *scn) {
			s.MediaAddr, s.MediaPort = aMedia.addr()
			s.Expect, s.HangupBy, s.Pcaps = 200, "caller", keyPcaps(t, "1234")
		},
		Callee: &b, CalleeScenario: "uas_media.xml", NotifyAnswered: true,
		CalleeMutate: func(s *scn) { s.MediaAddr, s.MediaPort = bMedia.addr(); s.Formats = "0" },
	})
	aMedia.halt()
	bMedia.halt()
	rec := m.check(t, evWant{Events: "callin,callout,answer,disconnect,fee", Service: "004", App: app, Caller: a.Number,
		Dialled: x, Display: x, Dst: b.Number, Sub: sub, UserData: "u-rec", RelDir: 1, Dir: 0, Record: true})
	if want := rec.SessionID + ".wav"; rec.RecordObjectName != want {
		t.Errorf("recordObjectName %q, want %q (the call's sessionId)", rec.RecordObjectName, want)
	}
	if api := strings.TrimPrefix(m.apiURL, "http://"); rec.RecordDomain != api {
		t.Errorf("recordDomain %q, want the API's address %s (docs/SIP.md)", rec.RecordDomain, api)
	}
	if rec.RecordStartTime < rec.FwdAnswerTime || rec.RecordStartTime > rec.CallEndTime {
		t.Errorf("recordStartTime %s outside the answered call %s – %s", rec.RecordStartTime, rec.FwdAnswerTime, rec.CallEndTime)
	}
	onDisk, err := os.ReadFile(filepath.Join(m.dir, "data", "recordings", app, rec.RecordObjectName))
	if err != nil {
		t.Fatalf("the recording named by the CDR: %v", err)
	}

	download := func(appKey, secret string) *http.Response {
		t.Helper()
		return askRecording(t, m.apiURL, appKey, secret, rec.RecordObjectName)
	}
	resp := download(app, app+"-secret")
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusMovedPermanently || loc == "" {
		t.Fatalf("owning app: HTTP %d Location %q, want 301 with a link", resp.StatusCode, loc)
	}
	file, wav := followRecording(t, loc)
	if file.StatusCode != http.StatusOK || file.Header.Get("Content-Type") != "audio/wav" || !bytes.Equal(wav, onDisk) {
		t.Fatalf("link: HTTP %d %s, %d bytes (%d on disk)", file.StatusCode, file.Header.Get("Content-Type"), len(wav), len(onDisk))
	}
	// One stereo WAV per call (SPEC §4.3), 8 kHz, with sound in it.
	if len(wav) <= 44 || string(wav[:4]) != "RIFF" || string(wav[8:12]) != "WAVE" ||
		binary.LittleEndian.Uint16(wav[22:]) != 2 || binary.LittleEndian.Uint32(wav[24:]) != 8000 {
		t.Errorf("recording is no stereo 8 kHz WAV with data: %d bytes, header % x", len(wav), wav[:min(len(wav), 44)])
	}
	// A's voice on the left channel, B's on the right (16-bit L, R
	// frames), silence where a party said nothing.
	want := [2]int16{media.DecodeULaw(voiceA), media.DecodeULaw(voiceB)}
	var heard [2]int
	for i := 44; i+4 <= len(wav); i += 4 {
		for ch := range 2 {
			switch v := int16(binary.LittleEndian.Uint16(wav[i+2*ch:])); v {
			case 0:
			case want[ch]:
				heard[ch]++
			default:
				t.Fatalf("recording channel %d has sample %d: neither silence nor that party's voice %d", ch, v, want[ch])
			}
		}
	}
	if heard[0] == 0 || heard[1] == 0 {
		t.Errorf("recording: %d samples of A's voice (A sent %d packets), %d of B's (B sent %d)", heard[0], aMedia.sent, heard[1], bMedia.sent)
	}
	if resp := download(demoApp, demoSecret); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another app: HTTP %d, want 404 (1016001)", resp.StatusCode)
	}
}
