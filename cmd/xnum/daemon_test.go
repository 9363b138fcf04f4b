package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xnum/xnum/configs"
)

const testToken = "test-admin-token"

// testConfig is the default config on free loopback ports with a fresh store.
func testConfig(t *testing.T) configs.Config {
	t.Helper()
	cfg := configs.Default()
	dir := t.TempDir()
	cfg.SIP.Listen = "127.0.0.1:0"
	cfg.API.Listen = "127.0.0.1:0"
	cfg.API.AdminToken = testToken
	cfg.Store.Dir = filepath.Join(dir, "data")
	cfg.Record.Dir = filepath.Join(dir, "recordings")
	cfg.CDR.File = filepath.Join(dir, "cdr.jsonl")
	cfg.Demo.Enabled = true
	cfg.SIP.DrainTimeout = 5 * time.Second
	if err := cfg.Validate(); err != nil {
		t.Fatalf("test config invalid: %v", err)
	}
	return cfg
}

// startDaemon runs run() in the background and returns the daemon once it
// is ready, and a stop function that cancels it and returns run's error.
func startDaemon(t *testing.T, cfg configs.Config) (*daemon, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *daemon, 1)
	done := make(chan error, 1)
	logs := &lockedBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	go func() { done <- run(ctx, cfg, logger, func(d *daemon) { ready <- d }) }()
	var d *daemon
	select {
	case d = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("run ended before ready: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("daemon not ready within 30s")
	}
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			t.Fatal("daemon did not stop within 30s")
			return nil
		}
	}
	t.Cleanup(func() {
		_ = stop()
		if t.Failed() {
			t.Logf("daemon log:\n%s", logs.String())
		}
	})
	return d, stop
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read: %v", url, err)
	}
	return resp.StatusCode, string(b)
}

// cli runs one xnum command line in-process against the daemon at apiURL.
func cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = execute(context.Background(), args, nil, &out, &errb)
	return code, out.String(), errb.String()
}

func TestDaemonSmoke(t *testing.T) {
	cfg := testConfig(t)
	d, stop := startDaemon(t, cfg)
	base := d.APIURL()

	if code, body := get(t, base+"/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz = %d %q, want 200", code, body)
	}
	// The demo of SPEC §8 is provisioned, seen through the CLI and admin API.
	code, out, errOut := cli(t, "app", "get", "demo", "--api", base, "--token", testToken)
	if code != 0 {
		t.Fatalf("xnum app get demo: exit %d, stderr %q", code, errOut)
	}
	var app struct {
		ResultCode string `json:"resultcode"`
		App        struct {
			AppKey string `json:"appKey"`
			Mode   string `json:"mode"`
		} `json:"app"`
	}
	if err := json.Unmarshal([]byte(out), &app); err != nil {
		t.Fatalf("app get output %q: %v", out, err)
	}
	if app.ResultCode != "0" || app.App.AppKey != "demo" || app.App.Mode != "AXB" {
		t.Errorf("app get demo = %+v", app)
	}
	code, out, errOut = cli(t, "number", "list", "demo", "--api", base, "--token", testToken)
	if code != 0 || !strings.Contains(out, "+8617000000000") || !strings.Contains(out, "+8617000000009") {
		t.Errorf("number list demo: exit %d out %q err %q", code, out, errOut)
	}

	// The demo binding exists: binding A again on the same X is refused
	// with 1012010, through the X-AKSK-signed management API.
	code, _, errOut = cli(t, "bind", "--api", base, "--app-key", "demo", "--app-secret", "demo-secret",
		"--caller", "+8613800000001", "--callee", "+8613800000009", "--x", "+8617000000000")
	if code != 1 || !strings.Contains(errOut, "1012010") {
		t.Errorf("rebinding A on the demo X: exit %d, stderr %q; want exit 1 and 1012010", code, errOut)
	}
	code, out, errOut = cli(t, "bind", "--api", base, "--app-key", "demo", "--app-secret", "demo-secret",
		"--caller", "+8613800000003", "--callee", "+8613800000004")
	if code != 0 || !strings.Contains(out, "subscriptionId") {
		t.Errorf("xnum bind: exit %d out %q err %q", code, out, errOut)
	}

	// Without --api and --token the client takes both from the daemon's
	// config file.
	cfgPath := filepath.Join(t.TempDir(), "client.yaml")
	yaml := "api:\n  listen: " + strings.TrimPrefix(base, "http://") + "\n  admin_token: " + testToken + "\n"
	if err := os.WriteFile(cfgPath, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = cli(t, "app", "list", "--config", cfgPath)
	if code != 0 || !strings.Contains(out, `"demo"`) {
		t.Errorf("app list --config: exit %d out %q err %q", code, out, errOut)
	}

	// A wrong admin token is HTTP 401, printed with the envelope, exit 1.
	code, _, errOut = cli(t, "app", "list", "--api", base, "--token", "wrong")
	if code != 1 || !strings.Contains(errOut, "HTTP 401") || !strings.Contains(errOut, "resultcode") {
		t.Errorf("wrong token: exit %d stderr %q", code, errOut)
	}

	// The metrics of this daemon's own registry: wiring, SIP and API.
	code, metrics := get(t, base+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics = %d", code)
	}
	for _, want := range []string{
		"xnum_draining 0",
		"xnum_sip_active_calls 0",
		`xnum_api_requests_total{path="/admin/v1/apps/{appKey}",resultcode="0"} 1`,
		"go_goroutines",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	if err := stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("API still answers after shutdown")
	}
}

// Two daemons in one process: nothing global is shared (STYLE: wiring is
// explicit, no package state).
func TestTwoDaemonsInOneProcess(t *testing.T) {
	d1, stop1 := startDaemon(t, testConfig(t))
	d2, stop2 := startDaemon(t, testConfig(t))
	for _, d := range []*daemon{d1, d2} {
		if code, _ := get(t, d.APIURL()+"/healthz"); code != http.StatusOK {
			t.Errorf("%s /healthz = %d", d.APIURL(), code)
		}
	}
	if err := stop1(); err != nil {
		t.Errorf("stop first: %v", err)
	}
	if code, _ := get(t, d2.APIURL()+"/healthz"); code != http.StatusOK {
		t.Errorf("second daemon unhealthy after the first stopped: %d", code)
	}
	if err := stop2(); err != nil {
		t.Errorf("stop second: %v", err)
	}
}

func TestHealthzDraining(t *testing.T) {
	d := &daemon{}
	rec := httptest.NewRecorder()
	d.healthz(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("ready: %d", rec.Code)
	}
	d.draining.Store(true)
	rec = httptest.NewRecorder()
	d.healthz(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("draining: %d, want 503", rec.Code)
	}
}

func TestCLINeedsToken(t *testing.T) {
	code, _, errOut := cli(t, "app", "list", "--api", "http://127.0.0.1:1")
	if code != 1 || !strings.Contains(errOut, "XNUM_ADMIN_TOKEN") {
		t.Errorf("no token: exit %d stderr %q", code, errOut)
	}
}

func TestLoggerRejectsBadLevel(t *testing.T) {
	if _, err := newLogger(configs.Log{Level: "loud"}, io.Discard); err == nil || !strings.Contains(err.Error(), "log.level") {
		t.Errorf("newLogger(loud) = %v, want an error naming log.level", err)
	}
	if _, err := newLogger(configs.Log{Level: "debug", Format: "json"}, io.Discard); err != nil {
		t.Errorf("newLogger(debug, json) = %v", err)
	}
}

// A start that fails half-way (the API port is taken) reports the key and
// releases what it had opened: the store can be opened again at once.
func TestStartFailureReleases(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	cfg := testConfig(t)
	cfg.API.Listen = taken.Addr().String()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	err = run(context.Background(), cfg, logger, func(*daemon) { t.Error("started on a taken port") })
	if err == nil || !strings.Contains(err.Error(), "api.listen") {
		t.Fatalf("run on a taken API port = %v, want an error naming api.listen", err)
	}
	cfg.API.Listen = "127.0.0.1:0"
	_, stop := startDaemon(t, cfg)
	if err := stop(); err != nil {
		t.Fatalf("second start on the same store: %v", err)
	}
}
