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

// TestServeSIGTERM starts the binary on the shipped config, waits for its
// ready line, sends SIGTERM and expects a clean exit 0.
func TestServeSIGTERM(t *testing.T) {
	bin := xnumBinary(t)
	cmd := exec.Command(bin, "serve", "--config", "../../configs/xnum.yaml")
	cmd.Env = serveEnv(t)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	var log strings.Builder
	var logMu sync.Mutex
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		once := sync.Once{}
		for sc.Scan() {
			logMu.Lock()
			log.WriteString(sc.Text() + "\n")
			logMu.Unlock()
			if strings.Contains(sc.Text(), "xnum ready") {
				once.Do(func() { close(ready) })
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		exited <- cmd.Wait()
	}()
	dump := func() string { logMu.Lock(); defer logMu.Unlock(); return log.String() }

	select {
	case <-ready:
	case err := <-exited:
		t.Fatalf("xnum exited before ready: %v\n%s", err, dump())
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("no ready line within 60s\n%s", dump())
	}
	if !strings.Contains(dump(), "demo_binding") {
		t.Errorf("ready line does not mention the demo binding:\n%s", dump())
	}
	if strings.Contains(dump(), "+8613800000001") {
		t.Errorf("a full real number in the log:\n%s", dump())
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v, want 0\n%s", err, dump())
		}
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("still running 60s after SIGTERM\n%s", dump())
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
