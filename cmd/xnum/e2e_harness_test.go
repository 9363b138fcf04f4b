package main

// End-to-end harness: the real xnum binary, started as a subprocess from a
// YAML config on free loopback ports, driven by SIPp callers and a SIPp
// callee trunk. See docs/TESTING.md for how the pieces fit.
//
// Every test gets its own /24 inside 127.0.0.0/8 (netPlan), so tests run in
// parallel without sharing a socket: xnum on .1, the calling party on .2,
// the callee trunk (trunk.outbound) on .3, a second caller on .4, and each
// party's SDP media address ten above its signalling address. An address
// that appears in a message therefore names exactly one party.

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

var (
	e2eBuildOnce sync.Once
	e2eBin       string
	e2eBuildErr  error
)

// e2eBinary builds ./cmd/xnum once per test run (with -race when the tests
// run with -race) and returns its path. E2E_XNUM_BIN points at a prebuilt
// binary instead (e.g. bin/xnum while iterating).
//
// The package's TestMain belongs to serve_test.go, so this binary cannot be
// removed when the run ends: it lives in $TMPDIR/xnum-e2e-<pid>, and each
// run removes the directories of runs whose process is gone.
func e2eBinary(t testing.TB) string {
	t.Helper()
	e2eBuildOnce.Do(func() {
		if p := os.Getenv("E2E_XNUM_BIN"); p != "" {
			e2eBin, e2eBuildErr = filepath.Abs(p)
			return
		}
		removeStaleBuilds()
		dir := filepath.Join(os.TempDir(), fmt.Sprintf("xnum-e2e-%d", os.Getpid()))
		if err := os.MkdirAll(dir, 0o700); err != nil {
			e2eBuildErr = err
			return
		}
		out := filepath.Join(dir, "xnum")
		args := []string{"build"}
		if raceBuild {
			args = append(args, "-race")
		}
		args = append(args, "-o", out, ".")
		cmd := exec.Command("go", args...)
		var buf bytes.Buffer
		cmd.Stdout, cmd.Stderr = &buf, &buf
		if err := cmd.Run(); err != nil {
			e2eBuildErr = fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, buf.String())
			return
		}
		e2eBin = out
	})
	if e2eBuildErr != nil {
		t.Fatalf("build xnum: %v", e2eBuildErr)
	}
	return e2eBin
}

// removeStaleBuilds deletes $TMPDIR/xnum-e2e-<pid> of processes that ended.
func removeStaleBuilds() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "xnum-e2e-*"))
	for _, d := range dirs {
		pid, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(d), "xnum-e2e-"))
		if err != nil || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			_ = os.RemoveAll(d)
		}
	}
}

// skipOutsideCI skips a test whose tools or privileges are missing on a
// developer's machine; in CI (CI set, as .ci/run's callers do) it fails, so
// a missing tool can never turn the end-to-end set into silent skips.
func skipOutsideCI(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("CI: "+format, args...)
	}
	t.Skipf(format, args...)
}

// needSIPp skips the test when SIPp is not installed (make test installs it).
func needSIPp(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("sipp")
	if err != nil {
		skipOutsideCI(t, "sipp not found: install Debian's sip-tester (make test does it as root)")
	}
	return p
}

// netPlan is one test's slice of the loopback range.
type netPlan struct{ prefix string } // "127.a.b."

var netSeq atomic.Int32

func newNetPlan() netPlan {
	n := netSeq.Add(1)
	// Every address of the test lives here, xnum's RTP sockets too
	// (media.address), so parallel instances never share a port.
	// The second octet varies with the process so that two test binaries
	// running at once (two packages, two developers) rarely share addresses.
	second := 100 + os.Getpid()%100
	return netPlan{prefix: fmt.Sprintf("127.%d.%d.", second, 1+int(n-1)%250)}
}

func (p netPlan) ip(host int) string { return fmt.Sprintf("%s%d", p.prefix, host) }

// Roles' addresses inside a netPlan.
const (
	hostXnum   = 1
	hostCaller = 2
	hostTrunk  = 3
	hostOther  = 4
	mediaShift = 10 // media address = signalling address + 10
)

// freePort returns a port that is free on ip for UDP and, when tcp is set,
// for TCP too (xnum listens on both with one port). The port is released
// before it is used: another process could take it, but the per-test
// addresses make that unlikely.
func freePort(t testing.TB, ip string, tcp bool) int {
	t.Helper()
	for range 50 {
		u, err := net.ListenPacket("udp4", ip+":0")
		if err != nil {
			t.Fatalf("udp listen %s: %v", ip, err)
		}
		port := u.LocalAddr().(*net.UDPAddr).Port
		if tcp {
			l, err := net.Listen("tcp4", fmt.Sprintf("%s:%d", ip, port))
			if err != nil {
				u.Close()
				continue
			}
			l.Close()
		}
		u.Close()
		return port
	}
	t.Fatalf("no free port on %s", ip)
	return 0
}

// envOpts tunes one xnum instance.
type envOpts struct {
	RingTimeout time.Duration // sip.ring_timeout; 0 = 20s
	MaxCall     time.Duration // sip.max_call_duration; 0 = 4h
	T1          time.Duration // sip.t1; 0 = 100ms
	Trusted     []string      // trunk.trusted_sources; nil = the default (127.0.0.0/8)
	TrunkTCP    bool          // trunk.transport: tcp (the callee SIPp listens on TCP)
	National    bool          // trunk.number_format: national
	YAML        string        // extra top-level YAML appended to the config
	PromptDir   string        // media.prompt_dir; "" = the built-in prompts only
	Media       string        // extra keys under media:, e.g. "  timeout: 1s\n"
	Env         []string      // extra environment of the xnum process, e.g. "TZ=Asia/Shanghai"
}

// env is one running xnum with its addresses.
type env struct {
	t        *testing.T
	dir      string
	net      netPlan
	sipAddr  string // xnum's SIP listen address, UDP and TCP
	apiURL   string
	trunk    string // trunk.outbound: where the callee SIPp must listen
	trunkTCP bool
	token    string
	cfgPath  string
	logPath  string
	cmd      *exec.Cmd
	exited   chan struct{}
	exitErr  error
	stopOnce sync.Once
	termed   atomic.Bool // SIGTERM sent by the test itself (terminate)
}

const adminToken = "e2e-admin-token"

// newEnv writes a config and starts xnum; it is stopped (SIGTERM, then
// checked for a clean exit) when the test ends.
func newEnv(t *testing.T, opts envOpts) *env {
	t.Helper()
	needSIPp(t)
	bin := e2eBinary(t)
	np := newNetPlan()
	e := &env{t: t, dir: artifactDir(t), net: np, token: adminToken, exited: make(chan struct{})}
	xip := np.ip(hostXnum)
	sipPort := freePort(t, xip, true)
	apiPort := freePort(t, xip, true)
	e.sipAddr = fmt.Sprintf("%s:%d", xip, sipPort)
	e.apiURL = fmt.Sprintf("http://%s:%d", xip, apiPort)
	e.trunk = fmt.Sprintf("%s:%d", np.ip(hostTrunk), freePort(t, np.ip(hostTrunk), true))
	e.trunkTCP = opts.TrunkTCP
	transport := "udp"
	if opts.TrunkTCP {
		transport = "tcp"
	}

	t1 := opts.T1
	if t1 == 0 {
		t1 = 100 * time.Millisecond
	}
	ring := opts.RingTimeout
	if ring == 0 {
		ring = 20 * time.Second
	}
	cfg := fmt.Sprintf(`# written by the e2e harness (cmd/xnum/e2e_harness_test.go)
sip:
  listen: %q
  t1: %s
  ring_timeout: %s
  max_call_duration: %s
  drain_timeout: 2s
trunk:
  outbound: %q
  transport: %s
  number_format: %s
%sapi:
  listen: "%s:%d"
  admin_token: %q
store:
  dir: %q
media:
  address: %q
%scdr:
  file: %q
demo:
  enabled: true
log:
  level: debug
%s`, e.sipAddr, t1, ring, cmp.Or(opts.MaxCall, 4*time.Hour), e.trunk, transport, map[bool]string{false: "e164", true: "national"}[opts.National], trustedYAML(opts.Trusted), xip, apiPort, adminToken,
		filepath.Join(e.dir, "store"), xip, promptDirYAML(opts.PromptDir)+opts.Media, filepath.Join(e.dir, "cdr.jsonl"), opts.YAML)
	e.cfgPath = filepath.Join(e.dir, "xnum.yaml")
	if err := os.WriteFile(e.cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	e.logPath = filepath.Join(e.dir, "xnum.log")
	logf, err := os.Create(e.logPath)
	if err != nil {
		t.Fatal(err)
	}
	e.cmd = exec.Command(bin, "serve", "--config", e.cfgPath)
	e.cmd.Dir = e.dir
	e.cmd.Env = append(cleanEnv(), opts.Env...)
	e.cmd.Stdout, e.cmd.Stderr = logf, logf
	if err := e.cmd.Start(); err != nil {
		logf.Close()
		t.Fatalf("start xnum: %v", err)
	}
	go func() {
		e.exitErr = e.cmd.Wait()
		logf.Close()
		close(e.exited)
	}()
	t.Cleanup(e.stop)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("xnum config %s:\n%s", e.cfgPath, cfg)
			t.Logf("xnum log (tail):\n%s", tailFile(e.logPath, 24000))
		}
	})
	e.waitHealthy()
	return e
}

// artifactDir is the test's working directory: configs, logs, rendered
// scenarios and SIPp traces. With E2E_KEEP=DIR they are kept under DIR
// (one folder per test) for reading after the run; otherwise a t.TempDir.
func artifactDir(t *testing.T) string {
	t.Helper()
	base := os.Getenv("E2E_KEEP")
	if base == "" {
		return t.TempDir()
	}
	name := strings.NewReplacer("/", "__", " ", "_").Replace(t.Name())
	dir, err := os.MkdirTemp(base, name+"-")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("artifacts kept in %s", dir)
	return dir
}

func promptDirYAML(dir string) string {
	if dir == "" {
		return ""
	}
	return fmt.Sprintf("  prompt_dir: %q\n", dir)
}

func trustedYAML(cidrs []string) string {
	if cidrs == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString("  trusted_sources:\n")
	for _, c := range cidrs {
		fmt.Fprintf(&b, "    - %q\n", c)
	}
	return b.String()
}

// cleanEnv is the test process's environment without XNUM_* overrides, so
// the config file alone decides.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "XNUM_") {
			out = append(out, kv)
		}
	}
	return out
}

// waitHealthy polls /healthz until 200, the process exits, or a deadline.
func (e *env) waitHealthy() {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := client.Get(e.apiURL + "/healthz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-e.exited:
			e.t.Fatalf("xnum exited before it was healthy: %v\n%s", e.exitErr, tailFile(e.logPath, 8000))
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("xnum not healthy at %s/healthz within 30s (last error %v)", e.apiURL, err)
		}
	}
}

// stop sends SIGTERM and expects a clean exit (SPEC §8: drain, then exit 0).
func (e *env) stop() {
	e.stopOnce.Do(func() {
		select {
		case <-e.exited:
			if !e.termed.Load() {
				e.t.Errorf("xnum exited during the test: %v", e.exitErr)
			} else if e.exitErr != nil {
				e.t.Errorf("xnum did not exit cleanly on SIGTERM: %v", e.exitErr)
			}
			return
		default:
		}
		_ = e.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-e.exited:
			if e.exitErr != nil {
				e.t.Errorf("xnum did not exit cleanly on SIGTERM: %v", e.exitErr)
			}
		case <-time.After(20 * time.Second):
			_ = e.cmd.Process.Kill()
			<-e.exited
			e.t.Errorf("xnum still running 20s after SIGTERM; killed")
		}
	})
}

// terminate sends SIGTERM now (the test goes on while xnum drains); the
// exit is checked when the test ends.
func (e *env) terminate() {
	e.termed.Store(true)
	_ = e.cmd.Process.Signal(syscall.SIGTERM)
}

// waitDraining polls /healthz until it stops answering 200 (SPEC §8: 503
// while draining) or xnum has exited.
func (e *env) waitDraining() {
	e.t.Helper()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := client.Get(e.apiURL + "/healthz")
		if err != nil {
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return
		}
		select {
		case <-e.exited:
			return
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("/healthz still 200 10s after SIGTERM")
		}
	}
}

// X numbers of the demo app (SPEC §8) and the demo binding.
const (
	demoApp    = "demo"
	demoSecret = "demo-secret"
	demoX      = "+8617000000000"
	demoA      = "+8613800000001"
	demoB      = "+8613800000002"
)

// tailFile returns the last n bytes of a file, for failure logs.
func tailFile(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	off := int64(0)
	if st.Size() > n {
		off = st.Size() - n
	}
	buf := make([]byte, st.Size()-off)
	if _, err := f.ReadAt(buf, off); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Sprintf("(%v)", err)
	}
	if off > 0 {
		return "…" + string(buf)
	}
	return string(buf)
}

// withDeadline is a context for one HTTP exchange with the daemon.
func withDeadline() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 10*time.Second)
}
