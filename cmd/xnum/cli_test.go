package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestCLIAdminWalkthrough drives every admin subcommand against a real
// daemon, so that each one's method, path and body match the server.
func TestCLIAdminWalkthrough(t *testing.T) {
	d, _ := startDaemon(t, testConfig(t))
	conn := []string{"--api", d.APIURL(), "--token", testToken}
	run := func(wantCode int, args ...string) string {
		t.Helper()
		code, out, errOut := cli(t, append(args, conn...)...)
		if code != wantCode {
			t.Fatalf("xnum %s: exit %d (want %d)\nstdout %s\nstderr %s",
				strings.Join(args, " "), code, wantCode, out, errOut)
		}
		return out + errOut
	}
	field := func(out string, path ...string) any {
		t.Helper()
		var v any
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("output is no JSON: %v\n%s", err, out)
		}
		for _, p := range path {
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("no %q in %s", p, out)
			}
			v = m[p]
		}
		return v
	}

	out := run(0, "app", "create", "shop", "--mode", "AXB", "--secret", "shop-secret")
	if got := field(out, "app", "appKey"); got != "shop" {
		t.Errorf("app create: appKey %v\n%s", got, out)
	}
	if out := run(0, "app", "list"); !strings.Contains(out, `"shop"`) || !strings.Contains(out, `"demo"`) {
		t.Errorf("app list lacks shop or demo:\n%s", out)
	}
	run(0, "number", "add", "shop", "+8617000000100", "+8617000000101", "--area-code", "0755")
	out = run(0, "number", "list", "shop")
	if !strings.Contains(out, "+8617000000100") || !strings.Contains(out, "+8617000000101") {
		t.Errorf("number list after add:\n%s", out)
	}

	run(0, "number", "suspend", "shop", "+8617000000100")
	out = run(0, "number", "list", "shop")
	if !strings.Contains(out, `"suspended": true`) {
		t.Errorf("number list shows no suspended number:\n%s", out)
	}
	run(0, "number", "resume", "shop", "+8617000000100")
	if out := run(0, "number", "list", "shop"); strings.Contains(out, `"suspended": true`) {
		t.Errorf("number still suspended after resume:\n%s", out)
	}

	// A frozen app cannot bind (1010029); unfrozen it can.
	bind := []string{"bind", "--api", d.APIURL(), "--app-key", "shop", "--app-secret", "shop-secret",
		"--caller", "+8613800000005", "--callee", "+8613800000006"}
	run(0, "app", "freeze", "shop")
	if code, _, errOut := cli(t, bind...); code != 1 || !strings.Contains(errOut, "1010029") {
		t.Errorf("bind on a frozen app: exit %d stderr %q, want 1010029", code, errOut)
	}
	run(0, "app", "unfreeze", "shop")
	code, out, errOut := cli(t, bind...)
	if code != 0 {
		t.Fatalf("bind after unfreeze: exit %d stderr %q", code, errOut)
	}
	sub, _ := field(out, "subscriptionId").(string)
	if sub == "" {
		t.Fatalf("bind answer has no subscriptionId:\n%s", out)
	}
	unbind := []string{"unbind", "--api", d.APIURL(), "--app-key", "shop", "--app-secret", "shop-secret",
		"--subscription-id", sub}
	if code, _, errOut := cli(t, unbind...); code != 0 {
		t.Errorf("unbind: exit %d stderr %q", code, errOut)
	}
	if code, _, errOut := cli(t, unbind...); code != 1 || !strings.Contains(errOut, "1012007") {
		t.Errorf("unbind twice: exit %d stderr %q, want 1012007", code, errOut)
	}

	// CDR query with every filter: no calls were made, so none match.
	out = run(0, "cdr", "list", "--app-key", "shop", "--bind-num", "+8617000000100",
		"--caller-num", "+8613800000005", "--subscription-id", sub, "--ul-fail-reason", "0",
		"--since", "2020-01-01T00:00:00Z", "--until", "2099-01-01T00:00:00Z", "--page-index", "1", "--page-size", "10")
	if got := field(out, "total"); got != float64(0) {
		t.Errorf("cdr list total = %v, want 0\n%s", got, out)
	}

	run(0, "number", "remove", "shop", "+8617000000101")
	if out := run(0, "number", "list", "shop"); strings.Contains(out, "+8617000000101") {
		t.Errorf("number still listed after remove:\n%s", out)
	}
	run(0, "app", "delete", "shop")
	if out := run(1, "app", "get", "shop"); !strings.Contains(out, "HTTP 404") {
		t.Errorf("app get after delete: %s, want HTTP 404", out)
	}
}
