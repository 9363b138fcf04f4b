package store

import (
	"errors"
	"testing"
	"time"

	"github.com/xnum/xnum/routing"
)

func TestModifyAXE(t *testing.T) {
	s, c := openTest(t, Options{})
	seedModeApp(t, s, "e", routing.ModeAXE, 2, "0755", xnum(1), xnum(9))
	b := mustBindAXE(t, s, AXEBindRequest{AppKey: "e", XChoice: XChoice{X: xnum(1)}, A: num(1), Ext: "11",
		BindExpiredTime: 2, CallbackTone: "tone"})
	other := mustBindAXE(t, s, AXEBindRequest{AppKey: "e", XChoice: XChoice{X: xnum(1)}, A: num(2), Ext: "22"})
	cb := routing.Callback{SubscriptionID: b.ID, X: b.X, Ext: b.Ext, Caller: num(40), At: c.Now(), Expires: b.CallbackExpiry(c.Now())}
	if err := s.PutCallback(cb); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Hour)
	// Extension and callback settings change; the clock and the record stay.
	nb, err := s.ModifyAXE("e", b.ID, func(m *routing.AXEBinding) error {
		m.Ext, m.CallbackTone, m.CallbackNum = "33", "", num(50)
		return nil
	})
	if err != nil || nb.Ext != "33" || nb.CallbackNum != num(50) || !nb.Expires.Equal(b.Expires) {
		t.Fatalf("modify: %+v %v", nb, err)
	}
	if got, ok, _ := s.AXEByExt(xnum(1), "33"); !ok || got.ID != b.ID {
		t.Fatal("new extension does not route")
	}
	if _, ok, _ := s.AXEByExt(xnum(1), "11"); ok {
		t.Fatal("old extension still routes")
	}
	if _, ok, _ := s.Callback(b.ID); !ok {
		t.Fatal("callback record lost by an extension change")
	}
	// A new bindExpiredTime or timeUnit restarts the clock.
	nb, err = s.ModifyAXE("e", b.ID, func(m *routing.AXEBinding) error { m.TimeUnit = routing.TimeUnitMinutes; return nil })
	if err != nil || !nb.Expires.Equal(c.Now().Add(2*time.Minute)) {
		t.Fatalf("modify timeUnit: %+v %v", nb, err)
	}
	for name, tc := range map[string]struct {
		fn   func(*routing.AXEBinding) error
		want error
	}{
		"extension of another": {func(m *routing.AXEBinding) error { m.Ext = "22"; return nil }, ErrExtensionTaken},
		"extension too short":  {func(m *routing.AXEBinding) error { m.Ext = "4"; return nil }, ErrInvalidArgument},
		"a of another":         {func(m *routing.AXEBinding) error { m.A = num(2); return nil }, ErrPartyExists},
		"both callback kinds":  {func(m *routing.AXEBinding) error { m.CallbackTone = "t"; return nil }, ErrInvalidArgument},
		"callback num is an x": {func(m *routing.AXEBinding) error { m.CallbackNum = xnum(9); return nil }, ErrPartyIsX},
		"x changed":            {func(m *routing.AXEBinding) error { m.X = xnum(9); return nil }, ErrImmutableField},
		"expires moved":        {func(m *routing.AXEBinding) error { m.Expires = m.Expires.Add(time.Hour); return nil }, ErrImmutableField},
		"negative cb expiry":   {func(m *routing.AXEBinding) error { m.CallbackExpiredTime = -1; return nil }, ErrInvalidArgument},
		"fn refuses":           {func(*routing.AXEBinding) error { return errTest }, errTest},
	} {
		_, err := s.ModifyAXE("e", b.ID, tc.fn)
		wantErr(t, name, err, tc.want)
	}
	// A changes: the record of calls to the old A goes.
	if _, err := s.ModifyAXE("e", b.ID, func(m *routing.AXEBinding) error { m.A = num(3); return nil }); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Callback(b.ID); ok {
		t.Fatal("callback record survived a change of A")
	}
	if got, ok, _ := s.AXEByParty(xnum(1), num(3)); !ok || got.ID != b.ID {
		t.Fatal("new A does not route")
	}
	if _, ok, _ := s.AXEByParty(xnum(1), num(1)); ok {
		t.Fatal("old A still routes")
	}
	mustCheck(t, s)
	// Unbind by X and extension, then all on X.
	if _, err := s.UnbindAXEByX("e", xnum(1), "99"); !errors.Is(err, ErrRecordNotFound) {
		t.Fatalf("unknown extension: %v", err)
	}
	if n, err := s.UnbindAXEByX("e", xnum(1), "22"); err != nil || n != 1 {
		t.Fatalf("unbind 22: %d %v", n, err)
	}
	if _, err := s.GetAXE("e", other.ID); !errors.Is(err, ErrRecordNotFound) {
		t.Fatalf("unbound binding: %v", err)
	}
	if n, err := s.UnbindAXEByX("e", xnum(1), ""); err != nil || n != 1 {
		t.Fatalf("unbind all: %d %v", n, err)
	}
	if _, err := s.UnbindAXEByX("e", xnum(1), ""); !errors.Is(err, ErrRecordNotFound) {
		t.Fatalf("unbind all twice: %v", err)
	}
	if _, err := s.UnbindAXEByX("e", xnum(7), ""); !errors.Is(err, ErrXNotInApp) {
		t.Fatalf("unbind on another x: %v", err)
	}
	mustCheck(t, s)
}

func TestQueryAXE(t *testing.T) {
	s, c := openTest(t, Options{})
	seedModeApp(t, s, "e", routing.ModeAXE, 1, "0755", xnum(1), xnum(2))
	var ids []string
	for i, r := range []AXEBindRequest{
		{XChoice: XChoice{X: xnum(1)}, A: num(1), Ext: "1"},
		{XChoice: XChoice{X: xnum(1)}, A: num(2), Ext: "2"},
		{XChoice: XChoice{X: xnum(2)}, A: num(1), Ext: "1"},
	} {
		r.AppKey = "e"
		ids = append(ids, mustBindAXE(t, s, r).ID)
		c.Advance(time.Duration(i+1) * time.Second)
	}
	for name, tc := range map[string]struct {
		q    AXEQuery
		want []string
	}{
		"all":          {AXEQuery{AppKey: "e"}, ids},
		"by x":         {AXEQuery{AppKey: "e", X: xnum(1)}, ids[:2]},
		"by a":         {AXEQuery{AppKey: "e", A: num(1)}, []string{ids[0], ids[2]}},
		"by x and ext": {AXEQuery{AppKey: "e", X: xnum(1), Ext: "2"}, ids[1:2]},
		"by x and a":   {AXEQuery{AppKey: "e", X: xnum(2), A: num(1)}, ids[2:]},
		"nothing":      {AXEQuery{AppKey: "e", X: xnum(2), Ext: "2"}, nil},
		"second page":  {AXEQuery{AppKey: "e", PageIndex: 2, PageSize: 2}, ids[2:]},
	} {
		got, _, err := s.QueryAXE(tc.q)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(got) != len(tc.want) {
			t.Fatalf("%s: %d results, want %d", name, len(got), len(tc.want))
		}
		for i := range got {
			if got[i].ID != tc.want[i] {
				t.Fatalf("%s: result %d is %s, want %s", name, i, got[i].ID, tc.want[i])
			}
		}
	}
	if _, _, err := s.QueryAXE(AXEQuery{AppKey: "e", X: xnum(5)}); !errors.Is(err, ErrXNotInApp) {
		t.Fatalf("foreign x: %v", err)
	}
}

// Issue 4: extensions stay unique per X under 50 concurrent binds, and
// exactly as many as there are extensions win.
func TestConcurrentAXE(t *testing.T) {
	s, _ := openTest(t, Options{})
	seedModeApp(t, s, "e2", routing.ModeAXE, 2, "0755", xnum(1))
	seedModeApp(t, s, "e1", routing.ModeAXE, 1, "0755", xnum(2))
	got := make([]routing.AXEBinding, 50)
	errs := race(50, func(i int) error {
		var err error
		got[i], err = s.BindAXE(AXEBindRequest{AppKey: "e2", A: num(i)})
		return err
	})
	seen := map[string]bool{}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("bind %d: %v", i, err)
		}
		if seen[got[i].Ext] {
			t.Fatalf("extension %s given twice", got[i].Ext)
		}
		seen[got[i].Ext] = true
	}
	// Ten extensions of one digit: ten of 50 win.
	errs = race(50, func(i int) error {
		_, err := s.BindAXE(AXEBindRequest{AppKey: "e1", A: num(i)})
		return err
	})
	won := wins(t, errs, ErrNoFreeExtension)
	if won != 10 {
		t.Fatalf("%d binds won ten extensions", won)
	}
	// 50 binds ask for the same extension: one wins.
	seedModeApp(t, s, "e3", routing.ModeAXE, 3, "0755", xnum(3))
	errs = race(50, func(i int) error {
		_, err := s.BindAXE(AXEBindRequest{AppKey: "e3", A: num(i), Ext: "123"})
		return err
	})
	won = wins(t, errs, ErrExtensionTaken)
	if won != 1 {
		t.Fatalf("%d binds won one extension", won)
	}
	mustCheck(t, s)
}
