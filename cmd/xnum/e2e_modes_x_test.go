package main

// X mode end to end (SPEC §3, §6.1, issue 4): every call to an X of an
// X-mode app is POSTed as a signed callin event to the app's callinUrl — a
// server this test starts — while A hears ringback; the answer decides:
// connect → the callee it names, shown X; close → 480 / 8017; an answer
// after xmode.callin_timeout, a non-2xx, or garbage → 403 / 8014. A caller
// who cancels cancels the request.

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xnum/xnum/routing"
)

// hostCallin is the enterprise's callin server in the env's /24.
const hostCallin = 7

// callinServer is the enterprise's callinUrl. Its answer depends on the X
// called (statusInfo.called); it checks every request as an enterprise
// would: X-AKSK with the app's secret (SPEC §5), the callin event of §6.1.
type callinServer struct {
	t       *testing.T
	app     string
	secret  string
	url     string
	answers map[string]func(w http.ResponseWriter, r *http.Request)
	got     chan callinSeen // every request, once checked
	mu      sync.Mutex
	bad     []string
}

type callinSeen struct {
	eventType          string
	caller, called     string
	sessionID          string
	cancelled          <-chan struct{} // the request's context
	subscriptionIDSeen bool
}

func newCallinServer(t *testing.T, m *modeEnv, app string) *callinServer {
	t.Helper()
	ip := m.net.ip(hostCallin)
	ln, err := net.Listen("tcp4", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	s := &callinServer{t: t, app: app, secret: app + "-secret", url: "http://" + ln.Addr().String() + "/callin",
		answers: map[string]func(http.ResponseWriter, *http.Request){}, got: make(chan callinSeen, 16)}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, b := range s.bad {
			t.Errorf("callin server: %s", b)
		}
	})
	return s
}

func (s *callinServer) problem(format string, args ...any) {
	s.mu.Lock()
	s.bad = append(s.bad, fmt.Sprintf(format, args...))
	s.mu.Unlock()
}

func (s *callinServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/callin" {
		s.problem("%s %s", r.Method, r.URL.Path)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		s.problem("Content-Type %q", ct)
	}
	// X-AKSK from SPEC §5: d = Base64(HMAC-SHA256(appSecret, Nonce+Created)).
	p := map[string]string{}
	for _, kv := range akskParam.FindAllStringSubmatch(r.Header.Get("X-AKSK"), -1) {
		p[kv[1]] = kv[2]
	}
	mac := hmac.New(sha256.New, []byte(s.secret))
	mac.Write([]byte(p["Nonce"] + p["Created"]))
	if !strings.HasPrefix(strings.ReplaceAll(r.Header.Get("Authorization"), " ", ""), "AKSK") ||
		p["Username"] != s.app || p["Nonce"] == "" || p["PasswordDigest"] != base64.StdEncoding.EncodeToString(mac.Sum(nil)) {
		s.problem("signature: Authorization %q X-AKSK %q", r.Header.Get("Authorization"), r.Header.Get("X-AKSK"))
	}
	var ev struct {
		EventType  string         `json:"eventType"`
		StatusInfo map[string]any `json:"statusInfo"`
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		s.problem("callin body %s: %v", body, err)
	}
	str := func(k string) string { v, _ := ev.StatusInfo[k].(string); return v }
	if !vendorTS.MatchString(str("timestamp")) {
		s.problem("callin timestamp %q", str("timestamp"))
	}
	_, hasSub := ev.StatusInfo["subscriptionId"]
	seen := callinSeen{eventType: ev.EventType, caller: str("caller"), called: str("called"),
		sessionID: str("sessionId"), cancelled: r.Context().Done(), subscriptionIDSeen: hasSub}
	s.got <- seen
	answer := s.answers[seen.called]
	if answer == nil {
		s.problem("callin for %q: no answer prepared", seen.called)
		w.WriteHeader(http.StatusNotFound)
		return
	}
	answer(w, r)
}

// answerJSON answers 200 with body.
func answerJSON(body string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, body)
	}
}

// next is the next callin request the server got (deadline 10 s).
func (s *callinServer) next(t *testing.T) callinSeen {
	t.Helper()
	select {
	case c := <-s.got:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no callin request within 10s")
		return callinSeen{}
	}
}

// checkCallin: the request was the callin event of A's call to x.
func checkCallin(t *testing.T, c callinSeen, caller, x string) {
	t.Helper()
	if c.eventType != "callin" || c.caller != caller || c.called != x || c.sessionID == "" || !c.subscriptionIDSeen {
		t.Errorf("callin request: %+v, want eventType callin, caller %s, called %s, a sessionId, subscriptionId present", c, caller, x)
	}
}

func TestE2EModeX(t *testing.T) {
	t.Parallel()
	const (
		app      = "xapp"
		xConnect = "+8617000000300"
		xClose   = "+8617000000301"
		xLate    = "+8617000000302"
		xNon2xx  = "+8617000000303"
		xGarbage = "+8617000000304"
		xBadShow = "+8617000000305"
	)
	caller := alice.with("+8613800000301")
	callee := bob.with("+8613800000302")
	m := newModeEnv(t, envOpts{YAML: "xmode:\n  callin_timeout: 1s\n"})
	hook := newCallinServer(t, m, app)
	m.createApp(app, "X", map[string]any{"callinUrl": hook.url}, xConnect, xClose, xLate, xNon2xx, xGarbage, xBadShow)
	hook.answers[xConnect] = answerJSON(fmt.Sprintf(`{"operation":"connect","connectInfo":{"calleeNum":%q,"displayCalleeNum":%q,"maxDuration":30},"extra":"ignored"}`,
		callee.Number[3:], xConnect))
	hook.answers[xClose] = answerJSON(`{"operation":"close"}`)
	lateDone := make(chan struct{}, 1)
	hook.answers[xLate] = func(w http.ResponseWriter, r *http.Request) {
		// Connect 3 s in: after xmode.callin_timeout (1 s), before
		// webhook.timeout (5 s). An xnum that waited longer than
		// callin_timeout would take this answer and connect the call
		// instead of refusing it with 8014.
		select {
		case <-r.Context().Done(): // xnum gave up at xmode.callin_timeout
		case <-time.After(3 * time.Second):
		}
		answerJSON(fmt.Sprintf(`{"operation":"connect","connectInfo":{"calleeNum":%q}}`, callee.Number))(w, r)
		lateDone <- struct{}{}
	}
	hook.answers[xNon2xx] = func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `{"operation":"connect","connectInfo":{"calleeNum":"+8613800000302"}}`)
	}
	hook.answers[xGarbage] = answerJSON(`{"operation":"connect","connectInfo":`)
	hook.answers[xBadShow] = answerJSON(fmt.Sprintf(`{"operation":"connect","connectInfo":{"calleeNum":%q,"displayCalleeNum":%q}}`,
		callee.Number, xConnect)) // another X than the one called

	t.Run("connect: the callee of the answer, shown X, A hears ringback while asked", func(t *testing.T) {
		sink := m.newSink(t)
		res := m.call(t, callSpec{
			Caller: caller, RURI: sipURI(xConnect, m.sipAddr), Scenario: "uac_mode.xml",
			Mutate: func(s *scn) { sink.use(s); s.Expect, s.HangupBy = 200, "caller" },
			Callee: &callee, CalleeScenario: "uas_answer.xml", CalleeMutate: func(s *scn) { s.Ring = true },
		})
		checkCallin(t, hook.next(t), caller.Number, xConnect)
		res.checkBLeg(t, callee.Number, xConnect)
		res.checkNoLeaks(t)
		sink.expectRingback(m)
		checkModeCDR(t, m.nextCDR(t, xConnect), modeWant{Dir: 1, Service: "004", App: app, Caller: caller.Number,
			Dialled: xConnect, Display: xConnect, Dst: callee.Number, Answered: true})
	})
	t.Run("close: 480 / 8017", func(t *testing.T) {
		rec := m.refused(t, caller, xClose, 480, 16, "")
		checkCallin(t, hook.next(t), caller.Number, xClose)
		checkModeCDR(t, rec, modeWant{Cause: 8017, Status: 480, Dir: 2, Service: "004", App: app,
			Caller: caller.Number, Dialled: xClose})
	})
	for _, r := range []struct{ name, x string }{
		{"an answer after xmode.callin_timeout: 8014", xLate},
		{"a non-2xx answer: 8014", xNon2xx},
		{"garbage: 8014", xGarbage},
		{"displayCalleeNum another X: 8014", xBadShow},
	} {
		t.Run(r.name, func(t *testing.T) {
			rec := m.refused(t, caller, r.x, 403, 21, routing.PromptNoBinding)
			checkCallin(t, hook.next(t), caller.Number, r.x)
			checkModeCDR(t, rec, modeWant{Cause: 8014, Status: 403, Dir: 2, Service: "004", App: app,
				Caller: caller.Number, Dialled: r.x})
		})
	}
	select {
	case <-lateDone:
	case <-time.After(10 * time.Second):
		t.Error("the late answer's request never ended")
	}
	t.Run("suspended X 8055, frozen app 7108: nobody is asked", func(t *testing.T) {
		m.frozenAndSuspended(t, app, "004", caller, xConnect)
		select {
		case c := <-hook.got:
			t.Errorf("callin request for a refused call: %+v", c)
		default:
		}
	})
}

// TestE2EModeXCancel: A cancels while the enterprise is being asked; the
// request is cancelled with the call (the timeout is far away), A gets
// 487, the CDR 8009.
func TestE2EModeXCancel(t *testing.T) {
	t.Parallel()
	const (
		app = "xcancel"
		x   = "+8617000000310"
	)
	caller := alice.with("+8613800000311")
	m := newModeEnv(t, envOpts{YAML: "xmode:\n  callin_timeout: 60s\n"})
	hook := newCallinServer(t, m, app)
	m.createApp(app, "X", map[string]any{"callinUrl": hook.url}, x)
	hook.answers[x] = func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
		w.WriteHeader(http.StatusGatewayTimeout)
	}
	sink := m.newSink(t)
	run := m.startCall(t, callSpec{Caller: caller, RURI: sipURI(x, m.sipAddr), Scenario: "uac_mode.xml", Sync: true,
		Mutate: func(s *scn) { sink.use(s); s.Cancel, s.CancelSync = true, true }})
	req := hook.next(t)
	checkCallin(t, req, caller.Number, x)
	sink.expectRingback(m) // while the enterprise is asked
	hubConn, err := net.Dial("tcp4", run.hub.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer hubConn.Close()
	goAhead{conn: hubConn, callID: strings.NewReplacer("%u", "1").Replace(run.res.uac.opts.CallID)}.send(t)
	select {
	case <-req.cancelled:
	case <-time.After(20 * time.Second):
		t.Error("the callin request was not cancelled with the call")
	}
	res := run.wait(t)
	res.checkFinal(t, 487, 0)
	checkModeCDR(t, m.nextCDR(t, x), modeWant{Cause: 8009, Status: 487, Dir: 1, Service: "004", App: app,
		Caller: caller.Number, Dialled: x})
}

// TestE2EModeXMaxDuration: the connect answer's maxDuration (minutes, SPEC
// §3 X mode and item 4, §6.1) ends the bridged call: one minute after B
// answered xnum sends BYE to both legs with Q.850 cause 16, and the CDR
// says 8010 (SPEC §4.2 "maxDuration … 8010, BYE both, 16"), released by
// the platform (callRelDirection 0), answered, and at least 60 s between
// fwdAnswerTime and callEndTime — so a maxDuration read as seconds, or
// ignored (the call would outlive SIPp's -timeout), fails it.
//
// X mode has no lastMinVoice: it is a binding option (SPEC §3 item 4,
// §5) and X mode stores no binding, nor does connectInfo carry one. With
// maxDuration 1 the last minute starts at answer, so A must hear no
// last-minute prompt.
//
// A minute of real time, without a hidden clock knob, that must not hold
// one of the package's -parallel slots (GOMAXPROCS: two in CI) while it
// passes, or the other tests would run one at a time for that minute. The
// call is set up before t.Parallel(), in the serial part of the run; the
// test then has one parallel subtest, and waits for the release in a
// Cleanup: a parallel test with parallel subtests gives its slot back when
// its body returns, and its cleanups run after the subtests without
// holding one (testing.tRunner). The checks are the same wherever they
// run; only the scheduling differs.
func TestE2EModeXMaxDuration(t *testing.T) {
	const (
		app = "xmaxdur"
		x   = "+8617000000320"
	)
	caller := alice.with("+8613800000321")
	callee := bob.with("+8613800000322")
	// Neither phone sends RTP: the RTP timeout (media.timeout, 60 s) must
	// not end the call first.
	m := newModeEnv(t, envOpts{Media: "  timeout: 10m\n"})
	hook := newCallinServer(t, m, app)
	m.createApp(app, "X", map[string]any{"callinUrl": hook.url}, x)
	hook.answers[x] = answerJSON(fmt.Sprintf(`{"operation":"connect","connectInfo":{"calleeNum":%q,"displayCalleeNum":%q,"maxDuration":1}}`,
		callee.Number, x))
	sink := m.newSink(t)
	run := m.startCall(t, callSpec{
		Caller: caller, RURI: sipURI(x, m.sipAddr), Scenario: "uac_mode.xml",
		// Both phones wait for xnum's BYE: only xnum ends the call.
		Mutate: func(s *scn) { sink.use(s); s.Expect, s.ByeReason = 200, q850(16) },
		Callee: &callee, CalleeScenario: "uas_mode.xml", CalleeMutate: func(s *scn) { s.ByeReason = q850(16) },
		Timeout: 3 * time.Minute,
	})
	sink.expectRingback(m) // while the enterprise is asked and B rings

	t.Parallel()
	t.Run("callin: the signed event of A's call", func(t *testing.T) {
		t.Parallel()
		checkCallin(t, hook.next(t), caller.Number, x)
	})
	t.Cleanup(func() { checkMaxDurationRelease(t, m, run, sink, app, x, caller, callee) })
}

// checkMaxDurationRelease waits for the end of TestE2EModeXMaxDuration's
// call and checks it.
func checkMaxDurationRelease(t *testing.T, m *modeEnv, run *callRun, sink *rtpSink, app, x string, caller, callee party) {
	t.Helper()
	res := run.wait(t) // both SIPps exit 0 only after xnum's BYE with cause 16
	res.checkBLeg(t, callee.Number, x)
	res.checkNoLeaks(t)
	rec := m.nextCDR(t, x)
	checkModeCDR(t, rec, modeWant{Cause: 8010, Dir: 1, Service: "004", App: app, Caller: caller.Number,
		Dialled: x, Display: x, Dst: callee.Number, Answered: true})
	if rec.CallRelDirection != 0 {
		t.Errorf("CDR callRelDirection %d, want 0 (the platform released)", rec.CallRelDirection)
	}
	answered, err1 := time.Parse(time.DateTime, rec.FwdAnswerTime)
	ended, err2 := time.Parse(time.DateTime, rec.CallEndTime)
	if err1 != nil || err2 != nil {
		t.Fatalf("CDR times %q, %q: %v %v", rec.FwdAnswerTime, rec.CallEndTime, err1, err2)
	}
	if d := ended.Sub(answered); d < time.Minute {
		t.Errorf("call released %v after B answered, before its maxDuration of one minute", d)
	}
	if sink.heardPrompt(m, routing.PromptLastMinute) {
		t.Errorf("A heard the last-minute prompt: X mode has no lastMinVoice")
	}
}
