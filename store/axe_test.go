package store

import (
	"errors"
	"testing"
	"time"

	"github.com/xnum/xnum/routing"
)

// SPEC §3, §5: extension per app length, unique per X, assigned when absent
// (1020167 when none is free); callbackNum xor callbackTone.
func TestBindAXERules(t *testing.T) {
	s, _ := openTest(t, Options{})
	seedModeApp(t, s, "e1", routing.ModeAXE, 1, "0755", xnum(1), xnum(2))
	seedModeApp(t, s, "e4", routing.ModeAXE, 0, "0755", xnum(3))
	seedModeApp(t, s, "ax", routing.ModeAX, 0, "0755", xnum(4))

	b := mustBindAXE(t, s, AXEBindRequest{AppKey: "e1", XChoice: XChoice{X: xnum(1)}, A: num(1), Ext: "7", CallbackNum: num(50)})
	if b.Ext != "7" || b.X != xnum(1) || b.CallbackNum != num(50) {
		t.Fatalf("bound %+v", b)
	}
	// Default length 4 when the app sets none; an assigned one has it.
	if b4 := mustBindAXE(t, s, AXEBindRequest{AppKey: "e4", A: num(1)}); len(b4.Ext) != 4 || !digitsOnly(b4.Ext) {
		t.Fatalf("assigned %q", b4.Ext)
	}
	for name, tc := range map[string]struct {
		r    AXEBindRequest
		want error
	}{
		"extension taken":       {AXEBindRequest{AppKey: "e1", XChoice: XChoice{X: xnum(1)}, A: num(2), Ext: "7"}, ErrExtensionTaken},
		"a again on x":          {AXEBindRequest{AppKey: "e1", XChoice: XChoice{X: xnum(1)}, A: num(1), Ext: "8"}, ErrPartyExists},
		"extension too long":    {AXEBindRequest{AppKey: "e1", A: num(2), Ext: "12"}, ErrInvalidArgument},
		"extension not digits":  {AXEBindRequest{AppKey: "e1", A: num(2), Ext: "a"}, ErrInvalidArgument},
		"extension of 5":        {AXEBindRequest{AppKey: "e4", A: num(2), Ext: "12345"}, ErrInvalidArgument},
		"callback num and tone": {AXEBindRequest{AppKey: "e1", A: num(2), CallbackNum: num(50), CallbackTone: "t"}, ErrInvalidArgument},
		"callback num is x":     {AXEBindRequest{AppKey: "e1", A: num(2), CallbackNum: xnum(4)}, ErrPartyIsX},
		"callback num is a":     {AXEBindRequest{AppKey: "e1", A: num(2), CallbackNum: num(2)}, ErrInvalidArgument},
		"a is x":                {AXEBindRequest{AppKey: "e1", A: xnum(4)}, ErrPartyIsX},
		"bad time unit":         {AXEBindRequest{AppKey: "e1", A: num(2), TimeUnit: 2}, ErrInvalidArgument},
		"negative bind expiry":  {AXEBindRequest{AppKey: "e1", A: num(2), BindExpiredTime: -1}, ErrInvalidArgument},
		"negative cb expiry":    {AXEBindRequest{AppKey: "e1", A: num(2), CallbackExpiredTime: -1}, ErrInvalidArgument},
		"x of another app":      {AXEBindRequest{AppKey: "e1", XChoice: XChoice{X: xnum(3)}, A: num(2)}, ErrXNotInApp},
		"wrong mode":            {AXEBindRequest{AppKey: "ax", A: num(2)}, ErrWrongMode},
		"strict other area":     {AXEBindRequest{AppKey: "e1", A: num(2), XChoice: XChoice{AreaCode: "010"}}, ErrNoFreeXInArea},
	} {
		_, err := s.BindAXE(tc.r)
		wantErr(t, name, err, tc.want)
	}
	// Fill both X numbers of the 1-digit app: 10 extensions each, all
	// distinct per X; the 21st bind finds no extension anywhere.
	seen := map[routing.Number]map[string]bool{xnum(1): {"7": true}, xnum(2): {}}
	for i := range 19 {
		b := mustBindAXE(t, s, AXEBindRequest{AppKey: "e1", A: num(100 + i)})
		if seen[b.X][b.Ext] || len(b.Ext) != 1 {
			t.Fatalf("extension %q on %s handed out twice", b.Ext, b.X.Masked())
		}
		seen[b.X][b.Ext] = true
	}
	_, err := s.BindAXE(AXEBindRequest{AppKey: "e1", A: num(200)})
	wantErr(t, "app full", err, ErrNoFreeExtension)
	_, err = s.BindAXE(AXEBindRequest{AppKey: "e1", XChoice: XChoice{X: xnum(1)}, A: num(200)})
	wantErr(t, "x full", err, ErrNoFreeExtension)
	_, err = s.BindAXE(AXEBindRequest{AppKey: "e1", A: num(200), Ext: "7"})
	wantErr(t, "extension taken on every x", err, ErrExtensionTaken)
	// Unbinding frees its extension.
	if err := s.UnbindAXE("e1", b.ID); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "unbind twice", s.UnbindAXE("e1", b.ID), ErrRecordNotFound)
	if nb := mustBindAXE(t, s, AXEBindRequest{AppKey: "e1", A: num(200)}); nb.X != xnum(1) || nb.Ext != "7" {
		t.Fatalf("rebind got %s/%s", nb.X.Masked(), nb.Ext)
	}
	mustCheck(t, s)
}

// bindExpiredTime and callbackExpiredTime count timeUnit (0 hours, 1 minutes).
func TestAXEExpiryAndCallback(t *testing.T) {
	s, c := openTest(t, Options{})
	seedModeApp(t, s, "e", routing.ModeAXE, 2, "0755", xnum(1))
	hours := mustBindAXE(t, s, AXEBindRequest{AppKey: "e", A: num(1), Ext: "01", BindExpiredTime: 2, CallbackExpiredTime: 1})
	mins := mustBindAXE(t, s, AXEBindRequest{AppKey: "e", A: num(2), Ext: "02", BindExpiredTime: 30, CallbackExpiredTime: 10, TimeUnit: routing.TimeUnitMinutes})
	never := mustBindAXE(t, s, AXEBindRequest{AppKey: "e", A: num(3), Ext: "03"})
	if !hours.Expires.Equal(c.Now().Add(2*time.Hour)) || !mins.Expires.Equal(c.Now().Add(30*time.Minute)) || !never.Expires.IsZero() {
		t.Fatalf("expiries %v %v %v", hours.Expires, mins.Expires, never.Expires)
	}
	put := func(b routing.AXEBinding, caller routing.Number) routing.Callback {
		t.Helper()
		cb := routing.Callback{SubscriptionID: b.ID, X: b.X, Ext: b.Ext, Caller: caller, At: c.Now(), Expires: b.CallbackExpiry(c.Now())}
		if err := s.PutCallback(cb); err != nil {
			t.Fatalf("PutCallback: %v", err)
		}
		return cb
	}
	cb := put(mins, num(40))
	if !cb.Expires.Equal(c.Now().Add(10 * time.Minute)) {
		t.Fatalf("callback expires %v", cb.Expires)
	}
	put(mins, num(41)) // the last caller replaces the previous one
	put(hours, num(42))
	put(never, num(43))
	mustCheck(t, s)
	if got, ok, err := s.Callback(mins.ID); err != nil || !ok || got.Caller != num(41) {
		t.Fatalf("Callback = %+v %v %v", got, ok, err)
	}
	c.Advance(10 * time.Minute)
	if got, _, _ := s.Callback(mins.ID); !got.Expired(c.Now()) {
		t.Fatal("callback record outlived callbackExpiredTime")
	}
	if got, _, _ := s.Callback(never.ID); got.Expired(c.Now().Add(1000 * time.Hour)) {
		t.Fatal("callback of a binding without expiry expired")
	}
	if n, err := s.SweepExpired(); err != nil || n != 1 {
		t.Fatalf("swept %d, %v", n, err)
	}
	c.Advance(20 * time.Minute) // mins expires; its X routes no more
	if has, err := s.AXEHasBinding(xnum(1), c.Now()); err != nil || !has {
		t.Fatalf("AXEHasBinding %v %v", has, err)
	}
	if b, ok, _ := s.AXEByExt(xnum(1), "02"); !ok || !b.Expired(c.Now()) {
		t.Fatal("expired binding still live by extension")
	}
	if err := s.PutCallback(routing.Callback{SubscriptionID: mins.ID, X: mins.X, Ext: mins.Ext, Caller: num(44), At: c.Now()}); !errors.Is(err, ErrBindingGone) {
		t.Fatalf("PutCallback on an expired binding: %v", err)
	}
	c.Advance(2 * time.Hour)                              // hours and its callback (capped by it) expire
	if n, err := s.SweepExpired(); err != nil || n != 3 { // mins, hours, hours' callback
		t.Fatalf("swept %d, %v", n, err)
	}
	if _, ok, _ := s.Callback(hours.ID); ok {
		t.Fatal("callback record outlived its binding")
	}
	if got, _, _ := s.QueryAXE(AXEQuery{AppKey: "e"}); len(got) != 1 || got[0].ID != never.ID {
		t.Fatalf("left: %+v", got)
	}
	if err := s.UnbindAXE("e", never.ID); err != nil {
		t.Fatal(err)
	}
	if has, err := s.AXEHasBinding(xnum(1), c.Now()); err != nil || has {
		t.Fatalf("AXEHasBinding on an empty X: %v %v", has, err)
	}
	if _, ok, _ := s.Callback(never.ID); ok {
		t.Fatal("unbind left the callback record")
	}
	err := s.PutCallback(routing.Callback{SubscriptionID: never.ID, X: never.X, Ext: never.Ext, Caller: num(45), At: c.Now()})
	wantErr(t, "callback after unbind", err, ErrBindingGone)
	mustCheck(t, s)
}
