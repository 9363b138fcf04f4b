package store

import (
	"fmt"

	"github.com/xnum/xnum/routing"
)

// AXYBBindRequest is an AXYB bind (SPEC §5): origNum A on privateNum X, or
// on a free X chosen by area.
type AXYBBindRequest struct {
	AppKey string
	XChoice
	A          routing.Number // origNum
	Duration   int64          // seconds, 0 = never expires
	YBDuration int64          // seconds, 0 = as long as A–X; ≤ Duration when Duration > 0
	Direction  int            // callDirection: 0 both, 1 only A→Y→B, 2 only B→X→A
	routing.CallOptions
}

// BindAXYB stores a new A–X binding. The numbers of an AXYB app serve as X
// or as Y, never both at once: X must hold no live A–X binding (ErrXHasA)
// and serve no live B–Y relation as Y (ErrXIsY); picked by area, the X is
// the best-ranked number that is neither.
func (s *Store) BindAXYB(r AXYBBindRequest) (routing.AXYBBinding, error) {
	b := routing.AXYBBinding{
		AppKey: r.AppKey, A: r.A, Duration: r.Duration, YBDuration: r.YBDuration,
		Direction: r.Direction, CallOptions: r.CallOptions,
	}
	if err := checkNumber("origNum", b.A); err != nil {
		return routing.AXYBBinding{}, err
	}
	switch {
	case b.Duration < 0:
		return routing.AXYBBinding{}, fmt.Errorf("%w: duration", ErrInvalidArgument)
	case b.YBDuration < 0 || (b.Duration > 0 && b.YBDuration > b.Duration):
		return routing.AXYBBinding{}, fmt.Errorf("%w: ybDuration", ErrInvalidArgument)
	case b.Direction < 0 || b.Direction > 2:
		return routing.AXYBBinding{}, fmt.Errorf("%w: callDirection", ErrInvalidArgument)
	}
	if err := checkOptions(b.CallOptions); err != nil {
		return routing.AXYBBinding{}, err
	}
	if err := r.XChoice.check("privateNum"); err != nil {
		return routing.AXYBBinding{}, err
	}
	err := s.updateMode(r.AppKey, routing.ModeAXYB, func(t *tx, _ routing.App) error {
		if err := t.checkParties(b.A); err != nil {
			return err
		}
		notY := func(x routing.Number) (bool, error) {
			used, err := t.yInUse(x)
			return !used, err
		}
		x, err := t.chooseX(r.AppKey, r.XChoice, xCheck{t.axybXFree, ErrXHasA}, xCheck{notY, ErrXIsY})
		if err != nil {
			return err
		}
		id, err := t.newID()
		if err != nil {
			return err
		}
		b.ID, b.X, b.Created, b.Expires = id, x, t.now, expiry(t.now, b.Duration)
		return t.putAXYB(b)
	})
	if err != nil {
		return routing.AXYBBinding{}, err
	}
	return b, nil
}

// UnbindAXYB deletes one live A–X binding of the app with all its B–Y
// relations (SPEC §5 unbind by subscriptionId). Unknown, expired, another
// app's or already unbound: ErrRecordNotFound.
func (s *Store) UnbindAXYB(appKey, id string) error {
	return s.updateMode(appKey, routing.ModeAXYB, func(t *tx, _ routing.App) error {
		b, err := t.liveAXYB(appKey, id)
		if err != nil {
			return err
		}
		return t.delAXYB(b)
	})
}

// UnbindYRelation deletes the B–Y relation of caller b on binding id
// (SPEC §5 unbind by subscriptionId + bNum); the A–X binding stays. No live
// binding or relation: ErrRecordNotFound.
func (s *Store) UnbindYRelation(appKey, id string, b routing.Number) error {
	return s.updateMode(appKey, routing.ModeAXYB, func(t *tx, _ routing.App) error {
		bd, err := t.liveAXYB(appKey, id)
		if err != nil {
			return err
		}
		rid, ok, err := get(t.b, relByBKey(bd.X, b))
		if err != nil {
			return err
		}
		if !ok {
			return ErrRecordNotFound
		}
		rel, ok, err := loadRel(t.b, string(rid))
		if err != nil {
			return err
		}
		if !ok || rel.BindingID != id || rel.Expired(t.now) {
			return ErrRecordNotFound
		}
		return t.delRel(rel)
	})
}
