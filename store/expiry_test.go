package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/xnum/xnum/routing"
)

// SPEC §3: expired bindings count as absent before the sweep reaches them.
func TestExpiredIsAbsent(t *testing.T) {
	s, c := openTest(t, Options{})
	seedApp(t, s, "a", xnum(1))
	b := mustBind(t, s, BindRequest{AppKey: "a", X: xnum(1), A: num(1), B: num(2), Duration: 60})
	c.Advance(59 * time.Second)
	routes(t, s, xnum(1), num(1), b.ID)
	c.Advance(time.Second) // exactly at Expires: no longer routes
	routes(t, s, xnum(1), num(1), "")
	routes(t, s, xnum(1), num(2), "")
	if _, err := s.GetBinding("a", b.ID); !errors.Is(err, ErrBindingNotFound) {
		t.Fatalf("GetBinding expired: %v", err)
	}
	if err := s.UnbindAXB("a", b.ID); !errors.Is(err, ErrBindingNotFound) {
		t.Fatalf("UnbindAXB expired: %v", err)
	}
	if _, err := s.ModifyAXB("a", b.ID, func(m *routing.Binding) error { m.Duration = 600; return nil }); !errors.Is(err, ErrBindingNotFound) {
		t.Fatalf("ModifyAXB expired: %v", err)
	}
	if _, err := s.UnbindX("a", xnum(1)); !errors.Is(err, ErrBindingNotFound) {
		t.Fatalf("UnbindX with only expired: %v", err)
	}
	// A new pair may reuse the numbers: the expired binding is cleaned in the
	// same batch, so the indexes agree without a sweep.
	nb := mustBind(t, s, BindRequest{AppKey: "a", X: xnum(1), A: num(2), B: num(3)})
	routes(t, s, xnum(1), num(2), nb.ID)
	routes(t, s, xnum(1), num(1), "")
	mustCheck(t, s)
	if _, err := s.GetBinding("a", b.ID); !errors.Is(err, ErrBindingNotFound) {
		t.Fatal("the expired binding survived the rebind")
	}
}

// A full X whose pairs expired has room again.
func TestExpiredFreesFullX(t *testing.T) {
	s, c := openTest(t, Options{MaxPairsPerX: 2})
	seedApp(t, s, "a", xnum(1))
	mustBind(t, s, BindRequest{AppKey: "a", A: num(1), B: num(2), Duration: 60})
	kept := mustBind(t, s, BindRequest{AppKey: "a", A: num(3), B: num(4)})
	if _, err := s.BindAXB(BindRequest{AppKey: "a", A: num(5), B: num(6)}); !errors.Is(err, ErrNoFreeX) {
		t.Fatalf("full: %v", err)
	}
	c.Advance(time.Minute)
	mustBind(t, s, BindRequest{AppKey: "a", A: num(5), B: num(6)})
	routes(t, s, xnum(1), num(3), kept.ID)
	mustCheck(t, s)
}

func TestSweepExpired(t *testing.T) {
	s, c := openTest(t, Options{})
	seedApp(t, s, "a", xnum(1), xnum(2))
	// More than one sweep batch of short bindings, some long and some
	// never-expiring ones.
	var short, long []routing.Binding
	for i := 0; i < sweepBatch+10; i++ {
		short = append(short, mustBind(t, s, BindRequest{AppKey: "a", X: xnum(1), A: num(2 * i), B: num(2*i + 1), Duration: 60}))
	}
	long = append(long,
		mustBind(t, s, BindRequest{AppKey: "a", X: xnum(2), A: num(1), B: num(2), Duration: 3600}),
		mustBind(t, s, BindRequest{AppKey: "a", X: xnum(2), A: num(3), B: num(4)}))
	if n, err := s.SweepExpired(); err != nil || n != 0 {
		t.Fatalf("early sweep: %d, %v", n, err)
	}
	c.Advance(time.Minute)
	n, err := s.SweepExpired()
	if err != nil || n != len(short) {
		t.Fatalf("sweep = %d, %v; want %d", n, err, len(short))
	}
	mustCheck(t, s)
	for _, b := range short {
		if _, ok, _ := loadBinding(s.db, b.ID); ok {
			t.Fatalf("binding %s not swept", b.ID)
		}
	}
	if has, _ := hasAny(s.db, bindXPrefix(xnum(1))); has {
		t.Fatal("x index entries survived the sweep")
	}
	for _, b := range long {
		routes(t, s, xnum(2), b.A, b.ID)
	}
	if n, _ := s.SweepExpired(); n != 0 {
		t.Fatalf("second sweep = %d", n)
	}
}

// RunSweeper sweeps once at start; with ctx already done it returns after it.
func TestRunSweeper(t *testing.T) {
	s, c := openTest(t, Options{})
	seedApp(t, s, "a", xnum(1))
	b := mustBind(t, s, BindRequest{AppKey: "a", A: num(1), B: num(2), Duration: 60})
	c.Advance(time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.RunSweeper(ctx, time.Hour); err != nil {
		t.Fatalf("RunSweeper: %v", err)
	}
	if _, ok, _ := loadBinding(s.db, b.ID); ok {
		t.Fatal("not swept")
	}
	mustCheck(t, s)
	if err := s.RunSweeper(ctx, 0); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("interval 0: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.RunSweeper(context.Background(), time.Hour); !errors.Is(err, ErrClosed) {
		t.Fatalf("closed store: %v", err)
	}
}
