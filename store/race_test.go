package store

import (
	"errors"
	"sync"
	"testing"

	"github.com/xnum/xnum/routing"
)

// raceBinds runs every request at once (released together by a closed
// channel) and returns each one's result, in request order.
func raceBinds(s *Store, reqs []BindRequest) ([]routing.Binding, []error) {
	out := make([]routing.Binding, len(reqs))
	errs := race(len(reqs), func(i int) error {
		var err error
		out[i], err = s.BindAXB(reqs[i])
		return err
	})
	return out, errs
}

// SPEC §3: a number appears at most once on an X, under concurrent requests.
// 50 binds race on one X in groups whose members pairwise share a number,
// so exactly one per group may win, whatever the order.
func TestConcurrentBindsSameX(t *testing.T) {
	s, _ := openTest(t, Options{})
	seedApp(t, s, "a", xnum(1))
	x := xnum(1)
	var reqs []BindRequest
	var groups [][]int // indexes into reqs
	add := func(pairs ...[2]int) {
		var g []int
		for _, p := range pairs {
			g = append(g, len(reqs))
			reqs = append(reqs, BindRequest{AppKey: "a", X: x, A: num(p[0]), B: num(p[1])})
		}
		groups = append(groups, g)
	}
	for g := range 5 { // stars: one A, five Bs
		a := 100 * (g + 1)
		add([2]int{a, a + 1}, [2]int{a + 2, a}, [2]int{a, a + 3}, [2]int{a + 4, a}, [2]int{a, a + 5})
	}
	for g := range 5 { // triangles: A–X–B, B–X–C, C–X–A
		p := 1000 + 10*g
		add([2]int{p, p + 1}, [2]int{p + 1, p + 2}, [2]int{p + 2, p})
	}
	var same [][2]int // ten identical requests
	for range 10 {
		same = append(same, [2]int{5000, 5001})
	}
	add(same...)
	if len(reqs) != 50 {
		t.Fatalf("%d requests", len(reqs))
	}

	// Routing reads run alongside the writers, for the race detector.
	done := make(chan struct{})
	var readers sync.WaitGroup
	readers.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			for _, r := range reqs[:5] {
				if _, _, err := s.BindingByParty(x, r.A); err != nil {
					t.Error(err)
					return
				}
			}
			if _, _, ok, err := s.XNumber(x); !ok || err != nil {
				t.Errorf("XNumber: %v %v", ok, err)
				return
			}
		}
	})
	got, errs := raceBinds(s, reqs)
	close(done)
	readers.Wait()

	wins := 0
	for gi, g := range groups {
		winner := -1
		for _, i := range g {
			switch {
			case errs[i] == nil && winner >= 0:
				t.Errorf("group %d: requests %d and %d both won", gi, winner, i)
			case errs[i] == nil:
				winner = i
			case !errors.Is(errs[i], ErrBindingExists):
				t.Errorf("request %d: %v, want ErrBindingExists", i, errs[i])
			}
		}
		if winner < 0 {
			t.Errorf("group %d: nobody won", gi)
			continue
		}
		wins++
		w := got[winner]
		// The winner's numbers route to the winner; a loser's number that is
		// not the winner's routes nowhere.
		for _, i := range g {
			for _, n := range []routing.Number{reqs[i].A, reqs[i].B} {
				want := ""
				if n == w.A || n == w.B {
					want = w.ID
				}
				routes(t, s, x, n, want)
			}
		}
	}
	if wins != 11 {
		t.Errorf("%d binds won, want 11", wins)
	}
	if _, total, _ := s.QueryAXB(Query{AppKey: "a", X: x}); total != 11 {
		t.Errorf("%d bindings stored, want 11", total)
	}
	mustCheck(t, s)
}

// SPEC §3: at most MaxPairsPerX pairs on an X, under concurrent requests.
func TestConcurrentBindsFullX(t *testing.T) {
	const limit = 5
	s, _ := openTest(t, Options{MaxPairsPerX: limit})
	seedApp(t, s, "a", xnum(1))
	var reqs []BindRequest
	for i := range 20 {
		reqs = append(reqs, BindRequest{AppKey: "a", X: xnum(1), A: num(2 * i), B: num(2*i + 1)})
	}
	got, errs := raceBinds(s, reqs)
	ok := 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
			routes(t, s, xnum(1), reqs[i].A, got[i].ID)
		case errors.Is(err, ErrXFull):
			routes(t, s, xnum(1), reqs[i].A, "")
		default:
			t.Errorf("request %d: %v", i, err)
		}
	}
	if ok != limit {
		t.Errorf("%d binds won, want %d", ok, limit)
	}
	if n, _ := pairCount(s.db, xnum(1)); n != limit {
		t.Errorf("pair count %d", n)
	}
	mustCheck(t, s)
}

// Binds that let the store pick the X fill every X to the limit and no more.
func TestConcurrentBindsAnyX(t *testing.T) {
	s, _ := openTest(t, Options{MaxPairsPerX: 2})
	seedApp(t, s, "a", xnum(1), xnum(2), xnum(3))
	var reqs []BindRequest
	for i := range 10 {
		reqs = append(reqs, BindRequest{AppKey: "a", A: num(2 * i), B: num(2*i + 1)})
	}
	_, errs := raceBinds(s, reqs)
	ok := 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, ErrNoFreeX):
			t.Errorf("request %d: %v", i, err)
		}
	}
	if ok != 6 {
		t.Errorf("%d binds won, want 6", ok)
	}
	for _, x := range []routing.Number{xnum(1), xnum(2), xnum(3)} {
		if _, total, _ := s.QueryAXB(Query{AppKey: "a", X: x}); total != 2 {
			t.Errorf("%s holds %d pairs, want 2", x, total)
		}
	}
	mustCheck(t, s)
}

// Concurrent modifies moving parties onto the same number: one wins.
func TestConcurrentModify(t *testing.T) {
	s, _ := openTest(t, Options{})
	seedApp(t, s, "a", xnum(1))
	var ids []string
	for i := range 10 {
		ids = append(ids, mustBind(t, s, BindRequest{AppKey: "a", A: num(2 * i), B: num(2*i + 1)}).ID)
	}
	errs := race(len(ids), func(i int) error {
		_, err := s.ModifyAXB("a", ids[i], func(b *routing.Binding) error { b.B = num(999); return nil })
		return err
	})
	ok := 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
			routes(t, s, xnum(1), num(999), ids[i])
		case !errors.Is(err, ErrBindingExists):
			t.Errorf("modify %d: %v", i, err)
		}
	}
	if ok != 1 {
		t.Errorf("%d modifies won, want 1", ok)
	}
	mustCheck(t, s)
}
