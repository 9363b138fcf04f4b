package main

// Call events and CDR delivery end to end (issue 5, SPEC §6): the real
// xnum binary, SIPp calls, and an enterprise receiver started by the test
// on its own loopback address. The receiver checks every push as an
// enterprise would: the X-AKSK signature computed here from SPEC §5 with
// the app's secret, the JSON shape of SPEC §6.1/§6.2 (every field, its
// type), at most 50 records a fee push, and it keeps, per sessionId, the
// order in which things arrived.

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// hostHook is the receiver's address in the env's /24.
const hostHook = 6

// hookEvent is one event push as received.
type hookEvent struct {
	Type string
	Info map[string]any
	At   time.Time
}

// receiver is the enterprise's webhook endpoint: /status gets events,
// /fee gets CDR batches.
type receiver struct {
	t       *testing.T
	appKey  string
	secret  string
	addr    string // ip:port, fixed for the test (it may go down and return)
	mu      sync.Mutex
	srv     *http.Server
	events  []hookEvent
	fees    []cdrRec            // every record, in arrival order
	batches []int               // records per fee push
	order   map[string][]string // sessionId → "callin", …, "fee", in arrival order
	nonces  map[string]bool
	bad     []string
	changed chan struct{}
	hold    chan struct{} // when set, the first push waits until it is closed
	held    bool
}

// newReceiver reserves the receiver's address; start makes it listen.
func newReceiver(t *testing.T, e *env, appKey, secret string) *receiver {
	t.Helper()
	ip := e.net.ip(hostHook)
	r := &receiver{t: t, appKey: appKey, secret: secret,
		addr:  fmt.Sprintf("%s:%d", ip, freePort(t, ip, true)),
		order: map[string][]string{}, nonces: map[string]bool{}, changed: make(chan struct{}, 1)}
	t.Cleanup(func() {
		r.stop()
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, b := range r.bad {
			t.Errorf("receiver: %s", b)
		}
	})
	return r
}

func (r *receiver) url(path string) string { return "http://" + r.addr + path }

// start listens on the receiver's address (again, after stop).
func (r *receiver) start() {
	r.t.Helper()
	ln, err := net.Listen("tcp4", r.addr)
	if err != nil {
		r.t.Fatalf("receiver listen %s: %v", r.addr, err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(r.serve), ReadHeaderTimeout: 10 * time.Second}
	r.mu.Lock()
	r.srv = srv
	r.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

// stop closes the listener and every connection: pushes are refused.
func (r *receiver) stop() {
	r.mu.Lock()
	srv := r.srv
	r.srv = nil
	r.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

// point sets the app's statusUrl and feeUrl to the receiver (admin API).
func (r *receiver) point(e *env) {
	e.admin("PUT", "/admin/v1/apps/"+r.appKey, map[string]any{
		"statusUrl": r.url("/status"), "feeUrl": r.url("/fee")}, nil)
}

func (r *receiver) problem(format string, args ...any) {
	r.bad = append(r.bad, fmt.Sprintf(format, args...))
}

var (
	akskParam = regexp.MustCompile(`(\w+)="([^"]*)"`)
	vendorTS  = regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$`)
)

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	if r.hold != nil && !r.held {
		r.held = true
		hold := r.hold
		r.mu.Unlock()
		<-hold
		r.mu.Lock()
	}
	defer r.mu.Unlock()
	defer func() {
		select {
		case r.changed <- struct{}{}:
		default:
		}
	}()
	r.checkSignature(req)
	if ct := req.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		r.problem("Content-Type %q", ct)
	}
	switch req.URL.Path {
	case "/status":
		r.takeEvent(body)
	case "/fee":
		r.takeFee(body)
	default:
		r.problem("push to %s", req.URL.Path)
	}
}

// checkSignature verifies X-AKSK as SPEC §5 defines it, with the app's
// secret: d = Base64(HMAC-SHA256(key=appSecret, msg=Nonce+Created)); a
// fresh nonce for every push (so that retries pass a replay check).
func (r *receiver) checkSignature(req *http.Request) {
	auth := strings.ReplaceAll(req.Header.Get("Authorization"), " ", "")
	if !strings.HasPrefix(auth, "AKSK") || !strings.Contains(auth, `realm="SDP"`) ||
		!strings.Contains(auth, `profile="UsernameToken"`) || !strings.Contains(auth, `type="Appkey"`) {
		r.problem("Authorization %q", req.Header.Get("Authorization"))
	}
	x := req.Header.Get("X-AKSK")
	p := map[string]string{}
	for _, m := range akskParam.FindAllStringSubmatch(x, -1) {
		p[m[1]] = m[2]
	}
	mac := hmac.New(sha256.New, []byte(r.secret))
	mac.Write([]byte(p["Nonce"] + p["Created"]))
	if want := base64.StdEncoding.EncodeToString(mac.Sum(nil)); !strings.HasPrefix(x, "UsernameToken ") ||
		p["Username"] != r.appKey || p["PasswordDigest"] != want || p["Nonce"] == "" {
		r.problem("X-AKSK %q: want Username %s and digest %s", x, r.appKey, want)
	}
	if c, err := time.Parse("2006-01-02T15:04:05Z", p["Created"]); err != nil || time.Since(c).Abs() > 10*time.Minute {
		r.problem("X-AKSK Created %q: %v", p["Created"], err)
	}
	if r.nonces[p["Nonce"]] {
		r.problem("nonce %s used twice", p["Nonce"])
	}
	r.nonces[p["Nonce"]] = true
}

// takeEvent checks an event push against SPEC §6.1.
func (r *receiver) takeEvent(body []byte) {
	var ev struct {
		EventType  string                     `json:"eventType"`
		StatusInfo map[string]json.RawMessage `json:"statusInfo"`
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		r.problem("event push %s: %v", body, err)
		return
	}
	fields := []string{"timestamp", "sessionId", "caller", "called", "subscriptionId", "userData"}
	switch ev.EventType {
	case "callin", "callout", "alerting", "answer":
	case "collectInfo": // AXE: the digits of one attempt (SPEC §6.1)
		fields = append(fields, "digitInfo")
	case "disconnect":
		fields = append(fields, "stateDesc")
		if !isJSONNumber(ev.StatusInfo["stateCode"]) {
			r.problem("disconnect without a numeric stateCode: %s", body)
		}
	default:
		r.problem("eventType %q: %s", ev.EventType, body)
	}
	info := map[string]any{}
	for _, f := range fields {
		var s string
		if err := json.Unmarshal(ev.StatusInfo[f], &s); err != nil {
			r.problem("%s event: statusInfo.%s is no string: %s", ev.EventType, f, body)
		}
		info[f] = s
	}
	if sc, ok := ev.StatusInfo["stateCode"]; ok {
		n, _ := strconv.Atoi(string(sc))
		info["stateCode"] = n
	}
	if ts := info["timestamp"].(string); !vendorTS.MatchString(ts) {
		r.problem("%s timestamp %q is not yyyy-MM-dd HH:mm:ss", ev.EventType, ts)
	}
	s := info["sessionId"].(string)
	r.events = append(r.events, hookEvent{Type: ev.EventType, Info: info, At: time.Now()})
	r.order[s] = append(r.order[s], ev.EventType)
}

// cdrFields is SPEC §6.2's table: every record carries every field, unset
// strings "" and unset integers 0.
var cdrFields = map[string]bool{ // name → is an integer
	"icid": false, "direction": true, "spId": false, "appKey": false, "bindNum": false,
	"sessionId": false, "subscriptionId": false, "callerNum": false, "calleeNum": false,
	"fwdDisplayNum": false, "fwdDstNum": false, "callInTime": false, "fwdStartTime": false,
	"fwdAlertingTime": false, "fwdAnswerTime": false, "callEndTime": false, "failTime": false,
	"fwdUnaswRsn": true, "ulFailReason": true, "sipStatusCode": true, "callRelDirection": true,
	"recordFlag": true, "recordStartTime": false, "recordDomain": false, "recordObjectName": false,
	"serviceType": false, "extendNumber": false, "userData": false,
}

// takeFee checks a fee push against SPEC §6.2.
func (r *receiver) takeFee(body []byte) {
	var fee struct {
		EventType string                       `json:"eventType"`
		FeeLst    []map[string]json.RawMessage `json:"feeLst"`
	}
	if err := json.Unmarshal(body, &fee); err != nil || fee.EventType != "fee" {
		r.problem("fee push %s: %v", body, err)
		return
	}
	if n := len(fee.FeeLst); n < 1 || n > 50 {
		r.problem("fee push with %d records (1–50)", n)
	}
	r.batches = append(r.batches, len(fee.FeeLst))
	for _, raw := range fee.FeeLst {
		for f, isInt := range cdrFields {
			v, ok := raw[f]
			switch {
			case !ok:
				r.problem("fee record without %s", f)
			case isInt && !isJSONNumber(v):
				r.problem("fee record %s = %s, want an integer", f, v)
			case !isInt && (len(v) == 0 || v[0] != '"'):
				r.problem("fee record %s = %s, want a string", f, v)
			}
		}
		b, _ := json.Marshal(raw)
		var rec cdrRec
		if err := json.Unmarshal(b, &rec); err != nil {
			r.problem("fee record %s: %v", b, err)
			continue
		}
		for _, f := range []string{rec.CallInTime, rec.CallEndTime} {
			if !vendorTS.MatchString(f) {
				r.problem("fee record time %q is not yyyy-MM-dd HH:mm:ss", f)
			}
		}
		r.fees = append(r.fees, rec)
		r.order[rec.SessionID] = append(r.order[rec.SessionID], "fee")
	}
}

func isJSONNumber(v json.RawMessage) bool {
	_, err := strconv.Atoi(string(v))
	return err == nil
}

// waitFor waits until cond (called under the receiver's lock) holds.
func (r *receiver) waitFor(what string, limit time.Duration, cond func() bool) {
	r.t.Helper()
	deadline := time.After(limit)
	for {
		r.mu.Lock()
		ok := cond()
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-r.changed:
		case <-deadline:
			r.mu.Lock()
			defer r.mu.Unlock()
			r.t.Fatalf("receiver: no %s within %s (%d events, %d CDRs so far)", what, limit, len(r.events), len(r.fees))
		}
	}
}

// session waits for the CDR of sessionId and returns what arrived for it,
// in order, with the events themselves.
func (r *receiver) session(s string) ([]string, []hookEvent, cdrRec) {
	r.t.Helper()
	r.waitFor("CDR of session "+s, 30*time.Second, func() bool { return slices.Contains(r.order[s], "fee") })
	r.mu.Lock()
	defer r.mu.Unlock()
	var evs []hookEvent
	for _, ev := range r.events {
		if ev.Info["sessionId"] == s {
			evs = append(evs, ev)
		}
	}
	var rec cdrRec
	for _, f := range r.fees {
		if f.SessionID == s {
			rec = f
		}
	}
	return slices.Clone(r.order[s]), evs, rec
}

// newCDR waits for a stored CDR (admin API) whose icid is not in seen, and
// notes it there.
func (e *env) newCDR(seen map[string]bool) cdrRec {
	e.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		for _, c := range e.cdrs(url.Values{}, len(seen)+1) {
			if !seen[c.ICID] {
				seen[c.ICID] = true
				return c
			}
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("no new CDR within 15s (%d seen)", len(seen))
		}
	}
}

// metric reads one sample of xnum's /metrics (0 when absent).
func (e *env) metric(name, labels string) float64 {
	e.t.Helper()
	resp, err := http.Get(e.apiURL + "/metrics")
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	want := name + "{" + labels + "} "
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), want); ok {
			v, _ := strconv.ParseFloat(rest, 64)
			return v
		}
	}
	return 0
}

// evRow is one call path: how to make the call, and what the enterprise
// must get for it.
type evRow struct {
	name   string
	spec   func(e *env) callSpec
	setup  func(e *env) // before the call (bindings)
	events string       // the session's arrivals, "fee" last
	cdr    cdrWant
	dir    int // CDR direction (SPEC §6.2)
}

// runEventRows makes the rows' calls one after the other on one xnum and
// checks, for each, the events and every field of the CDR the receiver got
// (checkFullCDR, checkModeEvents: e2e_events_check_test.go).
func runEventRows(t *testing.T, opts envOpts, rows []evRow) {
	since := time.Now().UTC().Add(-time.Second).Truncate(time.Second)
	e := newEnv(t, opts)
	rc := newReceiver(t, e, demoApp, demoSecret)
	rc.start()
	rc.point(e)
	// An spId, so that the records' spId is a value checked, not "".
	e.admin("PUT", "/admin/v1/apps/"+demoApp, map[string]any{"spId": "sp-" + demoApp}, nil)
	seen := map[string]bool{}
	icids := map[string]bool{}
	parent := t
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			e.t, rc.t = t, t
			defer func() { e.t, rc.t = parent, parent }()
			if r.setup != nil {
				r.setup(e)
			}
			e.call(t, r.spec(e))
			stored := e.newCDR(seen)
			got, evs, pushed := rc.session(stored.SessionID)
			if strings.Join(got, ",") != r.events {
				t.Fatalf("session %s got %s, want %s", stored.SessionID, strings.Join(got, ","), r.events)
			}
			if pushed != stored {
				t.Errorf("pushed CDR differs from the stored one:\npushed %+v\nstored %+v", pushed, stored)
			}
			if icids[pushed.ICID] {
				t.Errorf("icid %s pushed for two calls", pushed.ICID)
			}
			icids[pushed.ICID] = true
			checkCDR(t, pushed, r.cdr)
			w := r.full(pushed)
			checkFullCDR(t, pushed, w, since)
			checkModeEvents(t, evs, pushed, w)
		})
	}
}

// full is the row's expectation for every SPEC §6.2 field: the demo app
// (spId sp-demo, set by runEventRows), AXB (004), the B leg shown the X
// when there was one; these bindings have no userData, no recording, no
// extension. fwdUnaswRsn is exact (0 when the row names none). The
// subscriptionId's value is the stored one (checkCDR: set or "").
func (r evRow) full(got cdrRec) evWant {
	w := evWant{Events: r.events, Cause: r.cdr.ULFailReason, Status: r.cdr.SIPStatusCode,
		RelDir: r.cdr.CallRelDirection, Dir: r.dir, Unasw: r.cdr.FwdUnaswRsn, Service: "004", App: demoApp,
		Caller: r.cdr.CallerNum, Dialled: r.cdr.BindNum, Dst: r.cdr.FwdDstNum}
	if r.cdr.FwdDstNum != "" {
		w.Display = r.cdr.BindNum
	}
	if r.cdr.HasSubscription {
		w.Sub = got.SubscriptionID
	}
	return w
}

const (
	answeredEvents = "callin,callout,alerting,answer,disconnect,fee"
	refusedEvents  = "callin,disconnect,fee"
	ringEvents     = "callin,callout,alerting,disconnect,fee"
)

// TestE2EEventsAnsweredRefused: answered calls (BYE from A, from B) and
// each AXB rejection rule; the number of no app pushes nothing.
func TestE2EEventsAnsweredRefused(t *testing.T) {
	t.Parallel()
	const xDir, xLand = "+8617000000001", "+8617000000002"
	answered := func(hangup string) func(e *env) callSpec {
		return func(e *env) callSpec {
			return callSpec{Caller: alice, Scenario: "uac_call.xml", Mutate: func(s *scn) { s.HangupBy = hangup },
				Callee: &bob, CalleeScenario: "uas_answer.xml",
				CalleeMutate: func(s *scn) { s.Ring = true; s.HangupBy = hangup }}
		}
	}
	refused := func(p party, x string, q850 int) func(e *env) callSpec {
		return func(e *env) callSpec {
			return callSpec{Caller: p, RURI: sipURI(x, e.sipAddr), Scenario: "uac_reject.xml", Mutate: func(s *scn) {
				s.Expect, s.Reason = 403, `Q\.850 *; *cause=`+strconv.Itoa(q850)+`\b`
			}}
		}
	}
	rows := []evRow{
		{name: "answered, A hangs up", spec: answered("caller"), events: answeredEvents, dir: 0,
			cdr: cdrWant{CallRelDirection: 1, CallerNum: alice.Number, FwdDstNum: bob.Number, BindNum: demoX, HasSubscription: true, Answered: true}},
		{name: "answered, B hangs up", spec: answered("callee"), events: answeredEvents, dir: 0,
			cdr: cdrWant{CallRelDirection: 2, CallerNum: alice.Number, FwdDstNum: bob.Number, BindNum: demoX, HasSubscription: true, Answered: true}},
		{name: "stranger: 8014", spec: refused(stranger, demoX, 21), events: refusedEvents, dir: 2,
			cdr: cdrWant{ULFailReason: 8014, SIPStatusCode: 403, CallRelDirection: 0, CallerNum: stranger.Number, BindNum: demoX, NoSubscription: true}},
		{name: "forbidden direction: 8016", spec: refused(bob.with("+8613800000012"), xDir, 21), events: refusedEvents, dir: 2,
			setup: func(e *env) {
				e.bind(demoApp, demoSecret, axbBind{RelationNum: xDir, CallerNum: "+8613800000011", CalleeNum: "+8613800000012", CallDirection: 1})
			},
			cdr: cdrWant{ULFailReason: 8016, SIPStatusCode: 403, CallRelDirection: 0, CallerNum: "+8613800000012", BindNum: xDir, HasSubscription: true}},
		{name: "bound landline caller: 8023", spec: refused(alice.with("+8675512345678"), xLand, 21), events: refusedEvents, dir: 2,
			setup: func(e *env) {
				e.bind(demoApp, demoSecret, axbBind{RelationNum: xLand, CallerNum: "+8675512345678", CalleeNum: "+8613800000013"})
			},
			cdr: cdrWant{ULFailReason: 8023, SIPStatusCode: 403, CallRelDirection: 0, CallerNum: "+8675512345678", BindNum: xLand, HasSubscription: true}},
	}
	runEventRows(t, envOpts{}, rows)
}

// TestE2EEventsUnprovisioned: a call to a number that is no X has no app:
// its CDR is kept locally, nothing is queued for anyone (SPEC §6.2).
func TestE2EEventsUnprovisioned(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	rc := newReceiver(t, e, demoApp, demoSecret)
	rc.start()
	rc.point(e)
	const noX = "+8617100000000"
	e.call(t, callSpec{Caller: alice, RURI: sipURI(noX, e.sipAddr), Scenario: "uac_reject.xml",
		Mutate: func(s *scn) { s.Expect, s.Reason = 404, `Q\.850 *; *cause=1\b` }})
	checkCDR(t, e.lastCDR(byBindNum(noX), 1), cdrWant{ULFailReason: 8014, SIPStatusCode: 404, CallRelDirection: 0,
		CallerNum: alice.Number, BindNum: noX, NoSubscription: true})
	// The CDR is stored in the batch that would have queued its push: once
	// it is visible, whatever was queued for it would be counted.
	for _, kind := range []string{"event", "fee"} {
		if n := e.metric("xnum_outbox_items_total", `kind="`+kind+`",result="enqueued"`); n != 0 {
			t.Errorf("%g %s items queued for a number of no app", n, kind)
		}
	}
	if n := e.metric("xnum_outbox_items_total", `kind="fee",result="skipped"`); n != 1 {
		t.Errorf("fee skipped = %g, want 1 (the CDR kept locally only)", n)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.events)+len(rc.fees) != 0 {
		t.Errorf("receiver got %d events, %d CDRs", len(rc.events), len(rc.fees))
	}
}

// TestE2EEventsBLeg: cancels and each B-leg failure of SPEC §4.2, with
// fwdUnaswRsn.
func TestE2EEventsBLeg(t *testing.T) {
	t.Parallel()
	cancel := func(sync bool) func(e *env) callSpec {
		return func(e *env) callSpec {
			return callSpec{Caller: alice, Scenario: "uac_cancel.xml", Mutate: func(s *scn) { s.AfterRinging = !sync },
				Callee: &bob, CalleeScenario: "uas_ring.xml", Sync: sync}
		}
	}
	fails := func(final int, breason string, status, q850 int) func(e *env) callSpec {
		return func(e *env) callSpec {
			return callSpec{Caller: alice, Scenario: "uac_reject.xml", Mutate: func(s *scn) {
				s.Expect, s.Reason = status, `Q\.850 *; *cause=`+strconv.Itoa(q850)+`\b`
			}, Callee: &bob, CalleeScenario: "uas_reject.xml", CalleeMutate: func(s *scn) {
				s.Ring, s.Final, s.BReason = true, final, breason
				if final == 302 {
					s.Contact = "<sip:+8613999999999@[local_ip]:[local_port]>"
				}
			}}
		}
	}
	failed := func(cause, status, unasw int) cdrWant {
		return cdrWant{ULFailReason: cause, SIPStatusCode: status, CallRelDirection: 2, FwdUnaswRsn: unasw,
			CallerNum: alice.Number, FwdDstNum: bob.Number, BindNum: demoX, HasSubscription: true}
	}
	cancelled := func(cause int) cdrWant {
		return cdrWant{ULFailReason: cause, SIPStatusCode: 487, CallRelDirection: 1, FwdUnaswRsn: 16,
			CallerNum: alice.Number, FwdDstNum: bob.Number, BindNum: demoX, HasSubscription: true}
	}
	rows := []evRow{
		{name: "cancel before B's 18x: 7501", spec: cancel(true), events: "callin,callout,disconnect,fee", cdr: cancelled(7501)},
		{name: "cancel after B's 180: 7502", spec: cancel(false), events: ringEvents, cdr: cancelled(7502)},
		{name: "busy: 8102", spec: fails(486, "Q.850;cause=17", 486, 17), events: ringEvents, cdr: failed(8102, 486, 17)},
		{name: "declined: 7504", spec: fails(603, "Q.850;cause=21", 603, 21), events: ringEvents, cdr: failed(7504, 603, 21)},
		{name: "503: 7506", spec: fails(503, "Q.850;cause=34", 480, 38), events: ringEvents, cdr: failed(7506, 480, 34)},
		{name: "302: 7508", spec: fails(302, "", 480, 3), events: ringEvents, cdr: failed(7508, 480, 3)},
		{name: "404: 8100", spec: fails(404, "", 404, 1), events: ringEvents, cdr: failed(8100, 404, 1)},
	}
	runEventRows(t, envOpts{}, rows)
}

// TestE2EEventsTimers: the ring timeout (8035) and maxDuration (8010, here
// sip.max_call_duration 2s): released by the platform.
func TestE2EEventsTimers(t *testing.T) {
	t.Parallel()
	rows := []evRow{
		{name: "ring timeout: 8035", events: ringEvents,
			spec: func(e *env) callSpec {
				return callSpec{Caller: alice, Scenario: "uac_reject.xml", Mutate: func(s *scn) {
					s.Expect, s.Reason = 480, `Q\.850 *; *cause=19\b`
				}, Callee: &bob, CalleeScenario: "uas_ring.xml"}
			},
			cdr: cdrWant{ULFailReason: 8035, SIPStatusCode: 480, CallRelDirection: 0, FwdUnaswRsn: 19,
				CallerNum: alice.Number, FwdDstNum: bob.Number, BindNum: demoX, HasSubscription: true}},
		{name: "max duration: 8010", events: answeredEvents,
			spec: func(e *env) callSpec { // both phones wait: only xnum ends the call
				return callSpec{Caller: alice, Scenario: "uac_call.xml", Mutate: func(s *scn) { s.HangupBy = "callee" },
					Callee: &bob, CalleeScenario: "uas_answer.xml", CalleeMutate: func(s *scn) { s.Ring = true }}
			},
			cdr: cdrWant{ULFailReason: 8010, CallRelDirection: 0, CallerNum: alice.Number, FwdDstNum: bob.Number,
				BindNum: demoX, HasSubscription: true, Answered: true}},
	}
	runEventRows(t, envOpts{RingTimeout: 1500 * time.Millisecond, MaxCall: 2 * time.Second}, rows)
}

// TestE2EEventBatches: CDRs that wait together go out together, at most 50
// a push (SPEC §6.2). The receiver holds its first push until 60 refused
// calls have ended, so their CDRs are all due at once; each session still
// arrives in order.
func TestE2EEventBatches(t *testing.T) {
	t.Parallel()
	const calls = 60
	e := newEnv(t, envOpts{YAML: "webhook:\n  timeout: 60s\n"}) // the held push must not time out
	rc := newReceiver(t, e, demoApp, demoSecret)
	rc.hold = make(chan struct{})
	rc.start()
	rc.point(e)
	cs := callerScn(stranger, e.net.ip(hostCaller), sipURI(demoX, e.sipAddr))
	cs.Expect, cs.Reason = 403, `Q\.850 *; *cause=21\b`
	p := startSIPp(t, e.dir, sippOpts{Name: "strangers", Scenario: "uac_reject.xml", Params: cs,
		IP: e.net.ip(hostCaller), MediaIP: e.net.ip(hostCaller + mediaShift), Target: e.sipAddr,
		CallID: "batchcid-%u-%p@e2e", Calls: calls, Extra: []string{"-r", "30"}})
	if err := p.waitErr(); err != nil {
		t.Fatalf("callers: %v", err)
	}
	e.cdrs(byBindNum(demoX), calls) // every CDR stored, so every push queued
	close(rc.hold)
	rc.waitFor(fmt.Sprintf("%d CDRs", calls), 60*time.Second, func() bool { return len(rc.fees) >= calls })
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if slices.Max(rc.batches) != 50 {
		t.Errorf("fee pushes of %v records: want full batches of 50 when 60 are due", rc.batches)
	}
	for s, got := range rc.order {
		if strings.Join(got, ",") != refusedEvents {
			t.Errorf("session %s: %v, want %s", s, got, refusedEvents)
		}
	}
	if len(rc.order) != calls {
		t.Errorf("%d sessions, want %d", len(rc.order), calls)
	}
	t.Logf("fee pushes: %v", rc.batches)
}

// obWait polls cond on a ticker until it holds, or fails after 15s.
func obWait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(15 * time.Second)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// kill9 kills xnum without warning (SPEC §7: kill -9 loses nothing
// acknowledged).
func (e *env) kill9() {
	e.t.Helper()
	_ = e.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-e.exited:
	case <-time.After(20 * time.Second):
		e.t.Fatal("xnum still running 20s after SIGKILL")
	}
}

// restart starts xnum again on the same config and store.
func (e *env) restart() {
	e.t.Helper()
	logf, err := os.OpenFile(e.logPath, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	fmt.Fprintf(logf, "\n==== restarted by the test ====\n")
	cmd := exec.Command(e2eBinary(e.t), "serve", "--config", e.cfgPath)
	cmd.Dir, cmd.Env = e.dir, cleanEnv()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		e.t.Fatalf("restart xnum: %v", err)
	}
	exited := make(chan struct{})
	e.cmd, e.exited, e.exitErr = cmd, exited, nil
	go func() {
		err := cmd.Wait()
		logf.Close()
		e.exitErr = err
		close(exited)
	}()
	e.waitHealthy()
}

// TestE2ECrash: the receiver is down while calls are made, two of them
// still up; xnum is killed with SIGKILL and restarted; the receiver comes
// back: it gets a CDR for every call — the two that were up too, released
// by the platform (7102) — and duplicates only as at-least-once allows.
// The pushes that failed before the kill wait for their retry at +1 minute
// (SPEC §6.2), so this test takes a little over a minute.
func TestE2ECrash(t *testing.T) {
	t.Parallel()
	const strangers = 20
	e := newEnv(t, envOpts{})
	rc := newReceiver(t, e, demoApp, demoSecret) // not listening: refused
	rc.point(e)

	e.call(t, callSpec{Caller: alice, Scenario: "uac_call.xml", Mutate: func(s *scn) { s.HangupBy = "caller" },
		Callee: &bob, CalleeScenario: "uas_answer.xml", CalleeMutate: func(s *scn) { s.Ring = true }})
	e.call(t, callSpec{Caller: bob, Scenario: "uac_reject.xml", Mutate: func(s *scn) { s.Expect = 486 },
		Callee: &alice, CalleeScenario: "uas_reject.xml", CalleeMutate: func(s *scn) { s.Ring, s.Final = true, 486 }})
	cs := callerScn(stranger, e.net.ip(hostCaller), sipURI(demoX, e.sipAddr))
	cs.Expect = 403
	p := startSIPp(t, e.dir, sippOpts{Name: "strangers", Scenario: "uac_reject.xml", Params: cs,
		IP: e.net.ip(hostCaller), MediaIP: e.net.ip(hostCaller + mediaShift), Target: e.sipAddr,
		CallID: "crashcid-%u-%p@e2e", Calls: strangers, Extra: []string{"-r", "20"}})
	if err := p.waitErr(); err != nil {
		t.Fatalf("stranger calls: %v", err)
	}

	// Two calls that stay up: both phones wait for a BYE that never comes.
	const up = 2
	hub := startSyncHub(t, e.net.ip(hostXnum))
	trunkIP, portS, _ := net.SplitHostPort(e.trunk)
	port, _ := strconv.Atoi(portS)
	us := calleeScn(bob, trunkIP)
	us.Ring, us.NotifyAnswered = true, true
	callee := startSIPp(t, e.dir, sippOpts{Name: "upcallee", Scenario: "uas_answer.xml", Params: us,
		IP: trunkIP, MediaIP: e.net.ip(hostTrunk + mediaShift), Port: port, Calls: up, Hub: hub.addr()})
	ac := callerScn(alice, e.net.ip(hostCaller), sipURI(demoX, e.sipAddr))
	ac.HangupBy = "callee"
	caller := startSIPp(t, e.dir, sippOpts{Name: "upcaller", Scenario: "uac_call.xml", Params: ac,
		IP: e.net.ip(hostCaller), MediaIP: e.net.ip(hostCaller + mediaShift), Target: e.sipAddr,
		CallID: "upcid-%u-%p@e2e", Calls: up})
	for i := range up {
		select {
		case ev := <-hub.events:
			if ev != "answered" {
				t.Fatalf("callee said %q", ev)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("%d of %d calls up after 30s", i, up)
		}
	}
	const ended = 2 + strangers
	e.cdrs(url.Values{}, ended) // every ended call's CDR is stored (acknowledged)
	// The up calls' answer events are written (they are queued after the
	// 200 to A; the call state was persisted before it).
	obWait(t, "3 answer events written", func() bool {
		return e.metric("xnum_sip_events_total", `result="written",type="answer"`) >= 1+up
	})

	e.kill9()
	for _, s := range []*sippProc{caller, callee} { // they would wait for BYE until their timeout
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	killedAt := time.Now().UTC()
	e.restart()
	rc.start()

	const total = ended + up
	rc.waitFor(fmt.Sprintf("CDRs of all %d calls", total), 3*time.Minute, func() bool {
		ids := map[string]bool{}
		for _, f := range rc.fees {
			ids[f.ICID] = true
		}
		return len(ids) >= total
	})
	rc.mu.Lock()
	defer rc.mu.Unlock()
	count := map[string]int{}
	var recovered []cdrRec
	for _, f := range rc.fees {
		count[f.ICID]++
		if count[f.ICID] == 1 && f.ULFailReason == 7102 {
			recovered = append(recovered, f)
		}
	}
	if len(count) != total {
		t.Errorf("%d distinct icids, want %d (one per call)", len(count), total)
	}
	for id, n := range count {
		if n > 1 {
			t.Logf("icid %s delivered %d times (at least once)", id, n)
		}
	}
	if len(recovered) != up {
		t.Fatalf("%d CDRs with 7102, want the %d calls that were up", len(recovered), up)
	}
	for _, r := range recovered {
		checkCDR(t, r, cdrWant{ULFailReason: 7102, CallRelDirection: 0, CallerNum: alice.Number, FwdDstNum: bob.Number,
			BindNum: demoX, HasSubscription: true, Answered: true})
		end, err1 := time.Parse("2006-01-02 15:04:05", r.CallEndTime)
		ans, err2 := time.Parse("2006-01-02 15:04:05", r.FwdAnswerTime)
		if err1 != nil || err2 != nil || end.Before(ans) || end.After(killedAt.Add(time.Second)) {
			t.Errorf("call up at the kill: answered %s, ended %s; want an end between the answer and the kill (%s)",
				r.FwdAnswerTime, r.CallEndTime, killedAt.Format(time.DateTime))
		}
		if got := strings.Join(slices.Compact(slices.Clone(rc.order[r.SessionID])), ","); got != answeredEvents {
			t.Errorf("session of a call up at the kill: %s, want %s (repeats allowed)", got, answeredEvents)
		}
		for _, ev := range rc.events {
			if ev.Info["sessionId"] == r.SessionID && ev.Type == "disconnect" && ev.Info["stateCode"] != 7102 {
				t.Errorf("disconnect of a call up at the kill: %v", ev.Info)
			}
		}
	}
	var causes []int
	for _, f := range rc.fees {
		causes = append(causes, f.ULFailReason)
	}
	slices.Sort(causes)
	causes = slices.Compact(causes)
	if !slices.Equal(causes, []int{0, 7102, 8014, 8102}) {
		t.Errorf("causes pushed %v, want 0 (answered), 7102 (up at the kill), 8014 (strangers), 8102 (busy)", causes)
	}
}
