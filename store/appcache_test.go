package store

import (
	"errors"
	"sync"
	"testing"

	"github.com/xnum/xnum/routing"
)

// Every app mutation is seen by the next GetApp: the cache never answers
// with what was there before an acknowledged change.
func TestGetAppCacheFollowsMutations(t *testing.T) {
	s, _ := openTest(t, Options{})
	seedApp(t, s, "a")
	a, err := s.GetApp("a") // fills the cache
	if err != nil {
		t.Fatal(err)
	}
	a.StatusURL = "http://127.0.0.1:1/status"
	if err := s.UpdateApp(a); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetApp("a"); err != nil || got.StatusURL != a.StatusURL {
		t.Fatalf("after UpdateApp: %q %v", got.StatusURL, err)
	}
	if err := s.SetFrozen("a", true); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetApp("a"); err != nil || !got.Frozen {
		t.Fatalf("after SetFrozen: frozen=%v %v", got.Frozen, err)
	}
	if err := s.DeleteApp("a"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetApp("a"); !errors.Is(err, ErrAppNotFound) {
		t.Fatalf("after DeleteApp: %v", err)
	}
	seedApp(t, s, "a") // re-created: not frozen, no URL
	if got, err := s.GetApp("a"); err != nil || got.Frozen || got.StatusURL != "" {
		t.Fatalf("after re-create: %+v %v", got, err)
	}
}

// Callers get their own copy: editing the answer does not edit the cache.
func TestGetAppCacheCopies(t *testing.T) {
	s, _ := openTest(t, Options{})
	seedApp(t, s, "a")
	a, err := s.GetApp("a")
	if err != nil {
		t.Fatal(err)
	}
	a.Prompts = map[string]string{"x": "y"}
	a.Secret = "changed"
	b, err := s.GetApp("a")
	if err != nil || b.Secret == "changed" || b.Prompts["x"] == "y" {
		t.Fatalf("the cache was edited through an answer: %+v %v", b, err)
	}
}

// A GetApp that read Pebble before a change was acknowledged must not leave
// its stale answer in the cache. The hook parks the lookup between its read
// and its cache store while the app is frozen.
func TestGetAppCacheNoStaleFill(t *testing.T) {
	s, _ := openTest(t, Options{})
	seedApp(t, s, "a")
	read, proceed := make(chan struct{}), make(chan struct{})
	var once sync.Once
	s.afterAppRead = func() {
		once.Do(func() {
			close(read)
			<-proceed
		})
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		if app, err := s.GetApp("a"); err != nil || app.Frozen {
			t.Errorf("the parked lookup read after the freeze (frozen=%v, %v)", app.Frozen, err)
		}
	})
	<-read
	if err := s.SetFrozen("a", true); err != nil {
		t.Fatal(err)
	}
	close(proceed)
	wg.Wait()
	if app, err := s.GetApp("a"); err != nil || !app.Frozen {
		t.Fatalf("after freeze: frozen=%v err=%v", app.Frozen, err)
	}
}

// Concurrent readers and a writer: once SetFrozen returns, no reader started
// afterwards sees the old value.
func TestGetAppCacheRace(t *testing.T) {
	s, _ := openTest(t, Options{})
	seedApp(t, s, "a")
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
				if _, err := s.GetApp("a"); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for i := range 50 {
		want := i%2 == 0
		if err := s.SetFrozen("a", want); err != nil {
			t.Fatal(err)
		}
		if app, err := s.GetApp("a"); err != nil || app.Frozen != want {
			close(stop)
			wg.Wait()
			t.Fatalf("round %d: frozen=%v want %v (%v)", i, app.Frozen, want, err)
		}
	}
	close(stop)
	wg.Wait()
}

// A number that is no X is remembered as such only until numbers change: a
// number added afterwards is an X at once, and a lookup that read "no X"
// before the add was acknowledged does not leave that answer behind.
func TestXNumberNegativeCache(t *testing.T) {
	s, _ := openTest(t, Options{})
	seedApp(t, s, "a", xnum(1))
	if ok, err := s.IsX(xnum(2)); err != nil || ok {
		t.Fatalf("IsX before the add: %v %v", ok, err)
	}
	read, proceed := make(chan struct{}), make(chan struct{})
	var once sync.Once
	s.afterXRead = func() {
		once.Do(func() {
			close(read)
			<-proceed
		})
	}
	var wg sync.WaitGroup
	wg.Go(func() { _, _ = s.IsX(xnum(3)) }) // reads "no X", parked before it keeps that
	<-read
	if err := s.AddNumbers("a", []routing.Number{xnum(2), xnum(3)}, "0755"); err != nil {
		t.Fatal(err)
	}
	close(proceed)
	wg.Wait()
	for _, n := range []routing.Number{xnum(2), xnum(3)} {
		if ok, err := s.IsX(n); err != nil || !ok {
			t.Fatalf("IsX(%s) after the add: %v %v", n.Masked(), ok, err)
		}
	}
}
