package main

// One call through xnum: a caller SIPp and (optionally) a callee SIPp on
// trunk.outbound, both run to completion, with their traces kept for the
// assertions.

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// callSpec is one call.
type callSpec struct {
	Caller   party
	CallerAt int    // host in the env's netPlan; 0 = hostCaller
	RURI     string // "" = sip:<demo X>@xnum
	Scenario string // uac_call.xml, uac_reject.xml, uac_cancel.xml, uac_bye_unknown.xml
	Mutate   func(*scn)

	Callee         *party // nil: no callee trunk runs (the call must not reach it)
	CalleeScenario string // uas_answer.xml, uas_reject.xml, uas_ring.xml
	CalleeMutate   func(*scn)

	Sync     bool // run the sync hub (uac_cancel + uas_ring before any 18x)
	TCP      bool // the caller talks to xnum over TCP
	TrunkTCP bool // the callee trunk listens on TCP (set from the env)

	// NotifyAnswered: the callee tells the test (through the sync hub's
	// events) once it has the ACK of its 200, so a test can act on a call
	// that is up without sleeping.
	NotifyAnswered bool

	// Timeout is both SIPps' -timeout (0 = 30s): longer for a call that
	// must last (a binding's maxDuration is in minutes).
	Timeout time.Duration
}

// callRun is a call whose SIPp processes are running.
type callRun struct {
	spec callSpec
	res  callResult
	hub  *syncHub
}

// callResult holds both SIPp runs.
type callResult struct {
	uac, uas           *sippProc
	callerID, calleeID identity
}

var callSeq atomic.Int32

// call runs spec through xnum to completion: both SIPp processes must exit 0.
func (e *env) call(t *testing.T, spec callSpec) callResult {
	t.Helper()
	spec.TrunkTCP = e.trunkTCP
	return runCall(t, e.net, e.dir, e.sipAddr, e.trunk, spec)
}

// startCall starts spec through xnum; wait collects it.
func (e *env) startCall(t *testing.T, spec callSpec) *callRun {
	t.Helper()
	spec.TrunkTCP = e.trunkTCP
	return startCall(t, e.net, e.dir, e.sipAddr, e.trunk, spec)
}

// runCall runs spec with the caller sending to target and the callee
// listening on trunk (for the direct SIPp-to-SIPp runs both are the same).
func runCall(t *testing.T, np netPlan, baseDir, target, trunk string, spec callSpec) callResult {
	t.Helper()
	return startCall(t, np, baseDir, target, trunk, spec).wait(t)
}

// startCall starts the callee (waiting until it is bound), then the caller.
func startCall(t *testing.T, np netPlan, baseDir, target, trunk string, spec callSpec) *callRun {
	t.Helper()
	n := callSeq.Add(1)
	dir := filepath.Join(baseDir, fmt.Sprintf("call%d", n))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	host := spec.CallerAt
	if host == 0 {
		host = hostCaller
	}
	callerIP, callerMedia := np.ip(host), np.ip(host+mediaShift)
	trunkIP, _, _ := net.SplitHostPort(trunk)
	trunkMedia := np.ip(hostTrunk + mediaShift)
	ruri := spec.RURI
	if ruri == "" {
		ruri = sipURI(demoX, target)
	}
	cs := callerScn(spec.Caller, callerIP, ruri)
	if spec.Mutate != nil {
		spec.Mutate(&cs)
	}
	// A Call-ID that names the caller and is unique per call; the sync hub
	// needs to know it in advance, so %p (SIPp's pid) is left out there.
	callID := fmt.Sprintf("%scid-%d-%%u-%%p@e2e", spec.Caller.Tag, n)
	if spec.Sync {
		callID = fmt.Sprintf("%scid-%d-%%u@e2e", spec.Caller.Tag, n)
	}

	var hub *syncHub
	if spec.Sync || spec.NotifyAnswered {
		hub = startSyncHub(t, np.ip(hostXnum))
	}
	res := callResult{}
	if spec.Callee != nil {
		us := calleeScn(*spec.Callee, trunkIP)
		if spec.Sync {
			us.Sync = true
			us.SyncCallID = strings.NewReplacer("%u", "1").Replace(callID)
		}
		us.NotifyAnswered = spec.NotifyAnswered
		if spec.CalleeMutate != nil {
			spec.CalleeMutate(&us)
		}
		_, portS, _ := net.SplitHostPort(trunk)
		port, _ := strconv.Atoi(portS)
		o := sippOpts{Name: "callee", Scenario: spec.CalleeScenario, Params: us,
			IP: trunkIP, MediaIP: trunkMedia, Port: port, TCP: spec.TrunkTCP, Timeout: spec.Timeout}
		if hub != nil {
			o.Hub = hub.addr()
		}
		res.uas = startSIPp(t, dir, o)
	}
	o := sippOpts{Name: "caller", Scenario: spec.Scenario, Params: cs,
		IP: callerIP, MediaIP: callerMedia, Target: target, CallID: callID, TCP: spec.TCP, Timeout: spec.Timeout}
	if spec.Sync {
		o.Hub = hub.addr()
	}
	res.uac = startSIPp(t, dir, o)
	res.callerID = identity{Who: "caller", Party: spec.Caller, IP: callerIP, MediaIP: callerMedia}
	if res.uas != nil {
		res.calleeID = identity{Who: "callee", Party: *spec.Callee, IP: trunkIP, MediaIP: trunkMedia}
	}
	return &callRun{spec: spec, res: res, hub: hub}
}

// wait waits for both SIPp processes: each must exit 0.
func (r *callRun) wait(t *testing.T) callResult {
	t.Helper()
	spec, res := r.spec, r.res
	uacErr := res.uac.waitErr()
	if uacErr != nil {
		t.Errorf("caller sipp (%s): %v", spec.Scenario, uacErr)
	}
	if res.uas != nil {
		if uacErr != nil {
			// The call already failed: don't wait for the callee's timeout.
			_ = res.uas.cmd.Process.Kill()
		}
		if err := res.uas.waitErr(); err != nil && uacErr == nil {
			t.Errorf("callee sipp (%s): %v", spec.CalleeScenario, err)
		}
	}
	res.callerID.CallIDs = []string{callIDOf(res.uac.sent())}
	if res.uas != nil {
		res.calleeID.CallIDs = []string{callIDOf(res.uas.received())}
	}
	return res
}

// checkNoLeaks runs the sentinel check both ways on a finished call.
func (r callResult) checkNoLeaks(t *testing.T) {
	t.Helper()
	if r.uas != nil {
		assertNoLeak(t, "callee", r.uas.received(), r.callerID)
		assertNoLeak(t, "caller", r.uac.received(), r.calleeID)
	}
}

// checkBLeg checks the INVITE the callee trunk got: R-URI user = the real
// callee in E.164 (trunk.number_format e164), From user = the X shown,
// P-Asserted-Identity = X (trunk.b_leg_pai).
func (r callResult) checkBLeg(t *testing.T, callee, shownX string) {
	t.Helper()
	inv := r.uas.firstReceived("an INVITE", func(m sipMsg) bool { return m.IsRequest("INVITE") })
	if got := uriUser(strings.Fields(inv.FirstLine())[1]); got != callee {
		t.Errorf("B leg Request-URI user %q, want %q (%s)", got, callee, inv.FirstLine())
	}
	if got := uriUser(inv.Header("From")); got != shownX {
		t.Errorf("B leg From user %q, want the X %q (From: %s)", got, shownX, inv.Header("From"))
	}
	if got := uriUser(inv.Header("P-Asserted-Identity")); got != shownX {
		t.Errorf("B leg P-Asserted-Identity user %q, want the X %q", got, shownX)
	}
	// The callers here send Max-Forwards 70: decremented onto the B leg.
	if got := inv.Header("Max-Forwards"); got != "69" {
		t.Errorf("B leg Max-Forwards %q, want 69 (A sent 70)", got)
	}
}

// uriUser extracts the user part of the first sip:/tel: URI in s.
func uriUser(s string) string {
	i := strings.Index(s, "sip:")
	j := strings.Index(s, "tel:")
	switch {
	case i < 0 && j < 0:
		return ""
	case i < 0 || (j >= 0 && j < i):
		rest := s[j+4:]
		return rest[:strings.IndexAny(rest+">", ";>, ")]
	}
	rest := s[i+4:]
	at := strings.IndexAny(rest, "@>;")
	if at < 0 || rest[at] != '@' {
		return ""
	}
	return rest[:at]
}

// checkFinal checks the final response the caller got and its Reason.
func (r callResult) checkFinal(t *testing.T, status, q850 int) {
	t.Helper()
	m, ok := r.uac.finalStatus()
	if !ok {
		t.Errorf("caller got no final response")
		return
	}
	if m.Status() != status {
		t.Errorf("caller got %q, want %d", m.FirstLine(), status)
	}
	if q850 > 0 {
		want := fmt.Sprintf("cause=%d", q850)
		reason := m.Header("Reason")
		if !strings.Contains(reason, "Q.850") || !strings.Contains(strings.ReplaceAll(reason, " ", ""), want) {
			t.Errorf("caller's %d has Reason %q, want Q.850 %s", m.Status(), reason, want)
		}
	}
}
