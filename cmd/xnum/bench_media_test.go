package main

// BenchmarkRelayedCalls (make bench): N concurrent G.711 calls through the
// real xnum binary, set up with SIP and held with RTP both ways at the real
// rate (one 172-byte packet every 20 ms per party), then the same load
// through a plain UDP forwarder process with the same socket model (one
// goroutine per socket, blocking reads, write to the fixed peer) — the
// ceiling. xnum, the forwarder and this load generator are separate
// processes on the same cores; CPU per packet is the forwarding process's
// own (utime+stime from /proc), so the generator's cost is not in it.
//
// Knobs: XNUM_BENCH_CALLS (default "100,250,500,750,1000"), XNUM_BENCH_HOLD
// (default 5s of media per step).

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/xnum/xnum/media"
)

// The bench's own loopback slice, apart from the e2e tests' 127.1xx.*.
const (
	benchNet      = "127.0.88."
	benchXnum     = benchNet + "1"
	benchUAC      = benchNet + "2"
	benchUAS      = benchNet + "3"
	benchMediaA   = benchNet + "12"
	benchMediaB   = benchNet + "13"
	benchPktBytes = 12 + media.FrameSamples
)

func BenchmarkRelayedCalls(b *testing.B) {
	counts := []int{100, 250, 500, 750, 1000}
	if v := os.Getenv("XNUM_BENCH_CALLS"); v != "" {
		counts = nil
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				b.Fatalf("XNUM_BENCH_CALLS: %v", err)
			}
			counts = append(counts, n)
		}
	}
	hold := 5 * time.Second
	if v := os.Getenv("XNUM_BENCH_HOLD"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatal(err)
		}
		hold = d
	}
	for _, n := range counts {
		var xnum, plain loadResult
		b.Run(fmt.Sprintf("xnum/%d", n), func(b *testing.B) {
			for range b.N {
				xnum = runRelayedCalls(b, n, hold)
				xnum.report(b)
			}
		})
		b.Run(fmt.Sprintf("plain/%d", n), func(b *testing.B) {
			for range b.N {
				plain = runPlainCalls(b, n, hold)
				plain.report(b)
				if plain.cpuPerPkt > 0 {
					b.ReportMetric(xnum.cpuPerPkt/plain.cpuPerPkt, "xnum/plain")
				}
			}
		})
	}
}

// loadResult is one step's figures.
type loadResult struct {
	sent, received int64
	offered        float64 // packets per second actually sent
	p50, p99       time.Duration
	cpuPerPkt      float64 // µs of the forwarding process per forwarded packet
	cpuShare       float64 // that process's CPU, % of one core
}

func (r loadResult) report(b *testing.B) {
	b.ReportMetric(100*float64(r.sent-r.received)/float64(max(r.sent, 1)), "loss-%")
	b.ReportMetric(r.offered, "pkt/s")
	b.ReportMetric(float64(r.p50.Microseconds()), "p50-µs")
	b.ReportMetric(float64(r.p99.Microseconds()), "p99-µs")
	b.ReportMetric(r.cpuPerPkt, "cpu-µs/pkt")
	b.ReportMetric(r.cpuShare, "cpu-%")
}

// procCPU is a process's utime+stime.
func procCPU(pid int) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(raw)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}

// party is one end of a call's media: its socket and where it sends.
type benchParty struct {
	conn *net.UDPConn
	to   netip.AddrPort
	seq  uint16
	ts   uint32
	ssrc uint32
}

func listenBench(b testing.TB, ip string) *net.UDPConn {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP(ip)})
	if err != nil {
		b.Fatal(err)
	}
	_ = c.SetReadBuffer(1 << 20)
	return c
}

// runLoad sends one packet per party every 20 ms for hold, receives on
// every party, and measures the forwarding process pid meanwhile.
func runLoad(b *testing.B, parties []*benchParty, pid int, hold time.Duration) loadResult {
	epoch := time.Now()
	var received atomic.Int64
	lat := make([][]time.Duration, len(parties))
	var rwg sync.WaitGroup
	for i, p := range parties {
		rwg.Add(1)
		go func() {
			defer rwg.Done()
			buf := make([]byte, 1500)
			for {
				n, err := p.conn.Read(buf)
				if err != nil {
					return
				}
				if n >= 12+8 {
					lat[i] = append(lat[i], time.Since(epoch)-time.Duration(binary.BigEndian.Uint64(buf[12:])))
				}
				received.Add(1)
			}
		}()
	}
	const gens = 4
	var sent atomic.Int64
	stop := make(chan struct{})
	var gwg sync.WaitGroup
	cpu0, wall0 := procCPU(pid), time.Now()
	for g := range gens {
		gwg.Add(1)
		go func() {
			defer gwg.Done()
			pkt := make([]byte, benchPktBytes)
			for k := 1; ; k++ {
				select {
				case <-stop:
					return
				case <-time.After(time.Until(wall0.Add(time.Duration(k) * media.FramePeriod))):
				}
				for i := g; i < len(parties); i += gens {
					p := parties[i]
					pkt[0], pkt[1] = 0x80, media.PayloadPCMU
					binary.BigEndian.PutUint16(pkt[2:], p.seq)
					binary.BigEndian.PutUint32(pkt[4:], p.ts)
					binary.BigEndian.PutUint32(pkt[8:], p.ssrc)
					binary.BigEndian.PutUint64(pkt[12:], uint64(time.Since(epoch)))
					p.seq++
					p.ts += media.FrameSamples
					if _, err := p.conn.WriteToUDPAddrPort(pkt, p.to); err == nil {
						sent.Add(1)
					}
				}
			}
		}()
	}
	time.Sleep(hold) // the measurement period: the load runs this long
	close(stop)
	gwg.Wait()
	for deadline := time.Now().Add(time.Second); received.Load() < sent.Load() && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond) // bounded drain of the last packets in flight
	}
	cpu, wall := procCPU(pid)-cpu0, time.Since(wall0)
	for _, p := range parties {
		p.conn.Close()
	}
	rwg.Wait()
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	pct := func(q float64) time.Duration {
		if len(all) == 0 {
			return 0
		}
		return all[min(len(all)-1, int(q*float64(len(all))))]
	}
	r := loadResult{sent: sent.Load(), received: received.Load(), offered: float64(sent.Load()) / wall.Seconds(),
		p50: pct(0.5), p99: pct(0.99)}
	r.cpuPerPkt = float64(cpu.Microseconds()) / float64(max(r.received, 1))
	r.cpuShare = 100 * cpu.Seconds() / wall.Seconds()
	return r
}

// runRelayedCalls starts xnum, sets up n calls A→X→B with SIP, and runs
// the load through them.
func runRelayedCalls(b *testing.B, n int, hold time.Duration) loadResult {
	dir := b.TempDir()
	sipPort, apiPort := freePort(b, benchXnum, true), freePort(b, benchXnum, true)
	uas := listenBench(b, benchUAS)
	defer uas.Close()
	cfg := fmt.Sprintf(`sip:
  listen: "%s:%d"
  drain_timeout: 1s
  udp_buffer: 8388608
trunk:
  outbound: %q
api:
  listen: "%s:%d"
  admin_token: bench
store:
  dir: %q
media:
  address: %q
  rtp_ports: 20000-29999
demo:
  enabled: true
log:
  level: warn
`, benchXnum, sipPort, uas.LocalAddr().String(), benchXnum, apiPort, filepath.Join(dir, "store"), benchXnum)
	cfgPath := filepath.Join(dir, "xnum.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(e2eBinary(b), "serve", "--config", cfgPath)
	logf, _ := os.Create(filepath.Join(dir, "xnum.log"))
	cmd.Stdout, cmd.Stderr, cmd.Env = logf, logf, cleanEnv()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		logf.Close()
	}()
	waitHTTP(b, fmt.Sprintf("http://%s:%d/healthz", benchXnum, apiPort))

	xnumSIP := netip.MustParseAddrPort(fmt.Sprintf("%s:%d", benchXnum, sipPort))
	parties := setupCalls(b, n, xnumSIP, uas)
	r := runLoad(b, parties, cmd.Process.Pid, hold)
	return r
}

func waitHTTP(b testing.TB, url string) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			b.Fatalf("%s not ready", url)
		}
		time.Sleep(20 * time.Millisecond) // polling a readiness endpoint
	}
}

// setupCalls places n calls from A (demo binding) with plain-text SIP over
// UDP: the callee side answers every INVITE with a media socket of its own,
// the caller ACKs every 200. It returns the 2n media ends with where each
// sends (xnum's leg for it).
func setupCalls(b *testing.B, n int, xnum netip.AddrPort, uas *net.UDPConn) []*benchParty {
	uac := listenBench(b, benchUAC)
	defer uac.Close()
	parser := sip.NewParser()
	var mu sync.Mutex
	var parties []*benchParty
	answered := make(chan struct{}, n)

	// Callee: answer each INVITE once (retransmissions get the same 200).
	go func() {
		buf := make([]byte, 65535)
		answers := map[string][]byte{}
		for {
			k, from, err := uas.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			m, err := parser.ParseSIP(append([]byte(nil), buf[:k]...))
			if err != nil {
				continue
			}
			req, ok := m.(*sip.Request)
			if !ok {
				continue
			}
			cid := req.CallID().Value()
			switch req.Method {
			case sip.INVITE:
				res, ok := answers[cid]
				if !ok {
					a, err := media.ParseSDP(req.Body())
					if err != nil {
						continue
					}
					c := listenBench(b, benchMediaB)
					p := &benchParty{conn: c, to: a.RTP(), ssrc: uint32(len(answers)) | 0xb0000000}
					mu.Lock()
					parties = append(parties, p)
					mu.Unlock()
					res = []byte(textResponse(req, 200, "btag"+strconv.Itoa(len(answers)),
						benchSDP(c.LocalAddr().(*net.UDPAddr).AddrPort()), uas.LocalAddr().String()))
					answers[cid] = res
				}
				uas.WriteToUDPAddrPort(res, from)
			case sip.BYE:
				uas.WriteToUDPAddrPort([]byte(textResponse(req, 200, "", "", "")), from)
			}
		}
	}()

	// Caller: INVITEs at a steady pace, ACK for each 200.
	type pending struct {
		p    *benchParty
		done bool
	}
	calls := map[string]*pending{}
	var cmu sync.Mutex
	go func() {
		buf := make([]byte, 65535)
		for {
			k, _, err := uac.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			m, err := parser.ParseSIP(append([]byte(nil), buf[:k]...))
			if err != nil {
				continue
			}
			res, ok := m.(*sip.Response)
			if !ok || res.StatusCode != 200 || res.CSeq().MethodName != sip.INVITE {
				continue
			}
			cid := res.CallID().Value()
			cmu.Lock()
			c := calls[cid]
			cmu.Unlock()
			if c == nil {
				continue
			}
			uac.WriteToUDPAddrPort([]byte(textAck(res, uac.LocalAddr().String())), xnum)
			if !c.done {
				a, err := media.ParseSDP(res.Body())
				if err != nil {
					continue
				}
				c.done, c.p.to = true, a.RTP()
				mu.Lock()
				parties = append(parties, c.p)
				mu.Unlock()
				answered <- struct{}{}
			}
		}
	}()
	tick := time.NewTicker(2 * time.Millisecond) // 500 call set-ups a second
	defer tick.Stop()
	for i := range n {
		<-tick.C
		c := listenBench(b, benchMediaA)
		cid := fmt.Sprintf("bench-%d-%d@uac", os.Getpid(), i)
		cmu.Lock()
		calls[cid] = &pending{p: &benchParty{conn: c, ssrc: uint32(i) | 0xa0000000}}
		cmu.Unlock()
		inv := textInvite(cid, xnum.String(), uac.LocalAddr().String(), benchSDP(c.LocalAddr().(*net.UDPAddr).AddrPort()))
		uac.WriteToUDPAddrPort([]byte(inv), xnum)
	}
	deadline := time.After(60 * time.Second)
	for i := range n {
		select {
		case <-answered:
		case <-deadline:
			b.Fatalf("%d of %d calls answered", i, n)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(parties) != 2*n {
		b.Fatalf("%d media ends for %d calls", len(parties), n)
	}
	return slices.Clone(parties)
}

func benchSDP(a netip.AddrPort) string {
	return fmt.Sprintf("v=0\r\no=bench 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n",
		a.Addr(), a.Addr(), a.Port())
}

func withBody(head, body string) string {
	if body == "" {
		return head + "Content-Length: 0\r\n\r\n"
	}
	return head + "Content-Type: application/sdp\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
}

func textInvite(cid, xnum, local, sdp string) string {
	return withBody(fmt.Sprintf("INVITE sip:%s@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK%s\r\nMax-Forwards: 70\r\n"+
		"From: <sip:%s@%s>;tag=a%s\r\nTo: <sip:%s@%s>\r\nCall-ID: %s\r\nCSeq: 1 INVITE\r\nContact: <sip:a@%s>\r\n",
		demoX, xnum, local, strings.Split(cid, "@")[0], demoA, local, strings.Split(cid, "@")[0], demoX, xnum, cid, local), sdp)
}

func textAck(res *sip.Response, local string) string {
	target := res.Contact().Address.String()
	return withBody(fmt.Sprintf("ACK %s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bKack%s\r\nMax-Forwards: 70\r\n"+
		"From: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: 1 ACK\r\n",
		target, local, res.CallID().Value(), res.From().Value(), res.To().Value(), res.CallID().Value()), "")
}

func textResponse(req *sip.Request, status int, tag, sdp, contact string) string {
	var h strings.Builder
	fmt.Fprintf(&h, "SIP/2.0 %d OK\r\n", status)
	for _, v := range req.GetHeaders("Via") {
		fmt.Fprintf(&h, "Via: %s\r\n", v.Value())
	}
	to := req.To().Value()
	if tag != "" {
		to += ";tag=" + tag
	}
	fmt.Fprintf(&h, "From: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %s\r\n", req.From().Value(), to, req.CallID().Value(), req.CSeq().Value())
	if contact != "" {
		fmt.Fprintf(&h, "Contact: <sip:b@%s>\r\n", contact)
	}
	return withBody(h.String(), sdp)
}

// runPlainCalls runs the same load through a plain forwarder process: this
// test binary re-executed as TestBenchPlainForwarderProcess.
func runPlainCalls(b *testing.B, n int, hold time.Duration) loadResult {
	var parties []*benchParty
	var dests []string
	for range n {
		a, bb := listenBench(b, benchMediaA), listenBench(b, benchMediaB)
		parties = append(parties, &benchParty{conn: a, ssrc: 0xa1}, &benchParty{conn: bb, ssrc: 0xb1})
		dests = append(dests, a.LocalAddr().String(), bb.LocalAddr().String())
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchPlainForwarderProcess$")
	cmd.Env = append(os.Environ(), "XNUM_BENCH_FORWARDER=1")
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { in.Close(); _ = cmd.Wait() }()
	if err := json.NewEncoder(in).Encode(dests); err != nil {
		b.Fatal(err)
	}
	var entries []string
	if err := json.NewDecoder(bufio.NewReader(out)).Decode(&entries); err != nil {
		b.Fatal(err)
	}
	for i, p := range parties {
		p.to = netip.MustParseAddrPort(entries[i])
	}
	return runLoad(b, parties, cmd.Process.Pid, hold)
}

// TestBenchPlainForwarderProcess is the plain forwarder of
// BenchmarkRelayedCalls when run with XNUM_BENCH_FORWARDER=1: for each pair
// of destinations (A, B) read from stdin it opens two sockets on xnum's
// bench address and forwards whatever reaches one to the other party,
// untouched; it prints the sockets (A's entry, B's entry, …) and runs
// until stdin closes. Otherwise it does nothing.
func TestBenchPlainForwarderProcess(t *testing.T) {
	if os.Getenv("XNUM_BENCH_FORWARDER") == "" {
		t.Skip("helper process of BenchmarkRelayedCalls")
	}
	var dests []string
	if err := json.NewDecoder(os.Stdin).Decode(&dests); err != nil {
		t.Fatal(err)
	}
	var conns []*net.UDPConn
	var entries []string
	for range dests {
		c := listenBench(t, benchXnum)
		conns = append(conns, c)
		entries = append(entries, c.LocalAddr().String())
	}
	for i := 0; i+1 < len(conns); i += 2 {
		pump := func(in, out *net.UDPConn, to netip.AddrPort) {
			buf := make([]byte, 1500)
			for {
				n, err := in.Read(buf)
				if err != nil {
					return
				}
				out.WriteToUDPAddrPort(buf[:n], to)
			}
		}
		go pump(conns[i], conns[i+1], netip.MustParseAddrPort(dests[i+1]))
		go pump(conns[i+1], conns[i], netip.MustParseAddrPort(dests[i]))
	}
	json.NewEncoder(os.Stdout).Encode(entries)
	io.Copy(io.Discard, os.Stdin)
	for _, c := range conns {
		c.Close()
	}
}
