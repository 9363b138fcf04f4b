package main

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// xnumBinary builds ./cmd/xnum once per test run into a temp dir: the
// subprocess tests exercise the real binary, signals and exit codes.
func xnumBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "xnum-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "xnum")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = errors.New(string(out) + err.Error())
		}
	})
	if buildErr != nil {
		t.Fatalf("go build: %v", buildErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		_ = os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// serveEnv overrides the listen addresses and the store of the shipped
// config with XNUM_* variables (SPEC §8), so the test also covers them.
func serveEnv(t *testing.T) []string {
	dir := t.TempDir()
	return append(os.Environ(),
		"XNUM_SIP_LISTEN=127.0.0.1:0",
		"XNUM_API_LISTEN=127.0.0.1:0",
		"XNUM_STORE_DIR="+filepath.Join(dir, "data"),
		"XNUM_RECORD_DIR="+filepath.Join(dir, "recordings"),
		"XNUM_SIP_DRAIN_TIMEOUT=5s",
	)
}

// daemonProc is a running `xnum serve` whose stderr is read line by line.
type daemonProc struct {
	cmd    *exec.Cmd
	lines  chan string // every stderr line, closed at EOF
	exited chan error  // cmd.Wait's result, after EOF

	mu  sync.Mutex
	log strings.Builder
}

func startServe(t *testing.T, args []string, env []string) *daemonProc {
	t.Helper()
	p := &daemonProc{
		cmd:    exec.Command(xnumBinary(t), args...),
		lines:  make(chan string, 1024),
		exited: make(chan error, 1),
	}
	p.cmd.Env = env
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.log.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			select {
			case p.lines <- sc.Text():
			default: // nobody waits for lines this far ahead; the log keeps them
			}
		}
		close(p.lines)
		_, _ = io.Copy(io.Discard, stderr)
		p.exited <- p.cmd.Wait()
	}()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
		}
	})
	return p
}

func (p *daemonProc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

// waitLine waits for a stderr line containing want.
func (p *daemonProc) waitLine(t *testing.T, want string) {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				t.Fatalf("xnum closed stderr before %q\n%s", want, p.output())
			}
			if strings.Contains(l, want) {
				return
			}
		case <-deadline:
			t.Fatalf("no line %q within 60s\n%s", want, p.output())
		}
	}
}

// wait reads stderr to its end and returns the process's exit error.
func (p *daemonProc) wait(t *testing.T) error {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case _, ok := <-p.lines:
			if ok {
				continue
			}
			select {
			case err := <-p.exited:
				return err
			case <-deadline:
			}
		case <-deadline:
		}
		_ = p.cmd.Process.Kill()
		t.Fatalf("xnum still running after 60s\n%s", p.output())
	}
}

// TestServeSignals starts the binary on the shipped config, waits for its
// ready line, checks SIGHUP is logged and survived, then sends SIGTERM and
// expects a clean exit 0.
func TestServeSignals(t *testing.T) {
	p := startServe(t, []string{"serve", "--config", "../../configs/xnum.yaml"}, serveEnv(t))
	p.waitLine(t, "xnum ready")
	if !strings.Contains(p.output(), "demo_binding") {
		t.Errorf("ready line does not mention the demo binding:\n%s", p.output())
	}
	if strings.Contains(p.output(), "+8613800000001") {
		t.Errorf("a full real number in the log:\n%s", p.output())
	}

	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	p.waitLine(t, "reload not supported yet")

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.wait(t); err != nil {
		t.Fatalf("exit after SIGTERM: %v, want 0\n%s", err, p.output())
	}
	if !strings.Contains(p.output(), "stopped cleanly") {
		t.Errorf("no clean-stop line:\n%s", p.output())
	}
}

// TestServeRefusesUnknownKey: a misspelt key stops serve with exit 2 and a
// message naming the key.
func TestServeRefusesUnknownKey(t *testing.T) {
	bin := xnumBinary(t)
	path := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(path, []byte("sip:\n  listn: 127.0.0.1:5060\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--config", path)
	cmd.Env = serveEnv(t)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Fatalf("serve with an unknown key: %v, want exit status 2\n%s", err, out)
	}
	if !strings.Contains(string(out), "sip.listn") {
		t.Errorf("message does not name sip.listn:\n%s", out)
	}
}

// TestServeRefusesBadValue: a bad value given by environment is refused the
// same way, naming the key.
func TestServeRefusesBadValue(t *testing.T) {
	bin := xnumBinary(t)
	cmd := exec.Command(bin, "serve", "--config", "../../configs/xnum.yaml")
	cmd.Env = append(serveEnv(t), "XNUM_SIP_RING_TIMEOUT=soon")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Fatalf("serve with a bad value: %v, want exit status 2\n%s", err, out)
	}
	if !strings.Contains(strings.ToLower(string(out)), "ring_timeout") {
		t.Errorf("message does not name sip.ring_timeout:\n%s", out)
	}
}
