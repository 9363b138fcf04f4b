package main

// Every number shape of SPEC §2, as the caller (From, or PAI on a trusted
// trunk) and as the dialled number (Request-URI), mobile and fixed-line.
// Each group runs its rows one after the other on one xnum.

import (
	"net/url"
	"strings"
	"testing"
)

type shapeRow struct {
	name   string
	caller party
	from   string // caller URI; "" = the party's E.164 sip: URI
	pai    string // P-Asserted-Identity; "" = none (From decides)
	ruri   string // Request-URI; "" = sip:<demo X>@xnum
	callee *party // nil: refused before any B leg
	x      string // the X the call is about (CDR bindNum)
	status int    // refused rows: what A gets
	cause  int    // refused rows: CDR ulFailReason
}

// runShapes runs rows in order on e.
func runShapes(t *testing.T, e *env, rows []shapeRow) {
	t.Helper()
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			x := r.x
			if x == "" {
				x = demoX
			}
			before := e.cdrTotal(byBindNum(x))
			ip := e.net.ip(hostCaller)
			mutate := func(s *scn) {
				if r.from != "" {
					s.From = `"` + r.caller.Display + `" <` + strings.ReplaceAll(r.from, "IP", ip) + `>`
				}
				s.PAI = ""
				if r.pai != "" {
					s.PAI = "<" + strings.ReplaceAll(r.pai, "IP", ip) + ">"
				}
				if r.ruri != "" {
					s.RURI = strings.ReplaceAll(r.ruri, "XNUM", e.sipAddr)
					s.To = "<" + s.RURI + ">"
				}
				s.HangupBy = "caller"
				s.Expect, s.Reason = r.status, `Q\.850 *; *cause=21\b`
			}
			spec := callSpec{Caller: r.caller, Mutate: mutate}
			if r.callee != nil {
				spec.Scenario = "uac_call.xml"
				spec.Callee, spec.CalleeScenario = r.callee, "uas_answer.xml"
				spec.CalleeMutate = func(s *scn) { s.Ring = true }
			} else {
				spec.Scenario = "uac_reject.xml"
			}
			res := e.call(t, spec)
			want := cdrWant{CallRelDirection: -1, CallerNum: r.caller.Number, BindNum: x}
			if r.callee != nil {
				res.checkBLeg(t, r.callee.Number, x)
				res.checkNoLeaks(t)
				want.CallRelDirection, want.FwdDstNum = 1, r.callee.Number
				want.HasSubscription, want.Answered = true, true
			} else {
				res.checkFinal(t, r.status, 21)
				want.ULFailReason, want.SIPStatusCode = r.cause, r.status
			}
			checkCDR(t, e.cdrs(byBindNum(x), before+1)[0], want)
		})
	}
}

// cdrTotal is the number of CDRs matching q now.
func (e *env) cdrTotal(q url.Values) int {
	e.t.Helper()
	var resp struct {
		Total int `json:"total"`
	}
	q.Set("pageSize", "1")
	e.admin("GET", "/admin/v1/cdrs?"+q.Encode(), nil, &resp)
	return resp.Total
}

func TestE2ENumberShapes(t *testing.T) {
	t.Parallel()

	t.Run("caller", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, envOpts{})
		const anon = "sip:anonymous@anonymous.invalid"
		runShapes(t, e, []shapeRow{
			{name: "From +86", caller: alice, callee: &bob, from: "sip:+8613800000001@IP"},
			{name: "From 86", caller: alice, callee: &bob, from: "sip:8613800000001@IP"},
			{name: "From 0086", caller: alice, callee: &bob, from: "sip:008613800000001@IP"},
			{name: "From national", caller: alice, callee: &bob, from: "sip:13800000001@IP"},
			{name: "From tel", caller: alice, callee: &bob, from: "tel:+8613800000001"},
			{name: "From user=phone", caller: alice, callee: &bob, from: "sip:+8613800000001@IP;user=phone"},
			{name: "From national user=phone", caller: alice, callee: &bob, from: "sip:13800000001@IP;user=phone"},
			{name: "PAI tel, anonymous From", caller: alice, callee: &bob, from: anon, pai: "tel:+8613800000001"},
			{name: "PAI national, anonymous From", caller: alice, callee: &bob, from: anon, pai: "sip:13800000001@IP;user=phone"},
			{name: "PAI 0086, anonymous From", caller: alice, callee: &bob, from: anon, pai: "sip:008613800000001@IP"},
			{name: "B as caller, national", caller: bob, callee: &alice, from: "sip:13800000002@IP"},
		})
	})

	t.Run("dialled X", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, envOpts{})
		runShapes(t, e, []shapeRow{
			{name: "+86", caller: alice, callee: &bob, ruri: "sip:+8617000000000@XNUM"},
			{name: "86", caller: alice, callee: &bob, ruri: "sip:8617000000000@XNUM"},
			{name: "0086", caller: alice, callee: &bob, ruri: "sip:008617000000000@XNUM"},
			{name: "national", caller: alice, callee: &bob, ruri: "sip:17000000000@XNUM"},
			{name: "tel", caller: alice, callee: &bob, ruri: "tel:+8617000000000"},
			{name: "user=phone", caller: alice, callee: &bob, ruri: "sip:+8617000000000@XNUM;user=phone"},
			{name: "national user=phone", caller: alice, callee: &bob, ruri: "sip:17000000000@XNUM;user=phone"},
		})
	})

	t.Run("fixed-line X and callees", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, envOpts{})
		const xFixed = "+8675588880000"
		e.addNumbers(demoApp, "0755", xFixed)
		e.bind(demoApp, demoSecret, axbBind{RelationNum: xFixed, CallerNum: alice.Number, CalleeNum: bob.Number})
		shen, bj := bob.with("+8675512345678"), bob.with("+861012345678")
		a7, a8 := alice.with("+8613800000007"), alice.with("+8613800000008")
		e.bind(demoApp, demoSecret, axbBind{RelationNum: "+8617000000004", CallerNum: a7.Number, CalleeNum: shen.Number})
		e.bind(demoApp, demoSecret, axbBind{RelationNum: "+8617000000005", CallerNum: a8.Number, CalleeNum: bj.Number})
		runShapes(t, e, []shapeRow{
			{name: "dial +86 fixed X", caller: alice, callee: &bob, x: xFixed, ruri: "sip:+8675588880000@XNUM"},
			{name: "dial 86 fixed X", caller: alice, callee: &bob, x: xFixed, ruri: "sip:8675588880000@XNUM"},
			{name: "dial 0086 fixed X", caller: alice, callee: &bob, x: xFixed, ruri: "sip:008675588880000@XNUM"},
			{name: "dial national fixed X", caller: alice, callee: &bob, x: xFixed, ruri: "sip:075588880000@XNUM"},
			{name: "dial tel fixed X", caller: alice, callee: &bob, x: xFixed, ruri: "tel:+8675588880000"},
			{name: "dial national fixed X user=phone", caller: alice, callee: &bob, x: xFixed, ruri: "sip:075588880000@XNUM;user=phone"},
			{name: "Shenzhen landline callee", caller: a7, callee: &shen, x: "+8617000000004", ruri: "sip:+8617000000004@XNUM"},
			{name: "Beijing landline callee", caller: a8, callee: &bj, x: "+8617000000005", ruri: "sip:+8617000000005@XNUM"},
		})
	})

	t.Run("bound fixed-line caller", func(t *testing.T) {
		t.Parallel()
		// Nine refusals in a row, each playing its prompt (SPEC §4.3):
		// 0.2 s test prompts instead of the 5 s built-in one.
		dir := t.TempDir()
		writeTestPrompts(t, dir)
		e := newEnv(t, envOpts{PromptDir: dir})
		const xShen, xBJ = "+8617000000002", "+8617000000003"
		shen, bj := stranger.with("+8675512345678"), stranger.with("+861012345678")
		e.bind(demoApp, demoSecret, axbBind{RelationNum: xShen, CallerNum: shen.Number, CalleeNum: "+8613800000013"})
		e.bind(demoApp, demoSecret, axbBind{RelationNum: xBJ, CallerNum: bj.Number, CalleeNum: "+8613800000014"})
		row := func(name string, p party, x, from string) shapeRow {
			return shapeRow{name: name, caller: p, x: x, from: from, ruri: "sip:" + x + "@XNUM", status: 403, cause: 8023}
		}
		runShapes(t, e, []shapeRow{
			row("+86", shen, xShen, "sip:+8675512345678@IP"),
			row("86", shen, xShen, "sip:8675512345678@IP"),
			row("0086", shen, xShen, "sip:008675512345678@IP"),
			row("national 0755", shen, xShen, "sip:075512345678@IP"),
			row("tel", shen, xShen, "tel:+8675512345678"),
			row("national user=phone", shen, xShen, "sip:075512345678@IP;user=phone"),
			row("Beijing national 010", bj, xBJ, "sip:01012345678@IP"),
			row("Beijing +86", bj, xBJ, "sip:+861012345678@IP"),
			row("Beijing 0086", bj, xBJ, "sip:00861012345678@IP"),
		})
	})
}

// TestE2ETrunkNationalFormat: trunk.number_format national puts the callee
// on the B leg in national form (SPEC §8); the CDR keeps E.164.
func TestE2ETrunkNationalFormat(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{National: true})
	landline := bob.with("+8675512345678")
	e.bind(demoApp, demoSecret, axbBind{RelationNum: "+8617000000001", CallerNum: alice.Number, CalleeNum: landline.Number})
	rows := []struct {
		name     string
		x        string
		callee   party
		national string
	}{
		{"mobile callee", demoX, bob, "13800000002"},
		{"fixed-line callee", "+8617000000001", landline, "075512345678"},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			res := e.call(t, callSpec{Caller: alice, RURI: sipURI(r.x, e.sipAddr), Scenario: "uac_call.xml",
				Mutate: func(s *scn) { s.HangupBy = "caller" },
				Callee: &r.callee, CalleeScenario: "uas_answer.xml", CalleeMutate: func(s *scn) { s.Ring = true }})
			inv := res.uas.firstReceived("an INVITE", func(m sipMsg) bool { return m.IsRequest("INVITE") })
			if got := uriUser(strings.Fields(inv.FirstLine())[1]); got != r.national {
				t.Errorf("B leg Request-URI user %q, want national %q", got, r.national)
			}
			res.checkNoLeaks(t)
			checkCDR(t, e.lastCDR(byBindNum(r.x), 1), cdrWant{CallRelDirection: 1, CallerNum: alice.Number,
				FwdDstNum: r.callee.Number, BindNum: r.x, HasSubscription: true, Answered: true})
		})
	}
}
