package main

// Shared parts of the end-to-end tests of the AX, AXE, AXYB and X modes
// (issue 4; e2e_modes_*_test.go): an xnum whose built-in prompts are short
// test tones — each a constant sample, so every frame of a prompt carries
// one μ-law byte that names it — apps of a mode made through the admin API,
// bindings through the mode's management API, the caller's media on a test
// socket to hear which prompt a refused call plays, and the CDR's
// mode-specific fields.

import (
	"bufio"
	"encoding/binary"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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
func (m *modeEnv) nextCDR(t *testing.T, x string) modeCDR {
	t.Helper()
	m.seen[x]++
	n := m.seen[x]
	q := url.Values{"bindNum": {x}, "pageSize": {"1000"}}
	deadline := time.Now().Add(15 * time.Second)
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		var resp struct {
			Total int       `json:"total"`
			CDRs  []modeCDR `json:"cdrs"`
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

// rtpSink is the caller's media: a socket on the caller's media address
// that A's SDP names, so the test hears what xnum plays to A.
type rtpSink struct {
	t    *testing.T
	conn *net.UDPConn
	from string // xnum's address: the only allowed source
}

func (m *modeEnv) newSink(t *testing.T) *rtpSink {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP(m.net.ip(hostCaller + mediaShift))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rtpSink{t: t, conn: c, from: m.net.ip(hostXnum)}
}

// use points the caller's SDP at the sink.
func (s *rtpSink) use(sc *scn) {
	a := s.conn.LocalAddr().(*net.UDPAddr)
	sc.MediaAddr, sc.MediaPort = a.IP.String(), strconv.Itoa(a.Port)
}

// next reads the next RTP packet xnum sent to A (deadline 10 s).
func (s *rtpSink) next() (*rtp.Packet, bool) {
	buf := make([]byte, 2048)
	for {
		s.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, src, err := s.conn.ReadFromUDP(buf)
		if err != nil {
			return nil, false
		}
		if src.IP.String() != s.from {
			s.t.Errorf("RTP to A from %v: only xnum (%s) may send it", src, s.from)
			continue
		}
		var p rtp.Packet
		if err := p.Unmarshal(buf[:n]); err != nil {
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

// expectAudio checks that xnum sent A some audio (ringback).
func (s *rtpSink) expectAudio() {
	s.t.Helper()
	if _, ok := s.next(); !ok {
		s.t.Errorf("A heard nothing from xnum")
	}
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

// played is the number of local audio frames xnum has sent so far
// (xnum_media_played_total): prompts and ringback, every call of the env.
func (m *modeEnv) played() float64 {
	m.t.Helper()
	resp, err := http.Get(m.apiURL + "/metrics")
	if err != nil {
		m.t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "xnum_media_played_total "); ok {
			v, _ := strconv.ParseFloat(rest, 64)
			return v
		}
	}
	m.t.Fatal("no xnum_media_played_total in /metrics")
	return 0
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
			t.Skipf("SIPp's DTMF captures are not installed: %v", err)
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
