package store

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/xnum/xnum/routing"
)

// clock is the injected Options.Now: tests move time instead of sleeping.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// openTest opens a store in a fresh directory with a fake clock.
func openTest(t testing.TB, opts Options) (*Store, *clock) {
	t.Helper()
	return openDir(t, t.TempDir(), opts)
}

func openDir(t testing.TB, dir string, opts Options) (*Store, *clock) {
	t.Helper()
	c := newClock()
	if opts.Now == nil {
		opts.Now = c.Now
	}
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, c
}

// num returns a distinct valid mobile number.
func num(i int) routing.Number { return routing.Number(fmt.Sprintf("+86138%08d", i)) }

// xnum returns a distinct X number.
func xnum(i int) routing.Number { return routing.Number(fmt.Sprintf("+86170%08d", i)) }

// seedApp creates an AXB app with the X numbers xs in area "0755".
func seedApp(t testing.TB, s *Store, key string, xs ...routing.Number) {
	t.Helper()
	seedModeApp(t, s, key, routing.ModeAXB, 0, "0755", xs...)
}

func mustBind(t testing.TB, s *Store, r BindRequest) routing.Binding {
	t.Helper()
	b, err := s.BindAXB(r)
	if err != nil {
		t.Fatalf("BindAXB %s–%s: %v", r.A.Masked(), r.B.Masked(), err)
	}
	return b
}

func mustCheck(t testing.TB, s *Store) {
	t.Helper()
	if err := s.CheckIndexes(); err != nil {
		t.Fatalf("CheckIndexes: %v", err)
	}
}

// routes asserts what BindingByParty answers for n on x.
func routes(t testing.TB, s *Store, x, n routing.Number, wantID string) {
	t.Helper()
	b, ok, err := s.BindingByParty(x, n)
	if err != nil {
		t.Fatalf("BindingByParty: %v", err)
	}
	switch {
	case wantID == "" && ok:
		t.Fatalf("BindingByParty(%s, %s) = %s, want none", x.Masked(), n.Masked(), b.ID)
	case wantID != "" && (!ok || b.ID != wantID):
		t.Fatalf("BindingByParty(%s, %s) = %q ok=%v, want %s", x.Masked(), n.Masked(), b.ID, ok, wantID)
	}
}

// seedModeApp creates an app of mode (AXE apps with extension length
// extLen) owning xs in area.
func seedModeApp(t testing.TB, s *Store, key string, mode routing.Mode, extLen int, area string, xs ...routing.Number) {
	t.Helper()
	if err := s.CreateApp(routing.App{Key: key, Secret: "s", Mode: mode, ExtLen: extLen}); err != nil {
		t.Fatalf("CreateApp %s: %v", key, err)
	}
	if len(xs) > 0 {
		if err := s.AddNumbers(key, xs, area); err != nil {
			t.Fatalf("AddNumbers %s: %v", key, err)
		}
	}
}

// xs returns the X numbers xnum(from) … xnum(to).
func xrange(from, to int) []routing.Number {
	var out []routing.Number
	for i := from; i <= to; i++ {
		out = append(out, xnum(i))
	}
	return out
}

// race runs n calls of fn at once (released together by a closed channel)
// and returns each one's error, in call order.
func race(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// wantErr fails unless err matches want (nil for success).
func wantErr(t testing.TB, what string, err, want error) {
	t.Helper()
	if want == nil && err != nil || want != nil && !errors.Is(err, want) {
		t.Fatalf("%s: err = %v, want %v", what, err, want)
	}
}

func mustBindAX(t testing.TB, s *Store, r AXBindRequest) routing.AXBinding {
	t.Helper()
	b, err := s.BindAX(r)
	if err != nil {
		t.Fatalf("BindAX %s: %v", r.A.Masked(), err)
	}
	return b
}

func mustBindAXE(t testing.TB, s *Store, r AXEBindRequest) routing.AXEBinding {
	t.Helper()
	b, err := s.BindAXE(r)
	if err != nil {
		t.Fatalf("BindAXE %s: %v", r.A.Masked(), err)
	}
	return b
}

func mustBindAXYB(t testing.TB, s *Store, r AXYBBindRequest) routing.AXYBBinding {
	t.Helper()
	b, err := s.BindAXYB(r)
	if err != nil {
		t.Fatalf("BindAXYB %s: %v", r.A.Masked(), err)
	}
	return b
}

// wins counts the calls of a race that succeeded; every other one must
// have failed with lost.
func wins(t testing.TB, errs []error, lost error) int {
	t.Helper()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, lost):
			t.Fatalf("unexpected %v", err)
		}
	}
	return won
}
