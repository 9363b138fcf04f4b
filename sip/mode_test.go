package sip

// The mode steps over real SIP, RTP and HTTP on loopback: the X-mode callin
// client against an HTTP server of the test, X-mode calls, and AXE calls
// answered locally (answerBeforeCollect) whose B leg then fails, rings out
// or is given up by A — the paths where A's dialog is already up.

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/xnum/xnum/cdr"
	"github.com/xnum/xnum/configs"
	"github.com/xnum/xnum/media"
	"github.com/xnum/xnum/routing"
	"github.com/xnum/xnum/store"
)

// testSign marks a request as signed for app/secret (the real signer is
// api.SignRequest, tested in api/).
func testSign(req *http.Request, appKey, appSecret string, _ time.Time) error {
	req.Header.Set("X-Test-Signed", appKey+"/"+appSecret)
	return nil
}

func TestCallinClient(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		body, _ := io.ReadAll(r.Body)
		var ev cdr.Event
		if r.Method != http.MethodPost || r.Header.Get("X-Test-Signed") != "xa/xs" ||
			!strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") ||
			json.Unmarshal(body, &ev) != nil || ev.EventType != cdr.EventCallIn {
			t.Errorf("callin request %s %q signed %q: %s", r.Method, r.Header.Get("Content-Type"), r.Header.Get("X-Test-Signed"), body)
		}
		switch r.URL.Path {
		case "/ok":
			io.WriteString(w, `{"operation":"close"}`)
		case "/busy":
			w.WriteHeader(http.StatusServiceUnavailable)
		case "/redirect":
			http.Redirect(w, r, "/ok", http.StatusFound)
		case "/long":
			w.Write(make([]byte, 2*routing.MaxCallinAnswer))
		case "/hang":
			<-r.Context().Done()
		}
	}))
	defer srv.Close()
	if _, err := NewCallinClient(CallinConfig{}); !errors.Is(err, ErrMissingDeps) {
		t.Errorf("no signer: %v", err)
	}
	cl, err := NewCallinClient(CallinConfig{Sign: testSign, Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ev := newEvent(cdr.EventCallIn, time.Now(), "s1", tA, tX, "", "")
	app := func(path string) routing.App { return routing.App{Key: "xa", Secret: "xs", CallinURL: srv.URL + path} }
	call := func(ctx context.Context, path string) routing.CallinResult { return cl.Callin(ctx, app(path), ev) }

	if r := call(context.Background(), "/ok"); r.Err != nil || r.Status != 200 || string(r.Body) != `{"operation":"close"}` {
		t.Errorf("answer: %+v", r)
	}
	if r := call(context.Background(), "/busy"); r.Err != nil || r.Status != 503 {
		t.Errorf("non-2xx: %+v", r)
	}
	if r := call(context.Background(), "/redirect"); r.Err != nil || r.Status != http.StatusFound {
		t.Errorf("a redirect is an answer, not followed: %+v", r)
	}
	if r := call(context.Background(), "/long"); r.Err != nil || len(r.Body) != routing.MaxCallinAnswer+1 {
		t.Errorf("long answer: %d bytes read, want %d (routing refuses it)", len(r.Body), routing.MaxCallinAnswer+1)
	}
	if r := call(context.Background(), "/hang"); r.Err == nil {
		t.Errorf("no answer within the timeout: %+v", r)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if r := call(ctx, "/ok"); r.Err == nil {
		t.Errorf("cancelled: %+v", r)
	}
	before := hits.Load()
	if r := cl.Callin(context.Background(), routing.App{Key: "xa"}, ev); r.Err == nil {
		t.Errorf("no callinUrl: %+v", r)
	}
	if hits.Load() != before {
		t.Error("a request went out without callinUrl")
	}
}

// xmodeEnv: an X-mode app "xm" on +8617000000500 whose callinUrl is h.
func xmodeEnv(t *testing.T, h http.Handler, withCallin bool) (*mediaEnv, string) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	cl, err := NewCallinClient(CallinConfig{Sign: testSign, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	e := newMediaEnv(t, mediaEnvConfig{deps: func(d *Deps) {
		if withCallin {
			d.Callin = cl
		}
	}})
	const x = "+8617000000500"
	if err := e.st.CreateApp(routing.App{Key: "xm", Secret: "xs", Mode: routing.ModeX, CallinURL: srv.URL}); err != nil {
		t.Fatal(err)
	}
	if err := e.st.AddNumbers("xm", []routing.Number{x}, "0755"); err != nil {
		t.Fatal(err)
	}
	return e, x
}

// TestXModeCall: the enterprise's connect reaches its callee shown X; A
// had a 183 with ringback while the request was out.
func TestXModeCall(t *testing.T) {
	t.Parallel()
	e, x := xmodeEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"operation":"connect","connectInfo":{"calleeNum":"`+tB+`","maxDuration":5}}`)
	}), true)
	pa := newRTPPeer(t, aMediaHost)
	c := e.invite(e.A, inviteOpt{user: x, from: tA, sdp: pa.sdp("alice", "sendrecv", fPCMU, fTE)})
	waitStatus(t, c.tx, 183)
	pa.recv() // ringback
	in := e.B.expect(sip.INVITE)
	if u := in.req.Recipient.User; u != tB || uriUserOf(in.req.From().Address) != x {
		t.Errorf("B leg to %s from %s, want %s from X %s", u, in.req.From().Address.User, tB, x)
	}
	e.B.respond(in, 486, "b1", "")
	if r := finalOf(t, c.tx); r.StatusCode != 486 {
		t.Errorf("A got %d", r.StatusCode)
	}
	rec := e.cdr()
	if rec.ULFailReason != 8102 || rec.Direction != 1 || rec.ServiceType != "004" || rec.FwdDstNum != tB || rec.FwdDisplayNum != x {
		t.Errorf("CDR %+v", rec)
	}
}

// TestXModeCancelStopsCallin: A cancels while the enterprise is asked: the
// request is cancelled at once (the client's timeout is far), 487, 8009.
func TestXModeCancelStopsCallin(t *testing.T) {
	t.Parallel()
	got, gone, over := make(chan struct{}), make(chan struct{}), make(chan struct{})
	e, x := xmodeEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // the server notices a closed connection once the body is read
		close(got)
		select {
		case <-r.Context().Done():
			close(gone)
		case <-over: // the test failed: let the server close
		}
	}), true)
	t.Cleanup(func() { close(over) })
	c := e.invite(e.A, inviteOpt{user: x, from: tA, sdp: sdpOffer})
	waitStatus(t, c.tx, 183)
	select {
	case <-got:
	case <-time.After(waitFor):
		t.Fatal("no callin request")
	}
	c.cancel()
	if r := finalOf(t, c.tx); r.StatusCode != 487 {
		t.Fatalf("A got %d", r.StatusCode)
	}
	select {
	case <-gone:
	case <-time.After(waitFor):
		t.Fatal("the callin request outlived the call")
	}
	if rec := e.cdr(); rec.ULFailReason != 8009 {
		t.Errorf("CDR cause %d, want 8009", rec.ULFailReason)
	}
	e.idle()
}

// TestXModeWithoutCallin: no Callin wired refuses X-mode calls 403 / 8014
// (routing's fallback), without asking anybody.
func TestXModeWithoutCallin(t *testing.T) {
	t.Parallel()
	e, x := xmodeEnv(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		t.Error("asked although no Callin is wired")
	}), false)
	c := e.invite(e.A, inviteOpt{user: x, from: tA, sdp: sdpOffer})
	if r := finalOf(t, c.tx); r.StatusCode != 403 {
		t.Fatalf("A got %d", r.StatusCode)
	}
	if rec := e.cdr(); rec.ULFailReason != 8014 {
		t.Errorf("CDR cause %d", rec.ULFailReason)
	}
}

func uriUserOf(u sip.Uri) string { return u.User }

const tAXEX = "+8617000000600"

// axeEnv: an AXE app "axe" (2-digit extensions, answerBeforeCollect) on
// tAXEX with the binding tA–"42"; short prompts, one try, ring timeout 1 s.
func axeEnv(t *testing.T, deps func(*Deps)) (*mediaEnv, string) {
	t.Helper()
	e := newMediaEnv(t, mediaEnvConfig{deps: func(d *Deps) {
		d.DTMF = configs.DTMF{FirstDigit: 2 * time.Second, InterDigit: 2 * time.Second}
		d.SIP.RingTimeout = time.Second
		if deps != nil {
			deps(d)
		}
	}})
	if err := e.st.CreateApp(routing.App{Key: "axe", Secret: "s", Mode: routing.ModeAXE, ExtLen: 2, AnswerBeforeCollect: true}); err != nil {
		t.Fatal(err)
	}
	if err := e.st.AddNumbers("axe", []routing.Number{tAXEX}, "0755"); err != nil {
		t.Fatal(err)
	}
	b, err := e.st.BindAXE(store.AXEBindRequest{AppKey: "axe", XChoice: store.XChoice{X: tAXEX}, A: tA, Ext: "42"})
	if err != nil {
		t.Fatal(err)
	}
	e.lib.App("axe").Put(routing.PromptEnterExt, testPrompt(t, 3, 0x21))
	e.lib.App("axe").Silence(routing.PromptInvalidExt)
	return e, b.ID
}

// keyIn answers A locally, keys "42" and returns the B INVITE and A's call.
func keyIn(t *testing.T, e *mediaEnv) (*tcall, srvReq) {
	t.Helper()
	pa := newRTPPeer(t, aMediaHost)
	c := e.invite(e.A, inviteOpt{user: tAXEX, from: tStranger, sdp: pa.sdp("carol", "sendrecv", fPCMU, fTE)})
	r := finalOf(t, c.tx)
	if r.StatusCode != 200 {
		t.Fatalf("A got %d, want xnum's 200 before the prompt", r.StatusCode)
	}
	toA, _ := mediaOf(t, r.Body())
	c.answered(r, "")
	pa.recv() // the prompt
	pa.sendKey(toA, 101, '4')
	pa.sendKey(toA, 101, '2')
	in := e.B.expect(sip.INVITE)
	if in.req.Recipient.User != tA {
		t.Fatalf("B leg to %s, want A %s", in.req.Recipient.User, tA)
	}
	return c, in
}

// TestAXELocalBFails: B refuses after A was answered locally: A gets BYE
// with B's cause; sipStatusCode 0; the extension in the CDR.
func TestAXELocalBFails(t *testing.T) {
	t.Parallel()
	e, sub := axeEnv(t, nil)
	_, in := keyIn(t, e)
	e.B.respond(in, 180, "b1", "")
	e.B.respond(in, 486, "b1", "", sip.NewHeader("Reason", "Q.850;cause=17"))
	bye := e.A.expect(sip.BYE)
	e.A.respond(bye, 200, "", "")
	if q := reasonQ850(bye.req); q != 17 {
		t.Errorf("BYE to A with Q.850 %d, want 17", q)
	}
	rec := e.cdr()
	if rec.ULFailReason != 8102 || rec.SIPStatusCode != 0 || rec.ExtendNumber != "42" || rec.SubscriptionID != sub ||
		rec.FwdUnaswRsn != 17 || rec.FwdAnswerTime != "" || rec.CallRelDirection != 2 {
		t.Errorf("CDR %+v", rec)
	}
	e.idle()
}

// TestAXELocalRingTimeout: B rings out: BYE to A (Q.850 19), CANCEL to B,
// 8035.
func TestAXELocalRingTimeout(t *testing.T) {
	t.Parallel()
	e, _ := axeEnv(t, nil)
	_, in := keyIn(t, e)
	cancelled := make(chan struct{})
	in.tx.OnCancel(func(*sip.Request) { close(cancelled) })
	e.B.respond(in, 180, "b1", "")
	bye := e.A.expect(sip.BYE)
	e.A.respond(bye, 200, "", "")
	if q := reasonQ850(bye.req); q != 19 {
		t.Errorf("BYE to A with Q.850 %d, want 19", q)
	}
	select {
	case <-cancelled:
	case <-time.After(waitFor):
		t.Fatal("B got no CANCEL")
	}
	if rec := e.cdr(); rec.ULFailReason != 8035 || rec.SIPStatusCode != 0 {
		t.Errorf("CDR %+v", rec)
	}
	e.idle()
}

// TestAXELocalCallerGivesUp: A hangs up while B is being called (B sent
// 100 only): B gets CANCEL, 7501 (as a CANCEL before B's 18x, SPEC §4.2).
func TestAXELocalCallerGivesUp(t *testing.T) {
	t.Parallel()
	e, _ := axeEnv(t, nil)
	c, in := keyIn(t, e)
	cancelled := make(chan struct{})
	in.tx.OnCancel(func(*sip.Request) { close(cancelled) })
	e.B.respond(in, 100, "", "")
	if r := c.do(sip.BYE, ""); r.StatusCode != 200 {
		t.Fatalf("BYE answered %d", r.StatusCode)
	}
	select {
	case <-cancelled:
	case <-time.After(waitFor):
		t.Fatal("B got no CANCEL")
	}
	if rec := e.cdr(); rec.ULFailReason != 7501 || rec.CallRelDirection != 1 || rec.SIPStatusCode != 0 {
		t.Errorf("CDR %+v", rec)
	}
	e.idle()
}

// TestAXECollectInfo: the keyed digits reach the app as a collectInfo
// event (SPEC §6.1) between callin and callout, with the binding reached.
func TestAXECollectInfo(t *testing.T) {
	t.Parallel()
	j := newJournal()
	e, sub := axeEnv(t, func(d *Deps) { d.Events, d.CDR = j, j.cdrSink() })
	c, in := keyIn(t, e)
	bd := e.B.dialogOf(in, "b1")
	pb := newRTPPeer(t, bMediaHost)
	e.B.respond(in, 200, bd.localTag, pb.sdp("bob", "sendrecv", fPCMU))
	e.B.expect(sip.ACK)
	if r := c.do(sip.BYE, ""); r.StatusCode != 200 {
		t.Fatalf("BYE answered %d", r.StatusCode)
	}
	e.B.respond(e.B.expect(sip.BYE), 200, "", "")
	mine, _ := j.session(t)
	var types []string
	for _, en := range mine {
		types = append(types, en.ev.EventType)
		if en.ev.EventType == cdr.EventCollectInfo {
			si := en.ev.StatusInfo
			if si.DigitInfo != "42" || si.SubscriptionID != sub || si.Caller != tStranger || si.Called != tAXEX || en.app != "axe" {
				t.Errorf("collectInfo %+v (app %s)", si, en.app)
			}
		}
	}
	if got := strings.Join(types, ","); got != "callin,collectInfo,callout,alerting,answer,disconnect," &&
		got != "callin,collectInfo,callout,answer,disconnect," {
		t.Errorf("events %s", got)
	}
}

// TestAXELocalReinvite: A re-INVITEs while xnum collects its extension on
// a session xnum answered itself. That is no glare (RFC 3261 §14.1: xnum
// has no offer of its own out to A), so xnum answers 200 with its own
// session (SPEC §4.1): to a re-INVITE without an offer with xnum's offer
// (A answers in the ACK), to one that moves A's media with an answer that
// keeps the call's codec (PCMU, though A now lists PCMA first). The keys
// then come from A's new port — accepted only because the re-INVITE moved
// A's leg there (strict latching) — and reach B.
func TestAXELocalReinvite(t *testing.T) {
	t.Parallel()
	e, _ := axeEnv(t, nil)
	pa := newRTPPeer(t, aMediaHost)
	c := e.invite(e.A, inviteOpt{user: tAXEX, from: tStranger, sdp: pa.sdp("carol", "sendrecv", fPCMU, fTE)})
	r := finalOf(t, c.tx)
	if r.StatusCode != 200 {
		t.Fatalf("A got %d, want xnum's 200 before the prompt", r.StatusCode)
	}
	c.answered(r, "")
	pa.recv() // the prompt

	r = c.do(sip.INVITE, "")
	if r.StatusCode != 200 {
		t.Fatalf("re-INVITE without offer: %d, want 200", r.StatusCode)
	}
	if _, a := mediaOf(t, r.Body()); len(a.Formats) == 0 || a.Formats[0].Name != "PCMU" {
		t.Errorf("xnum's offer %+v, want the call's PCMU", a.Formats)
	}
	c.ack(c.seq, pa.sdp("carol", "sendrecv", fPCMU, fTE))

	pa2 := newRTPPeer(t, aMediaHost)
	r = c.do(sip.INVITE, pa2.sdp("carol", "sendrecv", fPCMA, fPCMU, fTE))
	if r.StatusCode != 200 {
		t.Fatalf("re-INVITE moving A's media: %d, want 200", r.StatusCode)
	}
	c.ack(c.seq, "")
	toA, a := mediaOf(t, r.Body())
	if len(a.Formats) == 0 || a.Formats[0].Name != "PCMU" || a.Direction != media.SendRecv {
		t.Errorf("xnum's answer %+v %v, want PCMU sendrecv", a.Formats, a.Direction)
	}
	pa2.sendKey(toA, 101, '4')
	pa2.sendKey(toA, 101, '2')
	in := e.B.expect(sip.INVITE)
	if in.req.Recipient.User != tA {
		t.Fatalf("B leg to %s, want A %s", in.req.Recipient.User, tA)
	}
	e.B.respond(in, 486, "b1", "")
	e.A.respond(e.A.expect(sip.BYE), 200, "", "")
	if rec := e.cdr(); rec.ULFailReason != 8102 || rec.ExtendNumber != "42" {
		t.Errorf("CDR %+v", rec)
	}
	e.idle()
}

// TestAXELocalAnswerPersisted: xnum's own 200 to A is preceded by the
// call's record in the CallStore (SPEC §6.2, §7: a crash during the
// collection still gets the attempt's CDR): no fwdAnswerTime, A answered.
func TestAXELocalAnswerPersisted(t *testing.T) {
	t.Parallel()
	cs := &callStore{}
	e, _ := axeEnv(t, func(d *Deps) { d.Calls = cs })
	pa := newRTPPeer(t, aMediaHost)
	c := e.invite(e.A, inviteOpt{user: tAXEX, from: tStranger, sdp: pa.sdp("carol", "sendrecv", fPCMU, fTE)})
	r := finalOf(t, c.tx)
	if r.StatusCode != 200 {
		t.Fatalf("A got %d, want xnum's 200 before the prompt", r.StatusCode)
	}
	recs := cs.all() // written before the 200 left
	if len(recs) != 1 || recs[0].SessionID == "" || recs[0].ICID == "" || recs[0].FwdAnswerTime != "" ||
		recs[0].SIPStatusCode != 0 || recs[0].CalleeNum != tAXEX {
		t.Fatalf("persisted before xnum's 200: %+v", recs)
	}
	c.answered(r, "")
	pa.recv()
	if r := c.do(sip.BYE, ""); r.StatusCode != 200 {
		t.Fatalf("BYE answered %d", r.StatusCode)
	}
	if rec := e.cdr(); rec.ICID != recs[0].ICID || rec.ULFailReason != 7516 || rec.SIPStatusCode != 0 {
		t.Errorf("CDR %+v, want the persisted icid %s, 7516, sipStatusCode 0", rec, recs[0].ICID)
	}
	e.idle()
}
