package media

import (
	"errors"
	"testing"
	"time"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time          { return c.t }
func (c *fakeClock) Advance(d time.Duration) { c.t = c.t.Add(d) }

func TestPortAllocatorEvenPairs(t *testing.T) {
	a, err := NewPortAllocator(20001, 20010, time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	// 20001 is odd: the range starts at 20002; 20010 has no partner.
	var got []int
	for {
		p, err := a.Acquire()
		if err != nil {
			if !errors.Is(err, ErrNoPorts) {
				t.Fatal(err)
			}
			break
		}
		got = append(got, p)
	}
	want := []int{20002, 20004, 20006, 20008}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	if a.InUse() != 4 || a.Pairs() != 4 {
		t.Fatalf("in use %d of %d", a.InUse(), a.Pairs())
	}
}

func TestPortAllocatorQuarantine(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	a, _ := NewPortAllocator(30000, 30003, 5*time.Second, clk.Now)
	p1, _ := a.Acquire()
	p2, _ := a.Acquire()
	if _, err := a.Acquire(); !errors.Is(err, ErrNoPorts) {
		t.Fatalf("third pair from a two-pair range: %v", err)
	}
	a.Release(p2)
	clk.Advance(time.Second)
	a.Release(p1)
	a.Release(p1) // twice: no effect
	clk.Advance(3 * time.Second)
	if _, err := a.Acquire(); !errors.Is(err, ErrNoPorts) {
		t.Fatalf("port reused inside its quarantine: %v", err)
	}
	clk.Advance(time.Second) // p2 rested 5 s, p1 4 s
	if p, err := a.Acquire(); err != nil || p != p2 {
		t.Fatalf("got %d %v, want %d (released first)", p, err, p2)
	}
	if _, err := a.Acquire(); !errors.Is(err, ErrNoPorts) {
		t.Fatalf("p1 reused after 4 s: %v", err)
	}
	clk.Advance(time.Second)
	if p, err := a.Acquire(); err != nil || p != p1 {
		t.Fatalf("got %d %v, want %d", p, err, p1)
	}
}

func TestPortAllocatorBadRange(t *testing.T) {
	for _, r := range [][2]int{{0, 10}, {20000, 20000}, {30000, 20000}, {65535, 65536}} {
		if _, err := NewPortAllocator(r[0], r[1], 0, nil); !errors.Is(err, ErrBadConfig) {
			t.Errorf("%v: %v", r, err)
		}
	}
}
