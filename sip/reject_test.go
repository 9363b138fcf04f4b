package sip

import (
	"testing"

	"github.com/emiago/sipgo/sip"

	"github.com/xnum/xnum/cdr"
	"github.com/xnum/xnum/store"
)

// TestRejections: every refusal before the B leg, with its status, Q.850
// cause and CDR (SPEC §2, §2.1, §3, §4.2). B must see nothing.
func TestRejections(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// One-way binding (only A → B) and a binding whose A is a landline.
	for _, b := range []store.BindRequest{
		{AppKey: "demo", X: "+8617000000004", A: "+8613800000011", B: "+8613800000012", Direction: 1},
		{AppKey: "demo", X: "+8617000000005", A: "+8675512345678", B: "+8613800000013"},
	} {
		if _, err := e.st.BindAXB(b); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name              string
		o                 inviteOpt
		status, q850      int
		cause, dir        int
		app, bind, caller string
	}{
		{"stranger", inviteOpt{user: tX, from: tStranger}, 403, 21, 8014, cdr.DirRefused, "demo", tX, tStranger},
		{"unprovisioned number", inviteOpt{user: tUnprov, from: tA}, 404, 1, 8014, cdr.DirRefused, "", tUnprov, tA},
		{"dialled not a number", inviteOpt{user: "x-not-a-number", from: tA}, 404, 1, 8014, cdr.DirRefused, "", "", tA},
		{"X without binding", inviteOpt{user: tX2, from: tA}, 403, 21, 8014, cdr.DirRefused, "demo", tX2, tA},
		{"anonymous caller", inviteOpt{user: tX, from: "anonymous"}, 403, 21, 8014, cdr.DirRefused, "demo", tX, ""},
		{"forbidden direction", inviteOpt{user: "+8617000000004", from: "+8613800000012"}, 403, 21, 8016, cdr.DirRefused, "demo", "+8617000000004", "+8613800000012"},
		{"bound landline as caller", inviteOpt{user: "+8617000000005", from: "075512345678"}, 403, 21, 8023, cdr.DirRefused, "demo", "+8617000000005", "+8675512345678"},
		{"unbound landline", inviteOpt{user: tX, from: "01012345678"}, 403, 21, 8014, cdr.DirRefused, "demo", tX, "+861012345678"},
		{"X as caller", inviteOpt{user: tX, from: tX2}, 482, 25, 8014, cdr.DirRefused, "", tX, tX2},
		{"X as caller in PAI", inviteOpt{user: tX, from: tA, pai: "<sip:" + tX2 + "@pai.example>"}, 482, 25, 8014, cdr.DirRefused, "", tX, tX2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			c := e.invite(e.A, tc.o)
			r := finalOf(t, c.tx)
			if r.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", r.StatusCode, tc.status)
			}
			if q := reasonQ850(r); q != tc.q850 {
				t.Errorf("Reason Q.850 cause %d, want %d (%v)", q, tc.q850, r.GetHeader("Reason"))
			}
			rec := e.cdr()
			checkRecord(t, rec, cdr.Record{Direction: tc.dir, AppKey: tc.app, BindNum: tc.bind, CalleeNum: tc.bind,
				CallerNum: tc.caller, ULFailReason: tc.cause, SIPStatusCode: tc.status,
				CallRelDirection: cdr.RelPlatform, SPID: spidOf(tc.app), ServiceType: serviceOf(tc.app)})
			if rec.FailTime == "" || rec.CallInTime == "" || rec.FwdStartTime != "" {
				t.Errorf("CDR times: in %q fail %q fwdStart %q", rec.CallInTime, rec.FailTime, rec.FwdStartTime)
			}
		})
	}
	e.t = t
	if n := len(e.B.reqs); n != 0 {
		t.Errorf("B received %d requests for refused calls", n)
	}
	e.idle()
	if got := e.metric("xnum_sip_calls_total", map[string]string{"result": "rejected", "cause": "8014"}); got != 8 {
		t.Errorf("rejected/8014 metric = %v, want 8", got)
	}
}

func spidOf(app string) string {
	if app == "" {
		return ""
	}
	return "sp-demo"
}

func serviceOf(app string) string {
	if app == "" {
		return ""
	}
	return "004"
}

// TestTooManyHops: Max-Forwards 0 is refused with 483 before routing, and
// no CDR is written for it; otherwise B's Max-Forwards is A's less one.
func TestTooManyHops(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.invite(e.A, inviteOpt{user: tX, from: tA, maxFwd: -1})
	if r := finalOf(t, c.tx); r.StatusCode != 483 {
		t.Fatalf("status %d, want 483", r.StatusCode)
	}
	c = e.invite(e.A, inviteOpt{user: tX, from: tA, maxFwd: 10})
	in := e.B.expect(sip.INVITE)
	if mf := in.req.MaxForwards(); mf == nil || mf.Val() != 9 {
		t.Errorf("B leg Max-Forwards %v, want 9", mf)
	}
	e.B.respond(in, 486, "b", "")
	finalOf(t, c.tx)
	// The first CDR is the second call's: the 483 wrote none.
	if rec := e.cdr(); rec.SIPStatusCode != 486 {
		t.Errorf("first CDR has status %d, want the second call's 486", rec.SIPStatusCode)
	}
}

// TestCallerIdentity: SPEC §2.1. On a trusted source the PAI decides (a
// forged From is ignored); on an untrusted one, or with caller_source=from,
// only From counts.
func TestCallerIdentity(t *testing.T) {
	t.Parallel()
	paiA := "\"Alice\" <sip:" + tA + "@pai.a.example>, <tel:" + tA + ">"
	for _, tc := range []struct {
		name    string
		deps    func(*Deps)
		o       inviteOpt
		connect bool
		caller  string
	}{
		{"trusted PAI beats forged From", nil, inviteOpt{user: tX, from: tStranger, pai: paiA}, true, tA},
		{"trusted PAI as tel URI", nil, inviteOpt{user: tX, from: tStranger, pai: "<tel:" + tA + ">"}, true, tA},
		{"trusted, no PAI: From", nil, inviteOpt{user: tX, from: tA}, true, tA},
		{"trusted, anonymous PAI: From", nil, inviteOpt{user: tX, from: tA, pai: "<sip:anonymous@anonymous.invalid>"}, true, tA},
		{"untrusted source: PAI ignored", func(d *Deps) { d.Trunk.TrustedSources = []string{"10.0.0.0/8"} },
			inviteOpt{user: tX, from: tStranger, pai: paiA}, false, tStranger},
		{"caller_source=from: PAI ignored", func(d *Deps) { d.SIP.CallerSource = "from" },
			inviteOpt{user: tX, from: tStranger, pai: paiA}, false, tStranger},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, withDeps(func(d *Deps) {
				if tc.deps != nil {
					tc.deps(d)
				}
			}))
			c := e.invite(e.A, tc.o)
			if tc.connect {
				in := e.B.expect(sip.INVITE)
				e.B.respond(in, 486, "b", "")
				if r := finalOf(t, c.tx); r.StatusCode != 486 {
					t.Fatalf("status %d", r.StatusCode)
				}
			} else if r := finalOf(t, c.tx); r.StatusCode != 403 {
				t.Fatalf("status %d, want 403", r.StatusCode)
			}
			if rec := e.cdr(); rec.CallerNum != tc.caller {
				t.Errorf("CDR callerNum %q, want %q", rec.CallerNum, tc.caller)
			}
		})
	}
}

// TestNumberShapes: every shape of SPEC §2 reaches the same binding, and the
// B leg carries the callee in trunk.number_format.
func TestNumberShapes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, dialled, from, format, wantRURI string
	}{
		{"e164", tX, tA, "e164", tB},
		{"no plus", "8617000000000", "8613800000001", "e164", tB},
		{"international prefix", "008617000000000", "008613800000001", "e164", tB},
		{"national", "17000000000", "13800000001", "e164", tB},
		{"national trunk format", tX, tA, "national", "13800000002"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, withDeps(func(d *Deps) { d.Trunk.NumberFormat = tc.format }))
			c := e.invite(e.A, inviteOpt{user: tc.dialled, from: tc.from})
			in := e.B.expect(sip.INVITE)
			if in.req.Recipient.User != tc.wantRURI {
				t.Errorf("B Request-URI user %q, want %q", in.req.Recipient.User, tc.wantRURI)
			}
			e.B.respond(in, 486, "b", "")
			finalOf(t, c.tx)
			rec := e.cdr()
			if rec.CallerNum != tA || rec.BindNum != tX {
				t.Errorf("CDR caller %q bind %q", rec.CallerNum, rec.BindNum)
			}
		})
	}
}

// TestTelRequestURI: a tel: Request-URI names the X as well.
func TestTelRequestURI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.invite(e.A, inviteOpt{user: tX, from: tA, tel: true})
	in := e.B.expect(sip.INVITE)
	if in.req.Recipient.User != tB {
		t.Errorf("B Request-URI user %q", in.req.Recipient.User)
	}
	e.B.respond(in, 486, "b", "")
	if r := finalOf(t, c.tx); r.StatusCode != 486 {
		t.Fatalf("status %d", r.StatusCode)
	}
	if rec := e.cdr(); rec.BindNum != tX {
		t.Errorf("bindNum %q", rec.BindNum)
	}
}
