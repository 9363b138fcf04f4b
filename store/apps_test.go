package store

import (
	"errors"
	"sync"
	"testing"

	"github.com/xnum/xnum/routing"
)

func TestAppCRUD(t *testing.T) {
	s, c := openTest(t, Options{})
	app := routing.App{Key: "k1", Secret: "sec", Mode: routing.ModeAXB, FeeURL: "http://fee", Prompts: map[string]string{"p": "f.wav"}}
	if err := s.CreateApp(app); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateApp(app); !errors.Is(err, ErrAppExists) {
		t.Fatalf("second CreateApp: %v, want ErrAppExists", err)
	}
	got, err := s.GetApp("k1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Secret != "sec" || got.FeeURL != "http://fee" || !got.Created.Equal(c.Now()) || got.Prompts["p"] != "f.wav" {
		t.Fatalf("GetApp = %+v", got)
	}
	if _, err := s.GetApp("nope"); !errors.Is(err, ErrAppNotFound) {
		t.Fatalf("GetApp unknown: %v", err)
	}

	got.FeeURL = "http://fee2"
	got.Created = got.Created.Add(1e9) // the store keeps the original
	if err := s.UpdateApp(got); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateApp(routing.App{Key: "nope", Mode: routing.ModeAXB}); !errors.Is(err, ErrAppNotFound) {
		t.Fatalf("UpdateApp unknown: %v", err)
	}
	if err := s.SetFrozen("k1", true); err != nil {
		t.Fatal(err)
	}
	got, _ = s.GetApp("k1")
	if got.FeeURL != "http://fee2" || !got.Frozen || !got.Created.Equal(c.Now()) {
		t.Fatalf("after update+freeze: %+v", got)
	}
	if err := s.SetFrozen("nope", true); !errors.Is(err, ErrAppNotFound) {
		t.Fatalf("SetFrozen unknown: %v", err)
	}

	if err := s.CreateApp(routing.App{Key: "k0", Mode: routing.ModeAX}); err != nil {
		t.Fatal(err)
	}
	apps, err := s.ListApps()
	if err != nil || len(apps) != 2 || apps[0].Key != "k0" || apps[1].Key != "k1" {
		t.Fatalf("ListApps = %v, %v", apps, err)
	}
	if err := s.DeleteApp("k1"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteApp("k1"); !errors.Is(err, ErrAppNotFound) {
		t.Fatalf("second DeleteApp: %v", err)
	}
	if apps, _ := s.ListApps(); len(apps) != 1 {
		t.Fatalf("ListApps after delete = %v", apps)
	}
	mustCheck(t, s)
}

func TestAppInvalid(t *testing.T) {
	s, _ := openTest(t, Options{})
	for _, a := range []routing.App{
		{Key: "", Mode: routing.ModeAXB},
		{Key: "a\x00b", Mode: routing.ModeAXB},
		{Key: "a b", Mode: routing.ModeAXB},
		{Key: "ok", Mode: "BAD"},
	} {
		if err := s.CreateApp(a); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("CreateApp(%q, %q) = %v, want ErrInvalidArgument", a.Key, a.Mode, err)
		}
	}
	if apps, _ := s.ListApps(); len(apps) != 0 {
		t.Fatalf("invalid apps stored: %v", apps)
	}
}

func TestUpdateAppModeOnlyWithoutNumbers(t *testing.T) {
	s, _ := openTest(t, Options{})
	seedApp(t, s, "a", xnum(1))
	if err := s.UpdateApp(routing.App{Key: "a", Mode: routing.ModeAX}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("mode change with numbers: %v", err)
	}
	if err := s.RemoveNumber("a", xnum(1)); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateApp(routing.App{Key: "a", Mode: routing.ModeAX}); err != nil {
		t.Fatalf("mode change without numbers: %v", err)
	}
}

// Deleting an app takes its numbers and bindings with it, and nothing of
// another app.
func TestDeleteAppCascades(t *testing.T) {
	s, _ := openTest(t, Options{})
	seedApp(t, s, "a", xnum(1), xnum(2))
	seedApp(t, s, "b", xnum(3))
	mustBind(t, s, BindRequest{AppKey: "a", X: xnum(1), A: num(1), B: num(2)})
	mustBind(t, s, BindRequest{AppKey: "a", X: xnum(2), A: num(1), B: num(2)})
	kept := mustBind(t, s, BindRequest{AppKey: "b", X: xnum(3), A: num(1), B: num(2)})
	if err := s.DeleteApp("a"); err != nil {
		t.Fatal(err)
	}
	for _, x := range []routing.Number{xnum(1), xnum(2)} {
		if ok, _ := s.IsX(x); ok {
			t.Errorf("%s still an X", x)
		}
		routes(t, s, x, num(1), "")
	}
	routes(t, s, xnum(3), num(1), kept.ID)
	mustCheck(t, s)
}

func TestNumbers(t *testing.T) {
	s, c := openTest(t, Options{})
	seedApp(t, s, "a")
	seedApp(t, s, "b")
	if err := s.AddNumbers("a", []routing.Number{xnum(2), xnum(1)}, "0755"); err != nil {
		t.Fatal(err)
	}
	if err := s.AddNumbers("nope", []routing.Number{xnum(9)}, ""); !errors.Is(err, ErrAppNotFound) {
		t.Fatalf("AddNumbers unknown app: %v", err)
	}
	// All or none: xnum(5) is not stored because xnum(1) is taken.
	if err := s.AddNumbers("b", []routing.Number{xnum(5), xnum(1)}, ""); !errors.Is(err, ErrNumberTaken) {
		t.Fatalf("AddNumbers taken: %v", err)
	}
	if ok, _ := s.IsX(xnum(5)); ok {
		t.Fatal("half-applied AddNumbers")
	}
	if err := s.AddNumbers("a", []routing.Number{"13800000000"}, ""); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("AddNumbers invalid: %v", err)
	}
	if err := s.SetSuspended("a", xnum(1), true); err != nil {
		t.Fatal(err)
	}
	c.Advance(1e9)
	// Re-adding is idempotent: state and Added are kept, the area follows.
	if err := s.AddNumbers("a", []routing.Number{xnum(1)}, "020"); err != nil {
		t.Fatal(err)
	}
	ns, err := s.ListNumbers("a")
	if err != nil || len(ns) != 2 {
		t.Fatalf("ListNumbers = %v, %v", ns, err)
	}
	if ns[0].Number != xnum(1) || !ns[0].Suspended || ns[0].AreaCode != "020" || !ns[0].Added.Equal(c.Now().Add(-1e9)) || ns[1].Number != xnum(2) || ns[1].AreaCode != "0755" {
		t.Fatalf("ListNumbers = %+v", ns)
	}
	if _, err := s.ListNumbers("nope"); !errors.Is(err, ErrAppNotFound) {
		t.Fatalf("ListNumbers unknown: %v", err)
	}
	if err := s.SetSuspended("b", xnum(1), false); !errors.Is(err, ErrNumberNotFound) {
		t.Fatalf("SetSuspended other app: %v", err)
	}
	if err := s.RemoveNumber("b", xnum(1)); !errors.Is(err, ErrNumberNotFound) {
		t.Fatalf("RemoveNumber other app: %v", err)
	}
	if err := s.RemoveNumber("a", xnum(1)); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveNumber("a", xnum(1)); !errors.Is(err, ErrNumberNotFound) {
		t.Fatalf("second RemoveNumber: %v", err)
	}
	// Removed, the number is free for another app.
	if err := s.AddNumbers("b", []routing.Number{xnum(1)}, ""); err != nil {
		t.Fatal(err)
	}
	mustCheck(t, s)
}

// XNumber answers from its cache, and every acknowledged change of the app
// or the number is visible at once (SPEC §3: frozen → 7108, suspended → 8055).
func TestXNumberSeesChanges(t *testing.T) {
	s, _ := openTest(t, Options{})
	seedApp(t, s, "a", xnum(1))
	check := func(wantOK, frozen, suspended bool) {
		t.Helper()
		x, app, ok, err := s.XNumber(xnum(1))
		if err != nil || ok != wantOK {
			t.Fatalf("XNumber ok=%v err=%v, want ok=%v", ok, err, wantOK)
		}
		if ok && (app.Key != "a" || x.AppKey != "a" || app.Frozen != frozen || x.Suspended != suspended) {
			t.Fatalf("XNumber = %+v %+v, want frozen=%v suspended=%v", x, app, frozen, suspended)
		}
	}
	check(true, false, false)
	check(true, false, false) // cached
	if err := s.SetFrozen("a", true); err != nil {
		t.Fatal(err)
	}
	check(true, true, false)
	if err := s.SetSuspended("a", xnum(1), true); err != nil {
		t.Fatal(err)
	}
	check(true, true, true)
	if err := s.SetFrozen("a", false); err != nil {
		t.Fatal(err)
	}
	check(true, false, true)
	if err := s.RemoveNumber("a", xnum(1)); err != nil {
		t.Fatal(err)
	}
	check(false, false, false)
	if _, _, ok, _ := s.XNumber(num(1)); ok {
		t.Fatal("a real number is an X")
	}
	// The returned app is a copy: changing it must not change the cache.
	seedApp(t, s, "p", xnum(2))
	a := routing.App{Key: "p", Mode: routing.ModeAXB, Prompts: map[string]string{"n": "v"}}
	if err := s.UpdateApp(a); err != nil {
		t.Fatal(err)
	}
	_, got, _, _ := s.XNumber(xnum(2))
	got.Prompts["n"] = "changed"
	_, got, _, _ = s.XNumber(xnum(2))
	if got.Prompts["n"] != "v" {
		t.Fatal("XNumber shares its cached prompts map")
	}
}

func TestClosed(t *testing.T) {
	s, _ := openTest(t, Options{})
	seedApp(t, s, "a", xnum(1))
	if _, _, ok, _ := s.XNumber(xnum(1)); !ok { // cached
		t.Fatal("XNumber before Close")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, _, _, err := s.XNumber(xnum(1)); !errors.Is(err, ErrClosed) {
		t.Fatalf("XNumber after Close: %v", err)
	}
	if _, err := s.GetApp("a"); !errors.Is(err, ErrClosed) {
		t.Fatalf("GetApp after Close: %v", err)
	}
	if err := s.CreateApp(routing.App{Key: "b", Mode: routing.ModeAXB}); !errors.Is(err, ErrClosed) {
		t.Fatalf("CreateApp after Close: %v", err)
	}
}

// A reopened directory keeps everything; a directory of another layout
// version is refused rather than misread.
func TestReopenAndSchema(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	seedApp(t, s, "a", xnum(1))
	b := mustBind(t, s, BindRequest{AppKey: "a", A: num(1), B: num(2)})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	routes(t, s, xnum(1), num(2), b.ID)
	if err := s.db.Set(keySchema, []byte("99"), nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, Options{}); !errors.Is(err, ErrSchemaVersion) {
		t.Fatalf("Open with schema 99: %v", err)
	}
}

// A lookup that read Pebble before a change was acknowledged must not leave
// its stale answer in the cache: the change's next reader sees the change.
// The hook parks the lookup between its read and its cache store while the
// app is frozen.
func TestXNumberCacheNoStaleFill(t *testing.T) {
	s, _ := openTest(t, Options{})
	seedApp(t, s, "a", xnum(1))
	read, proceed := make(chan struct{}), make(chan struct{})
	s.afterXRead = func() {
		s.afterXRead = nil
		close(read)
		<-proceed
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		if _, app, _, _ := s.XNumber(xnum(1)); app.Frozen {
			t.Error("the parked lookup read after the freeze")
		}
	})
	<-read
	if err := s.SetFrozen("a", true); err != nil {
		t.Fatal(err)
	}
	close(proceed)
	wg.Wait()
	if _, app, ok, err := s.XNumber(xnum(1)); err != nil || !ok || !app.Frozen {
		t.Fatalf("after freeze: frozen=%v ok=%v err=%v", app.Frozen, ok, err)
	}
}
