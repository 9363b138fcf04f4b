package api

import (
	"errors"
	"testing"
	"time"
)

// The replay memory forgets a nonce only after its expiry and, when full of
// live entries, refuses rather than forgetting one.
func TestNonceCacheBoundedAndExpiring(t *testing.T) {
	c := newNonceCache(2)
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	exp := t0.Add(time.Minute)
	if err := c.use("a", "n1", t0, exp); err != nil {
		t.Fatal(err)
	}
	if err := c.use("a", "n1", t0, exp); !errors.Is(err, ErrNonceReused) {
		t.Fatalf("reuse: %v", err)
	}
	if err := c.use("b", "n1", t0, exp); err != nil {
		t.Fatalf("same nonce, other app: %v", err)
	}
	if err := c.use("a", "n2", t0, exp); !errors.Is(err, ErrNonceCacheFull) {
		t.Fatalf("full: %v", err)
	}
	// At the expiry instant the entry still guards; after it, it is gone.
	if err := c.use("a", "n1", exp, exp.Add(time.Minute)); !errors.Is(err, ErrNonceReused) {
		t.Fatalf("at expiry: %v", err)
	}
	if err := c.use("a", "n1", exp.Add(time.Nanosecond), exp.Add(time.Minute)); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if n := c.len(); n != 1 {
		t.Errorf("%d entries remembered, want 1", n)
	}
}
