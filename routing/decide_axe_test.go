package routing

import (
	"errors"
	"testing"
	"time"
)

const (
	xE1  Number = "+8617200000001" // AXE: ext 11 → numA (callback record numD), 22 → numB (callbackNum numE), 33 → numL1, 44 expired
	xE2  Number = "+8617200000002" // AXE: no binding at all
	xE3  Number = "+8617200000003" // AXE: only an expired binding
	xEFz Number = "+8617200000004" // AXE, frozen app
	xESu Number = "+8617200000005" // AXE, suspended X with a live binding
)

func axeFake() *modeFake {
	f := newModeFake(tnow)
	f.apps["axe"] = App{Key: "axe", Mode: ModeAXE, ExtLen: 2, AnswerBeforeCollect: true}
	f.apps["axefz"] = App{Key: "axefz", Mode: ModeAXE, ExtLen: 2, Frozen: true}
	for _, x := range []Number{xE1, xE2, xE3} {
		f.xs[x] = XNumber{Number: x, AppKey: "axe"}
	}
	f.xs[xEFz] = XNumber{Number: xEFz, AppKey: "axefz"}
	f.xs[xESu] = XNumber{Number: xESu, AppKey: "axe", Suspended: true}
	f.axe = []AXEBinding{
		{ID: "e11", AppKey: "axe", X: xE1, A: numA, Ext: "11", CallbackTone: "tone_a", CallbackExpiredTime: 30,
			TimeUnit: TimeUnitMinutes, CallOptions: CallOptions{MaxDuration: 5, UserData: "ud11"}},
		{ID: "e22", AppKey: "axe", X: xE1, A: numB, Ext: "22", CallbackNum: numE},
		{ID: "e33", AppKey: "axe", X: xE1, A: numL1, Ext: "33"},
		{ID: "e44", AppKey: "axe", X: xE1, A: numC, Ext: "44", Expires: tnow},
		{ID: "e55", AppKey: "axe", X: xE3, A: numA, Ext: "55", Expires: tnow.Add(-time.Hour)},
		{ID: "efz", AppKey: "axefz", X: xEFz, A: numA, Ext: "11"},
		{ID: "esu", AppKey: "axe", X: xESu, A: numA, Ext: "11"},
	}
	f.callbacks["e11"] = Callback{SubscriptionID: "e11", X: xE1, Ext: "11", Caller: numD, Expires: tnow.Add(time.Minute)}
	return f
}

// SPEC §3 AXE, first step: a caller other than a bound A is asked for an
// extension; a bound A is called back.
func TestDecideAXE(t *testing.T) {
	tests := []struct {
		modeCase
		collect bool
	}{
		{modeCase{"stranger: collect", numC, KindMobile, xE1, nil, want{code: 8033, status: 403}}, true},
		{modeCase{"landline stranger: collect", numL4, KindFixed, xE1, nil, want{code: 8033, status: 403}}, true},
		{modeCase{"A of an expired binding: collect", numC, KindMobile, xE1, nil, want{code: 8033, status: 403}}, true},
		{modeCase{"A: last caller", numA, KindMobile, xE1, nil, want{connect: true, callee: numD, display: xE1, dir: 1, sub: "e11"}}, false},
		{modeCase{"A: record expired, callbackTone", numA, KindMobile, xE1, func(f *modeFake) {
			cb := f.callbacks["e11"]
			cb.Expires = tnow
			f.callbacks["e11"] = cb
		}, want{code: 8019, status: 403, sub: "e11", prompt: "tone_a"}}, false},
		{modeCase{"A: no record, callbackNum", numB, KindMobile, xE1, nil, want{connect: true, callee: numE, display: xE1, dir: 1, sub: "e22"}}, false},
		{modeCase{"A: no record, nothing set", numA, KindMobile, xE1, func(f *modeFake) {
			delete(f.callbacks, "e11")
			f.axe[0].CallbackTone = ""
		}, want{code: 8019, status: 403, sub: "e11", prompt: PromptNoBinding}}, false},
		{modeCase{"bound landline A calls", numL1, KindFixed, xE1, nil, want{code: 8023, status: 403, sub: "e33", prompt: PromptFixedCaller}}, false},
		{modeCase{"X without any binding", numC, KindMobile, xE2, nil, want{code: 8025, status: 403}}, false},
		{modeCase{"X with only an expired binding", numA, KindMobile, xE3, nil, want{code: 8025, status: 403}}, false},
		{modeCase{"frozen app", numC, KindMobile, xEFz, nil, want{code: 7108, status: 403}}, false},
		{modeCase{"suspended X", numC, KindMobile, xESu, nil, want{code: 8055, status: 403}}, false},
		{modeCase{"caller is an X", xE2, KindMobile, xE1, nil, want{code: 8014, status: 482}}, false},
		{modeCase{"lookup error", numC, KindMobile, xE1, func(f *modeFake) { f.modeErr = errors.New("disk") }, want{code: 7102, status: 500}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := axeFake()
			d := tt.decide(t, f)
			if d.ServiceType != "005" {
				t.Errorf("serviceType %q", d.ServiceType)
			}
			if got := d.Next == StepCollect; got != tt.collect {
				t.Fatalf("Next = %d, collect %v", d.Next, tt.collect)
			}
			if tt.collect && d.Collect != (Collect{Digits: 2, AnswerFirst: true, Prompt: PromptEnterExt}) {
				t.Errorf("collect %+v", d.Collect)
			}
			if tt.want.connect && d.ExtendNumber == "" {
				t.Error("callback without extendNumber")
			}
			if len(f.puts) != 0 {
				t.Error("Decide wrote a callback record")
			}
		})
	}
}

// SPEC §3 AXE, second step: the digits decide.
func TestDecideExtension(t *testing.T) {
	tests := []struct {
		name   string
		digits string
		setup  func(*modeFake)
		want   want
	}{
		{"right extension", "11", nil, want{connect: true, callee: numA, display: xE1, dir: 0, sub: "e11"}},
		{"landline A reached", "33", nil, want{connect: true, callee: numL1, display: xE1, dir: 0, sub: "e33"}},
		{"no digit", "", nil, want{code: 8033, status: 403, prompt: PromptInvalidExt}},
		{"unknown extension", "99", nil, want{code: 8022, status: 403, prompt: PromptInvalidExt}},
		{"expired extension", "44", nil, want{code: 8022, status: 403}},
		{"too few digits", "1", nil, want{code: 8022, status: 403}},
		{"too many digits", "111", nil, want{code: 8022, status: 403}},
		{"not digits", "1#", nil, want{code: 8022, status: 403}},
		{"binding gone before the record", "11", func(f *modeFake) { f.effectErr = ErrBindingGone }, want{code: 8022, status: 403, sub: "e11"}},
		{"store fails writing the record", "11", func(f *modeFake) { f.effectErr = errors.New("disk") }, want{code: 7102, status: 500, sub: "e11"}},
		{"lookup error", "11", func(f *modeFake) { f.modeErr = errors.New("disk") }, want{code: 7102, status: 500}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := axeFake()
			tab := NewTable(nil)
			first := Decide(Call{Caller: numC, CallerKind: KindMobile, Dialled: xE1}, f, tab, tnow)
			if first.Next != StepCollect {
				t.Fatalf("first step %+v", first)
			}
			if tt.setup != nil {
				tt.setup(f)
			}
			d := DecideExtension(first, tt.digits, f, tab, tnow)
			check(t, d, tt.want)
			if !tt.want.connect {
				return
			}
			if d.ExtendNumber != tt.digits {
				t.Errorf("extendNumber %q", d.ExtendNumber)
			}
			if len(f.puts) != 1 || f.puts[0].Caller != numC || f.puts[0].SubscriptionID != tt.want.sub || !f.puts[0].At.Equal(tnow) {
				t.Fatalf("callback records written: %+v", f.puts)
			}
			if tt.want.sub == "e11" && (d.UserData != "ud11" || d.MaxDuration != 5*time.Minute ||
				!f.puts[0].Expires.Equal(tnow.Add(30*time.Minute))) {
				t.Errorf("options or record expiry: %+v %+v", d, f.puts[0])
			}
		})
	}
}

// The callback record written by one call serves A's next call.
func TestAXECallbackRoundTrip(t *testing.T) {
	f := axeFake()
	tab := NewTable(nil)
	first := Decide(Call{Caller: numC, CallerKind: KindMobile, Dialled: xE1}, f, tab, tnow)
	check(t, DecideExtension(first, "22", f, tab, tnow), want{connect: true, callee: numB, display: xE1, sub: "e22"})
	back := Decide(Call{Caller: numB, CallerKind: KindMobile, Dialled: xE1}, f, tab, tnow.Add(time.Hour))
	check(t, back, want{connect: true, callee: numC, display: xE1, dir: 1, sub: "e22"})
	// A decision that is not collecting is left alone.
	if d := DecideExtension(back, "22", f, tab, tnow); d.Callee != numC || len(f.puts) != 1 {
		t.Fatalf("DecideExtension changed a final decision: %+v", d)
	}
	// An app without extLen collects the default four digits.
	f.apps["axe"] = App{Key: "axe", Mode: ModeAXE}
	if d := Decide(Call{Caller: numC, CallerKind: KindMobile, Dialled: xE1}, f, tab, tnow); d.Collect.Digits != 4 || d.Collect.AnswerFirst {
		t.Fatalf("default collect %+v", d.Collect)
	}
}
