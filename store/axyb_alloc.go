package store

import (
	"sort"
	"time"

	"github.com/xnum/xnum/routing"
)

// What makes a number a Y [DESIGN]: every X number of an AXYB app is in one
// pool. A number that holds a live A–X binding is that binding's X; any
// other number of the app that is not suspended can serve as Y. Y is unique
// per A (A dialling Y must name one B), so one Y serves many relations of
// different A numbers, and an app needs as many spare numbers as the most
// B numbers one A talks to at once. A number serving a live relation as Y is
// not picked as the X of a new bind (BindAXYB, ErrXIsY).

// AllocateY implements routing.AXYBLookup. Under the writer mutex, in one
// synced batch: if caller b already has a live relation on the binding it is
// returned; otherwise a free Y is taken for the binding's A — not suspended,
// holding no live A–X binding, not yet a Y of this A — preferring the X's
// area, then the lowest number, and the relation is stored with expiry
// RelationExpiry(now). Expired records met on the way are deleted.
func (s *Store) AllocateY(bindingID string, b routing.Number, now time.Time) (routing.YRelation, error) {
	var rel routing.YRelation
	if err := checkNumber("caller", b); err != nil {
		return rel, err
	}
	err := s.update(func(t *tx) error {
		t.now = now.UTC() // the decision's clock decides what is live
		bd, ok, err := loadAXYB(t.b, bindingID)
		if err != nil {
			return err
		}
		if !ok || bd.Expired(t.now) {
			return ErrBindingGone
		}
		if b == bd.A {
			return ErrBindingGone // A never gets a relation with itself
		}
		if cur, ok, err := t.relHeld(relByBKey(bd.X, b)); err != nil {
			return err
		} else if ok && cur.BindingID == bd.ID {
			rel = cur
			return nil
		} else if ok {
			// An entry of an older binding on this X: it no longer routes.
			if err := t.delRel(cur); err != nil {
				return err
			}
		}
		y, err := t.pickY(bd)
		if err != nil {
			return err
		}
		rid, err := t.newID()
		if err != nil {
			return err
		}
		rel = routing.YRelation{
			ID: rid, BindingID: bd.ID, AppKey: bd.AppKey, X: bd.X, A: bd.A, Y: y, B: b,
			Created: t.now, Expires: bd.RelationExpiry(t.now),
		}
		return t.putRel(rel)
	})
	if err != nil {
		return routing.YRelation{}, err
	}
	return rel, nil
}

// pickY chooses the Y of a new relation of binding bd.
func (t *tx) pickY(bd routing.AXYBBinding) (routing.Number, error) {
	xn, _, err := loadX(t.b, bd.X)
	if err != nil {
		return "", err
	}
	ys, err := appNumbers(t.b, bd.AppKey)
	if err != nil {
		return "", err
	}
	type cand struct {
		y    routing.Number
		rank int
	}
	var cands []cand
	for _, y := range ys {
		if y == bd.X {
			continue
		}
		yn, ok, err := loadX(t.b, y)
		if err != nil {
			return "", err
		}
		if !ok || yn.Suspended {
			continue
		}
		if free, err := t.axybXFree(y); err != nil {
			return "", err
		} else if !free {
			continue
		}
		if _, held, err := t.relHeld(relByYKey(y, bd.A)); err != nil {
			return "", err
		} else if held {
			continue
		}
		rank := 1
		if sameArea(xn.AreaCode, yn.AreaCode) {
			rank = 0
		}
		cands = append(cands, cand{y, rank})
	}
	if len(cands) == 0 {
		return "", ErrNoFreeY
	}
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].rank != cands[j].rank {
			return cands[i].rank < cands[j].rank
		}
		return cands[i].y < cands[j].y
	})
	return cands[0].y, nil
}
