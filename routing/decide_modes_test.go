package routing

import (
	"errors"
	"testing"
	"time"
)

var tnow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// Numbers of the mode scenarios (the AXB ones are in decide_test.go).
const (
	xAX1   Number = "+8617100000001" // AX: A = numA, temporary callee numC
	xAX2   Number = "+8617100000002" // AX: landline A numL1
	xAX3   Number = "+8617100000003" // AX: no binding
	xAX4   Number = "+8617100000004" // AX: expired binding
	xAXFz  Number = "+8617100000005" // AX, frozen app
	xAXSus Number = "+8617100000006" // AX, suspended
	numD   Number = "+8613800000004"
	numE   Number = "+8613800000005"
)

// want is what a decision must be: connect to callee shown display with
// CDR direction dir, or refused with code/status (and prompt when set).
type want struct {
	connect bool
	callee  Number
	display Number
	dir     int
	code    int
	status  int
	sub     string
	prompt  string
}

// modeCase is one row of a mode's table test: a call of caller (of kind)
// to dialled, after setup (when set) edits the fixture.
type modeCase struct {
	name    string
	caller  Number
	kind    Kind
	dialled Number
	setup   func(*modeFake)
	want    want
}

// decide runs the row's call on f and checks the decision against want.
func (c modeCase) decide(t *testing.T, f *modeFake) Decision {
	t.Helper()
	if c.setup != nil {
		c.setup(f)
	}
	d := Decide(Call{Caller: c.caller, CallerKind: c.kind, Dialled: c.dialled}, f, NewTable(nil), tnow)
	check(t, d, c.want)
	return d
}

func check(t *testing.T, d Decision, w want) {
	t.Helper()
	if d.Connect != w.connect {
		t.Fatalf("Connect = %v, want %v (release %+v, next %d)", d.Connect, w.connect, d.Release, d.Next)
	}
	if d.SubscriptionID != w.sub {
		t.Errorf("subscriptionId = %q, want %q", d.SubscriptionID, w.sub)
	}
	if w.connect {
		if d.Callee != w.callee || d.Display != w.display || d.Direction != w.dir || d.Next != StepNone {
			t.Errorf("callee %v shown %v dir %d next %d; want %v shown %v dir %d",
				d.Callee, d.Display, d.Direction, d.Next, w.callee, w.display, w.dir)
		}
		return
	}
	if d.Release.Code() != w.code || d.Release.SIPStatus != w.status {
		t.Errorf("release %d/%d, want %d/%d", d.Release.Code(), d.Release.SIPStatus, w.code, w.status)
	}
	if w.prompt != "" && d.Release.Prompt != w.prompt {
		t.Errorf("prompt %q, want %q", d.Release.Prompt, w.prompt)
	}
	if d.Callee != "" || d.Display != "" || (d.Next == StepNone && d.Direction != 2) {
		t.Errorf("refused call: callee %v display %v direction %d", d.Callee, d.Display, d.Direction)
	}
}

func axFake() *modeFake {
	f := newModeFake(tnow)
	f.apps["ax"] = App{Key: "ax", Mode: ModeAX}
	f.apps["axfz"] = App{Key: "axfz", Mode: ModeAX, Frozen: true}
	for _, x := range []Number{xAX1, xAX2, xAX3, xAX4, xAXSus} {
		f.xs[x] = XNumber{Number: x, AppKey: "ax", Suspended: x == xAXSus}
	}
	f.xs[xAXFz] = XNumber{Number: xAXFz, AppKey: "axfz"}
	opts := CallOptions{MaxDuration: 20, UserData: "ud", PreVoice: PreVoice{CallerHintTone: "hint"}}
	f.ax[xAX1] = AXBinding{ID: "ax1", AppKey: "ax", X: xAX1, A: numA, CallOptions: opts}
	f.ax[xAX2] = AXBinding{ID: "ax2", AppKey: "ax", X: xAX2, A: numL1}
	f.ax[xAX4] = AXBinding{ID: "ax4", AppKey: "ax", X: xAX4, A: numA, Expires: tnow}
	f.ax[xAXFz] = AXBinding{ID: "axfz", AppKey: "axfz", X: xAXFz, A: numA}
	f.ax[xAXSus] = AXBinding{ID: "axsus", AppKey: "ax", X: xAXSus, A: numA}
	f.temps[xAX1] = TempCallee{SubscriptionID: "ax1", X: xAX1, Callee: numC, Expires: tnow.Add(time.Second)}
	f.temps[xAX2] = TempCallee{SubscriptionID: "ax2", X: xAX2, Callee: numC, Expires: tnow.Add(time.Second)}
	return f
}

// SPEC §3 AX: anyone → X → A; A → X → temporary callee, once; none → 8013.
func TestDecideAX(t *testing.T) {
	tests := []modeCase{
		{"stranger reaches A", numB, KindMobile, xAX1, nil, want{connect: true, callee: numA, display: xAX1, dir: 0, sub: "ax1"}},
		{"landline stranger reaches A", numL4, KindFixed, xAX1, nil, want{connect: true, callee: numA, display: xAX1, dir: 0, sub: "ax1"}},
		{"A reaches temporary callee", numA, KindMobile, xAX1, nil, want{connect: true, callee: numC, display: xAX1, dir: 1, sub: "ax1"}},
		{"A without temporary callee", numA, KindMobile, xAX1, func(f *modeFake) { delete(f.temps, xAX1) }, want{code: 8013, status: 403, sub: "ax1"}},
		{"temporary callee expired", numA, KindMobile, xAX1, func(f *modeFake) {
			tc := f.temps[xAX1]
			tc.Expires = tnow
			f.temps[xAX1] = tc
		}, want{code: 8013, status: 403, sub: "ax1"}},
		{"temporary callee of another binding", numA, KindMobile, xAX1, func(f *modeFake) {
			tc := f.temps[xAX1]
			tc.SubscriptionID = "old"
			f.temps[xAX1] = tc
		}, want{code: 8013, status: 403, sub: "ax1"}},
		{"bound landline A calls", numL1, KindFixed, xAX2, nil, want{code: 8023, status: 403, sub: "ax2", prompt: PromptFixedCaller}},
		{"X without binding", numB, KindMobile, xAX3, nil, want{code: 8014, status: 403, prompt: PromptNoBinding}},
		{"expired binding", numB, KindMobile, xAX4, nil, want{code: 8014, status: 403}},
		{"frozen app", numB, KindMobile, xAXFz, nil, want{code: 7108, status: 403}},
		{"suspended X", numB, KindMobile, xAXSus, nil, want{code: 8055, status: 403}},
		{"caller is an X", xAX3, KindMobile, xAX1, nil, want{code: 8014, status: 482}},
		{"anonymous caller", "", KindInvalid, xAX1, nil, want{code: 8014, status: 403}},
		{"lookup error", numB, KindMobile, xAX1, func(f *modeFake) { f.modeErr = errors.New("disk") }, want{code: 7102, status: 500}},
		{"take error", numA, KindMobile, xAX1, func(f *modeFake) { f.effectErr = errors.New("disk") }, want{code: 7102, status: 500, sub: "ax1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.decide(t, axFake())
			if d.ServiceType != "003" {
				t.Errorf("serviceType %q", d.ServiceType)
			}
			if tt.want.connect && tt.want.sub == "ax1" {
				if d.MaxDuration != 20*time.Minute || d.UserData != "ud" || d.Options.PreVoice.CallerHintTone != "hint" {
					t.Errorf("options not carried: %+v", d)
				}
			}
		})
	}
}

// The temporary callee serves one call: the second call of A is 8013.
func TestDecideAXTempCalleeOnce(t *testing.T) {
	f := axFake()
	call := Call{Caller: numA, CallerKind: KindMobile, Dialled: xAX1}
	check(t, Decide(call, f, NewTable(nil), tnow), want{connect: true, callee: numC, display: xAX1, dir: 1, sub: "ax1"})
	check(t, Decide(call, f, NewTable(nil), tnow), want{code: 8013, status: 403, sub: "ax1"})
	// A stranger's call consumes nothing.
	f = axFake()
	Decide(Call{Caller: numB, CallerKind: KindMobile, Dialled: xAX1}, f, NewTable(nil), tnow)
	if _, ok := f.temps[xAX1]; !ok {
		t.Fatal("a stranger's call consumed the temporary callee")
	}
}
