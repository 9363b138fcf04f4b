package main

// SIPp side of the e2e harness: parties, scenario rendering, running SIPp as
// caller (UAC) or callee trunk (UAS) with its message trace, and reading
// that trace back.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"text/template"
	"time"
)

// party is a real subscriber: a number and the identity its phone shows.
// Marker is a word that party's phone puts in User-Agent/Server, X- headers,
// the SDP o= user and reason phrases: it must never reach the other side.
type party struct {
	Number  string // E.164
	Display string
	Marker  string
	Tag     string // prefix of the tags its SIPp generates
}

var (
	alice    = party{Number: demoA, Display: "Alice Sentinel", Marker: "AliceSentinelUA", Tag: "alicetag"}
	bob      = party{Number: demoB, Display: "Bob Sentinel", Marker: "BobSentinelUA", Tag: "bobtag"}
	stranger = party{Number: "+8613900000009", Display: "Carol Stranger", Marker: "CarolStrangerUA", Tag: "caroltag"}
)

// with returns p with another number (a party of a test-made binding).
func (p party) with(number string) party { p.Number = number; return p }

// scn is the data of every scenario template in testdata/sipp; each
// template uses the fields its header comment lists.
type scn struct {
	RURI, From, To, Contact, PAI string
	Extra                        []string
	Tag, SDPUser                 string

	LateOffer, ReinviteA, ReinviteB bool
	HangupBy                        string // "caller" or "callee"
	RetransmitInvite, NoAck, ReferA bool   // uac_call
	MaxForwards                     int    // uac_reject

	Expect int    // uac_reject: final status A must get
	Reason string // uac_reject: regexp for A's Reason header

	AfterRinging bool // uac_cancel

	Ring    bool   // uas_*: send 180 first
	Final   int    // uas_reject
	Phrase  string // uas_reject
	BReason string // uas_reject: callee's Reason header

	Sync       bool   // uas_ring: 100 + command to the sync hub
	SyncCallID string // uas_ring: caller's Call-ID

	NotifyAnswered bool // uas_answer: command to the sync hub once the ACK is in

	Formats              string   // uac_media, uas_media: payload types of the m= line
	Pcaps                []string // uac_media: pcap files played, one per go-ahead
	MediaAddr, MediaPort string   // uas_media: where the callee's RTP goes (a test socket)

	// uac_mode (the mode tests, e2e_modes_*_test.go).
	KeysEarly  bool   // play Pcaps after the first 183 (prompt as early media)
	Cancel     bool   // CANCEL after the first 183
	CancelSync bool   // … once the sync hub says so
	ByeReason  string // regexp on the Reason of xnum's BYE
}

// sipURI builds a SIP URI with the user part given as dialled.
func sipURI(user, hostport string) string { return "sip:" + user + "@" + hostport }

// callerScn is what p's phone sends when it dials ruri: its identity in
// From, Contact, a PAI (trusted on 127.0.0.0/8) and every header SPEC §4.1
// says must not be copied to the other leg.
func callerScn(p party, ip, ruri string) scn {
	return scn{
		RURI:    ruri,
		From:    fmt.Sprintf(`"%s" <sip:%s@%s>`, p.Display, p.Number, ip),
		To:      "<" + ruri + ">",
		Contact: fmt.Sprintf("<sip:%s@[local_ip]:[local_port]>", p.Number),
		PAI:     fmt.Sprintf(`"%s" <sip:%s@%s;user=phone>`, p.Display, p.Number, ip),
		Extra:   identityHeaders(p, ip, "calling"),
		Tag:     p.Tag,
		SDPUser: p.Marker,

		MaxForwards: 70,
	}
}

// calleeScn is what the callee trunk's phone (party p) answers with.
func calleeScn(p party, ip string) scn {
	return scn{
		Contact: fmt.Sprintf("<sip:%s@[local_ip]:[local_port]>", p.Number),
		PAI:     fmt.Sprintf(`"%s" <sip:%s@%s;user=phone>`, p.Display, p.Number, ip),
		Extra:   identityHeaders(p, ip, "called"),
		Tag:     p.Tag,
		SDPUser: p.Marker,
		Phrase:  "Sentinel " + p.Marker,
	}
}

func identityHeaders(p party, ip, role string) []string {
	ua := "User-Agent"
	if role == "called" {
		ua = "Server"
	}
	return []string{
		fmt.Sprintf("%s: %s/1.0", ua, p.Marker),
		fmt.Sprintf(`Remote-Party-ID: "%s" <sip:%s@%s>;party=%s;screen=yes;privacy=off`, p.Display, p.Number, ip, role),
		"Privacy: none",
		fmt.Sprintf("Diversion: <sip:%s@%s>;reason=unconditional", p.Number, ip),
		fmt.Sprintf("History-Info: <sip:%s@%s>;index=1", p.Number, ip),
		fmt.Sprintf("X-%s: %s", p.Marker, p.Number),
	}
}

// sippOpts describes one SIPp process.
type sippOpts struct {
	Name     string // used in file names and logs: "caller", "trunk", …
	Scenario string // file in testdata/sipp
	Params   scn
	IP       string // signalling address (-i, -bind_local)
	MediaIP  string // -mi
	Port     int    // -p; 0 = picked
	Target   string // UAC: xnum's address; "" for a UAS
	TCP      bool   // -t t1 instead of -t u1
	Calls    int    // -m; 0 = 1
	Hub      string // -3pcc: address of the sync hub
	CallID   string // -cid_str
	Timeout  time.Duration
	Extra    []string
}

// sippProc is a running SIPp.
type sippProc struct {
	t       testing.TB
	opts    sippOpts
	cmd     *exec.Cmd
	done    chan struct{}
	err     error
	msgLog  string
	errLog  string
	outLog  string
	scenOut string
	args    []string
}

// renderScenario fills testdata/sipp/<name> with p and writes it to dir.
func renderScenario(t testing.TB, name string, p scn, dir, outName string) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "..", "testdata", "sipp", name))
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := template.New(name).Option("missingkey=error").Parse(string(src))
	if err != nil {
		t.Fatalf("scenario %s: %v", name, err)
	}
	var buf bytes.Buffer
	if err := tpl.Execute(&buf, p); err != nil {
		t.Fatalf("scenario %s: %v", name, err)
	}
	out := filepath.Join(dir, outName)
	if err := os.WriteFile(out, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return out
}

// startSIPp renders the scenario and starts SIPp in the foreground; the
// result is read with wait. A UAS is waited for until its socket is bound,
// so a caller started afterwards never races it.
func startSIPp(t testing.TB, dir string, o sippOpts) *sippProc {
	t.Helper()
	bin := needSIPp(t)
	if o.Calls == 0 {
		o.Calls = 1
	}
	if o.Timeout == 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Port == 0 {
		o.Port = freePort(t, o.IP, false)
	}
	p := &sippProc{t: t, opts: o, done: make(chan struct{})}
	p.scenOut = renderScenario(t, o.Scenario, o.Params, dir, o.Name+".xml")
	p.msgLog = filepath.Join(dir, o.Name+"_messages.log")
	p.errLog = filepath.Join(dir, o.Name+"_errors.log")
	p.outLog = filepath.Join(dir, o.Name+"_screen.log")
	args := []string{}
	if o.Target != "" {
		args = append(args, o.Target)
	}
	args = append(args,
		"-sf", p.scenOut,
		"-i", o.IP, "-p", strconv.Itoa(o.Port), "-bind_local",
		"-mi", o.MediaIP, "-mp", "6000",
		"-ci", o.IP, // control socket on the party's own address
		"-m", strconv.Itoa(o.Calls),
		"-t", map[bool]string{false: "u1", true: "t1"}[o.TCP],
		"-nostdin", "-aa",
		"-trace_msg", "-message_file", p.msgLog,
		"-trace_err", "-error_file", p.errLog,
		"-timeout", fmt.Sprintf("%ds", int(o.Timeout.Seconds())), "-timeout_error",
		"-max_retrans", "7",
	)
	if o.CallID != "" {
		args = append(args, "-cid_str", o.CallID)
	}
	if o.Hub != "" {
		args = append(args, "-3pcc", o.Hub)
	}
	args = append(args, o.Extra...)
	p.args = args
	out, err := os.Create(p.outLog)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Dir = dir
	p.cmd.Stdout, p.cmd.Stderr = out, out
	if err := p.cmd.Start(); err != nil {
		out.Close()
		t.Fatalf("start sipp %s: %v", o.Name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		out.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			p.dump()
		}
	})
	if o.Target == "" {
		p.waitBound()
	}
	return p
}

// waitBound waits until SIPp's socket is bound (visible in /proc/net/udp,
// or listening in /proc/net/tcp), or SIPp exits, or a deadline passes.
func (p *sippProc) waitBound() {
	p.t.Helper()
	want := procNetAddr(p.opts.IP, p.opts.Port)
	table, state := "/proc/net/udp", ""
	if p.opts.TCP {
		table, state = "/proc/net/tcp", "0A" // TCP_LISTEN
	}
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		if procNetHas(table, want, state) {
			return
		}
		select {
		case <-p.done:
			p.t.Fatalf("sipp %s exited before binding %s:%d: %v\n%s", p.opts.Name, p.opts.IP, p.opts.Port, p.err, tailFile(p.outLog, 4000))
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("sipp %s did not bind %s:%d within 10s", p.opts.Name, p.opts.IP, p.opts.Port)
		}
	}
}

// procNetAddr renders ip:port as /proc/net/udp shows it (little-endian hex).
func procNetAddr(ip string, port int) string {
	var b [4]int
	fmt.Sscanf(ip, "%d.%d.%d.%d", &b[0], &b[1], &b[2], &b[3])
	return fmt.Sprintf("%02X%02X%02X%02X:%04X", b[3], b[2], b[1], b[0], port)
}

// procNetHas reports whether a /proc/net table has a socket bound to addr
// (in the given state, when state is not "").
func procNetHas(file, addr, state string) bool {
	data, err := os.ReadFile(file)
	if err != nil {
		return false
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) > 3 && f[1] == addr && (state == "" || f[3] == state) {
			return true
		}
	}
	return false
}

// waitErr waits for SIPp to exit and returns its exit status as an error:
// nil only when every call of its scenario succeeded (each expected message
// came, in order).
func (p *sippProc) waitErr() error {
	select {
	case <-p.done:
	case <-time.After(p.opts.Timeout + 15*time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("still running %s after its own -timeout; killed", p.opts.Timeout+15*time.Second)
	}
	if p.err == nil {
		return nil
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return fmt.Errorf("exit status %d (%s)", ee.ExitCode(), sippExitMeaning(ee.ExitCode()))
	}
	return p.err
}

func sippExitMeaning(code int) string {
	switch code {
	case 1:
		return "at least one call failed"
	case 97:
		return "exit on internal command"
	case 99:
		return "normal exit without calls processed"
	case 255:
		return "fatal error"
	case 254:
		return "fatal error binding a socket"
	}
	return "?"
}

// dump logs what SIPp saw, for a failed test.
func (p *sippProc) dump() {
	p.t.Logf("sipp %s: sipp %s", p.opts.Name, strings.Join(p.args, " "))
	p.t.Logf("sipp %s screen (tail):\n%s", p.opts.Name, tailFile(p.outLog, 3000))
	if _, err := os.Stat(p.errLog); err == nil {
		p.t.Logf("sipp %s errors:\n%s", p.opts.Name, tailFile(p.errLog, 6000))
	}
	p.t.Logf("sipp %s messages:\n%s", p.opts.Name, tailFile(p.msgLog, 16000))
}

// sipMsg is one message from a SIPp -trace_msg log.
type sipMsg struct {
	Sent bool   // false: received
	Text string // the SIP message, CRLF normalised to LF
}

// FirstLine is the request or status line.
func (m sipMsg) FirstLine() string {
	line, _, _ := strings.Cut(m.Text, "\n")
	return strings.TrimSpace(line)
}

// IsRequest reports whether m is a request of method.
func (m sipMsg) IsRequest(method string) bool {
	return strings.HasPrefix(m.FirstLine(), method+" ")
}

// Status is the status code of a response, 0 for a request.
func (m sipMsg) Status() int {
	f := strings.Fields(m.FirstLine())
	if len(f) < 2 || f[0] != "SIP/2.0" {
		return 0
	}
	n, _ := strconv.Atoi(f[1])
	return n
}

// Header returns the first value of a header (full name, case-insensitive).
func (m sipMsg) Header(name string) string {
	for _, line := range strings.Split(m.Text, "\n") {
		if line == "" {
			break
		}
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// Body is what follows the blank line.
func (m sipMsg) Body() string {
	_, body, _ := strings.Cut(m.Text, "\n\n")
	return body
}

// messages parses SIPp's message log (control messages of the 3PCC twin
// socket are skipped).
func (p *sippProc) messages() []sipMsg {
	p.t.Helper()
	data, err := os.ReadFile(p.msgLog)
	if err != nil {
		p.t.Fatalf("sipp %s message log: %v", p.opts.Name, err)
	}
	return parseSIPpTrace(string(data))
}

func parseSIPpTrace(s string) []sipMsg {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var out []sipMsg
	for _, block := range strings.Split(s, "\n----------------------------------------------- ") {
		// block: "<timestamp>\nUDP message sent (N bytes):\n\n<message>"
		_, rest, ok := strings.Cut(block, "\n")
		if !ok {
			continue
		}
		head, msg, ok := strings.Cut(rest, "\n\n")
		if !ok || strings.Contains(head, "control") {
			continue
		}
		var sent bool
		switch {
		case strings.Contains(head, "message sent"):
			sent = true
		case strings.Contains(head, "message received"):
		default:
			continue
		}
		msg = strings.TrimLeft(msg, "\n")
		if msg == "" {
			continue
		}
		out = append(out, sipMsg{Sent: sent, Text: msg})
	}
	return out
}

// received returns the messages p received.
func (p *sippProc) received() []sipMsg {
	var out []sipMsg
	for _, m := range p.messages() {
		if !m.Sent {
			out = append(out, m)
		}
	}
	return out
}

// sent returns the messages p sent.
func (p *sippProc) sent() []sipMsg {
	var out []sipMsg
	for _, m := range p.messages() {
		if m.Sent {
			out = append(out, m)
		}
	}
	return out
}

// firstReceived returns the first received message matching f.
func (p *sippProc) firstReceived(what string, f func(sipMsg) bool) sipMsg {
	p.t.Helper()
	for _, m := range p.received() {
		if f(m) {
			return m
		}
	}
	p.t.Fatalf("sipp %s never received %s", p.opts.Name, what)
	return sipMsg{}
}

// finalStatus is the last final (>=200) response to the INVITE p received.
func (p *sippProc) finalStatus() (sipMsg, bool) {
	var last sipMsg
	found := false
	for _, m := range p.received() {
		if s := m.Status(); s >= 200 && strings.HasSuffix(m.Header("CSeq"), "INVITE") {
			last, found = m, true
		}
	}
	return last, found
}
