package store

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/xnum/xnum/routing"
)

func TestModifyParties(t *testing.T) {
	s, c := openTest(t, Options{})
	seedApp(t, s, "a", xnum(1))
	seedApp(t, s, "o", xnum(2))
	b := mustBind(t, s, BindRequest{AppKey: "a", A: num(1), B: num(2), Duration: 600})
	other := mustBind(t, s, BindRequest{AppKey: "a", A: num(3), B: num(4)})
	c.Advance(time.Minute)

	nb, err := s.ModifyAXB("a", b.ID, func(m *routing.Binding) error {
		m.A, m.Direction, m.UserData = num(5), 2, "v2"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if nb.A != num(5) || nb.B != num(2) || nb.Direction != 2 || nb.UserData != "v2" || !nb.Expires.Equal(b.Expires) {
		t.Fatalf("modified = %+v", nb)
	}
	routes(t, s, xnum(1), num(1), "")
	routes(t, s, xnum(1), num(5), b.ID)
	routes(t, s, xnum(1), num(2), b.ID)
	mustCheck(t, s)

	// Swapping A and B keeps the same numbers on X: allowed.
	if _, err := s.ModifyAXB("a", b.ID, func(m *routing.Binding) error { m.A, m.B = m.B, m.A; return nil }); err != nil {
		t.Fatalf("swap: %v", err)
	}
	for name, tc := range map[string]struct {
		fn   func(*routing.Binding) error
		want error
	}{
		"party of another pair": {func(m *routing.Binding) error { m.B = num(3); return nil }, ErrBindingExists},
		"party is an x":         {func(m *routing.Binding) error { m.B = xnum(2); return nil }, ErrPartyIsX},
		"a equals b":            {func(m *routing.Binding) error { m.A = m.B; return nil }, ErrInvalidArgument},
		"x changed":             {func(m *routing.Binding) error { m.X = xnum(2); return nil }, ErrImmutableField},
		"id changed":            {func(m *routing.Binding) error { m.ID = other.ID; return nil }, ErrImmutableField},
		"expires set":           {func(m *routing.Binding) error { m.Expires = m.Expires.Add(time.Hour); return nil }, ErrImmutableField},
		"callback refuses":      {func(*routing.Binding) error { return errTest }, errTest},
	} {
		if _, err := s.ModifyAXB("a", b.ID, tc.fn); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	if _, err := s.ModifyAXB("o", b.ID, func(*routing.Binding) error { return nil }); !errors.Is(err, ErrBindingNotFound) {
		t.Errorf("modify by another app: %v", err)
	}
	got, _ := s.GetBinding("a", b.ID)
	if got.A != num(2) || got.B != num(5) {
		t.Fatalf("a refused modify changed the binding: %+v", got)
	}
	routes(t, s, xnum(1), num(3), other.ID)
	mustCheck(t, s)
}

var errTest = errors.New("test refusal")

// SPEC §3: modifying duration restarts the expiry clock from the modification.
func TestModifyDurationRestartsClock(t *testing.T) {
	s, c := openTest(t, Options{})
	seedApp(t, s, "a", xnum(1))
	b := mustBind(t, s, BindRequest{AppKey: "a", A: num(1), B: num(2), Duration: 600})
	c.Advance(500 * time.Second)

	// Other changes keep the clock.
	nb, err := s.ModifyAXB("a", b.ID, func(m *routing.Binding) error { m.MaxDuration = 5; return nil })
	if err != nil || !nb.Expires.Equal(b.Expires) {
		t.Fatalf("modify maxDuration: expires %v, want %v (%v)", nb.Expires, b.Expires, err)
	}
	// A new duration counts from now.
	nb, err = s.ModifyAXB("a", b.ID, func(m *routing.Binding) error { m.Duration = 300; return nil })
	if err != nil || !nb.Expires.Equal(c.Now().Add(300*time.Second)) {
		t.Fatalf("modify duration: expires %v, want now+300s (%v)", nb.Expires, err)
	}
	c.Advance(200 * time.Second) // past the original expiry
	routes(t, s, xnum(1), num(1), b.ID)
	// The same duration with Expires zeroed restarts the clock too.
	nb, err = s.ModifyAXB("a", b.ID, func(m *routing.Binding) error { m.Duration, m.Expires = 300, time.Time{}; return nil })
	if err != nil || !nb.Expires.Equal(c.Now().Add(300*time.Second)) {
		t.Fatalf("restart same duration: expires %v (%v)", nb.Expires, err)
	}
	// Duration 0 never expires.
	nb, err = s.ModifyAXB("a", b.ID, func(m *routing.Binding) error { m.Duration = 0; return nil })
	if err != nil || !nb.Expires.IsZero() {
		t.Fatalf("duration 0: expires %v (%v)", nb.Expires, err)
	}
	c.Advance(1000 * time.Hour)
	routes(t, s, xnum(1), num(2), b.ID)
	if n, err := s.SweepExpired(); err != nil || n != 0 {
		t.Fatalf("sweep swept %d, %v", n, err)
	}
	mustCheck(t, s)
}

func TestQueryAXB(t *testing.T) {
	s, c := openTest(t, Options{})
	seedApp(t, s, "a", xnum(1), xnum(2))
	seedApp(t, s, "o", xnum(3))
	var ids []string
	for i := range 5 {
		x := xnum(1 + i%2)
		ids = append(ids, mustBind(t, s, BindRequest{AppKey: "a", X: x, A: num(10 + i), B: num(20 + i)}).ID)
		c.Advance(time.Second)
	}
	mustBind(t, s, BindRequest{AppKey: "o", X: xnum(3), A: num(10), B: num(20)})
	// Bound at the same instant: ordered by id.
	same := []string{
		mustBind(t, s, BindRequest{AppKey: "a", X: xnum(2), A: num(30), B: num(31)}).ID,
		mustBind(t, s, BindRequest{AppKey: "a", X: xnum(2), A: num(32), B: num(33)}).ID,
	}
	if same[0] > same[1] {
		same[0], same[1] = same[1], same[0]
	}
	ids = append(ids, same...)
	expiring := mustBind(t, s, BindRequest{AppKey: "a", X: xnum(1), A: num(40), B: num(41), Duration: 60})
	c.Advance(time.Minute) // expired, not swept: absent from queries

	idsOf := func(bs []routing.Binding) []string {
		var out []string
		for _, b := range bs {
			out = append(out, b.ID)
		}
		return out
	}
	for name, tc := range map[string]struct {
		q     Query
		total int
		want  []string
	}{
		"all":            {Query{AppKey: "a"}, 7, ids},
		"page 2 of 3":    {Query{AppKey: "a", PageIndex: 2, PageSize: 3}, 7, ids[3:6]},
		"last page":      {Query{AppKey: "a", PageIndex: 3, PageSize: 3}, 7, ids[6:]},
		"beyond":         {Query{AppKey: "a", PageIndex: 9, PageSize: 3}, 7, nil},
		"x1":             {Query{AppKey: "a", X: xnum(1)}, 3, []string{ids[0], ids[2], ids[4]}},
		"x1 caller":      {Query{AppKey: "a", X: xnum(1), Caller: num(12)}, 1, []string{ids[2]}},
		"x1 callee":      {Query{AppKey: "a", X: xnum(1), Callee: num(22)}, 1, []string{ids[2]}},
		"caller as b":    {Query{AppKey: "a", X: xnum(1), Caller: num(22)}, 0, nil},
		"caller and b":   {Query{AppKey: "a", Caller: num(11), Callee: num(21)}, 1, []string{ids[1]}},
		"caller any x":   {Query{AppKey: "a", Caller: num(13)}, 1, []string{ids[3]}},
		"expired caller": {Query{AppKey: "a", Caller: num(40)}, 0, nil},
	} {
		got, total, err := s.QueryAXB(tc.q)
		if err != nil || total != tc.total || !slices.Equal(idsOf(got), tc.want) {
			t.Errorf("%s: %v total %d (%v), want %v total %d", name, idsOf(got), total, err, tc.want, tc.total)
		}
	}
	if _, _, err := s.QueryAXB(Query{AppKey: "a", X: xnum(3)}); !errors.Is(err, ErrXNotInApp) {
		t.Errorf("query another app's X: %v", err)
	}
	if _, _, err := s.QueryAXB(Query{AppKey: "zz"}); !errors.Is(err, ErrAppNotFound) {
		t.Errorf("query unknown app: %v", err)
	}
	if _, err := s.GetBinding("a", expiring.ID); !errors.Is(err, ErrBindingNotFound) {
		t.Errorf("GetBinding expired: %v", err)
	}
}
