package store

import (
	"testing"
	"time"

	"github.com/xnum/xnum/routing"
)

// Removing an X removes its bindings of every mode, and the relations that
// use it as Y; suspend and resume change nothing stored.
func TestRemoveNumberEveryMode(t *testing.T) {
	s, c := openTest(t, Options{})
	seedModeApp(t, s, "ax", routing.ModeAX, 0, "0755", xnum(1))
	seedModeApp(t, s, "e", routing.ModeAXE, 1, "0755", xnum(2))
	seedModeApp(t, s, "y", routing.ModeAXYB, 0, "0755", xrange(3, 5)...)
	ax := mustBindAX(t, s, AXBindRequest{AppKey: "ax", A: num(1), Duration: 600})
	if _, err := s.SetTempCallee(TempCalleeRequest{AppKey: "ax", ID: ax.ID, Callee: num(2)}); err != nil {
		t.Fatal(err)
	}
	e := mustBindAXE(t, s, AXEBindRequest{AppKey: "e", A: num(1), BindExpiredTime: 1})
	if err := s.PutCallback(routing.Callback{SubscriptionID: e.ID, X: e.X, Ext: e.Ext, Caller: num(3), At: c.Now(),
		Expires: c.Now().Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	y1 := mustBindAXYB(t, s, AXYBBindRequest{AppKey: "y", XChoice: XChoice{X: xnum(3)}, A: num(1), Duration: 600})
	y2 := mustBindAXYB(t, s, AXYBBindRequest{AppKey: "y", XChoice: XChoice{X: xnum(4)}, A: num(2)})
	r1 := mustAllocate(t, s, y1.ID, num(50), c.Now()) // Y = X5
	r2 := mustAllocate(t, s, y2.ID, num(51), c.Now()) // Y = X5
	if r1.Y != xnum(5) || r2.Y != xnum(5) {
		t.Fatalf("Ys %s %s", r1.Y.Masked(), r2.Y.Masked())
	}
	// Suspend and resume: nothing changes.
	for _, x := range []routing.Number{xnum(3), xnum(5)} {
		if err := s.SetSuspended("y", x, true); err != nil {
			t.Fatal(err)
		}
		if err := s.SetSuspended("y", x, false); err != nil {
			t.Fatal(err)
		}
	}
	if _, rels, err := s.GetAXYB("y", y1.ID); err != nil || len(rels) != 1 {
		t.Fatalf("after suspend/resume: %d relations, %v", len(rels), err)
	}
	mustCheck(t, s)

	for _, rm := range []struct {
		app string
		x   routing.Number
	}{{"ax", xnum(1)}, {"e", xnum(2)}, {"y", xnum(5)}, {"y", xnum(3)}} {
		if err := s.RemoveNumber(rm.app, rm.x); err != nil {
			t.Fatal(err)
		}
		mustCheck(t, s)
	}
	if _, ok, _ := s.AXBinding(xnum(1)); ok {
		t.Fatal("AX binding survived its X")
	}
	if _, ok, _ := s.AXEByExt(xnum(2), e.Ext); ok {
		t.Fatal("AXE binding survived its X")
	}
	if _, ok, _ := s.Callback(e.ID); ok {
		t.Fatal("callback record survived its X")
	}
	if _, rels, err := s.GetAXYB("y", y2.ID); err != nil || len(rels) != 0 {
		t.Fatalf("y2 after its Y went: %d relations, %v", len(rels), err)
	}
	if _, ok, _ := s.AXYBBinding(xnum(3)); ok {
		t.Fatal("AXYB binding survived its X")
	}
	for _, p := range [][]byte{pfxAX, pfxTemp, pfxAXE, pfxCallback, pfxRel, pfxModeExp} {
		if left, err := hasAny(s.db, p); err != nil || left {
			t.Fatalf("keys %q left (%v)", p, err)
		}
	}
	// Deleting the app takes what is left.
	if err := s.DeleteApp("y"); err != nil {
		t.Fatal(err)
	}
	for _, p := range [][]byte{pfxAXYB, pfxAXYBByX, pfxAXYBByA} {
		if left, err := hasAny(s.db, p); err != nil || left {
			t.Fatalf("keys %q left after DeleteApp (%v)", p, err)
		}
	}
	mustCheck(t, s)
}
