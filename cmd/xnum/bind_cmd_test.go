package main

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cliRun runs an xnum command line and fails unless it exits with want;
// it returns stdout and stderr together.
func cliRun(t *testing.T, want int, args ...string) string {
	t.Helper()
	code, out, errOut := cli(t, args...)
	if code != want {
		t.Fatalf("xnum %s: exit %d (want %d)\nstdout %s\nstderr %s", strings.Join(args, " "), code, want, out, errOut)
	}
	return out + errOut
}

// jsonField reads a top-level string or number field of a JSON output.
func jsonField(t *testing.T, out, k string) any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("output is no JSON object: %v\n%s", err, out)
	}
	return m[k]
}

// TestCLIModesWalkthrough drives `xnum bind --mode …` through every
// operation of AX, AXE and AXYB against a real daemon, apps and numbers made
// with the admin subcommands, so each operation's method, path and field
// names match the server.
func TestCLIModesWalkthrough(t *testing.T) {
	d, _ := startDaemon(t, testConfig(t))
	admin := func(want int, args ...string) string {
		t.Helper()
		return cliRun(t, want, append(args, "--api", d.APIURL(), "--token", testToken)...)
	}
	as := func(mode, key, secret string) func(want int, args ...string) string {
		return func(want int, args ...string) string {
			t.Helper()
			full := append([]string{"bind"}, args...)
			return cliRun(t, want, append(full, "--mode", mode, "--api", d.APIURL(), "--app-key", key, "--app-secret", secret)...)
		}
	}

	// AX: bind by area, query by A, temporary callee, modify, unbind.
	admin(0, "app", "create", "cliax", "--mode", "AX", "--secret", "cli-ax-secret")
	admin(0, "number", "add", "cliax", "+8617000000200", "+8617000000201", "--area-code", "0755")
	ax := as("AX", "cliax", "cli-ax-secret")
	out := ax(0, "--a", "+8613800000011", "--area-code", "0755", "--set", "preVoice.callerHintTone=connecting")
	sub, _ := jsonField(t, out, "subscriptionId").(string)
	x, _ := jsonField(t, out, "privateNum").(string)
	if sub == "" || !strings.HasPrefix(x, "+861700000020") {
		t.Fatalf("AX bind: %s", out)
	}
	out = ax(0, "query", "--a", "+8613800000011")
	if jsonField(t, out, "totalCount") != float64(1) || jsonField(t, out, "privateNum") != x {
		t.Errorf("AX query: %s", out)
	}
	ax(0, "callee", "--x", x, "--b", "95588")
	ax(0, "modify", "--subscription-id", sub, "--user-data", "cli", "--max-duration", "5")
	if out := ax(0, "query", "--subscription-id", sub); jsonField(t, out, "userData") != "cli" || jsonField(t, out, "maxDuration") != float64(5) {
		t.Errorf("AX query after modify: %s", out)
	}
	if out := ax(1, "callee", "--x", x, "--b", x); !strings.Contains(out, "1010002") || !strings.Contains(out, "calleeNum") {
		t.Errorf("X as callee: %s", out)
	}
	ax(0, "unbind", "--x", x)
	if out := ax(1, "unbind", "--subscription-id", sub); !strings.Contains(out, "HTTP 404: resultcode 1016001") {
		t.Errorf("AX unbind twice: %s", out)
	}
	// Clear errors before anything is sent.
	if out := ax(1, "--ext", "123", "--a", "+8613800000011"); !strings.Contains(out, "--ext is not used by AX create") {
		t.Errorf("wrong flag: %s", out)
	}
	if out := ax(1, "modify"); !strings.Contains(out, "needs the binding") {
		t.Errorf("modify without binding: %s", out)
	}
	// An AX key on the AXB API.
	if out := cliRun(t, 1, "bind", "--api", d.APIURL(), "--app-key", "cliax", "--app-secret", "cli-ax-secret",
		"--caller", "+8613800000011", "--callee", "+8613800000012"); !strings.Contains(out, "1010040") {
		t.Errorf("AX key on AXB: %s", out)
	}

	// AXE: extension assigned, query by X + extension, modify, unbind.
	admin(0, "app", "create", "cliaxe", "--mode", "AXE", "--secret", "cli-axe-secret", "--ext-len", "3")
	admin(0, "number", "add", "cliaxe", "+8617000000210")
	axe := as("AXE", "cliaxe", "cli-axe-secret")
	out = axe(0, "create", "--a", "+8613800000021", "--set", "callbackNum=+8613800000022", "--set", "bindExpiredTime=2")
	ext, _ := jsonField(t, out, "extendNum").(string)
	if len(ext) != 3 || jsonField(t, out, "virtualNum") != "+8617000000210" {
		t.Fatalf("AXE bind: %s", out)
	}
	if out := axe(1, "create", "--a", "+8613800000023", "--ext", ext); !strings.Contains(out, "1016002") {
		t.Errorf("AXE extension taken: %s", out)
	}
	if out := axe(1, "create", "--a", "+8613800000023", "--set", "callbackNum=+8613800000022",
		"--set", "callbackTone=no_binding"); !strings.Contains(out, "callbackNum and callbackTone") {
		t.Errorf("AXE callbackNum and callbackTone: %s", out)
	}
	axe(0, "modify", "--x", "+8617000000210", "--ext", ext, "--set", "callbackTone=no_binding")
	out = axe(0, "query", "--x", "+8617000000210", "--ext", ext)
	if jsonField(t, out, "callbackTone") != "no_binding" || jsonField(t, out, "callbackNum") != "" {
		t.Errorf("AXE query after modify: %s", out)
	}
	axe(0, "unbind", "--x", "+8617000000210", "--ext", ext)

	// AXYB: bind, query, unbind; no modify.
	admin(0, "app", "create", "cliaxyb", "--mode", "AXYB", "--secret", "cli-axyb-secret")
	admin(0, "number", "add", "cliaxyb", "+8617000000220", "+8617000000221")
	yb := as("AXYB", "cliaxyb", "cli-axyb-secret")
	out = yb(0, "--a", "+8613800000031", "--x", "+8617000000220", "--duration", "600", "--set", "ybDuration=60", "--call-direction", "2")
	ybSub, _ := jsonField(t, out, "subscriptionId").(string)
	if ybSub == "" || jsonField(t, out, "relationNumber") != "+8617000000220" {
		t.Fatalf("AXYB bind: %s", out)
	}
	if out := yb(1, "--a", "+8613800000032", "--duration", "60", "--set", "ybDuration=61"); !strings.Contains(out, "ybDuration") {
		t.Errorf("AXYB ybDuration > duration: %s", out)
	}
	out = yb(0, "query", "--x", "+8617000000220")
	if !strings.Contains(out, `"bindId": "`+ybSub+`"`) || !strings.Contains(out, `"ybDuration": "60"`) {
		t.Errorf("AXYB query: %s", out)
	}
	if out := yb(1, "unbind", "--subscription-id", ybSub, "--b", "+8613800000039"); !strings.Contains(out, "1016001") {
		t.Errorf("AXYB unbind of a relation that does not exist: %s", out)
	}
	if out := yb(1, "modify", "--subscription-id", ybSub); !strings.Contains(out, "AXYB has no modify") {
		t.Errorf("AXYB modify: %s", out)
	}
	cliRun(t, 0, "unbind", "--mode", "AXYB", "--api", d.APIURL(), "--app-key", "cliaxyb", "--app-secret", "cli-axyb-secret",
		"--subscription-id", ybSub)
	if out := cliRun(t, 1, "bind", "--mode", "X", "--api", d.APIURL()); !strings.Contains(out, `--mode "X"`) {
		t.Errorf("mode X: %s", out)
	}
}

// TestCLIAdminExtras covers the admin operations beyond the AXB issue's:
// app update, prompt upload, and the outbox's dead letters.
func TestCLIAdminExtras(t *testing.T) {
	d, _ := startDaemon(t, testConfig(t))
	admin := func(want int, args ...string) string {
		t.Helper()
		return cliRun(t, want, append(args, "--api", d.APIURL(), "--token", testToken)...)
	}
	admin(0, "app", "create", "cliupd", "--mode", "AXE", "--secret", "cli-upd-secret")
	out := admin(0, "app", "update", "cliupd", "--fee-url", "https://shop.example/fee", "--ext-len", "2",
		"--answer-before-collect=false", "--secret", "cli-upd-secret-2")
	if !strings.Contains(out, `"feeUrl": "https://shop.example/fee"`) || !strings.Contains(out, `"extLen": 2`) ||
		!strings.Contains(out, `"answerBeforeCollect": false`) {
		t.Errorf("app update: %s", out)
	}
	// The rotated secret signs; the old one no longer does.
	for secret, want := range map[string]string{"cli-upd-secret-2": "1016001", "cli-upd-secret": "1020176"} {
		out := cliRun(t, 1, "bind", "query", "--mode", "AXE", "--api", d.APIURL(), "--app-key", "cliupd",
			"--app-secret", secret, "--subscription-id", "none")
		if !strings.Contains(out, want) {
			t.Errorf("query signed with %s: %s, want %s", secret, out, want)
		}
	}
	if out := admin(1, "app", "update", "cliupd"); !strings.Contains(out, "nothing to change") {
		t.Errorf("empty update: %s", out)
	}
	if out := admin(1, "app", "update", "cliupd", "--mode", "NOPE"); !strings.Contains(out, "1010002") || !strings.Contains(out, "mode") {
		t.Errorf("bad mode: %s", out)
	}

	// A prompt upload is stored by the daemon (800 samples at 8 kHz = 0.1 s),
	// and a binding of the app may then name it (SPEC §5: uploaded prompts).
	wav := filepath.Join(t.TempDir(), "hello.wav")
	if err := os.WriteFile(wav, pcmWAV(800), 0o644); err != nil {
		t.Fatal(err)
	}
	out = admin(0, "app", "prompt", "cliupd", "hello", wav)
	if jsonField(t, out, "resultcode") != "0" || jsonField(t, out, "prompt") != "hello" || jsonField(t, out, "appKey") != "cliupd" {
		t.Errorf("prompt upload: %s", out)
	}
	admin(0, "number", "add", "cliupd", "+8617000000230")
	axe := func(want int, args ...string) string {
		t.Helper()
		full := append([]string{"bind"}, args...)
		return cliRun(t, want, append(full, "--mode", "AXE", "--api", d.APIURL(), "--app-key", "cliupd", "--app-secret", "cli-upd-secret-2")...)
	}
	axe(0, "create", "--a", "+8613800000041", "--set", "lastMinVoice=hello")
	if out := axe(1, "create", "--a", "+8613800000042", "--set", "lastMinVoice=goodbye"); !strings.Contains(out, "1010002") ||
		!strings.Contains(out, "lastMinVoice") {
		t.Errorf("prompt never uploaded: %s", out)
	}
	if out := admin(1, "app", "prompt", "cliupd", "hello", filepath.Join(t.TempDir(), "missing.wav")); !strings.Contains(out, "missing.wav") {
		t.Errorf("missing file: %s", out)
	}

	if out := admin(0, "outbox", "dead", "--app-key", "cliupd", "--page-size", "10"); jsonField(t, out, "total") != float64(0) {
		t.Errorf("outbox dead: %s", out)
	}
	if out := admin(1, "outbox", "redrive", "42"); !strings.Contains(out, "1016001") {
		t.Errorf("redrive unknown: %s", out)
	}
	if out := admin(1, "outbox", "redrive", "x"); !strings.Contains(out, "decimal id") {
		t.Errorf("redrive bad id: %s", out)
	}
}

// pcmWAV is n samples of 8 kHz mono 16-bit PCM silence as a WAV file.
func pcmWAV(n int) []byte {
	data := make([]byte, 2*n)
	b := make([]byte, 0, 44+len(data))
	le := binary.LittleEndian
	b = append(b, "RIFF"...)
	b = le.AppendUint32(b, uint32(36+len(data)))
	b = append(b, "WAVEfmt "...)
	b = le.AppendUint32(b, 16)
	b = le.AppendUint16(b, 1)    // PCM
	b = le.AppendUint16(b, 1)    // mono
	b = le.AppendUint32(b, 8000) // rate
	b = le.AppendUint32(b, 16000)
	b = le.AppendUint16(b, 2)
	b = le.AppendUint16(b, 16)
	b = append(b, "data"...)
	b = le.AppendUint32(b, uint32(len(data)))
	return append(b, data...)
}
