package store

import (
	"errors"
	"testing"

	"github.com/xnum/xnum/routing"
)

// areaMatchMode 1 in every mode: the area, then the same province (the
// embedded China table by default), then any; 0 only the area.
func TestModesAreaMatch(t *testing.T) {
	s, _ := openTest(t, Options{})
	for _, app := range []struct {
		key  string
		mode routing.Mode
		base int
	}{{"ax", routing.ModeAX, 10}, {"e", routing.ModeAXE, 20}, {"y", routing.ModeAXYB, 30}} {
		seedModeApp(t, s, app.key, app.mode, 1, "010", xnum(app.base+1))                           // Beijing
		if err := s.AddNumbers(app.key, []routing.Number{xnum(app.base + 2)}, "020"); err != nil { // Guangzhou
			t.Fatal(err)
		}
	}
	bind := func(app string, a int, area string, mode int) (routing.Number, error) {
		c := XChoice{AreaCode: area, AreaMatchMode: mode}
		switch app {
		case "ax":
			b, err := s.BindAX(AXBindRequest{AppKey: app, XChoice: c, A: num(a)})
			return b.X, err
		case "e":
			b, err := s.BindAXE(AXEBindRequest{AppKey: app, XChoice: c, A: num(a)})
			return b.X, err
		default:
			b, err := s.BindAXYB(AXYBBindRequest{AppKey: app, XChoice: c, A: num(a)})
			return b.X, err
		}
	}
	for _, app := range []struct {
		key  string
		base int
	}{{"ax", 10}, {"e", 20}, {"y", 30}} {
		if _, err := bind(app.key, 1, "0755", AreaStrict); !errors.Is(err, ErrNoFreeXInArea) {
			t.Fatalf("%s strict Shenzhen: %v", app.key, err)
		}
		// Shenzhen: Guangzhou (same province) before Beijing.
		if x, err := bind(app.key, 1, "0755", AreaPreferred); err != nil || x != xnum(app.base+2) {
			t.Fatalf("%s preferred Shenzhen: %s %v", app.key, x.Masked(), err)
		}
		// AX, AXYB: the province's X is taken, so any other; AXE: that X has
		// free extensions left.
		want := xnum(app.base + 1)
		if app.key == "e" {
			want = xnum(app.base + 2)
		}
		if x, err := bind(app.key, 2, "0769", AreaPreferred); err != nil || x != want {
			t.Fatalf("%s preferred Dongguan, then any: %s %v", app.key, x.Masked(), err)
		}
	}
	mustCheck(t, s)
}

// Frozen AXE app: every mutation refused; unfreezing restores everything.
func TestAXEFrozen(t *testing.T) {
	s, c := openTest(t, Options{})
	seedModeApp(t, s, "e", routing.ModeAXE, 2, "0755", xnum(1))
	b := mustBindAXE(t, s, AXEBindRequest{AppKey: "e", A: num(1), Ext: "12"})
	if err := s.PutCallback(routing.Callback{SubscriptionID: b.ID, X: b.X, Ext: b.Ext, Caller: num(2), At: c.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetFrozen("e", true); err != nil {
		t.Fatal(err)
	}
	_, err := s.BindAXE(AXEBindRequest{AppKey: "e", A: num(3)})
	wantErr(t, "bind", err, ErrAppFrozen)
	_, err = s.ModifyAXE("e", b.ID, func(m *routing.AXEBinding) error { m.Ext = "13"; return nil })
	wantErr(t, "modify", err, ErrAppFrozen)
	wantErr(t, "unbind", s.UnbindAXE("e", b.ID), ErrAppFrozen)
	_, err = s.UnbindAXEByX("e", xnum(1), "")
	wantErr(t, "unbind by x", err, ErrAppFrozen)
	if err := s.SetFrozen("e", false); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetAXE("e", b.ID)
	if err != nil || got.Ext != "12" {
		t.Fatalf("after unfreeze: %+v %v", got, err)
	}
	if cb, ok, _ := s.Callback(b.ID); !ok || cb.Caller != num(2) {
		t.Fatal("callback record lost across freeze")
	}
	mustCheck(t, s)
}
