package store

import (
	"errors"
	"testing"
	"time"

	"github.com/xnum/xnum/routing"
)

// xyRelationNumList: one row per live relation, one row for a binding
// without relations, paged by row.
func TestQueryAXYB(t *testing.T) {
	s, c := openTest(t, Options{})
	seedModeApp(t, s, "y", routing.ModeAXYB, 0, "0755", xrange(1, 5)...)
	b1 := mustBindAXYB(t, s, AXYBBindRequest{AppKey: "y", XChoice: XChoice{X: xnum(1)}, A: num(1), Direction: 1})
	c.Advance(time.Second)
	b2 := mustBindAXYB(t, s, AXYBBindRequest{AppKey: "y", XChoice: XChoice{X: xnum(2)}, A: num(2)})
	r1 := mustAllocate(t, s, b1.ID, num(50), c.Now())
	c.Advance(time.Second)
	r2 := mustAllocate(t, s, b1.ID, num(51), c.Now())
	type row struct{ id, rel string }
	for name, tc := range map[string]struct {
		q    AXYBQuery
		want []row
	}{
		"all":         {AXYBQuery{AppKey: "y"}, []row{{b1.ID, r1.ID}, {b1.ID, r2.ID}, {b2.ID, ""}}},
		"by id":       {AXYBQuery{AppKey: "y", ID: b2.ID}, []row{{b2.ID, ""}}},
		"by x":        {AXYBQuery{AppKey: "y", X: xnum(1)}, []row{{b1.ID, r1.ID}, {b1.ID, r2.ID}}},
		"by a":        {AXYBQuery{AppKey: "y", A: num(2)}, []row{{b2.ID, ""}}},
		"by a and x":  {AXYBQuery{AppKey: "y", A: num(2), X: xnum(1)}, nil},
		"page 2":      {AXYBQuery{AppKey: "y", PageIndex: 2, PageSize: 2}, []row{{b2.ID, ""}}},
		"unknown id":  {AXYBQuery{AppKey: "y", ID: "nope"}, nil},
		"x as y only": {AXYBQuery{AppKey: "y", X: xnum(3)}, nil},
	} {
		got, total, err := s.QueryAXYB(tc.q)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if tc.q.PageIndex == 0 && total != len(tc.want) || len(got) != len(tc.want) {
			t.Fatalf("%s: %d rows (total %d), want %d", name, len(got), total, len(tc.want))
		}
		for i, g := range got {
			if g.Binding.ID != tc.want[i].id || g.Relation.ID != tc.want[i].rel {
				t.Fatalf("%s: row %d = (%s, %s), want %v", name, i, g.Binding.ID, g.Relation.ID, tc.want[i])
			}
		}
	}
	if got, rels, err := s.GetAXYB("y", b1.ID); err != nil || got.Direction != 1 || len(rels) != 2 || rels[0].ID != r1.ID {
		t.Fatalf("GetAXYB: %+v %d %v", got, len(rels), err)
	}
	if _, _, err := s.GetAXYB("other", b1.ID); !errors.Is(err, ErrRecordNotFound) {
		t.Fatalf("GetAXYB of another app: %v", err)
	}
	if _, _, err := s.QueryAXYB(AXYBQuery{AppKey: "y", X: xnum(9)}); !errors.Is(err, ErrXNotInApp) {
		t.Fatalf("foreign x: %v", err)
	}
}

// Issue 4: Y use stays right under 50 concurrent first calls.
func TestConcurrentAllocateY(t *testing.T) {
	s, c := openTest(t, Options{})
	seedModeApp(t, s, "y", routing.ModeAXYB, 0, "0755", xrange(1, 11)...)
	b := mustBindAXYB(t, s, AXYBBindRequest{AppKey: "y", XChoice: XChoice{X: xnum(1)}, A: num(1)})
	now := c.Now()
	// 50 different B numbers, ten spare numbers: ten relations, distinct Ys.
	rels := make([]routing.YRelation, 50)
	errs := race(50, func(i int) error {
		var err error
		rels[i], err = s.AllocateY(b.ID, num(100+i), now)
		return err
	})
	ys := map[routing.Number]bool{}
	for i, err := range errs {
		switch {
		case err == nil:
			if ys[rels[i].Y] {
				t.Fatalf("Y %s given twice to one A", rels[i].Y.Masked())
			}
			ys[rels[i].Y] = true
		case !errors.Is(err, ErrNoFreeY):
			t.Fatalf("unexpected %v", err)
		}
	}
	if len(ys) != 10 {
		t.Fatalf("%d relations from ten spare numbers", len(ys))
	}
	// Every spare number serves as Y now: no X is free for a bind.
	if _, err := s.BindAXYB(AXYBBindRequest{AppKey: "y", A: num(2)}); !errors.Is(err, ErrNoFreeX) {
		t.Fatalf("bind with every number a Y: %v", err)
	}
	// One B calling 50 times at once: one relation.
	seedModeApp(t, s, "w", routing.ModeAXYB, 0, "0755", xnum(40), xnum(41))
	b2 := mustBindAXYB(t, s, AXYBBindRequest{AppKey: "w", A: num(2)})
	errs = race(50, func(i int) error {
		var err error
		rels[i], err = s.AllocateY(b2.ID, num(7), now)
		return err
	})
	for i, err := range errs {
		if err != nil || rels[i].ID != rels[0].ID {
			t.Fatalf("call %d: relation %s, %v", i, rels[i].ID, err)
		}
	}
	// Binds racing with allocation never take a number serving as Y.
	seedModeApp(t, s, "z", routing.ModeAXYB, 0, "0755", xrange(20, 29)...)
	bz := mustBindAXYB(t, s, AXYBBindRequest{AppKey: "z", XChoice: XChoice{X: xnum(20)}, A: num(3)})
	errs = race(50, func(i int) error {
		if i%2 == 0 {
			_, err := s.AllocateY(bz.ID, num(200+i), now)
			return err
		}
		_, err := s.BindAXYB(AXYBBindRequest{AppKey: "z", A: num(300 + i)})
		return err
	})
	for _, err := range errs {
		if err != nil && !errors.Is(err, ErrNoFreeY) && !errors.Is(err, ErrNoFreeX) {
			t.Fatalf("unexpected %v", err)
		}
	}
	rows, _, err := s.QueryAXYB(AXYBQuery{AppKey: "z", PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	xs, yset := map[routing.Number]bool{}, map[routing.Number]bool{}
	for _, r := range rows {
		xs[r.Binding.X] = true
		if r.Relation.ID != "" {
			yset[r.Relation.Y] = true
		}
	}
	for y := range yset {
		if xs[y] {
			t.Fatalf("%s is both an X and a Y", y.Masked())
		}
	}
	if len(xs)+len(yset) > 10 {
		t.Fatalf("%d X and %d Y from ten numbers", len(xs), len(yset))
	}
	mustCheck(t, s)
}
