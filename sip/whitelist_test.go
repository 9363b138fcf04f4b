package sip

import (
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
)

// TestBLegWhitelist is the sentinel of SPEC §4.1: the B leg is built from a
// whitelist, so nothing of A — its number in any format, display name,
// Call-ID, tag, Contact and PAI hosts, user agent, privacy and diversion
// headers, SDP identity — appears in what B receives; and in reverse nothing
// of B reaches A.
func TestBLegWhitelist(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	aHdrs := []sip.Header{
		sip.NewHeader("User-Agent", "AliceUA/1.0"),
		sip.NewHeader("Remote-Party-ID", `"Alice Secret" <sip:+8613800000001@rpid.a.example>;party=calling`),
		sip.NewHeader("Privacy", "id"),
		sip.NewHeader("Diversion", "<sip:013800000001@div.a.example>;reason=unconditional"),
		sip.NewHeader("History-Info", "<sip:8613800000001@hist.a.example>;index=1"),
		sip.NewHeader("Identity", "eyJhbGciOiJFUzI1NiJ9.alice;info=<https://cert.a.example/x.pem>"),
		sip.NewHeader("X-Alice-Account", "8613800000001"),
		sip.NewHeader("P-Preferred-Identity", "<sip:+8613800000001@ppi.a.example>"),
		sip.NewHeader("Subject", "call from alice"),
		sip.NewHeader("Supported", "100rel, timer"),
		sip.NewHeader("Session-Expires", "1800"),
	}
	c := e.invite(e.A, inviteOpt{user: tX, from: "13800000001", display: "Alice Secret",
		pai: `"Alice Secret" <sip:+8613800000001@pai.a.example>`, sdp: sdpOffer, extra: aHdrs})
	in := e.B.expect(sip.INVITE)
	bINV := in.req.String()

	forbiddenA := []string{
		"13800000001",    // A's number: +86…, 86…, 0086…, 0…, national all contain it
		"alice", "Alice", // display name, UA, SDP session/user, Contact user
		c.callID, c.localTag, // A's Call-ID and tag
		aHost,       // A's Contact and Via host
		"a.example", // PAI, RPID, Diversion, History-Info, Identity, From hosts
		"Privacy", "Diversion", "History-Info", "\r\nIdentity:", "Remote-Party-ID", "User-Agent",
		"X-Alice", "P-Preferred", "Subject", "Session-Expires", "100rel",
	}
	for _, bad := range forbiddenA {
		if strings.Contains(bINV, bad) {
			t.Errorf("B leg INVITE carries %q:\n%s", bad, bINV)
		}
	}
	for _, must := range []string{"o=xnum ", "s=xnum", "P-Asserted-Identity: <sip:" + tX + "@"} {
		if !strings.Contains(bINV, must) {
			t.Errorf("B leg INVITE lacks %q:\n%s", must, bINV)
		}
	}
	if u := in.req.From().Address.User; u != tX || in.req.From().DisplayName != "" {
		t.Errorf("B leg From %q", in.req.From().Value())
	}

	// The reverse: B's answers carry B's identity, A must see none of it.
	bd := e.B.dialogOf(in, "bob-tag-1")
	bHdrs := []sip.Header{
		sip.NewHeader("User-Agent", "BobPBX/9"),
		sip.NewHeader("Server", "BobPBX/9"),
		sip.NewHeader("P-Asserted-Identity", "<sip:+8613800000002@pai.b.example>"),
		sip.NewHeader("Remote-Party-ID", `"Bob" <sip:+8613800000002@rpid.b.example>`),
		sip.NewHeader("X-Bob-Line", "8613800000002"),
		sip.NewHeader("Record-Route", "<sip:"+e.B.addr()+";lr;b-proxy>"),
	}
	e.B.respond(in, 180, bd.localTag, "", bHdrs...)
	r180 := waitStatus(t, c.tx, 180)
	e.B.respond(in, 200, bd.localTag, sdpAnswer, bHdrs...)
	r200 := finalOf(t, c.tx)
	if r200.StatusCode != 200 {
		t.Fatalf("A got %d", r200.StatusCode)
	}
	if ack := e.B.expect(sip.ACK); ack.req.Route() == nil {
		t.Errorf("ACK to B without B's route set")
	}
	forbiddenB := []string{"13800000002", "bob", "Bob", bHost, "b.example", "b-proxy", bd.localTag,
		in.req.CallID().Value(), "User-Agent", "Server", "X-Bob", "Remote-Party-ID", "P-Asserted-Identity"}
	for _, res := range []*sip.Response{r180, r200} {
		raw := res.String()
		for _, bad := range forbiddenB {
			if strings.Contains(raw, bad) {
				t.Errorf("A's %d carries %q:\n%s", res.StatusCode, bad, raw)
			}
		}
		if ct := res.Contact(); ct == nil || ct.Address.Host != xHost {
			t.Errorf("A's %d Contact %v, want xnum's", res.StatusCode, ct)
		}
	}
	if !strings.Contains(string(r200.Body()), "o=xnum ") {
		t.Errorf("A's 200 SDP o= not rewritten: %s", r200.Body())
	}
	c.answered(r200, "")
	// B's Record-Route (a proxy of B's, here B itself) shapes B's route set
	// only: it is not echoed to A, and xnum's BYE to B carries it as Route.
	if r := c.do(sip.BYE, ""); r.StatusCode != 200 {
		t.Fatalf("BYE %d", r.StatusCode)
	}
	bye := e.B.expect(sip.BYE)
	if rt := bye.req.Route(); rt == nil || !rt.Address.UriParams.Has("b-proxy") {
		t.Errorf("BYE to B without B's route set: %s", bye.req.String())
	}
	e.B.respond(bye, 200, "", "")
	e.cdr()
	e.idle()
}
