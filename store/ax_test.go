package store

import (
	"errors"
	"testing"
	"time"

	"github.com/xnum/xnum/routing"
)

// axRoutes asserts what AXBinding answers for x: the live binding wantID, or
// none ("").
func axRoutes(t testing.TB, s *Store, x routing.Number, now time.Time, wantID string) {
	t.Helper()
	b, ok, err := s.AXBinding(x)
	if err != nil {
		t.Fatal(err)
	}
	live := ok && !b.Expired(now)
	if (wantID == "") == live || (live && b.ID != wantID) {
		t.Fatalf("AXBinding(%s) = %q live=%v, want %q", x.Masked(), b.ID, live, wantID)
	}
}

// SPEC §3: one X one A (1011005), one A at most 5 X (1011003), X of another
// app (1011001), no free X (1011002).
func TestBindAXRules(t *testing.T) {
	s, c := openTest(t, Options{})
	seedModeApp(t, s, "ax", routing.ModeAX, 0, "0755", xrange(1, 7)...)
	seedModeApp(t, s, "other", routing.ModeAX, 0, "010", xnum(20))
	seedModeApp(t, s, "axb", routing.ModeAXB, 0, "010", xnum(30))

	b := mustBindAX(t, s, AXBindRequest{AppKey: "ax", XChoice: XChoice{X: xnum(1)}, A: num(1),
		CallOptions: routing.CallOptions{MaxDuration: 30, UserData: "u"}})
	if b.X != xnum(1) || b.A != num(1) || b.ID == "" || !b.Created.Equal(c.Now()) || !b.Expires.IsZero() || b.MaxDuration != 30 {
		t.Fatalf("bound %+v", b)
	}
	axRoutes(t, s, xnum(1), c.Now(), b.ID)
	for name, tc := range map[string]struct {
		r    AXBindRequest
		want error
	}{
		"x has an a":        {AXBindRequest{AppKey: "ax", XChoice: XChoice{X: xnum(1)}, A: num(2)}, ErrXHasA},
		"same a same x":     {AXBindRequest{AppKey: "ax", XChoice: XChoice{X: xnum(1)}, A: num(1)}, ErrXHasA},
		"x of another app":  {AXBindRequest{AppKey: "ax", XChoice: XChoice{X: xnum(20)}, A: num(2)}, ErrXNotInApp},
		"no x at all":       {AXBindRequest{AppKey: "ax", XChoice: XChoice{X: xnum(99)}, A: num(2)}, ErrXNotInApp},
		"a is an x":         {AXBindRequest{AppKey: "ax", A: xnum(20)}, ErrPartyIsX},
		"bad a":             {AXBindRequest{AppKey: "ax", A: "13800000001"}, ErrInvalidArgument},
		"negative duration": {AXBindRequest{AppKey: "ax", A: num(2), Duration: -1}, ErrInvalidArgument},
		"bad match mode":    {AXBindRequest{AppKey: "ax", A: num(2), XChoice: XChoice{AreaCode: "0755", AreaMatchMode: 3}}, ErrInvalidArgument},
		"strict other area": {AXBindRequest{AppKey: "ax", A: num(2), XChoice: XChoice{AreaCode: "021"}}, ErrNoFreeXInArea},
		"wrong mode":        {AXBindRequest{AppKey: "axb", A: num(2)}, ErrWrongMode},
		"unknown app":       {AXBindRequest{AppKey: "nope", A: num(2)}, ErrAppNotFound},
		"negative max dur.": {AXBindRequest{AppKey: "ax", A: num(2), CallOptions: routing.CallOptions{MaxDuration: -1}}, ErrInvalidArgument},
	} {
		_, err := s.BindAX(tc.r)
		wantErr(t, name, err, tc.want)
	}
	// A takes four more X numbers (the lowest free first), then no more.
	for i := 2; i <= 5; i++ {
		if b := mustBindAX(t, s, AXBindRequest{AppKey: "ax", A: num(1)}); b.X != xnum(i) {
			t.Fatalf("picked %s, want %s", b.X.Masked(), xnum(i).Masked())
		}
	}
	_, err := s.BindAX(AXBindRequest{AppKey: "ax", A: num(1)})
	wantErr(t, "sixth x", err, ErrATooManyX)
	_, err = s.BindAX(AXBindRequest{AppKey: "ax", XChoice: XChoice{X: xnum(6)}, A: num(1)})
	wantErr(t, "sixth x by number", err, ErrATooManyX)
	// Others fill the app; then none is free.
	mustBindAX(t, s, AXBindRequest{AppKey: "ax", A: num(2)})
	mustBindAX(t, s, AXBindRequest{AppKey: "ax", A: num(3), XChoice: XChoice{AreaCode: "755"}})
	_, err = s.BindAX(AXBindRequest{AppKey: "ax", A: num(4)})
	wantErr(t, "app full", err, ErrNoFreeX)
	_, err = s.BindAX(AXBindRequest{AppKey: "ax", A: num(4), XChoice: XChoice{AreaCode: "0755", AreaMatchMode: AreaPreferred}})
	wantErr(t, "app full, by area", err, ErrNoFreeXInArea)
	// Unbinding one of A's gives A room again.
	if err := s.UnbindAX("ax", b.ID); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "unbind twice", s.UnbindAX("ax", b.ID), ErrRecordNotFound)
	axRoutes(t, s, xnum(1), c.Now(), "")
	if nb := mustBindAX(t, s, AXBindRequest{AppKey: "ax", A: num(1)}); nb.X != xnum(1) {
		t.Fatalf("rebind took %s", nb.X.Masked())
	}
	mustCheck(t, s)

	// Frozen: every mutation refused, nothing lost.
	if err := s.SetFrozen("ax", true); err != nil {
		t.Fatal(err)
	}
	_, err = s.BindAX(AXBindRequest{AppKey: "ax", A: num(9)})
	wantErr(t, "frozen bind", err, ErrAppFrozen)
	_, err = s.UnbindAXByX("ax", xnum(1))
	wantErr(t, "frozen unbind", err, ErrAppFrozen)
	_, err = s.SetTempCallee(TempCalleeRequest{AppKey: "ax", X: xnum(1), Callee: num(8)})
	wantErr(t, "frozen temp callee", err, ErrAppFrozen)
	if err := s.SetFrozen("ax", false); err != nil {
		t.Fatal(err)
	}
	if got, n, err := s.QueryAX(AXQuery{AppKey: "ax"}); err != nil || n != 7 || len(got) != 7 {
		t.Fatalf("after unfreeze: %d bindings, %v", n, err)
	}
}

// Expired AX bindings count as absent: they free their X and their place
// among A's five, without waiting for the sweep.
func TestAXExpiry(t *testing.T) {
	s, c := openTest(t, Options{})
	seedModeApp(t, s, "ax", routing.ModeAX, 0, "0755", xrange(1, 6)...)
	var first routing.AXBinding
	for i := 1; i <= 5; i++ {
		b := mustBindAX(t, s, AXBindRequest{AppKey: "ax", A: num(1), Duration: int64(60 * i)})
		if i == 1 {
			first = b
		}
	}
	if !first.Expires.Equal(c.Now().Add(time.Minute)) {
		t.Fatalf("expires %v", first.Expires)
	}
	c.Advance(time.Minute)
	axRoutes(t, s, xnum(1), c.Now(), "")
	if _, err := s.GetAX("ax", first.ID); !errors.Is(err, ErrRecordNotFound) {
		t.Fatalf("GetAX expired: %v", err)
	}
	// A's first X expired: A has room, and X1 is free for another A.
	mustBindAX(t, s, AXBindRequest{AppKey: "ax", XChoice: XChoice{X: xnum(6)}, A: num(1)})
	other := mustBindAX(t, s, AXBindRequest{AppKey: "ax", A: num(2)})
	if other.X != xnum(1) {
		t.Fatalf("took %s, want the expired one's X", other.X.Masked())
	}
	mustCheck(t, s)
	c.Advance(10 * time.Minute)
	n, err := s.SweepExpired()
	if err != nil || n != 4 { // X2…X5 of A; X1's expired one went with the rebind
		t.Fatalf("swept %d, %v", n, err)
	}
	axRoutes(t, s, xnum(1), c.Now(), other.ID)
	mustCheck(t, s)
}

// SPEC §3: the temporary callee serves one call within 60 s; each set
// replaces the last; subscriptionId wins over privateNum.
func TestTempCallee(t *testing.T) {
	s, c := openTest(t, Options{})
	seedModeApp(t, s, "ax", routing.ModeAX, 0, "0755", xrange(1, 3)...)
	b1 := mustBindAX(t, s, AXBindRequest{AppKey: "ax", XChoice: XChoice{X: xnum(1)}, A: num(1)})
	b2 := mustBindAX(t, s, AXBindRequest{AppKey: "ax", XChoice: XChoice{X: xnum(2)}, A: num(2)})
	take := func(x routing.Number, id string) routing.Number {
		t.Helper()
		n, ok, err := s.TakeTempCallee(x, id, c.Now())
		if err != nil || ok != (n != "") {
			t.Fatalf("TakeTempCallee: %q %v %v", n, ok, err)
		}
		return n
	}
	if got := take(xnum(1), b1.ID); got != "" {
		t.Fatalf("nothing set, took %s", got.Masked())
	}
	tc, err := s.SetTempCallee(TempCalleeRequest{AppKey: "ax", X: xnum(1), Callee: num(10)})
	if err != nil || tc.SubscriptionID != b1.ID || !tc.Expires.Equal(c.Now().Add(60*time.Second)) {
		t.Fatalf("set: %+v %v", tc, err)
	}
	mustCheck(t, s)
	if got := take(xnum(1), b1.ID); got != num(10) {
		t.Fatalf("took %q", got)
	}
	if got := take(xnum(1), b1.ID); got != "" {
		t.Fatal("temporary callee served twice")
	}
	// The id wins over X; each set replaces the last.
	if _, err := s.SetTempCallee(TempCalleeRequest{AppKey: "ax", ID: b1.ID, X: xnum(2), Callee: num(11)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetTempCallee(TempCalleeRequest{AppKey: "ax", ID: b1.ID, Callee: num(12)}); err != nil {
		t.Fatal(err)
	}
	if got := take(xnum(2), b2.ID); got != "" {
		t.Fatal("id lost to privateNum")
	}
	if got := take(xnum(1), b1.ID); got != num(12) {
		t.Fatalf("took %q, want the last set", got)
	}
	// 60 s: served at 59.999 s, not at 60 s.
	for _, tc := range []struct {
		after time.Duration
		want  routing.Number
	}{{60*time.Second - time.Millisecond, num(13)}, {60 * time.Second, ""}} {
		if _, err := s.SetTempCallee(TempCalleeRequest{AppKey: "ax", X: xnum(1), Callee: num(13)}); err != nil {
			t.Fatal(err)
		}
		c.Advance(tc.after)
		if got := take(xnum(1), b1.ID); got != tc.want {
			t.Fatalf("after %v took %q, want %q", tc.after, got, tc.want)
		}
	}
	// Another binding's callee is never served; unbinding drops it.
	if _, err := s.SetTempCallee(TempCalleeRequest{AppKey: "ax", X: xnum(1), Callee: num(14)}); err != nil {
		t.Fatal(err)
	}
	if got := take(xnum(1), b2.ID); got != "" {
		t.Fatal("served to another binding")
	}
	if _, err := s.SetTempCallee(TempCalleeRequest{AppKey: "ax", X: xnum(1), Callee: num(14)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UnbindAXByX("ax", xnum(1)); err != nil {
		t.Fatal(err)
	}
	nb := mustBindAX(t, s, AXBindRequest{AppKey: "ax", XChoice: XChoice{X: xnum(1)}, A: num(1)})
	if got := take(xnum(1), nb.ID); got != "" {
		t.Fatal("a callee outlived its binding")
	}
	for name, tc := range map[string]struct {
		r    TempCalleeRequest
		want error
	}{
		"callee is an x":  {TempCalleeRequest{AppKey: "ax", X: xnum(1), Callee: xnum(3)}, ErrPartyIsX},
		"callee is a":     {TempCalleeRequest{AppKey: "ax", X: xnum(1), Callee: num(1)}, ErrInvalidArgument},
		"x without a":     {TempCalleeRequest{AppKey: "ax", X: xnum(3), Callee: num(9)}, ErrRecordNotFound},
		"unknown id":      {TempCalleeRequest{AppKey: "ax", ID: "nope", Callee: num(9)}, ErrRecordNotFound},
		"x not the app's": {TempCalleeRequest{AppKey: "ax", X: xnum(99), Callee: num(9)}, ErrXNotInApp},
		"no x, no id":     {TempCalleeRequest{AppKey: "ax", Callee: num(9)}, ErrInvalidArgument},
	} {
		_, err := s.SetTempCallee(tc.r)
		wantErr(t, name, err, tc.want)
	}
	// A set callee is swept at expiry.
	if _, err := s.SetTempCallee(TempCalleeRequest{AppKey: "ax", X: xnum(1), Callee: num(15)}); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Minute)
	if n, err := s.SweepExpired(); err != nil || n != 1 {
		t.Fatalf("swept %d, %v", n, err)
	}
	mustCheck(t, s)
}
