package main

// AXE end to end (SPEC §3, §4.3, issue 4): caller → X → (A answered first
// when the app says answerBeforeCollect) → the enter-extension prompt →
// RFC 4733 keys, played by SIPp from its own captures
// (/usr/share/sip-tester/dtmf_2833_*.pcap) → A with a callback record;
// A → X → the last caller, else callbackNum, else callbackTone and 8019;
// wrong keys 8022, none 8033 (BYE when A was answered), hanging up before
// the transfer 7516, an X without bindings 8025; a suspended X 8055, a
// frozen app 7108.
//
// What A hears is checked on every call: calls without keys name a socket
// of the test in A's SDP (rtpSink); calls whose keys SIPp plays from its
// pcaps must name SIPp's own media socket (xnum's strict latching takes
// A's RTP only from the address of A's SDP, and play_pcap_audio sends
// from that socket), so the test taps that socket (newTap): the
// enter-extension prompt, the invalid-extension prompt after wrong keys,
// then ringback while B rings (uas_mode.xml rings for a second) — or the
// release's prompt before xnum's BYE.

import (
	"net"
	"strings"
	"testing"

	"github.com/xnum/xnum/routing"
)

// axeDTMF: short dtmf.* timers, one retry.
const axeDTMF = "dtmf:\n  first_digit: 1500ms\n  inter_digit: 2s\n  retries: 1\n"

// axeBind binds A on x with ext and what an A → X call without a callback
// record does (callbackNum or callbackTone); it returns the subscriptionId.
func (m *modeEnv) axeBind(app, x, a, ext string, extra map[string]any) string {
	body := map[string]any{"bindNum": a, "virtualNum": x, "extendNum": ext}
	for k, v := range extra {
		body[k] = v
	}
	return m.manage("POST", "/rest/caas/extendnumber/v1.0", app, body)["subscriptionId"].(string)
}

// keyed makes a call that keys digits into an AXE X and is transferred to
// callee (answered first by xnum when early is false), the callee hanging
// up. A must hear prompts in order, then ringback while the callee rings.
// It returns the CDR.
func (m *modeEnv) keyed(t *testing.T, caller party, x, digits string, early bool, callee party, prompts ...string) modeCDR {
	t.Helper()
	return m.keyedWith(t, caller, x, digits, early, callee, nil, prompts...)
}

// keyedWith is keyed with more of the caller's scenario set by mutate.
func (m *modeEnv) keyedWith(t *testing.T, caller party, x, digits string, early bool, callee party,
	mutate func(*scn), prompts ...string) modeCDR {
	t.Helper()
	tap := m.newTap(t)
	res := m.call(t, callSpec{
		Caller: caller, RURI: sipURI(x, m.sipAddr), Scenario: "uac_mode.xml",
		Mutate: func(s *scn) {
			s.Expect, s.Pcaps, s.KeysEarly, s.ByeReason = 200, keyPcaps(t, digits), early, q850(16)
			if mutate != nil {
				mutate(s)
			}
		},
		Callee: &callee, CalleeScenario: "uas_mode.xml",
		CalleeMutate: func(s *scn) { s.HangupBy = "callee" },
	})
	res.checkBLeg(t, callee.Number, x)
	res.checkNoLeaks(t)
	tap.expectPrompts(m, prompts...)
	tap.expectRingback(m)
	return m.nextCDR(t, x)
}

func TestE2EModeAXE(t *testing.T) {
	t.Parallel()
	const (
		app = "axeapp"
		x   = "+8617000000400"
	)
	var (
		a1      = alice.with("+8613800000401") // ext 1234, no callback setting
		a2      = alice.with("+8613800000402") // ext 5678, callbackNum
		a3      = alice.with("+8613800000403") // ext 2460, callbackTone
		cbNum   = bob.with("+8613800000409")
		caller  = stranger.with("+8613900000401")
		caller2 = stranger.with("+8613900000402")
		caller3 = stranger.with("+8613900000403")
	)
	m := newModeEnv(t, envOpts{YAML: axeDTMF})
	m.createApp(app, "AXE", map[string]any{"extLen": 4, "answerBeforeCollect": true}, x)
	sub1 := m.axeBind(app, x, a1.Number, "1234", nil)
	sub2 := m.axeBind(app, x, a2.Number, "5678", map[string]any{"callbackNum": cbNum.Number})
	sub3 := m.axeBind(app, x, a3.Number, "2460", map[string]any{"callbackTone": routing.PromptFixedCaller})

	t.Run("right keys: A answered first, then A1 shown X", func(t *testing.T) {
		rec := m.keyed(t, caller, x, "1234", false, a1, routing.PromptEnterExt)
		checkModeCDR(t, rec, modeWant{Service: "005", App: app, Caller: caller.Number, Dialled: x,
			Display: x, Dst: a1.Number, Sub: sub1, Ext: "1234", Answered: true})
	})
	t.Run("A1 to X: called back, the last caller shown X", func(t *testing.T) {
		rec := m.connected(t, a1, x, caller, x)
		checkModeCDR(t, rec, modeWant{Dir: 1, Service: "005", App: app, Caller: a1.Number, Dialled: x,
			Display: x, Dst: caller.Number, Sub: sub1, Ext: "1234", Answered: true})
	})
	t.Run("wrong keys, then the right ones on the retry", func(t *testing.T) {
		rec := m.keyed(t, caller2, x, "9013"+"5678", false, a2, routing.PromptEnterExt, routing.PromptInvalidExt)
		checkModeCDR(t, rec, modeWant{Service: "005", App: app, Caller: caller2.Number, Dialled: x,
			Display: x, Dst: a2.Number, Sub: sub2, Ext: "5678", Answered: true})
	})
	t.Run("A2 to X: its last caller, not its callbackNum", func(t *testing.T) {
		rec := m.connected(t, a2, x, caller2, x)
		checkModeCDR(t, rec, modeWant{Dir: 1, Service: "005", App: app, Caller: a2.Number, Dialled: x,
			Display: x, Dst: caller2.Number, Sub: sub2, Ext: "5678", Answered: true})
	})
	t.Run("A3 to X without callback record: callbackTone, 8019", func(t *testing.T) {
		rec := m.refused(t, a3, x, 403, 21, routing.PromptFixedCaller)
		checkModeCDR(t, rec, modeWant{Cause: 8019, Status: 403, Dir: 2, Service: "005", App: app,
			Caller: a3.Number, Dialled: x, Sub: sub3, Ext: "2460"})
	})
	// A2's record is replaced by no one; unbinding and binding again drops
	// it, so A2's next call goes to its callbackNum.
	m.manage("DELETE", "/rest/caas/extendnumber/v1.0?subscriptionId="+sub2, app, nil)
	sub2 = m.axeBind(app, x, a2.Number, "5678", map[string]any{"callbackNum": cbNum.Number})
	t.Run("A2 to X without callback record: callbackNum", func(t *testing.T) {
		rec := m.connected(t, a2, x, cbNum, x)
		checkModeCDR(t, rec, modeWant{Dir: 1, Service: "005", App: app, Caller: a2.Number, Dialled: x,
			Display: x, Dst: cbNum.Number, Sub: sub2, Ext: "5678", Answered: true})
	})
	// A re-INVITE while xnum collects is no glare (RFC 3261 §14.1: xnum has
	// no INVITE of its own out to A): xnum answers it with its session
	// (SPEC §4.1), codec kept, and the collection goes on — a 491 or any
	// other answer fails the caller's scenario.
	t.Run("re-INVITE from A while keying: 200 from xnum, then A1", func(t *testing.T) {
		rec := m.keyedWith(t, caller3, x, "1234", false, a1, func(s *scn) { s.ReinviteA = true }, routing.PromptEnterExt)
		checkModeCDR(t, rec, modeWant{Service: "005", App: app, Caller: caller3.Number, Dialled: x,
			Display: x, Dst: a1.Number, Sub: sub1, Ext: "1234", Answered: true})
	})
}

// TestE2EModeAXERefused: what ends an AXE call before the transfer.
func TestE2EModeAXERefused(t *testing.T) {
	t.Parallel()
	const (
		app    = "axerefused"
		x      = "+8617000000410"
		xEmpty = "+8617000000411" // no binding at all
	)
	a := alice.with("+8613800000411")
	caller := stranger.with("+8613900000411")
	m := newModeEnv(t, envOpts{YAML: axeDTMF})
	m.createApp(app, "AXE", map[string]any{"extLen": 4, "answerBeforeCollect": true}, x, xEmpty)
	m.axeBind(app, x, a.Number, "1234", nil)
	answeredThenBye := func(t *testing.T, keys string, cause, q int, prompts ...string) {
		t.Helper()
		var sink *rtpSink
		if keys == "" {
			sink = m.newSink(t)
		} else {
			sink = m.newTap(t)
		}
		hangup := cause == 7516
		spec := m.callSpec(caller, x, func(s *scn) {
			s.Expect, s.ByeReason = 200, q850(q)
			sink.use(s)
			if keys != "" {
				s.Pcaps = keyPcaps(t, keys)
			}
			if hangup { // A hangs up once it heard the prompt (sync hub)
				s.HangupBy, s.CancelSync = "caller", true
			}
		})
		spec.Sync = hangup
		run := m.startCall(t, spec)
		sink.expectPrompts(m, prompts...)
		if hangup {
			hubConn, err := net.Dial("tcp4", run.hub.addr())
			if err != nil {
				t.Fatal(err)
			}
			defer hubConn.Close()
			goAhead{conn: hubConn, callID: strings.NewReplacer("%u", "1").Replace(run.res.uac.opts.CallID)}.send(t)
		}
		res := run.wait(t)
		if m, ok := res.uac.finalStatus(); !ok || m.Status() != 200 {
			t.Errorf("A was not answered before the prompt")
		}
		dir := 2 // refused
		if cause == 7516 {
			dir = 0 // not refused: A gave up on its way to a bound party
		}
		checkModeCDR(t, m.nextCDR(t, x), modeWant{Cause: cause, Dir: dir, Service: "005", App: app,
			Caller: caller.Number, Dialled: x})
	}
	t.Run("wrong keys twice: the invalid-extension prompt, BYE, 8022", func(t *testing.T) {
		answeredThenBye(t, "9876", 8022, 21, routing.PromptEnterExt, routing.PromptInvalidExt, routing.PromptInvalidExt)
	})
	t.Run("no key: prompt, retry prompt, BYE, 8033", func(t *testing.T) {
		answeredThenBye(t, "", 8033, 21, routing.PromptEnterExt, routing.PromptInvalidExt, routing.PromptInvalidExt)
	})
	t.Run("A hangs up during the prompt: 7516", func(t *testing.T) {
		answeredThenBye(t, "", 7516, 0, routing.PromptEnterExt)
	})
	t.Run("an X without binding: 8025", func(t *testing.T) {
		rec := m.refused(t, caller, xEmpty, 403, 21, routing.PromptNoBinding)
		checkModeCDR(t, rec, modeWant{Cause: 8025, Status: 403, Dir: 2, Service: "005", App: app,
			Caller: caller.Number, Dialled: xEmpty})
	})
	t.Run("suspended X 8055, frozen app 7108", func(t *testing.T) {
		m.frozenAndSuspended(t, app, "005", caller, x)
	})
}

// TestE2EModeAXEEarly: an app without answerBeforeCollect collects in
// early media: A keys during the 183, is answered by B's 200; a CANCEL
// during the prompt is 7516; no key is 403 / 8033 after the prompt.
func TestE2EModeAXEEarly(t *testing.T) {
	t.Parallel()
	const (
		app = "axeearly"
		x   = "+8617000000420"
	)
	a := alice.with("+8613800000421")
	caller := stranger.with("+8613900000421")
	m := newModeEnv(t, envOpts{YAML: axeDTMF})
	m.createApp(app, "AXE", map[string]any{"extLen": 3, "answerBeforeCollect": false}, x)
	sub := m.axeBind(app, x, a.Number, "135", nil)

	t.Run("keys in early media, then B", func(t *testing.T) {
		rec := m.keyed(t, caller, x, "135", true, a, routing.PromptEnterExt)
		checkModeCDR(t, rec, modeWant{Service: "005", App: app, Caller: caller.Number, Dialled: x,
			Display: x, Dst: a.Number, Sub: sub, Ext: "135", Answered: true})
	})
	t.Run("CANCEL during the prompt: 487, 7516", func(t *testing.T) {
		// A cancels once it hears the prompt (through the sync hub), so the
		// CANCEL lands while xnum collects, however slow the machine.
		sink := m.newSink(t)
		spec := m.callSpec(caller, x, func(s *scn) { sink.use(s); s.Cancel, s.CancelSync = true, true })
		spec.Sync = true
		run := m.startCall(t, spec)
		sink.expectPrompts(m, routing.PromptEnterExt)
		hubConn, err := net.Dial("tcp4", run.hub.addr())
		if err != nil {
			t.Fatal(err)
		}
		defer hubConn.Close()
		goAhead{conn: hubConn, callID: strings.NewReplacer("%u", "1").Replace(run.res.uac.opts.CallID)}.send(t)
		res := run.wait(t)
		res.checkFinal(t, 487, 0)
		checkModeCDR(t, m.nextCDR(t, x), modeWant{Cause: 7516, Status: 487, Dir: 0, Service: "005", App: app,
			Caller: caller.Number, Dialled: x})
	})
	t.Run("no key: 403, 8033", func(t *testing.T) {
		rec := m.refused(t, caller, x, 403, 21, routing.PromptEnterExt)
		checkModeCDR(t, rec, modeWant{Cause: 8033, Status: 403, Dir: 2, Service: "005", App: app,
			Caller: caller.Number, Dialled: x})
	})
}

// TestE2EModeAXECrash: xnum answered A to collect its extension (the
// app's answerBeforeCollect) and dies by SIGKILL while A listens: after
// the restart the attempt has its CDR (SPEC §6.2 "a call that was up when
// xnum died gets its CDR after restart"), released by the platform (7102,
// callRelDirection 0), A answered (sipStatusCode 0), B never (no
// fwdAnswerTime, failTime = callEndTime). This needs the call state
// persisted when xnum answers A, not only when B does.
func TestE2EModeAXECrash(t *testing.T) {
	t.Parallel()
	const (
		app = "axecrash"
		x   = "+8617000000430"
	)
	a := alice.with("+8613800000431")
	caller := stranger.with("+8613900000431")
	m := newModeEnv(t, envOpts{YAML: "dtmf:\n  first_digit: 60s\n"}) // A is still asked when xnum dies
	m.createApp(app, "AXE", map[string]any{"extLen": 4, "answerBeforeCollect": true}, x)
	m.axeBind(app, x, a.Number, "1234", nil)
	sink := m.newSink(t)
	// A waits for a BYE that never comes.
	run := m.startCall(t, m.callSpec(caller, x, func(s *scn) { sink.use(s); s.Expect = 200 }))
	sink.expectPrompts(m, routing.PromptEnterExt) // answered, and collecting
	m.kill9()
	_ = run.res.uac.cmd.Process.Kill()
	<-run.res.uac.done
	m.restart()

	rec := m.nextCDR(t, x)
	checkModeCDR(t, rec, modeWant{Cause: 7102, Service: "005", App: app, Caller: caller.Number, Dialled: x})
	if rec.CallRelDirection != 0 || rec.FailTime == "" || rec.FailTime != rec.CallEndTime {
		t.Errorf("CDR callRelDirection %d failTime %q callEndTime %q: want 0 (the platform) and failTime = callEndTime",
			rec.CallRelDirection, rec.FailTime, rec.CallEndTime)
	}
}
