package store

import (
	"errors"
	"sync"
	"testing"

	"github.com/xnum/xnum/routing"
)

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
	if want == nil && err != nil || want != nil && !errorsIs(err, want) {
		t.Fatalf("%s: err = %v, want %v", what, err, want)
	}
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }
