package store

import (
	"fmt"

	"github.com/xnum/xnum/routing"
)

// MaxXPerA is the vendor's limit of AX numbers per A (SPEC §3 [HW], 1011003).
const MaxXPerA = 5

// AXBindRequest is an AX bind (SPEC §5): origNum A on privateNum X, or on a
// free X chosen by area.
type AXBindRequest struct {
	AppKey string
	XChoice
	A        routing.Number // origNum
	Duration int64          // seconds, 0 = never expires
	routing.CallOptions
}

// BindAX stores a new A–X binding. X must be free (ErrXHasA when it holds an
// A, ErrXNotInApp when it is not the app's); A may hold at most MaxXPerA
// live X numbers (ErrATooManyX). Checks and write happen under the writer
// mutex, so the rules hold under concurrent binds.
func (s *Store) BindAX(r AXBindRequest) (routing.AXBinding, error) {
	b := routing.AXBinding{AppKey: r.AppKey, A: r.A, Duration: r.Duration, CallOptions: r.CallOptions}
	if err := checkAX(b); err != nil {
		return routing.AXBinding{}, err
	}
	if err := r.XChoice.check("privateNum"); err != nil {
		return routing.AXBinding{}, err
	}
	err := s.updateMode(r.AppKey, routing.ModeAX, func(t *tx, _ routing.App) error {
		if err := t.checkParties(b.A); err != nil {
			return err
		}
		// An X asked for is checked before A's room, a picked one after.
		free := xCheck{t.axFree, ErrXHasA}
		var x routing.Number
		if r.X != "" {
			var err error
			if x, err = t.chooseX(r.AppKey, r.XChoice, free); err != nil {
				return err
			}
		}
		if err := t.axRoomForA(b.A, ""); err != nil {
			return err
		}
		if x == "" {
			var err error
			if x, err = t.chooseX(r.AppKey, r.XChoice, free); err != nil {
				return err
			}
		}
		id, err := t.newID()
		if err != nil {
			return err
		}
		b.ID, b.X, b.Created, b.Expires = id, x, t.now, expiry(t.now, b.Duration)
		return t.putAX(b)
	})
	if err != nil {
		return routing.AXBinding{}, err
	}
	return b, nil
}

func checkAX(b routing.AXBinding) error {
	if err := checkNumber("origNum", b.A); err != nil {
		return err
	}
	if b.Duration < 0 {
		return fmt.Errorf("%w: duration", ErrInvalidArgument)
	}
	return checkOptions(b.CallOptions)
}

// ModifyAX changes a live AX binding of the app: fn edits a copy. fn may
// change A (checked against MaxXPerA; the pending temporary callee is then
// dropped), Duration (the clock restarts from now, as for AXB; zeroing
// Expires restarts it too) and the call options. Changing ID, AppKey, X,
// Created or setting Expires otherwise is ErrImmutableField.
func (s *Store) ModifyAX(appKey, id string, fn func(*routing.AXBinding) error) (routing.AXBinding, error) {
	var nb routing.AXBinding
	err := s.updateMode(appKey, routing.ModeAX, func(t *tx, _ routing.App) error {
		old, err := t.liveAX(appKey, id)
		if err != nil {
			return err
		}
		if nb, err = editCopy(old, fn, func(b routing.AXBinding) fixed { return fixed{b.ID, b.AppKey, b.X, b.Created} }); err != nil {
			return err
		}
		restart, err := restartExpiry(old.Expires, nb.Expires, nb.Duration != old.Duration)
		if err != nil {
			return err
		}
		if err := checkAX(nb); err != nil {
			return err
		}
		if nb.A != old.A {
			if err := t.checkParties(nb.A); err != nil {
				return err
			}
			if err := t.axRoomForA(nb.A, id); err != nil {
				return err
			}
		}
		nb.Expires = old.Expires
		if restart {
			nb.Expires = expiry(t.now, nb.Duration)
		}
		if err := t.delAX(old, nb.A == old.A); err != nil {
			return err
		}
		return t.putAX(nb)
	})
	if err != nil {
		return routing.AXBinding{}, err
	}
	return nb, nil
}

// UnbindAX deletes one live AX binding of the app and its temporary callee.
// Unknown, expired, another app's or already unbound: ErrRecordNotFound.
func (s *Store) UnbindAX(appKey, id string) error {
	return s.updateMode(appKey, routing.ModeAX, func(t *tx, _ routing.App) error {
		b, err := t.liveAX(appKey, id)
		if err != nil {
			return err
		}
		return t.delAX(b, false)
	})
}

// UnbindAXByX deletes the live AX binding on x (SPEC §5 unbind by
// privateNum) and returns it. ErrXNotInApp when x is not the app's,
// ErrRecordNotFound when it holds no live binding.
func (s *Store) UnbindAXByX(appKey string, x routing.Number) (routing.AXBinding, error) {
	var b routing.AXBinding
	err := s.updateMode(appKey, routing.ModeAX, func(t *tx, _ routing.App) error {
		if _, err := t.ownX(appKey, x); err != nil {
			return err
		}
		id, ok, err := get(t.b, axByXKey(x))
		if err != nil {
			return err
		}
		if !ok {
			return ErrRecordNotFound
		}
		b, err = t.liveAX(appKey, string(id))
		if err != nil {
			return err
		}
		return t.delAX(b, false)
	})
	if err != nil {
		return routing.AXBinding{}, err
	}
	return b, nil
}

// TempCalleeRequest sets an AX temporary callee (SPEC §5): the binding by
// subscriptionId, which wins, or by privateNum.
type TempCalleeRequest struct {
	AppKey string
	ID     string         // subscriptionId
	X      routing.Number // privateNum
	Callee routing.Number // calleeNum
}

// SetTempCallee stores the temporary callee of a live AX binding, replacing
// any previous one; it serves A's next call through X within
// routing.TempCalleeTTL. The callee must not be an X of the platform
// (ErrPartyIsX) nor A itself; number-plan rules (a 400/95 service number is
// allowed) are the API's. A frozen app is refused (ErrAppFrozen).
func (s *Store) SetTempCallee(r TempCalleeRequest) (routing.TempCallee, error) {
	var tc routing.TempCallee
	if err := checkNumber("calleeNum", r.Callee); err != nil {
		return tc, err
	}
	if r.ID == "" {
		if err := checkNumber("privateNum", r.X); err != nil {
			return tc, err
		}
	}
	err := s.updateMode(r.AppKey, routing.ModeAX, func(t *tx, _ routing.App) error {
		if err := t.checkParties(r.Callee); err != nil {
			return err
		}
		id := r.ID
		if id == "" {
			if _, err := t.ownX(r.AppKey, r.X); err != nil {
				return err
			}
			v, ok, err := get(t.b, axByXKey(r.X))
			if err != nil {
				return err
			}
			if !ok {
				return ErrRecordNotFound
			}
			id = string(v)
		}
		b, err := t.liveAX(r.AppKey, id)
		if err != nil {
			return err
		}
		if r.Callee == b.A {
			return fmt.Errorf("%w: calleeNum equals origNum", ErrInvalidArgument)
		}
		if err := t.delTemp(b.X); err != nil {
			return err
		}
		tc = routing.TempCallee{SubscriptionID: b.ID, X: b.X, Callee: r.Callee, Set: t.now, Expires: t.now.Add(routing.TempCalleeTTL)}
		if err := t.setJSON(tempKey(b.X), tc); err != nil {
			return err
		}
		return t.putExp(tc.Expires, kindTemp, string(b.X))
	})
	if err != nil {
		return routing.TempCallee{}, err
	}
	return tc, nil
}
