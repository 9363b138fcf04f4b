package routing

import (
	"errors"
	"testing"
	"time"
)

const (
	xX1  Number = "+8617400000001"
	xXFz Number = "+8617400000002"
)

func xFake() *modeFake {
	f := newModeFake(tnow)
	f.apps["xm"] = App{Key: "xm", Mode: ModeX, CallinURL: "http://127.0.0.1/callin"}
	f.apps["xfz"] = App{Key: "xfz", Mode: ModeX, Frozen: true}
	f.xs[xX1] = XNumber{Number: xX1, AppKey: "xm"}
	f.xs[xXFz] = XNumber{Number: xXFz, AppKey: "xfz"}
	return f
}

// SPEC §3 X mode: every call asks the enterprise first.
func TestDecideXFirstStep(t *testing.T) {
	f := xFake()
	tab := NewTable(nil)
	d := Decide(Call{Caller: numA, CallerKind: KindMobile, Dialled: xX1}, f, tab, tnow)
	if d.Next != StepCallin || d.Connect || d.App.CallinURL == "" || d.ServiceType != "004" || d.Direction != 1 {
		t.Fatalf("first step %+v", d)
	}
	// The fallback release of the step is 8014 (no answer).
	if d.Release.Code() != 8014 || d.Release.SIPStatus != 403 {
		t.Fatalf("fallback %+v", d.Release)
	}
	// A landline caller is asked about too: X mode binds nobody.
	if d := Decide(Call{Caller: numL1, CallerKind: KindFixed, Dialled: xX1}, f, tab, tnow); d.Next != StepCallin {
		t.Fatalf("landline: %+v", d)
	}
	check(t, Decide(Call{Caller: numA, CallerKind: KindMobile, Dialled: xXFz}, f, tab, tnow), want{code: 7108, status: 403})
	f.xs[xX1] = XNumber{Number: xX1, AppKey: "xm", Suspended: true}
	check(t, Decide(Call{Caller: numA, CallerKind: KindMobile, Dialled: xX1}, f, tab, tnow), want{code: 8055, status: 403})
	f.xs[xX1] = XNumber{Number: xX1, AppKey: "xm"}
	check(t, Decide(Call{Caller: xX1, CallerKind: KindMobile, Dialled: xX1}, f, tab, tnow), want{code: 8014, status: 482})
}

// SPEC §3 X mode, the enterprise's answer: connect, close, late, non-2xx,
// malformed; callee rules of SPEC §2; displayCalleeNum; maxDuration.
func TestDecideXMode(t *testing.T) {
	ok := func(body string) CallinResult { return CallinResult{Status: 200, Body: []byte(body)} }
	tests := []struct {
		name   string
		r      CallinResult
		want   want
		maxDur time.Duration
	}{
		{"connect", ok(`{"operation":"connect","connectInfo":{"calleeNum":"+8613800000002"}}`),
			want{connect: true, callee: numB, display: xX1, dir: 1}, 0},
		{"connect national, display X, maxDuration", ok(`{"operation":"connect","connectInfo":{"calleeNum":"13800000002","displayCalleeNum":"17400000001","maxDuration":15}}`),
			want{connect: true, callee: numB, display: xX1, dir: 1}, 15 * time.Minute},
		{"connect to a landline, 204", CallinResult{Status: 204, Body: []byte(`{"operation":"connect","connectInfo":{"calleeNum":"075512345678"}}`)},
			want{connect: true, callee: numL1, display: xX1, dir: 1}, 0},
		{"extra fields ignored", ok(`{"operation":"connect","connectInfo":{"calleeNum":"+8613800000002","x":1},"y":[]}`),
			want{connect: true, callee: numB, display: xX1, dir: 1}, 0},
		{"close", ok(`{"operation":"close"}`), want{code: 8017, status: 480}, 0},
		{"no answer in time", CallinResult{Err: errors.New("timeout")}, want{code: 8014, status: 403}, 0},
		{"non-2xx", CallinResult{Status: 500, Body: []byte(`{"operation":"close"}`)}, want{code: 8014, status: 403}, 0},
		{"3xx", CallinResult{Status: 302}, want{code: 8014, status: 403}, 0},
		{"garbage", ok(`<html>`), want{code: 8014, status: 403}, 0},
		{"empty body", ok(``), want{code: 8014, status: 403}, 0},
		{"two objects", ok(`{"operation":"close"}{"operation":"close"}`), want{code: 8014, status: 403}, 0},
		{"unknown operation", ok(`{"operation":"transfer"}`), want{code: 8014, status: 403}, 0},
		{"connect without info", ok(`{"operation":"connect"}`), want{code: 8014, status: 403}, 0},
		{"connect without callee", ok(`{"operation":"connect","connectInfo":{}}`), want{code: 8014, status: 403}, 0},
		{"callee not a number", ok(`{"operation":"connect","connectInfo":{"calleeNum":"abc"}}`), want{code: 8014, status: 403}, 0},
		{"callee with CRLF", ok(`{"operation":"connect","connectInfo":{"calleeNum":"+8613800000002\r\nX: y"}}`), want{code: 8014, status: 403}, 0},
		{"callee foreign", ok(`{"operation":"connect","connectInfo":{"calleeNum":"+14155550100"}}`), want{code: 8014, status: 403}, 0},
		{"callee a service number", ok(`{"operation":"connect","connectInfo":{"calleeNum":"4001234567"}}`), want{code: 8014, status: 403}, 0},
		{"callee is an X", ok(`{"operation":"connect","connectInfo":{"calleeNum":"+8617400000002"}}`), want{code: 8014, status: 403}, 0},
		{"display another number", ok(`{"operation":"connect","connectInfo":{"calleeNum":"+8613800000002","displayCalleeNum":"+8613800000001"}}`), want{code: 8014, status: 403}, 0},
		{"display garbage", ok(`{"operation":"connect","connectInfo":{"calleeNum":"+8613800000002","displayCalleeNum":"x"}}`), want{code: 8014, status: 403}, 0},
		{"maxDuration too long", ok(`{"operation":"connect","connectInfo":{"calleeNum":"+8613800000002","maxDuration":1441}}`), want{code: 8014, status: 403}, 0},
		{"maxDuration negative", ok(`{"operation":"connect","connectInfo":{"calleeNum":"+8613800000002","maxDuration":-1}}`), want{code: 8014, status: 403}, 0},
		{"maxDuration a string", ok(`{"operation":"connect","connectInfo":{"calleeNum":"+8613800000002","maxDuration":"5"}}`), want{code: 8014, status: 403}, 0},
	}
	plan, err := NewPlan(DefaultPlanConfig())
	if err != nil {
		t.Fatal(err)
	}
	tab := NewTable(nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := xFake()
			first := Decide(Call{Caller: numA, CallerKind: KindMobile, Dialled: xX1}, f, tab, tnow)
			d := DecideXMode(first, tt.r, plan, f, tab)
			check(t, d, tt.want)
			if d.MaxDuration != tt.maxDur {
				t.Errorf("maxDuration %v, want %v", d.MaxDuration, tt.maxDur)
			}
		})
	}
	// A store failure checking the callee is a platform fault.
	f := xFake()
	first := Decide(Call{Caller: numA, CallerKind: KindMobile, Dialled: xX1}, f, tab, tnow)
	f.err = errors.New("disk")
	check(t, DecideXMode(first, ok(`{"operation":"connect","connectInfo":{"calleeNum":"+8613800000002"}}`), plan, f, tab),
		want{code: 7102, status: 500})
	// A decision that is not waiting for an answer is left alone.
	final := first.reject(tab, CauseAppFrozen)
	if d := DecideXMode(final, ok(`{"operation":"close"}`), plan, f, tab); d.Release.Code() != 7108 {
		t.Fatalf("changed a final decision: %+v", d.Release)
	}
}

func FuzzParseCallinAnswer(f *testing.F) {
	f.Add([]byte(`{"operation":"connect","connectInfo":{"calleeNum":"+8613800000002","maxDuration":5}}`))
	f.Add([]byte(`{"operation":"close"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := ParseCallinAnswer(body)
		if err != nil {
			return
		}
		switch a.Operation {
		case "close":
		case "connect":
			if a.ConnectInfo == nil || a.ConnectInfo.CalleeNum == "" {
				t.Fatalf("connect accepted without callee: %q", body)
			}
			if m := a.ConnectInfo.MaxDuration; m != nil && (*m < 0 || *m > 1440) {
				t.Fatalf("maxDuration %d accepted", *m)
			}
		default:
			t.Fatalf("operation %q accepted", a.Operation)
		}
	})
}
