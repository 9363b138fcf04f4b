package routing

import (
	"errors"
	"testing"
	"time"
)

// fakeLookup is an in-memory stand-in for the store, enough for pure
// decisions: X numbers with their apps, and bindings by (X, party).
type fakeLookup struct {
	xs       map[Number]XNumber
	apps     map[string]App
	bindings []Binding
	err      error // returned by every call when set
}

func (f *fakeLookup) XNumber(n Number) (XNumber, App, bool, error) {
	if f.err != nil {
		return XNumber{}, App{}, false, f.err
	}
	x, ok := f.xs[n]
	if !ok {
		return XNumber{}, App{}, false, nil
	}
	return x, f.apps[x.AppKey], true, nil
}

func (f *fakeLookup) BindingByParty(x, n Number) (Binding, bool, error) {
	if f.err != nil {
		return Binding{}, false, f.err
	}
	for _, b := range f.bindings {
		if b.X == x && (b.A == n || b.B == n) {
			return b, true, nil
		}
	}
	return Binding{}, false, nil
}

// Numbers of the scenarios: mobiles A, B, C (stranger), landlines L1 (bound
// as A), L2 (bound as B), L3 (bound elsewhere), L4 (bound nowhere).
const (
	xAXB      Number = "+8617000000000"
	xOneWay   Number = "+8617000000001" // callDirection 1
	xOtherWay Number = "+8617000000002" // callDirection 2
	xExpired  Number = "+8617000000003"
	xFrozen   Number = "+8617000000004"
	xSusp     Number = "+8617000000005"
	xFixedA   Number = "+8617000000006" // landline as A
	xFixedB   Number = "+8617000000007" // landline as B
	xNotOurs  Number = "+8617000000099"

	numA  Number = "+8613800000001"
	numB  Number = "+8613800000002"
	numC  Number = "+8613800000003"
	numL1 Number = "+8675512345678"
	numL2 Number = "+861012345678"
	numL3 Number = "+862012345678"
	numL4 Number = "+8657112345678"
)

func newFake(now time.Time) *fakeLookup {
	f := &fakeLookup{
		xs: map[Number]XNumber{},
		apps: map[string]App{
			"live":   {Key: "live", Mode: ModeAXB},
			"frozen": {Key: "frozen", Mode: ModeAXB, Frozen: true},
		},
	}
	for _, x := range []Number{xAXB, xOneWay, xOtherWay, xExpired, xSusp, xFixedA, xFixedB} {
		f.xs[x] = XNumber{Number: x, AppKey: "live", Suspended: x == xSusp}
	}
	f.xs[xFrozen] = XNumber{Number: xFrozen, AppKey: "frozen"}
	bind := func(id string, x, a, b Number, dir int, expires time.Time) {
		f.bindings = append(f.bindings, Binding{ID: id, AppKey: "live", X: x, A: a, B: b,
			Direction: dir, MaxDuration: 30, Expires: expires})
	}
	bind("s-axb", xAXB, numA, numB, 0, time.Time{})
	bind("s-one", xOneWay, numA, numB, 1, time.Time{})
	bind("s-other", xOtherWay, numA, numB, 2, time.Time{})
	bind("s-exp", xExpired, numA, numB, 0, now)                 // expired exactly now
	bind("s-frozen", xFrozen, numA, numB, 0, time.Time{})       // on a frozen app
	bind("s-susp", xSusp, numA, numB, 0, time.Time{})           // on a suspended X
	bind("s-fixa", xFixedA, numL1, numB, 0, time.Time{})        // landline is A
	bind("s-fixb", xFixedB, numA, numL2, 0, time.Time{})        // landline is B
	bind("s-l3", xAXB, numL3, "+8613800000009", 0, time.Time{}) // L3 bound on xAXB
	return f
}

func TestDecideAXB(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	tab := NewTable(nil)
	type want struct {
		connect     bool
		callee      Number
		code        int // reported cause when refused
		status      int
		subscriptID string
	}
	tests := []struct {
		name    string
		caller  Number
		kind    Kind
		dialled Number
		err     error
		want    want
	}{
		{"A calls B", numA, KindMobile, xAXB, nil, want{true, numB, 0, 0, "s-axb"}},
		{"B calls A", numB, KindMobile, xAXB, nil, want{true, numA, 0, 0, "s-axb"}},
		{"stranger", numC, KindMobile, xAXB, nil, want{false, "", 8014, 403, ""}},
		{"expired binding", numA, KindMobile, xExpired, nil, want{false, "", 8014, 403, ""}},
		{"direction 1: A to B allowed", numA, KindMobile, xOneWay, nil, want{true, numB, 0, 0, "s-one"}},
		{"direction 1: B to A forbidden", numB, KindMobile, xOneWay, nil, want{false, "", 8016, 403, "s-one"}},
		{"direction 2: B to A allowed", numB, KindMobile, xOtherWay, nil, want{true, numA, 0, 0, "s-other"}},
		{"direction 2: A to B forbidden", numA, KindMobile, xOtherWay, nil, want{false, "", 8016, 403, "s-other"}},
		{"bound landline as A calls", numL1, KindFixed, xFixedA, nil, want{false, "", 8023, 403, "s-fixa"}},
		{"bound landline as B calls", numL2, KindFixed, xFixedB, nil, want{false, "", 8023, 403, "s-fixb"}},
		{"mobile B reaches landline A", numB, KindMobile, xFixedA, nil, want{true, numL1, 0, 0, "s-fixa"}},
		{"mobile A reaches landline B", numA, KindMobile, xFixedB, nil, want{true, numL2, 0, 0, "s-fixb"}},
		{"landline bound on another X", numL3, KindFixed, xFixedA, nil, want{false, "", 8014, 403, ""}},
		{"landline bound nowhere", numL4, KindFixed, xAXB, nil, want{false, "", 8014, 403, ""}},
		{"landline A of xFixedA calls xAXB", numL1, KindFixed, xAXB, nil, want{false, "", 8014, 403, ""}},
		{"unprovisioned number", numA, KindMobile, xNotOurs, nil, want{false, "", 8014, 404, ""}},
		{"invalid dialled number", numA, KindMobile, "", nil, want{false, "", 8014, 404, ""}},
		{"frozen app", numA, KindMobile, xFrozen, nil, want{false, "", 7108, 403, ""}},
		{"suspended X", numA, KindMobile, xSusp, nil, want{false, "", 8055, 403, ""}},
		{"empty caller", "", KindInvalid, xAXB, nil, want{false, "", 8014, 403, ""}},
		{"caller is one of our X", xOneWay, KindMobile, xAXB, nil, want{false, "", 8014, 482, ""}},
		{"store error", numA, KindMobile, xAXB, errors.New("disk on fire"), want{false, "", 7102, 500, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(now)
			f.err = tt.err
			d := Decide(Call{Caller: tt.caller, CallerKind: tt.kind, Dialled: tt.dialled}, f, tab, now)
			if d.Connect != tt.want.connect {
				t.Fatalf("Connect = %v, want %v (release %+v)", d.Connect, tt.want.connect, d.Release)
			}
			if d.Binding.ID != tt.want.subscriptID {
				t.Errorf("binding = %q, want %q", d.Binding.ID, tt.want.subscriptID)
			}
			if tt.want.connect {
				if d.Callee != tt.want.callee || d.Display != tt.dialled {
					t.Errorf("callee %v shown %v, want %v shown %v", d.Callee, d.Display, tt.want.callee, tt.dialled)
				}
				if d.Direction != 0 || d.ServiceType != "004" || d.MaxDuration != 30*time.Minute {
					t.Errorf("direction %d serviceType %q maxDuration %v", d.Direction, d.ServiceType, d.MaxDuration)
				}
				return
			}
			if d.Release.Code() != tt.want.code || d.Release.SIPStatus != tt.want.status {
				t.Errorf("release = %d/%d, want %d/%d", d.Release.Code(), d.Release.SIPStatus, tt.want.code, tt.want.status)
			}
			if d.Direction != 2 || d.Callee != "" {
				t.Errorf("refused call has direction %d callee %v", d.Direction, d.Callee)
			}
		})
	}
}

// TestDecideExpiry checks the expiry boundary: a binding routes until the
// instant it expires, and not from then on (SPEC §3: lookups check expiry).
func TestDecideExpiry(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	tab := NewTable(nil)
	f := newFake(now)
	call := Call{Caller: numA, CallerKind: KindMobile, Dialled: xExpired}
	if d := Decide(call, f, tab, now.Add(-time.Nanosecond)); !d.Connect {
		t.Errorf("binding refused before its expiry: %+v", d.Release)
	}
	if d := Decide(call, f, tab, now.Add(time.Hour)); d.Connect {
		t.Error("binding routed after its expiry")
	}
}

// TestDecideLookupWithoutModes: a Lookup that lacks a mode's lookups (the
// AXB-only contract) refuses that mode's calls as a platform fault, keeping
// the app and serviceType for the CDR.
func TestDecideLookupWithoutModes(t *testing.T) {
	now := time.Now()
	for mode, st := range map[Mode]string{ModeAX: "003", ModeAXE: "005", ModeAXYB: "007"} {
		f := newFake(now)
		f.apps["live"] = App{Key: "live", Mode: mode}
		d := Decide(Call{Caller: numA, CallerKind: KindMobile, Dialled: xAXB}, f, NewTable(nil), now)
		if d.Connect || d.Release.Code() != 7102 || d.ServiceType != st || d.App.Key != "live" {
			t.Errorf("%s app decision = %+v", mode, d)
		}
	}
}
