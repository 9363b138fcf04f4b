package sip

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/golden")

// goldenNormalise replaces what is random or port-dependent in a message so
// that it can be compared byte for byte.
func goldenNormalise(msg string) string {
	for _, r := range []struct{ re, repl string }{
		{`branch=z9hG4bK[0-9a-zA-Z.]+`, `branch=z9hG4bK<branch>`},
		{`tag=[0-9a-f]{16}\b`, `tag=<xnum-tag>`},
		{`(?m)^Call-ID: [0-9a-f]{32}\r$`, "Call-ID: <xnum-call-id>\r"},
		{`(?m)^CSeq: \d+ `, `CSeq: <n> `},
		{`(127\.0\.0\.[0-9]+):\d+`, `$1:<port>`},
		{`o=xnum \d+ \d+ `, `o=xnum <session> <version> `},
		{`(?m)^Content-Length: \d+\r$`, "Content-Length: <n>\r"},
		{`a-callid-[0-9a-zA-Z]+@`, `a-callid-<random>@`},
		{`tag=atag[0-9a-zA-Z]+`, `tag=atag<random>`},
	} {
		msg = regexp.MustCompile(r.re).ReplaceAllString(msg, r.repl)
	}
	return msg
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	got = goldenNormalise(got)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestGolden -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// TestGolden pins exactly what xnum sends on the B leg for an INVITE full of
// A's identity, and what A receives back from a B full of its own: a change
// to either is a change to the whitelist and must be deliberate. Neither may
// carry the other party's number.
func TestGolden(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.invite(e.A, inviteOpt{user: tX, from: tA, display: "Alice Secret",
		pai: `<sip:` + tA + `@pai.a.example>`, sdp: sdpOffer,
		extra: []sip.Header{sip.NewHeader("User-Agent", "AliceUA/1.0"), sip.NewHeader("Diversion", "<sip:"+tA+"@d.example>")}})
	in := e.B.expect(sip.INVITE)
	checkGolden(t, "b_leg_invite.txt", in.req.String())
	if strings.Contains(in.req.String(), "13800000001") {
		t.Errorf("A's number on the B leg")
	}
	e.B.respond(in, 200, "bob-tag", sdpAnswer, sip.NewHeader("User-Agent", "BobPBX/9"),
		sip.NewHeader("P-Asserted-Identity", "<sip:"+tB+"@pai.b.example>"))
	e.B.expect(sip.ACK)
	r := finalOf(t, c.tx)
	checkGolden(t, "a_leg_200.txt", r.String())
	if strings.Contains(r.String(), "13800000002") {
		t.Errorf("B's number on the A leg")
	}
}
