package store

import (
	"errors"
	"testing"
	"time"

	"github.com/xnum/xnum/routing"
)

func TestBindAXB(t *testing.T) {
	s, c := openTest(t, Options{})
	seedApp(t, s, "a", xnum(1))
	seedApp(t, s, "other", xnum(9))
	req := BindRequest{
		AppKey: "a", X: xnum(1), A: num(1), B: num(2), Direction: 1, Duration: 3600, MaxDuration: 30,
		RecordFlag: true, RecordHintTone: "r.wav", LastMinVoice: "l.wav", PrivateSMS: true,
		PreVoice: routing.PreVoice{CallerHintTone: "c.wav", CalleeHintTone: "d.wav"}, UserData: "u",
	}
	b := mustBind(t, s, req)
	if len(b.ID) != 32 || b.X != xnum(1) || b.AppKey != "a" || !b.Created.Equal(c.Now()) || !b.Expires.Equal(c.Now().Add(time.Hour)) {
		t.Fatalf("binding = %+v", b)
	}
	got, err := s.GetBinding("a", b.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := b
	if !got.Created.Equal(want.Created) || !got.Expires.Equal(want.Expires) {
		t.Fatalf("times: got %v %v", got.Created, got.Expires)
	}
	got.Created, got.Expires, want.Created, want.Expires = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if got != want || got.PreVoice.CalleeHintTone != "d.wav" || got.UserData != "u" || got.Direction != 1 || got.MaxDuration != 30 {
		t.Fatalf("GetBinding = %+v, want %+v", got, want)
	}
	routes(t, s, xnum(1), num(1), b.ID)
	routes(t, s, xnum(1), num(2), b.ID)
	routes(t, s, xnum(1), num(3), "")
	routes(t, s, xnum(9), num(1), "")
	if _, err := s.GetBinding("other", b.ID); !errors.Is(err, ErrBindingNotFound) {
		t.Fatalf("GetBinding of another app: %v", err)
	}
	if _, err := s.GetBinding("a", "nope"); !errors.Is(err, ErrBindingNotFound) {
		t.Fatalf("GetBinding unknown: %v", err)
	}
	mustCheck(t, s)
}

// SPEC §3: A–X–B and C–X–D coexist; A–X–B and B–X–C may not.
func TestBindUniquenessOnX(t *testing.T) {
	s, _ := openTest(t, Options{})
	seedApp(t, s, "a", xnum(1), xnum(2))
	mustBind(t, s, BindRequest{AppKey: "a", X: xnum(1), A: num(1), B: num(2)})
	mustBind(t, s, BindRequest{AppKey: "a", X: xnum(1), A: num(3), B: num(4)})
	for _, p := range [][2]int{{2, 5}, {5, 1}, {1, 2}, {2, 1}, {4, 6}} {
		_, err := s.BindAXB(BindRequest{AppKey: "a", X: xnum(1), A: num(p[0]), B: num(p[1])})
		if !errors.Is(err, ErrBindingExists) {
			t.Errorf("bind %v on the same X: %v, want ErrBindingExists", p, err)
		}
	}
	// The same pair on another X is fine.
	mustBind(t, s, BindRequest{AppKey: "a", X: xnum(2), A: num(2), B: num(1)})
	mustCheck(t, s)
}

func TestBindRefusals(t *testing.T) {
	s, _ := openTest(t, Options{})
	seedApp(t, s, "a", xnum(1))
	seedApp(t, s, "b", xnum(2))
	if err := s.CreateApp(routing.App{Key: "ax", Mode: routing.ModeAX}); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		r    BindRequest
		want error
	}{
		"unknown app":      {BindRequest{AppKey: "zz", A: num(1), B: num(2)}, ErrAppNotFound},
		"wrong mode":       {BindRequest{AppKey: "ax", A: num(1), B: num(2)}, ErrWrongMode},
		"x of another app": {BindRequest{AppKey: "a", X: xnum(2), A: num(1), B: num(2)}, ErrXNotInApp},
		"unknown x":        {BindRequest{AppKey: "a", X: xnum(7), A: num(1), B: num(2)}, ErrXNotInApp},
		"a is an x":        {BindRequest{AppKey: "a", A: xnum(2), B: num(2)}, ErrPartyIsX},
		"b is an x":        {BindRequest{AppKey: "a", A: num(1), B: xnum(1)}, ErrPartyIsX},
		"a equals b":       {BindRequest{AppKey: "a", A: num(1), B: num(1)}, ErrInvalidArgument},
		"bad a":            {BindRequest{AppKey: "a", A: "138", B: num(1)}, ErrInvalidArgument},
		"bad direction":    {BindRequest{AppKey: "a", A: num(1), B: num(2), Direction: 3}, ErrInvalidArgument},
		"bad duration":     {BindRequest{AppKey: "a", A: num(1), B: num(2), Duration: -1}, ErrInvalidArgument},
		"bad match mode":   {BindRequest{AppKey: "a", A: num(1), B: num(2), AreaCode: "0755", AreaMatchMode: 2}, ErrInvalidArgument},
	} {
		if _, err := s.BindAXB(tc.r); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	if _, n, _ := s.QueryAXB(Query{AppKey: "a"}); n != 0 {
		t.Fatalf("a refused bind stored %d bindings", n)
	}
	// A frozen app's bind, modify and unbind are refused (SPEC §3, 1010029).
	b := mustBind(t, s, BindRequest{AppKey: "a", A: num(1), B: num(2)})
	if err := s.SetFrozen("a", true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.BindAXB(BindRequest{AppKey: "a", A: num(3), B: num(4)}); !errors.Is(err, ErrAppFrozen) {
		t.Errorf("bind frozen: %v", err)
	}
	if _, err := s.ModifyAXB("a", b.ID, func(*routing.Binding) error { return nil }); !errors.Is(err, ErrAppFrozen) {
		t.Errorf("modify frozen: %v", err)
	}
	if err := s.UnbindAXB("a", b.ID); !errors.Is(err, ErrAppFrozen) {
		t.Errorf("unbind frozen: %v", err)
	}
	if _, err := s.UnbindX("a", xnum(1)); !errors.Is(err, ErrAppFrozen) {
		t.Errorf("unbind x frozen: %v", err)
	}
	// Unfreezing restores everything.
	if err := s.SetFrozen("a", false); err != nil {
		t.Fatal(err)
	}
	routes(t, s, xnum(1), num(1), b.ID)
	mustCheck(t, s)
}

// Without X or area, the least loaded free X is taken; suspended and full
// ones, and ones where a party is already bound, are skipped.
func TestBindPicksFreeX(t *testing.T) {
	s, _ := openTest(t, Options{MaxPairsPerX: 2})
	seedApp(t, s, "a", xnum(1), xnum(2), xnum(3))
	if err := s.SetSuspended("a", xnum(3), true); err != nil {
		t.Fatal(err)
	}
	b1 := mustBind(t, s, BindRequest{AppKey: "a", A: num(1), B: num(2)})
	b2 := mustBind(t, s, BindRequest{AppKey: "a", A: num(3), B: num(4)})
	if b1.X != xnum(1) || b2.X != xnum(2) {
		t.Fatalf("picked %s then %s, want least loaded X1 then X2", b1.X, b2.X)
	}
	// num(1) is on X1, so its next pair must go to X2.
	b3 := mustBind(t, s, BindRequest{AppKey: "a", A: num(1), B: num(5)})
	if b3.X != xnum(2) {
		t.Fatalf("picked %s, want X2", b3.X)
	}
	// X2 is now full, num(1) is on X1, X3 is suspended.
	if _, err := s.BindAXB(BindRequest{AppKey: "a", A: num(6), B: num(1)}); !errors.Is(err, ErrNoFreeX) {
		t.Fatalf("no free X: %v", err)
	}
	if _, err := s.BindAXB(BindRequest{AppKey: "a", X: xnum(2), A: num(7), B: num(8)}); !errors.Is(err, ErrXFull) {
		t.Fatalf("full X: %v", err)
	}
	mustCheck(t, s)
}

func TestBindArea(t *testing.T) {
	s, _ := openTest(t, Options{SameProvince: func(a, b string) bool {
		gd := map[string]bool{"755": true, "20": true}
		return gd[trim0(a)] && gd[trim0(b)]
	}})
	seedApp(t, s, "a")
	for x, area := range map[routing.Number]string{xnum(1): "010", xnum(2): "020", xnum(3): "0755"} {
		if err := s.AddNumbers("a", []routing.Number{x}, area); err != nil {
			t.Fatal(err)
		}
	}
	bind := func(a, b int, area string, mode int) (routing.Number, error) {
		bd, err := s.BindAXB(BindRequest{AppKey: "a", A: num(a), B: num(b), AreaCode: area, AreaMatchMode: mode})
		return bd.X, err
	}
	if x, err := bind(1, 2, "755", AreaStrict); err != nil || x != xnum(3) {
		t.Fatalf("strict 755: %s %v", x, err)
	}
	if _, err := bind(1, 3, "0755", AreaStrict); !errors.Is(err, ErrNoFreeXInArea) {
		t.Fatalf("strict, area taken: %v", err)
	}
	if _, err := bind(1, 3, "0571", AreaStrict); !errors.Is(err, ErrNoFreeXInArea) {
		t.Fatalf("strict, no such area: %v", err)
	}
	// Preferred: 0755 is taken for num(1), 020 is the same province, before 010.
	if x, err := bind(1, 3, "0755", AreaPreferred); err != nil || x != xnum(2) {
		t.Fatalf("preferred → province: %s %v", x, err)
	}
	if x, err := bind(1, 4, "0755", AreaPreferred); err != nil || x != xnum(1) {
		t.Fatalf("preferred → any: %s %v", x, err)
	}
	if _, err := bind(1, 5, "0755", AreaPreferred); !errors.Is(err, ErrNoFreeXInArea) {
		t.Fatalf("preferred, nothing left: %v", err)
	}
	mustCheck(t, s)
}

func trim0(s string) string {
	if len(s) > 0 && s[0] == '0' {
		return s[1:]
	}
	return s
}

func TestUnbind(t *testing.T) {
	s, _ := openTest(t, Options{})
	seedApp(t, s, "a", xnum(1))
	seedApp(t, s, "o", xnum(2))
	b := mustBind(t, s, BindRequest{AppKey: "a", A: num(1), B: num(2)})
	if err := s.UnbindAXB("o", b.ID); !errors.Is(err, ErrBindingNotFound) {
		t.Fatalf("unbind by another app: %v", err)
	}
	if err := s.UnbindAXB("a", b.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.UnbindAXB("a", b.ID); !errors.Is(err, ErrBindingNotFound) {
		t.Fatalf("second unbind: %v, want ErrBindingNotFound", err)
	}
	routes(t, s, xnum(1), num(1), "")
	routes(t, s, xnum(1), num(2), "")
	mustCheck(t, s)
	// The numbers are free again on that X.
	mustBind(t, s, BindRequest{AppKey: "a", X: xnum(1), A: num(2), B: num(1)})
}

func TestUnbindX(t *testing.T) {
	s, _ := openTest(t, Options{})
	seedApp(t, s, "a", xnum(1), xnum(2))
	seedApp(t, s, "o", xnum(3))
	for i := 0; i < 3; i++ {
		mustBind(t, s, BindRequest{AppKey: "a", X: xnum(1), A: num(2 * i), B: num(2*i + 1)})
	}
	kept := mustBind(t, s, BindRequest{AppKey: "a", X: xnum(2), A: num(0), B: num(1)})
	if _, err := s.UnbindX("a", xnum(3)); !errors.Is(err, ErrXNotInApp) {
		t.Fatalf("UnbindX of another app's X: %v", err)
	}
	n, err := s.UnbindX("a", xnum(1))
	if err != nil || n != 3 {
		t.Fatalf("UnbindX = %d, %v; want 3", n, err)
	}
	if _, err := s.UnbindX("a", xnum(1)); !errors.Is(err, ErrBindingNotFound) {
		t.Fatalf("second UnbindX: %v", err)
	}
	routes(t, s, xnum(1), num(0), "")
	routes(t, s, xnum(2), num(0), kept.ID)
	mustCheck(t, s)
}

func TestRemoveNumberRemovesBindings(t *testing.T) {
	s, _ := openTest(t, Options{})
	seedApp(t, s, "a", xnum(1), xnum(2))
	b := mustBind(t, s, BindRequest{AppKey: "a", X: xnum(1), A: num(1), B: num(2)})
	kept := mustBind(t, s, BindRequest{AppKey: "a", X: xnum(2), A: num(1), B: num(2)})
	if err := s.RemoveNumber("a", xnum(1)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetBinding("a", b.ID); !errors.Is(err, ErrBindingNotFound) {
		t.Fatalf("binding of a removed X: %v", err)
	}
	routes(t, s, xnum(1), num(1), "")
	routes(t, s, xnum(2), num(1), kept.ID)
	mustCheck(t, s)
	// Re-adding the X starts from zero pairs.
	if err := s.AddNumbers("a", []routing.Number{xnum(1)}, ""); err != nil {
		t.Fatal(err)
	}
	mustBind(t, s, BindRequest{AppKey: "a", X: xnum(1), A: num(1), B: num(2)})
	mustCheck(t, s)
}
