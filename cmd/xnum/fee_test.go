package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"
)

// push is one webhook request as the enterprise's receiver saw it.
type push struct {
	auth, aksk string
	body       []byte
}

// TestFeePushedToApp: a call's CDR reaches the app's feeUrl, signed with
// X-AKSK from the app's secret (SPEC §6.2, §5) — the whole path from a SIP
// call through the recorder, the outbox and the dispatcher.
func TestFeePushedToApp(t *testing.T) {
	pushes := make(chan push, 16)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		pushes <- push{auth: r.Header.Get("Authorization"), aksk: r.Header.Get("X-AKSK"), body: b}
	}))
	defer receiver.Close()

	caller, callee := newRawUA(t), newRawUA(t)
	cfg := testConfig(t)
	cfg.Trunk.Outbound = callee.addr()
	d, _ := startDaemon(t, cfg)
	conn := []string{"--api", d.APIURL(), "--token", testToken}
	for _, args := range [][]string{
		{"app", "create", "shop", "--mode", "AXB", "--secret", "shop-secret", "--fee-url", receiver.URL},
		{"number", "add", "shop", "+8617000000100"},
	} {
		if code, _, errOut := cli(t, append(args, conn...)...); code != 0 {
			t.Fatalf("xnum %s: exit %d: %s", strings.Join(args, " "), code, errOut)
		}
	}
	if code, _, errOut := cli(t, "bind", "--api", d.APIURL(), "--app-key", "shop", "--app-secret", "shop-secret",
		"--caller", "+8613800000005", "--callee", "+8613800000006", "--x", "+8617000000100"); code != 0 {
		t.Fatalf("bind: exit %d: %s", code, errOut)
	}

	// A calls X; B is busy.
	caller.invite(d.sip.Addr(), "13800000005", "17000000100", "fee-call-1")
	inv := callee.recv("INVITE")
	callee.reply(inv, "486 Busy Here")
	res := caller.recvFinal("fee-call-1")
	caller.ack(d.sip.Addr(), "17000000100", "fee-call-1", res)
	if !strings.Contains(res.first, "486") {
		t.Fatalf("A got %q, want 486", res.first)
	}

	var p push
	select {
	case p = <-pushes:
	case <-time.After(30 * time.Second):
		t.Fatal("no fee push within 30s")
	}
	var fee struct {
		EventType string `json:"eventType"`
		FeeLst    []struct {
			AppKey       string `json:"appKey"`
			BindNum      string `json:"bindNum"`
			CallerNum    string `json:"callerNum"`
			FwdDstNum    string `json:"fwdDstNum"`
			ULFailReason int    `json:"ulFailReason"`
		} `json:"feeLst"`
	}
	if err := json.Unmarshal(p.body, &fee); err != nil {
		t.Fatalf("push body: %v\n%s", err, p.body)
	}
	if fee.EventType != "fee" || len(fee.FeeLst) != 1 {
		t.Fatalf("push = %s", p.body)
	}
	r := fee.FeeLst[0]
	if r.AppKey != "shop" || r.BindNum != "+8617000000100" || r.CallerNum != "+8613800000005" ||
		r.FwdDstNum != "+8613800000006" || r.ULFailReason != 8102 {
		t.Errorf("fee record = %+v, want shop, X …100, A …05 → B …06, 8102 (busy)", r)
	}

	// The signature, checked from SPEC §5, not with xnum's own code.
	if !strings.HasPrefix(p.auth, "AKSK ") {
		t.Errorf("Authorization = %q, want the AKSK scheme", p.auth)
	}
	params := map[string]string{}
	for _, m := range regexp.MustCompile(`(\w+)="([^"]*)"`).FindAllStringSubmatch(p.aksk, -1) {
		params[m[1]] = m[2]
	}
	mac := hmac.New(sha256.New, []byte("shop-secret"))
	mac.Write([]byte(params["Nonce"] + params["Created"]))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if params["Username"] != "shop" || params["PasswordDigest"] != want {
		t.Errorf("X-AKSK = %q: want Username shop and digest %s", p.aksk, want)
	}
}
