package store

import (
	"errors"
	"testing"
	"time"

	"github.com/xnum/xnum/routing"
)

func mustAllocate(t testing.TB, s *Store, id string, b routing.Number, now time.Time) routing.YRelation {
	t.Helper()
	r, err := s.AllocateY(id, b, now)
	if err != nil {
		t.Fatalf("AllocateY %s: %v", b.Masked(), err)
	}
	return r
}

func TestBindAXYBRules(t *testing.T) {
	s, c := openTest(t, Options{})
	seedModeApp(t, s, "y", routing.ModeAXYB, 0, "0755", xrange(1, 3)...)
	seedModeApp(t, s, "ax", routing.ModeAX, 0, "0755", xnum(9))
	b := mustBindAXYB(t, s, AXYBBindRequest{AppKey: "y", A: num(1), Duration: 3600, YBDuration: 600, Direction: 0})
	if b.X != xnum(1) || !b.Expires.Equal(c.Now().Add(time.Hour)) {
		t.Fatalf("bound %+v", b)
	}
	// B calls X: Y is the lowest free number, X2.
	r := mustAllocate(t, s, b.ID, num(50), c.Now())
	if r.Y != xnum(2) || r.B != num(50) || r.A != num(1) || r.X != xnum(1) || !r.Expires.Equal(c.Now().Add(10*time.Minute)) {
		t.Fatalf("relation %+v", r)
	}
	for name, tc := range map[string]struct {
		r    AXYBBindRequest
		want error
	}{
		"x has an a":          {AXYBBindRequest{AppKey: "y", XChoice: XChoice{X: xnum(1)}, A: num(2)}, ErrXHasA},
		"x serves as y":       {AXYBBindRequest{AppKey: "y", XChoice: XChoice{X: xnum(2)}, A: num(2)}, ErrXIsY},
		"ybDuration too long": {AXYBBindRequest{AppKey: "y", A: num(2), Duration: 60, YBDuration: 61}, ErrInvalidArgument},
		"bad direction":       {AXYBBindRequest{AppKey: "y", A: num(2), Direction: 3}, ErrInvalidArgument},
		"negative duration":   {AXYBBindRequest{AppKey: "y", A: num(2), Duration: -1}, ErrInvalidArgument},
		"a is an x":           {AXYBBindRequest{AppKey: "y", A: xnum(9)}, ErrPartyIsX},
		"x of another app":    {AXYBBindRequest{AppKey: "y", XChoice: XChoice{X: xnum(9)}, A: num(2)}, ErrXNotInApp},
		"wrong mode":          {AXYBBindRequest{AppKey: "ax", A: num(2)}, ErrWrongMode},
	} {
		_, err := s.BindAXYB(tc.r)
		wantErr(t, name, err, tc.want)
	}
	// ybDuration may exceed nothing when duration is 0 (never).
	mustBindAXYB(t, s, AXYBBindRequest{AppKey: "y", A: num(2), YBDuration: 99999})
	// By area the number serving as Y is skipped: X3 was taken, none is left.
	_, err := s.BindAXYB(AXYBBindRequest{AppKey: "y", A: num(3)})
	wantErr(t, "no free x", err, ErrNoFreeX)
	if err := s.SetFrozen("y", true); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "frozen unbind", s.UnbindAXYB("y", b.ID), ErrAppFrozen)
	wantErr(t, "frozen unbind relation", s.UnbindYRelation("y", b.ID, num(50)), ErrAppFrozen)
	if err := s.SetFrozen("y", false); err != nil {
		t.Fatal(err)
	}
	if _, rels, err := s.GetAXYB("y", b.ID); err != nil || len(rels) != 1 {
		t.Fatalf("after unfreeze: %d relations, %v", len(rels), err)
	}
	mustCheck(t, s)
}

// What a Y is: any number of the app holding no live A–X binding and not
// suspended; unique per A, shared between A numbers (store/MODES.md).
func TestAllocateY(t *testing.T) {
	s, c := openTest(t, Options{})
	seedModeApp(t, s, "y", routing.ModeAXYB, 0, "0755", xrange(1, 5)...)
	if err := s.AddNumbers("y", []routing.Number{xnum(6)}, "010"); err != nil {
		t.Fatal(err)
	}
	b1 := mustBindAXYB(t, s, AXYBBindRequest{AppKey: "y", XChoice: XChoice{X: xnum(1)}, A: num(1)})
	b2 := mustBindAXYB(t, s, AXYBBindRequest{AppKey: "y", XChoice: XChoice{X: xnum(6)}, A: num(2)})
	if err := s.SetSuspended("y", xnum(5), true); err != nil {
		t.Fatal(err)
	}
	now := c.Now()
	r1 := mustAllocate(t, s, b1.ID, num(50), now)
	if again := mustAllocate(t, s, b1.ID, num(50), now); again.ID != r1.ID {
		t.Fatal("a second call of the same B took another Y")
	}
	r2 := mustAllocate(t, s, b1.ID, num(51), now)
	r3 := mustAllocate(t, s, b1.ID, num(52), now)
	if r1.Y != xnum(2) || r2.Y != xnum(3) || r3.Y != xnum(4) {
		t.Fatalf("Ys %s %s %s", r1.Y.Masked(), r2.Y.Masked(), r3.Y.Masked())
	}
	// X5 suspended, X6 an X: A1 has no Y left.
	if _, err := s.AllocateY(b1.ID, num(53), now); !errors.Is(err, ErrNoFreeY) || !errors.Is(err, routing.ErrNoFreeY) {
		t.Fatalf("no free Y: %v", err)
	}
	// Another A reuses the same Y numbers (X1 is an X, not a Y).
	if r := mustAllocate(t, s, b2.ID, num(50), now); r.Y != xnum(2) {
		t.Fatalf("A2's Y %s", r.Y.Masked())
	}
	// Lookups both ways.
	if got, ok, _ := s.YRelationByB(xnum(1), num(51)); !ok || got.ID != r2.ID {
		t.Fatal("YRelationByB")
	}
	if got, ok, _ := s.YRelationByY(xnum(3), num(1)); !ok || got.ID != r2.ID {
		t.Fatal("YRelationByY")
	}
	if _, ok, _ := s.YRelationByY(xnum(3), num(2)); ok {
		t.Fatal("A2 reaches A1's relation")
	}
	if isA, _ := s.AXYBIsA("y", num(1), now); !isA {
		t.Fatal("AXYBIsA(A)")
	}
	if isA, _ := s.AXYBIsA("y", num(50), now); isA {
		t.Fatal("AXYBIsA(B)")
	}
	if isA, _ := s.AXYBIsA("other", num(1), now); isA {
		t.Fatal("AXYBIsA of another app")
	}
	// Unbinding one relation frees its Y for this A.
	if err := s.UnbindYRelation("y", b1.ID, num(51)); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "unbind relation twice", s.UnbindYRelation("y", b1.ID, num(51)), ErrRecordNotFound)
	if r := mustAllocate(t, s, b1.ID, num(53), now); r.Y != xnum(3) {
		t.Fatalf("freed Y not reused: %s", r.Y.Masked())
	}
	// Errors of the call-time effect.
	if _, err := s.AllocateY("nope", num(54), now); !errors.Is(err, routing.ErrBindingGone) {
		t.Fatalf("unknown binding: %v", err)
	}
	if _, err := s.AllocateY(b1.ID, num(1), now); !errors.Is(err, routing.ErrBindingGone) {
		t.Fatalf("A as B: %v", err)
	}
	mustCheck(t, s)
	// Unbinding A–X takes every relation with it.
	if err := s.UnbindAXYB("y", b1.ID); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "unbind twice", s.UnbindAXYB("y", b1.ID), ErrRecordNotFound)
	if _, ok, _ := s.YRelationByB(xnum(1), num(50)); ok {
		t.Fatal("relation outlived its binding")
	}
	mustCheck(t, s)
}

// ybDuration bounds a relation, the binding bounds both; expired relations
// free their Y at once and are swept.
func TestAXYBExpiry(t *testing.T) {
	s, c := openTest(t, Options{})
	seedModeApp(t, s, "y", routing.ModeAXYB, 0, "0755", xrange(1, 3)...)
	b := mustBindAXYB(t, s, AXYBBindRequest{AppKey: "y", XChoice: XChoice{X: xnum(1)}, A: num(1), Duration: 600, YBDuration: 120})
	short := mustAllocate(t, s, b.ID, num(50), c.Now())
	if !short.Expires.Equal(c.Now().Add(2 * time.Minute)) {
		t.Fatalf("relation expires %v", short.Expires)
	}
	mustAllocate(t, s, b.ID, num(51), c.Now())
	if _, err := s.AllocateY(b.ID, num(52), c.Now()); !errors.Is(err, ErrNoFreeY) {
		t.Fatalf("third B: %v", err)
	}
	c.Advance(2 * time.Minute)
	if r, ok, _ := s.YRelationByB(xnum(1), num(50)); !ok || !r.Expired(c.Now()) {
		t.Fatal("relation did not expire")
	}
	// Both expired: the third B gets a Y now, the first B a new relation.
	r := mustAllocate(t, s, b.ID, num(52), c.Now())
	if r.Y != xnum(2) {
		t.Fatalf("Y %s", r.Y.Masked())
	}
	mustCheck(t, s)
	// Near the binding's end a relation ends with it.
	c.Advance(7 * time.Minute)
	last := mustAllocate(t, s, b.ID, num(53), c.Now())
	if !last.Expires.Equal(b.Expires) {
		t.Fatalf("relation expires %v after its binding %v", last.Expires, b.Expires)
	}
	c.Advance(time.Minute)
	if _, err := s.AllocateY(b.ID, num(54), c.Now()); !errors.Is(err, ErrBindingGone) {
		t.Fatalf("expired binding: %v", err)
	}
	// The binding goes with its live relation; expired relations met by
	// AllocateY were reclaimed already.
	if n, err := s.SweepExpired(); err != nil || n != 1 {
		t.Fatalf("swept %d, %v", n, err)
	}
	for _, p := range [][]byte{pfxRel, pfxRelOfBind, pfxRelByB, pfxRelByY, pfxModeExp, pfxAXYBByX, pfxAXYBByA} {
		if left, err := hasAny(s.db, p); err != nil || left {
			t.Fatalf("keys %q left after the sweep (%v)", p, err)
		}
	}
	if got, total, err := s.QueryAXYB(AXYBQuery{AppKey: "y"}); err != nil || total != 0 || len(got) != 0 {
		t.Fatalf("left %d rows, %v", total, err)
	}
	mustCheck(t, s)
}
