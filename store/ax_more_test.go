package store

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xnum/xnum/routing"
)

func TestModifyAX(t *testing.T) {
	s, c := openTest(t, Options{})
	seedModeApp(t, s, "ax", routing.ModeAX, 0, "0755", xrange(1, 8)...)
	b := mustBindAX(t, s, AXBindRequest{AppKey: "ax", XChoice: XChoice{X: xnum(1)}, A: num(1), Duration: 600})
	for range 5 {
		mustBindAX(t, s, AXBindRequest{AppKey: "ax", A: num(2)})
	}
	c.Advance(100 * time.Second)
	if _, err := s.SetTempCallee(TempCalleeRequest{AppKey: "ax", ID: b.ID, Callee: num(9)}); err != nil {
		t.Fatal(err)
	}
	// Options only: the clock and the temporary callee stay.
	nb, err := s.ModifyAX("ax", b.ID, func(m *routing.AXBinding) error { m.UserData, m.MaxDuration = "v2", 9; return nil })
	if err != nil || nb.UserData != "v2" || nb.MaxDuration != 9 || !nb.Expires.Equal(b.Expires) {
		t.Fatalf("modify options: %+v %v", nb, err)
	}
	// A new duration restarts the clock.
	nb, err = s.ModifyAX("ax", b.ID, func(m *routing.AXBinding) error { m.Duration = 60; return nil })
	if err != nil || !nb.Expires.Equal(c.Now().Add(time.Minute)) {
		t.Fatalf("modify duration: %+v %v", nb, err)
	}
	for name, tc := range map[string]struct {
		fn   func(*routing.AXBinding) error
		want error
	}{
		"a with five x": {func(m *routing.AXBinding) error { m.A = num(2); return nil }, ErrATooManyX},
		"a is an x":     {func(m *routing.AXBinding) error { m.A = xnum(8); return nil }, ErrPartyIsX},
		"x changed":     {func(m *routing.AXBinding) error { m.X = xnum(8); return nil }, ErrImmutableField},
		"id changed":    {func(m *routing.AXBinding) error { m.ID = "x"; return nil }, ErrImmutableField},
		"expires moved": {func(m *routing.AXBinding) error { m.Expires = m.Expires.Add(time.Hour); return nil }, ErrImmutableField},
		"fn refuses":    {func(*routing.AXBinding) error { return errTest }, errTest},
	} {
		_, err := s.ModifyAX("ax", b.ID, tc.fn)
		wantErr(t, name, err, tc.want)
	}
	_, err = s.ModifyAX("nope", b.ID, func(*routing.AXBinding) error { return nil })
	wantErr(t, "another app", err, ErrAppNotFound)
	// A changes: the callee set for the old A is dropped.
	if n, ok, _ := s.TakeTempCallee(xnum(1), b.ID, c.Now()); !ok || n != num(9) {
		t.Fatal("temporary callee lost by a modify of options")
	}
	if _, err := s.SetTempCallee(TempCalleeRequest{AppKey: "ax", ID: b.ID, Callee: num(9)}); err != nil {
		t.Fatal(err)
	}
	nb, err = s.ModifyAX("ax", b.ID, func(m *routing.AXBinding) error { m.A = num(3); return nil })
	if err != nil || nb.A != num(3) {
		t.Fatalf("modify a: %+v %v", nb, err)
	}
	if _, ok, _ := s.TakeTempCallee(xnum(1), b.ID, c.Now()); ok {
		t.Fatal("temporary callee survived a change of A")
	}
	if got, n, err := s.QueryAX(AXQuery{AppKey: "ax", A: num(1)}); err != nil || n != 0 || len(got) != 0 {
		t.Fatalf("old A still has %d", n)
	}
	mustCheck(t, s)
	c.Advance(time.Minute)
	_, err = s.ModifyAX("ax", b.ID, func(*routing.AXBinding) error { return nil })
	wantErr(t, "expired", err, ErrRecordNotFound)
}

func TestQueryAX(t *testing.T) {
	s, c := openTest(t, Options{})
	seedModeApp(t, s, "ax", routing.ModeAX, 0, "0755", xrange(1, 6)...)
	seedModeApp(t, s, "other", routing.ModeAX, 0, "0755", xnum(9))
	var ids []string
	for i := range 5 {
		a := num(1)
		if i >= 3 {
			a = num(2)
		}
		ids = append(ids, mustBindAX(t, s, AXBindRequest{AppKey: "ax", A: a}).ID)
		c.Advance(time.Second)
	}
	mustBindAX(t, s, AXBindRequest{AppKey: "other", A: num(1)})
	for name, tc := range map[string]struct {
		q    AXQuery
		want []string
	}{
		"all":          {AXQuery{AppKey: "ax"}, ids},
		"by a":         {AXQuery{AppKey: "ax", A: num(1)}, ids[:3]},
		"by x":         {AXQuery{AppKey: "ax", X: xnum(4)}, ids[3:4]},
		"by x and a":   {AXQuery{AppKey: "ax", X: xnum(4), A: num(1)}, nil},
		"free x":       {AXQuery{AppKey: "ax", X: xnum(6)}, nil},
		"page 2 of 2":  {AXQuery{AppKey: "ax", PageIndex: 2, PageSize: 3}, ids[3:]},
		"past the end": {AXQuery{AppKey: "ax", PageIndex: 3, PageSize: 3}, nil},
	} {
		got, n, err := s.QueryAX(tc.q)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var gotIDs []string
		for _, b := range got {
			gotIDs = append(gotIDs, b.ID)
		}
		if len(gotIDs) != len(tc.want) || (tc.q.PageIndex == 0 && n != len(tc.want)) {
			t.Fatalf("%s: %v (total %d), want %v", name, gotIDs, n, tc.want)
		}
		for i := range gotIDs {
			if gotIDs[i] != tc.want[i] {
				t.Fatalf("%s: %v, want %v", name, gotIDs, tc.want)
			}
		}
	}
	if _, _, err := s.QueryAX(AXQuery{AppKey: "ax", X: xnum(9)}); !errors.Is(err, ErrXNotInApp) {
		t.Fatalf("other app's x: %v", err)
	}
	if _, _, err := s.QueryAX(AXQuery{AppKey: "nope"}); !errors.Is(err, ErrAppNotFound) {
		t.Fatalf("unknown app: %v", err)
	}
	if got, err := s.GetAX("other", ids[0]); !errors.Is(err, ErrRecordNotFound) {
		t.Fatalf("GetAX of another app: %+v %v", got, err)
	}
}

// SPEC §3, issue 4: the AX capacity rules hold under 50 concurrent binds.
func TestConcurrentAX(t *testing.T) {
	s, c := openTest(t, Options{})
	seedModeApp(t, s, "ax", routing.ModeAX, 0, "0755", xrange(1, 60)...)
	// One A, 50 binds on any X: exactly five win.
	errs := race(50, func(int) error {
		_, err := s.BindAX(AXBindRequest{AppKey: "ax", A: num(1)})
		return err
	})
	won := wins(t, errs, ErrATooManyX)
	if won != MaxXPerA {
		t.Fatalf("%d binds of one A won, want %d", won, MaxXPerA)
	}
	// 50 different A on one X: exactly one wins.
	errs = race(50, func(i int) error {
		_, err := s.BindAX(AXBindRequest{AppKey: "ax", XChoice: XChoice{X: xnum(60)}, A: num(100 + i)})
		return err
	})
	won = wins(t, errs, ErrXHasA)
	if won != 1 {
		t.Fatalf("%d binds on one X won", won)
	}
	// 50 calls race for one temporary callee: it serves one.
	if _, err := s.SetTempCallee(TempCalleeRequest{AppKey: "ax", X: xnum(60), Callee: num(7)}); err != nil {
		t.Fatal(err)
	}
	b, _, _ := s.AXBinding(xnum(60))
	var served atomic.Int32
	errs = race(50, func(int) error {
		_, ok, err := s.TakeTempCallee(xnum(60), b.ID, c.Now())
		if ok {
			served.Add(1)
		}
		return err
	})
	if err := errors.Join(errs...); err != nil || served.Load() != 1 {
		t.Fatalf("temporary callee served %d times (%v)", served.Load(), err)
	}
	mustCheck(t, s)
}
