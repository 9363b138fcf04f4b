package sip

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
)

// FuzzCheckRequest feeds arbitrary bytes to sipgo's parser, as a datagram
// would arrive, and what parses as a request to CheckRequest: it must not
// panic, a refusal must be a status xnum sends with a safe reason and safe
// extra headers, and an accepted request must carry no value that is unsafe
// to echo (the header-injection guard, SPEC §2).
func FuzzCheckRequest(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "torture", "*", "*.sip"))
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(vWire(vInviteLine, vInvite(), vSDP))
	f.Add(vWire(vInviteLine, vInvite().add("Require: 100rel, timer"), vSDP))
	f.Add(vWire("OPTIONS sip:xnum.example SIP/2.0", vOptions(), ""))
	statuses := map[int]bool{400: true, 406: true, 415: true, 416: true, 420: true, 483: true, 505: true, 513: true}
	f.Fuzz(func(t *testing.T, data []byte) {
		msg, err := sip.NewParser().ParseSIP(data)
		if err != nil {
			return
		}
		req, isReq := msg.(*sip.Request)
		if !isReq {
			return
		}
		safe := SafeToAnswer(req)
		status, reason, extra, ok := CheckRequest(req)
		if ok {
			if status != 0 || reason != "" || extra != nil {
				t.Fatalf("ok with a verdict: %d %q %v", status, reason, extra)
			}
			if !safe {
				t.Fatal("accepted but not safe to answer")
			}
			vAssertSafe(t, req)
			return
		}
		if !statuses[status] {
			t.Fatalf("status %d", status)
		}
		if reason == "" || !SafeHeaderValue(reason) {
			t.Fatalf("reason %q", reason)
		}
		for _, h := range extra {
			if !SafeHeaderValue(h.Value()) || !isToken(h.Name()) {
				t.Fatalf("unsafe extra %q: %q", h.Name(), h.Value())
			}
		}
	})
}

// FuzzSafeHeaderValue checks SafeHeaderValue against its definition and
// what it promises: a value it lets through, written into a header, reads
// back as that one header and nothing more — no injected line. The same for
// SafeUser in a URI's user part.
func FuzzSafeHeaderValue(f *testing.F) {
	for _, s := range []string{
		"", "+8613800000001", "a\r\nVia: SIP/2.0/UDP evil", "a\nb", "a\x00b", "\t", "张三", "%0D%0A",
		`"x" <sip:a@b>;tag=1`, "a,b", "user;par=u%40example.net",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := len(s) <= MaxHeaderValueLen
		for i := 0; i < len(s); i++ {
			if c := s[i]; (c < 0x20 && c != '\t') || c == 0x7f {
				want = false
			}
		}
		if got := SafeHeaderValue(s); got != want {
			t.Fatalf("SafeHeaderValue(%q) = %v, want %v", s, got, want)
		}
		if want {
			h := vOptions().add("X-Probe: " + s)
			req := vParse(t, vWire("OPTIONS sip:xnum.example SIP/2.0", h, ""))
			if n := len(req.Headers()); n != len(h)+1 {
				t.Fatalf("value %q gave %d headers, want %d", s, n, len(h)+1)
			}
			got := req.GetHeaders("X-Probe")
			// sipgo trims Unicode white space (bytes.TrimSpace), NBSP included.
			if len(got) != 1 || got[0].Value() != strings.TrimSpace(s) {
				t.Fatalf("value %q read back as %v", s, got)
			}
		}
		if SafeUser(s) {
			if !SafeHeaderValue(s) || strings.ContainsAny(s, "@: <>\"") {
				t.Fatalf("SafeUser(%q) but the user would break its URI", s)
			}
			var u sip.Uri
			if err := sip.ParseUri("sip:"+s+"@xnum.example", &u); err != nil || u.User != s || u.Host != "xnum.example" {
				t.Fatalf("user %q read back as %q@%q (%v)", s, u.User, u.Host, err)
			}
		}
	})
}
