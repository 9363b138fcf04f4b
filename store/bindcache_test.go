package store

import (
	"sync"
	"testing"
	"time"

	"github.com/xnum/xnum/routing"
)

// Every acknowledged change of a binding is seen by the next
// BindingByParty, though the lookups before it filled the cache.
func TestBindingCacheFollowsMutations(t *testing.T) {
	s, _ := openTest(t, Options{})
	seedApp(t, s, "a", xnum(1), xnum(2))
	b := mustBind(t, s, BindRequest{AppKey: "a", X: xnum(1), A: num(1), B: num(2), UserData: "one"})
	routes(t, s, xnum(1), num(1), b.ID) // fills the cache
	routes(t, s, xnum(1), num(2), b.ID)

	// The callee moves: the old callee no longer routes, the new one does,
	// and the cached answer for A carries the change.
	if _, err := s.ModifyAXB("a", b.ID, func(m *routing.Binding) error {
		m.B, m.UserData = num(3), "two"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	routes(t, s, xnum(1), num(2), "")
	routes(t, s, xnum(1), num(3), b.ID)
	if got, _, _ := s.BindingByParty(xnum(1), num(1)); got.B != num(3) || got.UserData != "two" {
		t.Fatalf("after modify, A's binding = %+v", got)
	}

	if err := s.UnbindAXB("a", b.ID); err != nil {
		t.Fatal(err)
	}
	routes(t, s, xnum(1), num(1), "")
	routes(t, s, xnum(1), num(3), "")

	// Removing the X removes its bindings (another path than unbind).
	b2 := mustBind(t, s, BindRequest{AppKey: "a", X: xnum(2), A: num(4), B: num(5)})
	routes(t, s, xnum(2), num(4), b2.ID)
	if err := s.RemoveNumber("a", xnum(2)); err != nil {
		t.Fatal(err)
	}
	routes(t, s, xnum(2), num(4), "")
}

// A cached binding stops routing the moment it expires, before any sweep.
func TestBindingCacheExpiry(t *testing.T) {
	s, c := openTest(t, Options{})
	seedApp(t, s, "a", xnum(1))
	b := mustBind(t, s, BindRequest{AppKey: "a", X: xnum(1), A: num(1), B: num(2), Duration: 60})
	routes(t, s, xnum(1), num(1), b.ID)
	c.Advance(59 * time.Second)
	routes(t, s, xnum(1), num(1), b.ID)
	c.Advance(time.Second)
	routes(t, s, xnum(1), num(1), "")
}

// A lookup that read Pebble before an unbind was acknowledged must not
// leave its answer in the cache: the hook parks it between its read and
// its cache fill while the binding goes.
func TestBindingCacheNoStaleFill(t *testing.T) {
	s, _ := openTest(t, Options{})
	seedApp(t, s, "a", xnum(1))
	b := mustBind(t, s, BindRequest{AppKey: "a", X: xnum(1), A: num(1), B: num(2)})
	read, proceed := make(chan struct{}), make(chan struct{})
	var once sync.Once
	s.afterBindingRead = func() {
		once.Do(func() {
			close(read)
			<-proceed
		})
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		if _, ok, err := s.BindingByParty(xnum(1), num(1)); err != nil || !ok {
			t.Errorf("the parked lookup read after the unbind (found=%v, %v)", ok, err)
		}
	})
	<-read
	if err := s.UnbindAXB("a", b.ID); err != nil {
		t.Fatal(err)
	}
	close(proceed)
	wg.Wait()
	routes(t, s, xnum(1), num(1), "")
}

// Concurrent lookups and binds/unbinds: once an unbind returns, no lookup
// started afterwards finds the binding.
func TestBindingCacheRace(t *testing.T) {
	s, _ := openTest(t, Options{})
	seedApp(t, s, "a", xnum(1))
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, _, err := s.BindingByParty(xnum(1), num(1)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for range 50 {
		b := mustBind(t, s, BindRequest{AppKey: "a", X: xnum(1), A: num(1), B: num(2)})
		routes(t, s, xnum(1), num(1), b.ID)
		if err := s.UnbindAXB("a", b.ID); err != nil {
			t.Fatal(err)
		}
		routes(t, s, xnum(1), num(1), "")
	}
	close(stop)
	wg.Wait()
}
