package store

import (
	"errors"
	"testing"

	"github.com/cockroachdb/pebble/v2"

	"github.com/xnum/xnum/routing"
)

// modeWorld is one record of every mode family, with expiries.
type modeWorld struct {
	ax  routing.AXBinding
	axe routing.AXEBinding
	yb  routing.AXYBBinding
	rel routing.YRelation
}

func seedModeWorld(t *testing.T, s *Store, c *clock) modeWorld {
	t.Helper()
	seedModeApp(t, s, "ax", routing.ModeAX, 0, "0755", xnum(1))
	seedModeApp(t, s, "e", routing.ModeAXE, 1, "0755", xnum(2))
	seedModeApp(t, s, "y", routing.ModeAXYB, 0, "0755", xnum(3), xnum(4))
	var w modeWorld
	w.ax = mustBindAX(t, s, AXBindRequest{AppKey: "ax", A: num(1), Duration: 60})
	if _, err := s.SetTempCallee(TempCalleeRequest{AppKey: "ax", ID: w.ax.ID, Callee: num(2)}); err != nil {
		t.Fatal(err)
	}
	w.axe = mustBindAXE(t, s, AXEBindRequest{AppKey: "e", A: num(1), Ext: "5", BindExpiredTime: 1, CallbackExpiredTime: 1,
		TimeUnit: routing.TimeUnitMinutes})
	if err := s.PutCallback(routing.Callback{SubscriptionID: w.axe.ID, X: w.axe.X, Ext: "5", Caller: num(3), At: c.Now(),
		Expires: w.axe.CallbackExpiry(c.Now())}); err != nil {
		t.Fatal(err)
	}
	w.yb = mustBindAXYB(t, s, AXYBBindRequest{AppKey: "y", XChoice: XChoice{X: xnum(3)}, A: num(1), Duration: 60, YBDuration: 30})
	w.rel = mustAllocate(t, s, w.yb.ID, num(4), c.Now())
	return w
}

// CheckIndexes notices each kind of disagreement in the mode families.
func TestCheckIndexesDetectsModes(t *testing.T) {
	del := func(k []byte) func(*Store, modeWorld) error {
		return func(s *Store, _ modeWorld) error { return s.db.Delete(k, pebble.Sync) }
	}
	set := func(k []byte, v string) func(*Store, modeWorld) error {
		return func(s *Store, _ modeWorld) error { return s.db.Set(k, []byte(v), pebble.Sync) }
	}
	for name, damage := range map[string]func(s *Store, w modeWorld) error{
		"ax x index lost":      del(axByXKey(xnum(1))),
		"ax x index elsewhere": set(axByXKey(xnum(1)), "other"),
		"ax a index lost":      func(s *Store, w modeWorld) error { return del(axByAKey(num(1), xnum(1)))(s, w) },
		"ax a index stray":     func(s *Store, w modeWorld) error { return set(axByAKey(num(9), xnum(1)), w.ax.ID)(s, w) },
		"ax binding lost":      func(s *Store, w modeWorld) error { return del(axKey(w.ax.ID))(s, w) },
		"ax expiry lost":       func(s *Store, w modeWorld) error { return del(modeExpKey(w.ax.Expires, kindAX, w.ax.ID))(s, w) },
		"temp callee orphaned": func(s *Store, w modeWorld) error {
			return s.db.Set(tempKey(xnum(2)), []byte(`{"subscriptionId":"x","privateNum":"+8617000000002"}`), pebble.Sync)
		},
		"axe ext index lost":    del(axeExtKey(xnum(2), "5")),
		"axe party index stray": func(s *Store, w modeWorld) error { return set(axePartyKey(xnum(2), num(8)), w.axe.ID)(s, w) },
		"axe binding lost":      func(s *Store, w modeWorld) error { return del(axeKey(w.axe.ID))(s, w) },
		"callback expiry lost": func(s *Store, w modeWorld) error {
			return del(modeExpKey(w.axe.CallbackExpiry(w.axe.Created), kindCallback, w.axe.ID))(s, w)
		},
		"axyb x index lost":   del(axybByXKey(xnum(3))),
		"axyb a index lost":   del(axybByAKey(num(1), xnum(3))),
		"relation lost":       func(s *Store, w modeWorld) error { return del(relKey(w.rel.ID))(s, w) },
		"relation of binding": func(s *Store, w modeWorld) error { return del(relOfBindKey(w.yb.ID, w.rel.ID))(s, w) },
		"relation b index":    del(relByBKey(xnum(3), num(4))),
		"relation y index":    set(relByYKey(xnum(4), num(1)), "other"),
		"stray expiry entry":  set(modeExpKey(testTime, kindRel, "nope"), ""),
		"bad expiry key":      set(append(append([]byte{}, pfxModeExp...), 1, 2), ""),
		"id in two families": func(s *Store, w modeWorld) error {
			return s.db.Set(bindingKey(w.ax.ID), []byte(`{"subscriptionId":"`+w.ax.ID+`"}`), pebble.Sync)
		},
		"undecodable relation": func(s *Store, w modeWorld) error { return set(relKey(w.rel.ID), "{")(s, w) },
	} {
		t.Run(name, func(t *testing.T) {
			s, c := openTest(t, Options{})
			w := seedModeWorld(t, s, c)
			mustCheck(t, s)
			if err := damage(s, w); err != nil {
				t.Fatal(err)
			}
			if err := s.CheckIndexes(); !errors.Is(err, ErrInconsistent) {
				t.Fatalf("CheckIndexes after damage = %v, want ErrInconsistent", err)
			}
		})
	}
}

var testTime = newClock().Now()

// The sweep deletes every expired record of every family and leaves the
// indexes consistent.
func TestSweepModes(t *testing.T) {
	s, c := openTest(t, Options{})
	w := seedModeWorld(t, s, c)
	c.Advance(30 * 1e9) // the relation expires
	if n, err := s.SweepExpired(); err != nil || n != 1 {
		t.Fatalf("at 30 s swept %d, %v", n, err)
	}
	if _, ok, _ := s.YRelationByB(xnum(3), num(4)); ok {
		t.Fatal("relation not swept")
	}
	mustCheck(t, s)
	c.Advance(30 * 1e9) // everything else: AX, temp callee, AXE, callback, AXYB
	if n, err := s.SweepExpired(); err != nil || n < 4 {
		t.Fatalf("at 60 s swept %d, %v", n, err)
	}
	for _, p := range [][]byte{pfxAX, pfxTemp, pfxAXE, pfxCallback, pfxAXYB, pfxRel, pfxModeExp} {
		if left, err := hasAny(s.db, p); err != nil || left {
			t.Fatalf("keys %q left (%v)", p, err)
		}
	}
	if _, err := s.GetAX("ax", w.ax.ID); !errors.Is(err, ErrRecordNotFound) {
		t.Fatalf("GetAX after sweep: %v", err)
	}
	mustCheck(t, s)
}
