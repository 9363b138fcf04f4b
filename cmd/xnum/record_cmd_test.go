package main

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCLIRecord drives `xnum record` against a real daemon: the signed GET
// of SPEC §5 answers 301 and the command prints its Location (not the
// followed body); the link serves the WAV the daemon keeps in
// <record.dir>/<appKey>/<sessionId>.wav (written here as package sip writes
// it); -o saves exactly that file; failures are the API's codes and leave
// no file behind.
func TestCLIRecord(t *testing.T) {
	cfg := testConfig(t)
	d, _ := startDaemon(t, cfg)
	const name = "0123456789abcdef0123456789abcdef.wav"
	wav := pcmWAV(1600)
	if err := os.MkdirAll(filepath.Join(cfg.Record.Dir, demoApp), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfg.Record.Dir, demoApp, name), wav, 0o640); err != nil {
		t.Fatal(err)
	}
	record := func(args ...string) (int, string, string) {
		t.Helper()
		return cli(t, append([]string{"record", "--api", d.APIURL()}, args...)...)
	}

	code, stdout, stderr := record(name, "--app-key", demoApp, "--app-secret", demoSecret)
	if code != 0 {
		t.Fatalf("record: exit %d\n%s%s", code, stdout, stderr)
	}
	loc, err := url.Parse(strings.TrimSpace(stdout))
	if err != nil || strings.Count(stdout, "\n") != 1 {
		t.Fatalf("stdout is not one URL: %q", stdout)
	}
	base, _ := url.Parse(d.APIURL())
	q := loc.Query()
	if loc.Host != base.Host || loc.Path != recordPath+"/file" || q.Get("fileName") != name || q.Get("app") != demoApp ||
		q.Get("signature") == "" || q.Get("expires") == "" {
		t.Errorf("Location %s", loc)
	}
	resp, err := http.Get(loc.String())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, wav) {
		t.Errorf("the printed link: HTTP %d, %d bytes, want the %d-byte WAV", resp.StatusCode, len(body), len(wav))
	}

	// -o saves the recording and still prints the link.
	dir := t.TempDir()
	out := filepath.Join(dir, "call.wav")
	code, stdout, stderr = record(name, "--app-key", demoApp, "--app-secret", demoSecret, "-o", out)
	if code != 0 || !strings.Contains(stdout, recordPath+"/file?") || !strings.Contains(stderr, "saved 3244 bytes to "+out) {
		t.Fatalf("record -o: exit %d\n%s%s", code, stdout, stderr)
	}
	if got, err := os.ReadFile(out); err != nil || !bytes.Equal(got, wav) {
		t.Errorf("saved file: %d bytes, %v; want the %d-byte WAV", len(got), err, len(wav))
	}

	// Failures: the API's code on stderr, exit 1, nothing written.
	cliRun(t, 0, "app", "create", "recother", "--mode", "AX", "--secret", "rec-other-secret", "--api", d.APIURL(), "--token", testToken)
	missing := filepath.Join(dir, "missing.wav")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{name, "--app-key", "recother", "--app-secret", "rec-other-secret"}, "HTTP 404: resultcode 1016001"},
		{[]string{"nosuch.wav", "--app-key", demoApp, "--app-secret", demoSecret}, "HTTP 404: resultcode 1016001"},
		{[]string{"../demo/x.wav", "--app-key", demoApp, "--app-secret", demoSecret}, "resultcode 1010002: invalid fileName"},
		{[]string{name, "--app-key", demoApp, "--app-secret", "wrong-secret"}, "HTTP 401: resultcode 1020176"},
		{[]string{name, "--app-key", demoApp}, "--app-key and --app-secret are required"},
		{[]string{"--app-key", demoApp, "--app-secret", demoSecret}, "accepts 1 arg(s)"},
	} {
		code, stdout, stderr := record(append(c.args, "-o", missing)...)
		if code != 1 || stdout != "" || !strings.Contains(stderr, c.want) {
			t.Errorf("record %v: exit %d stdout %q stderr %q, want %q", c.args, code, stdout, stderr, c.want)
		}
	}
	// A directory that does not exist: the link is printed, the save fails.
	code, _, stderr = record(name, "--app-key", demoApp, "--app-secret", demoSecret, "-o", filepath.Join(dir, "no", "x.wav"))
	if code != 1 || !strings.Contains(stderr, "no such file or directory") {
		t.Errorf("record -o into a missing directory: exit %d %s", code, stderr)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "call.wav" {
		t.Errorf("files left in %s: %v", dir, entries)
	}
}
