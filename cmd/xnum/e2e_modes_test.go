package main

// Shared parts of the end-to-end tests of the AX, AXE, AXYB and X modes
// (issue 4; e2e_modes_*_test.go): an xnum whose built-in prompts are short
// test tones — each a constant sample, so every frame of a prompt carries
// one μ-law byte that names it — apps of a mode made through the admin API,
// bindings through the mode's management API, the caller's media on a test
// socket to hear which prompt a refused call plays, and the CDR's
// mode-specific fields.

import (
	"encoding/binary"
	"math"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/xnum/xnum/media"
	"github.com/xnum/xnum/routing"
)

// modeEnv is one xnum for a mode test. Its calls run one after the other
// (they share the callee trunk), so "the next CDR of X" is the call's.
type modeEnv struct {
	*env
	prompts map[string]byte // prompt name → the μ-law byte of its frames
	seen    map[string]int  // CDRs per bindNum so far
}

// newModeEnv writes the test prompts and starts xnum with them
// (media.prompt_dir replaces every built-in prompt).
func newModeEnv(t *testing.T, opts envOpts) *modeEnv {
	t.Helper()
	dir := t.TempDir()
	m := &modeEnv{prompts: writeTestPrompts(t, dir), seen: map[string]int{}}
	opts.PromptDir = dir
	m.env = newEnv(t, opts)
	return m
}

// writeTestPrompts writes NAME.wav for every built-in prompt: 0.2 s of one
// constant 16-bit sample, a different one per prompt.
func writeTestPrompts(t *testing.T, dir string) map[string]byte {
	t.Helper()
	const samples = 1600 // 10 frames of 20 ms at 8 kHz
	out := map[string]byte{}
	used := map[byte]string{}
	for i, name := range routing.BuiltinPrompts {
		v := int16(1500 + 1700*i)
		var ulaw [1]byte
		media.EncodeSamples(media.PCMU, ulaw[:], []int16{v})
		if other, dup := used[ulaw[0]]; dup {
			t.Fatalf("test prompts %s and %s share μ-law byte %#x", name, other, ulaw[0])
		}
		used[ulaw[0]], out[name] = name, ulaw[0]
		data := make([]byte, 2*samples)
		for k := 0; k < samples; k++ {
			binary.LittleEndian.PutUint16(data[2*k:], uint16(v))
		}
		var h []byte
		h = append(h, "RIFF"...)
		h = binary.LittleEndian.AppendUint32(h, uint32(36+len(data)))
		h = append(h, "WAVEfmt "...)
		h = binary.LittleEndian.AppendUint32(h, 16)
		h = binary.LittleEndian.AppendUint16(h, 1) // PCM
		h = binary.LittleEndian.AppendUint16(h, 1) // mono
		h = binary.LittleEndian.AppendUint32(h, 8000)
		h = binary.LittleEndian.AppendUint32(h, 16000)
		h = binary.LittleEndian.AppendUint16(h, 2)
		h = binary.LittleEndian.AppendUint16(h, 16)
		h = append(h, "data"...)
		h = binary.LittleEndian.AppendUint32(h, uint32(len(data)))
		if err := os.WriteFile(filepath.Join(dir, name+".wav"), append(h, data...), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// createApp makes an app of mode through the admin API; extra adds fields
// (callinUrl, extLen, answerBeforeCollect …).
func (m *modeEnv) createApp(key, mode string, extra map[string]any, numbers ...string) {
	m.t.Helper()
	body := map[string]any{"appKey": key, "appSecret": key + "-secret", "mode": mode}
	for k, v := range extra {
		body[k] = v
	}
	m.admin("POST", "/admin/v1/apps", body, nil)
	m.addNumbers(key, "0755", numbers...)
}

func (m *modeEnv) suspend(app, x string, on bool) {
	m.t.Helper()
	verb := map[bool]string{true: "suspend", false: "resume"}[on]
	m.admin("POST", "/admin/v1/apps/"+app+"/numbers/"+url.PathEscape(x)+"/"+verb, nil, nil)
}

func (m *modeEnv) freeze(app string, on bool) {
	m.t.Helper()
	verb := map[bool]string{true: "freeze", false: "unfreeze"}[on]
	m.admin("POST", "/admin/v1/apps/"+app+"/"+verb, nil, nil)
}

// manage calls a mode's management API signed as app (secret app+"-secret")
// and returns the answer; resultcode must be "0".
func (m *modeEnv) manage(method, path, app string, body map[string]any) map[string]any {
	m.t.Helper()
	var resp map[string]any
	var b any // a nil map would be sent as "null"
	if body != nil {
		b = body
	}
	status, raw := m.doJSON(method, path, akskHeaders(app, app+"-secret", time.Now()), b, &resp)
	if status != 200 || resp["resultcode"] != "0" {
		m.t.Fatalf("%s %s %v: HTTP %d %s", method, path, body, status, raw)
	}
	return resp
}

// modeCDR is a CDR with the fields the modes add to cdrRec's.
type modeCDR struct {
	cdrRec
	ExtendNumber string `json:"extendNumber"`
	UserData     string `json:"userData"`
}

// nextCDR waits for one more CDR of bindNum x than seen so far and returns
// it (the newest).
func (m *modeEnv) nextCDR(t *testing.T, x string) modeCDR { return nthCDR[modeCDR](t, m, x) }

// nthCDR waits until the admin API holds one more CDR of bindNum x than m
// has seen, and returns the newest, decoded as T; more than that is a
// second CDR for one call.
func nthCDR[T any](t *testing.T, m *modeEnv, x string) T {
	t.Helper()
	m.seen[x]++
	n := m.seen[x]
	q := url.Values{"bindNum": {x}, "pageSize": {"1000"}}
	deadline := time.Now().Add(15 * time.Second)
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		var resp struct {
			Total int `json:"total"`
			CDRs  []T `json:"cdrs"`
		}
		m.admin("GET", "/admin/v1/cdrs?"+q.Encode(), nil, &resp)
		if resp.Total >= n && len(resp.CDRs) > 0 {
			if resp.Total > n {
				t.Fatalf("CDRs of %s: %d, want %d (one per call): %+v", x, resp.Total, n, resp.CDRs)
			}
			return resp.CDRs[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("CDR %d of %s not there after 15s", n, x)
		}
		<-tick.C
	}
}

// modeWant is what a mode call's CDR must say (SPEC §6.2). Every field is
// checked: "" and 0 mean the field must be empty or zero.
type modeWant struct {
	Cause, Status int    // ulFailReason, sipStatusCode
	Dir           int    // direction: 0 bound party, 1 temp/X-mode/callback callee, 2 refused
	Service       string // serviceType
	App           string
	Caller        string
	Dialled       string // bindNum and calleeNum
	Display, Dst  string // fwdDisplayNum, fwdDstNum
	Sub           string // subscriptionId
	Ext           string // extendNumber
	Answered      bool   // fwdAnswerTime set
}

func checkModeCDR(t *testing.T, got modeCDR, w modeWant) {
	t.Helper()
	type field struct {
		name      string
		have, was any
	}
	for _, f := range []field{
		{"ulFailReason", got.ULFailReason, w.Cause},
		{"sipStatusCode", got.SIPStatusCode, w.Status},
		{"direction", got.Direction, w.Dir},
		{"serviceType", got.ServiceType, w.Service},
		{"appKey", got.AppKey, w.App},
		{"callerNum", got.CallerNum, w.Caller},
		{"bindNum", got.BindNum, w.Dialled},
		{"calleeNum", got.CalleeNum, w.Dialled},
		{"fwdDisplayNum", got.FwdDisplayNum, w.Display},
		{"fwdDstNum", got.FwdDstNum, w.Dst},
		{"subscriptionId", got.SubscriptionID, w.Sub},
		{"extendNumber", got.ExtendNumber, w.Ext},
		{"fwdAnswerTime set", got.FwdAnswerTime != "", w.Answered},
	} {
		if f.have != f.was {
			t.Errorf("CDR %s = %v, want %v (record %+v)", f.name, f.have, f.was, got)
		}
	}
	if got.ICID == "" || got.SessionID == "" || got.CallInTime == "" || got.CallEndTime == "" {
		t.Errorf("CDR lacks icid/sessionId/callInTime/callEndTime: %+v", got)
	}
}

// rtpSink is what the test hears of xnum's media to A: either a socket of
// the test on the caller's media address that A's SDP names (newSink), or
// a tap on SIPp's own media socket (newTap) for calls in which SIPp keys
// from its pcaps. It reads from the moment it is made, so no packet is
// lost to a full socket buffer while the call runs.
type rtpSink struct {
	t    *testing.T
	addr *net.UDPAddr // the test's socket; nil for a tap (A's SDP names SIPp's socket)
	pkts chan sinkPacket
	from string // xnum's address: the only allowed source
}

type sinkPacket struct {
	src     string // source IP
	payload []byte // UDP payload
}

func (m *modeEnv) newSink(t *testing.T) *rtpSink {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP(m.net.ip(hostCaller + mediaShift))})
	if err != nil {
		t.Fatal(err)
	}
	s := m.startSink(t, c)
	s.addr = c.LocalAddr().(*net.UDPAddr)
	go func() {
		defer close(s.pkts)
		buf := make([]byte, 2048)
		for {
			n, src, err := c.ReadFromUDP(buf)
			if err != nil {
				return
			}
			s.put(src.IP, buf[:n])
		}
	}()
	return s
}

// sippMediaPort is SIPp's RTP port: startSIPp (e2e_sipp_test.go) runs
// every SIPp with -mp 6000, the [media_port] of uac_mode.xml's SDP.
const sippMediaPort = 6000

// newTap hears what xnum sends to SIPp's own media socket
// (hostCaller+mediaShift:sippMediaPort), for the calls whose keys SIPp
// plays from its RFC 4733 pcaps. Those calls cannot use newSink: xnum's
// default strict latching (SPEC §4.3, docs/MEDIA.md) takes A's RTP only
// from exactly the address and port of A's SDP, and play_pcap_audio sends
// from SIPp's media socket, so A's SDP must name that socket, which SIPp
// binds. A raw IPv4 UDP socket bound to the caller's media address gets a
// copy of every UDP datagram to that address (Linux hands each to the
// matching raw sockets as well as to the UDP socket), so the test hears
// A's side while neither xnum nor SIPp changes what it does. It needs
// CAP_NET_RAW, as play_pcap_audio does (SIPp sends from a raw socket);
// without it the test skips, as SIPp could not key anyway.
func (m *modeEnv) newTap(t *testing.T) *rtpSink {
	t.Helper()
	c, err := net.ListenIP("ip4:udp", &net.IPAddr{IP: net.ParseIP(m.net.ip(hostCaller + mediaShift))})
	if err != nil {
		skipOutsideCI(t, "no raw socket to hear A's media (needs CAP_NET_RAW, as SIPp's play_pcap_audio): %v", err)
	}
	s := m.startSink(t, c)
	go func() {
		defer close(s.pkts)
		buf := make([]byte, 2048)
		for {
			n, src, err := c.ReadFromIP(buf) // IPv4 header stripped: UDP header, payload
			if err != nil {
				return
			}
			if n < 8 || int(binary.BigEndian.Uint16(buf[2:4])) != sippMediaPort {
				continue // RTCP, or not to A's RTP socket
			}
			s.put(src.IP, buf[8:n])
		}
	}()
	return s
}

func (m *modeEnv) startSink(t *testing.T, c net.Conn) *rtpSink {
	t.Cleanup(func() { c.Close() })
	return &rtpSink{t: t, pkts: make(chan sinkPacket, 1<<14), from: m.net.ip(hostXnum)}
}

// put queues a copy of a packet; a full queue (minutes of audio nobody
// reads) drops it.
func (s *rtpSink) put(src net.IP, b []byte) {
	select {
	case s.pkts <- sinkPacket{src: src.String(), payload: append([]byte(nil), b...)}:
	default:
	}
}

// use points the caller's SDP at the sink; a tap leaves it on SIPp's own
// media socket.
func (s *rtpSink) use(sc *scn) {
	if s.addr != nil {
		sc.MediaAddr, sc.MediaPort = s.addr.IP.String(), strconv.Itoa(s.addr.Port)
	}
}

// next reads the next RTP packet xnum sent to A (deadline 10 s).
func (s *rtpSink) next() (*rtp.Packet, bool) {
	deadline := time.After(10 * time.Second)
	for {
		var pk sinkPacket
		select {
		case p, ok := <-s.pkts:
			if !ok {
				return nil, false
			}
			pk = p
		case <-deadline:
			return nil, false
		}
		if pk.src != s.from {
			s.t.Errorf("RTP to A from %v: only xnum (%s) may send it", pk.src, s.from)
			continue
		}
		var p rtp.Packet
		if err := p.Unmarshal(pk.payload); err != nil {
			s.t.Errorf("not RTP from xnum: %v", err)
			continue
		}
		return &p, true
	}
}

// expectPrompts checks that A heard the named prompts in this order (other
// audio, such as ringback, may come between them).
func (s *rtpSink) expectPrompts(m *modeEnv, names ...string) {
	s.t.Helper()
	var heard []string
	for _, name := range names {
		want, ok := m.prompts[name]
		if !ok {
			s.t.Fatalf("no test prompt %q", name)
		}
		for {
			p, ok := s.next()
			if !ok {
				s.t.Errorf("A never heard the prompt %q (heard %v)", name, heard)
				return
			}
			if b, ok := promptByte(p); ok && b == want {
				heard = append(heard, name)
				break
			}
		}
	}
}

// heardPrompt drains what A got so far and tells whether the named prompt
// was among it.
func (s *rtpSink) heardPrompt(m *modeEnv, name string) bool {
	want := m.prompts[name]
	for {
		select {
		case pk, ok := <-s.pkts:
			if !ok {
				return false
			}
			var p rtp.Packet
			if p.Unmarshal(pk.payload) != nil {
				continue
			}
			if b, ok := promptByte(&p); ok && b == want {
				return true
			}
		default:
			return false
		}
	}
}

// expectRingback checks that A hears ringback next: the first frame that
// is no test prompt must be of the 450 Hz tone (SPEC §4.3). A prompt may
// still be heard before it (the rest of the one expectPrompts found).
func (s *rtpSink) expectRingback(m *modeEnv) {
	s.t.Helper()
	names := map[byte]string{}
	for n, b := range m.prompts {
		names[b] = n
	}
	for {
		p, ok := s.next()
		if !ok {
			s.t.Errorf("A heard no ringback")
			return
		}
		if b, ok := promptByte(p); ok {
			if _, prompt := names[b]; prompt {
				continue // the rest of a prompt
			}
		}
		if quiet(p) {
			continue
		}
		if !isRingback(p) {
			s.t.Errorf("A heard %d-byte PT %d audio that is neither a prompt nor ringback, where ringback was due: % x…",
				len(p.Payload), p.PayloadType, p.Payload[:min(16, len(p.Payload))])
		}
		return
	}
}

// isRingback: a PCMU frame whose power is at 450 Hz (SPEC §4.3's ringback
// tone, 1 s on first), by the Goertzel filter. 160 samples make 450 Hz
// bin 9 exactly, so a pure tone there puts all its energy in that bin;
// a prompt (one constant sample) puts none.
func isRingback(p *rtp.Packet) bool {
	if p.PayloadType != 0 || len(p.Payload) != 160 {
		return false
	}
	const hz = 450.0
	w := 2 * math.Pi * hz / 8000
	coeff := 2 * math.Cos(w)
	var s1, s2, energy float64
	for _, u := range p.Payload {
		x := float64(media.DecodeULaw(u))
		energy += x * x
		s1, s2 = x+coeff*s1-s2, s1
	}
	power := s1*s1 + s2*s2 - coeff*s1*s2 // |X(450 Hz)|²
	n := float64(len(p.Payload))
	rms := math.Sqrt(energy / n)
	return rms > 1000 && 2*power/(n*energy) > 0.9
}

// quiet: a PCMU frame of silence (every sample within ±64).
func quiet(p *rtp.Packet) bool {
	for _, u := range p.Payload {
		if v := media.DecodeULaw(u); v > 64 || v < -64 {
			return false
		}
	}
	return true
}

// promptByte: the byte every sample of a PCMU frame carries, if it is one.
func promptByte(p *rtp.Packet) (byte, bool) {
	if p.PayloadType != 0 || len(p.Payload) == 0 {
		return 0, false
	}
	for _, b := range p.Payload[1:] {
		if b != p.Payload[0] {
			return 0, false
		}
	}
	return p.Payload[0], true
}

// keyPcaps are SIPp's own RFC 4733 captures for digits: each digit once per
// extension (a repeated key would reuse its capture's RTP timestamp, which
// RFC 4733 reads as the same key press).
func keyPcaps(t *testing.T, digits string) []string {
	t.Helper()
	var out []string
	seen := map[rune]bool{}
	for _, d := range digits {
		if seen[d] {
			t.Fatalf("keys %q: %c twice", digits, d)
		}
		seen[d] = true
		name := string(d)
		if d == '#' {
			name = "pound"
		}
		p := sippShare + "dtmf_2833_" + name + ".pcap"
		if _, err := os.Stat(p); err != nil {
			skipOutsideCI(t, "SIPp's DTMF captures are not installed: %v", err)
		}
		out = append(out, p)
	}
	return out
}

// q850 is a regexp for a Reason header with that Q.850 cause.
func q850(cause int) string { return `Q\.850 *; *cause=` + strconv.Itoa(cause) + `\b` }

// modeCall is the common shape of a mode call: caller → dialled at xnum.
func (m *modeEnv) callSpec(caller party, dialled string, mutate func(*scn)) callSpec {
	return callSpec{Caller: caller, RURI: sipURI(dialled, m.sipAddr), Scenario: "uac_mode.xml", Mutate: mutate}
}

// refused makes a call xnum must refuse with status and q850 before any B
// leg, checks A heard prompt ("" for none checked) and returns the CDR.
func (m *modeEnv) refused(t *testing.T, caller party, dialled string, status, cause int, prompt string) modeCDR {
	t.Helper()
	sink := m.newSink(t)
	res := m.call(t, m.callSpec(caller, dialled, func(s *scn) {
		sink.use(s)
		s.Expect, s.Reason = status, q850(cause)
	}))
	res.checkFinal(t, status, cause)
	if prompt != "" {
		sink.expectPrompts(m, prompt)
	}
	return m.nextCDR(t, dialled)
}

// connected makes a call that reaches the callee trunk as callee, shown
// display, answered; A hangs up. It returns the CDR.
func (m *modeEnv) connected(t *testing.T, caller party, dialled string, callee party, display string) modeCDR {
	t.Helper()
	res := m.call(t, callSpec{
		Caller: caller, RURI: sipURI(dialled, m.sipAddr), Scenario: "uac_mode.xml",
		Mutate: func(s *scn) { s.Expect, s.HangupBy = 200, "caller" },
		Callee: &callee, CalleeScenario: "uas_answer.xml", CalleeMutate: func(s *scn) { s.Ring = true },
	})
	res.checkBLeg(t, callee.Number, display)
	res.checkNoLeaks(t)
	return m.nextCDR(t, dialled)
}

// frozenAndSuspended: SPEC §3 order of checks, step 1, for any mode: a
// suspended X refuses with 8055, a frozen app with 7108 (both 403 / 21 and
// the platform-error prompt); resume and unfreeze give everything back.
func (m *modeEnv) frozenAndSuspended(t *testing.T, app, service string, caller party, x string) {
	t.Helper()
	m.suspend(app, x, true)
	rec := m.refused(t, caller, x, 403, 21, routing.PromptError)
	checkModeCDR(t, rec, modeWant{Cause: 8055, Status: 403, Dir: 2, Service: service, App: app,
		Caller: caller.Number, Dialled: x})
	m.suspend(app, x, false)
	m.freeze(app, true)
	rec = m.refused(t, caller, x, 403, 21, routing.PromptError)
	checkModeCDR(t, rec, modeWant{Cause: 7108, Status: 403, Dir: 2, Service: service, App: app,
		Caller: caller.Number, Dialled: x})
	m.freeze(app, false)
}
