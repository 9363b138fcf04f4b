package routing

import (
	"errors"
	"testing"
	"time"
)

const (
	xY1  Number = "+8617300000001" // AXYB X: A numA, both directions; numB already has relation on Y yY1
	xY2  Number = "+8617300000002" // AXYB X: A numA, direction 1 (only A→Y→B)
	xY3  Number = "+8617300000003" // AXYB X: A numC, direction 2 (only B→X→A)
	xY4  Number = "+8617300000004" // AXYB X: landline A numL1
	xY5  Number = "+8617300000005" // AXYB X: expired binding
	yY1  Number = "+8617300000011" // Y numbers of the app
	yY2  Number = "+8617300000012"
	yY3  Number = "+8617300000013"
	xYFz Number = "+8617300000009" // frozen app
	xYSu Number = "+8617300000008" // suspended X with a live binding
)

func axybFake() *modeFake {
	f := newModeFake(tnow)
	f.apps["y"] = App{Key: "y", Mode: ModeAXYB}
	f.apps["yfz"] = App{Key: "yfz", Mode: ModeAXYB, Frozen: true}
	for _, x := range []Number{xY1, xY2, xY3, xY4, xY5, yY1, yY2, yY3} {
		f.xs[x] = XNumber{Number: x, AppKey: "y"}
	}
	f.xs[xYFz] = XNumber{Number: xYFz, AppKey: "yfz"}
	f.xs[xYSu] = XNumber{Number: xYSu, AppKey: "y", Suspended: true}
	bind := func(id string, x, a Number, dir int, expires time.Time) {
		f.axyb[x] = AXYBBinding{ID: id, AppKey: "y", X: x, A: a, Direction: dir, Expires: expires,
			CallOptions: CallOptions{MaxDuration: 7, UserData: "ud-" + id}}
	}
	bind("y1", xY1, numA, 0, time.Time{})
	bind("y2", xY2, numA, 1, time.Time{})
	bind("y3", xY3, numC, 2, time.Time{})
	bind("y4", xY4, numL1, 0, time.Time{})
	bind("y5", xY5, numD, 0, tnow)
	bind("ysu", xYSu, numD, 0, time.Time{})
	f.axyb[xYFz] = AXYBBinding{ID: "yfz", AppKey: "yfz", X: xYFz, A: numA}
	rel := func(id, bid string, x, a, y, b Number, expires time.Time) {
		f.rels = append(f.rels, YRelation{ID: id, BindingID: bid, AppKey: "y", X: x, A: a, Y: y, B: b, Expires: expires})
	}
	rel("r1", "y1", xY1, numA, yY1, numB, time.Time{})
	rel("r2", "y2", xY2, numA, yY2, numB, time.Time{})
	rel("r3", "y3", xY3, numC, yY1, numB, time.Time{})
	rel("r4", "y4", xY4, numL1, yY1, numB, time.Time{})
	rel("r5", "y1", xY1, numA, yY3, numE, tnow) // expired
	f.freeY = []Number{yY1, yY2, yY3}
	return f
}

// SPEC §3 AXYB: B → X → A shown Y (allocated at the first call), A → Y → B
// shown X, 8032, 8030, 8031, callDirection, fixed-line A.
func TestDecideAXYB(t *testing.T) {
	tests := []struct {
		modeCase
		allocs int
	}{
		{modeCase{"B with relation reaches A shown Y", numB, KindMobile, xY1, nil, want{connect: true, callee: numA, display: yY1, sub: "y1"}}, 0},
		{modeCase{"new B gets a Y", numC, KindMobile, xY1, nil, want{connect: true, callee: numA, display: yY3, sub: "y1"}}, 1},
		{modeCase{"landline B gets a Y", numL4, KindFixed, xY1, nil, want{connect: true, callee: numA, display: yY3, sub: "y1"}}, 1},
		{modeCase{"B whose relation expired gets a new Y", numE, KindMobile, xY1, nil, want{connect: true, callee: numA, display: yY3, sub: "y1"}}, 1},
		{modeCase{"no free Y", numC, KindMobile, xY1, func(f *modeFake) { f.freeY = []Number{yY1} }, want{code: 8031, status: 500, sub: "y1"}}, 0},
		{modeCase{"A reaches B through Y shown X", numA, KindMobile, yY1, nil, want{connect: true, callee: numB, display: xY1, sub: "y1"}}, 0},
		{modeCase{"A dials own X", numA, KindMobile, xY1, nil, want{code: 8032, status: 403, sub: "y1", prompt: PromptNoPerm}}, 0},
		{modeCase{"A dials Y without relation", numA, KindMobile, yY3, nil, want{code: 8030, status: 403}}, 0},
		{modeCase{"A dials Y of an expired relation", numA, KindMobile, yY3, nil, want{code: 8030, status: 403}}, 0},
		{modeCase{"stranger dials a Y", numE, KindMobile, yY1, nil, want{code: 8014, status: 403}}, 0},
		{modeCase{"direction 1: B → X refused", numC, KindMobile, xY2, nil, want{code: 8016, status: 403, sub: "y2"}}, 0},
		{modeCase{"direction 1: A → Y allowed", numA, KindMobile, yY2, nil, want{connect: true, callee: numB, display: xY2, sub: "y2"}}, 0},
		{modeCase{"direction 2: A → Y refused", numC, KindMobile, yY1, nil, want{code: 8016, status: 403, sub: "y3"}}, 0},
		{modeCase{"direction 2: B → X allowed", numB, KindMobile, xY3, nil, want{connect: true, callee: numC, display: yY1, sub: "y3"}}, 0},
		{modeCase{"landline A dials own X", numL1, KindFixed, xY4, nil, want{code: 8023, status: 403, sub: "y4"}}, 0},
		{modeCase{"landline A dials Y", numL1, KindFixed, yY1, nil, want{code: 8023, status: 403, sub: "y4"}}, 0},
		{modeCase{"landline A dials Y without relation", numL1, KindFixed, yY3, nil, want{code: 8023, status: 403}}, 0},
		{modeCase{"B reaches landline A", numB, KindMobile, xY4, nil, want{connect: true, callee: numL1, display: yY1, sub: "y4"}}, 0},
		{modeCase{"expired binding", numB, KindMobile, xY5, nil, want{code: 8014, status: 403}}, 0},
		{modeCase{"binding gone before allocation", numC, KindMobile, xY1, func(f *modeFake) { f.effectErr = ErrBindingGone }, want{code: 8014, status: 403, sub: "y1"}}, 0},
		{modeCase{"allocation fails", numC, KindMobile, xY1, func(f *modeFake) { f.effectErr = errors.New("disk") }, want{code: 7102, status: 500, sub: "y1"}}, 0},
		{modeCase{"lookup error", numB, KindMobile, xY1, func(f *modeFake) { f.modeErr = errors.New("disk") }, want{code: 7102, status: 500}}, 0},
		{modeCase{"frozen app", numB, KindMobile, xYFz, nil, want{code: 7108, status: 403}}, 0},
		{modeCase{"suspended X", numB, KindMobile, xYSu, nil, want{code: 8055, status: 403}}, 0},
		{modeCase{"suspended Y", numA, KindMobile, yY1, func(f *modeFake) { f.xs[yY1] = XNumber{Number: yY1, AppKey: "y", Suspended: true} }, want{code: 8055, status: 403}}, 0},
		{modeCase{"caller is an X", yY2, KindMobile, xY1, nil, want{code: 8014, status: 482}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := axybFake()
			d := tt.decide(t, f)
			if d.ServiceType != "007" || f.allocs != tt.allocs {
				t.Errorf("serviceType %q, %d allocations, want %d", d.ServiceType, f.allocs, tt.allocs)
			}
			if tt.want.connect && (d.Y == "" || d.MaxDuration != 7*time.Minute || d.UserData != "ud-"+tt.want.sub) {
				t.Errorf("Y %v, options %+v", d.Y, d.Options)
			}
		})
	}
}

// The Y allocated by B's first call serves both directions afterwards.
func TestAXYBRoundTrip(t *testing.T) {
	f := axybFake()
	tab := NewTable(nil)
	first := Decide(Call{Caller: numC, CallerKind: KindMobile, Dialled: xY1}, f, tab, tnow)
	check(t, first, want{connect: true, callee: numA, display: yY3, sub: "y1"})
	again := Decide(Call{Caller: numC, CallerKind: KindMobile, Dialled: xY1}, f, tab, tnow)
	check(t, again, want{connect: true, callee: numA, display: yY3, sub: "y1"})
	back := Decide(Call{Caller: numA, CallerKind: KindMobile, Dialled: yY3}, f, tab, tnow)
	check(t, back, want{connect: true, callee: numC, display: xY1, sub: "y1"})
	if f.allocs != 1 {
		t.Fatalf("%d allocations", f.allocs)
	}
}
