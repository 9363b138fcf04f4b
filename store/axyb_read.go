package store

import (
	"sort"
	"time"

	"github.com/xnum/xnum/routing"
)

// GetAXYB returns the app's live A–X binding with that subscriptionId and
// its live B–Y relations (oldest first); ErrRecordNotFound when absent,
// expired, or another app's.
func (s *Store) GetAXYB(appKey, id string) (routing.AXYBBinding, []routing.YRelation, error) {
	var b routing.AXYBBinding
	var rels []routing.YRelation
	err := s.snapshot(func(r reader) error {
		now := s.now()
		var err error
		if b, err = live(r, now, appKey, id, loadAXYB, axybApp, ErrRecordNotFound); err != nil {
			return err
		}
		rels, err = liveRels(r, id, now)
		return err
	})
	if err != nil {
		return routing.AXYBBinding{}, nil, err
	}
	return b, rels, nil
}

// liveRels loads the live relations of binding id, oldest first.
func liveRels(r reader, id string, now time.Time) ([]routing.YRelation, error) {
	rids, err := relsOf(r, id)
	if err != nil {
		return nil, err
	}
	var out []routing.YRelation
	for _, rid := range rids {
		rel, ok, err := loadRel(r, rid)
		if err != nil {
			return nil, err
		}
		if ok && !rel.Expired(now) {
			out = append(out, rel)
		}
	}
	sort.Slice(out, func(i, j int) bool { return createdBefore(out[i].Created, out[i].ID, out[j].Created, out[j].ID) })
	return out, nil
}

// AXYBQuery selects an app's live AXYB bindings: one by subscriptionId, or
// all, narrowed by X and A; paged like Query, by row.
type AXYBQuery struct {
	AppKey    string
	ID        string         // optional: subscriptionId
	X         routing.Number // optional: privateNum
	A         routing.Number // optional: origNum
	PageIndex int
	PageSize  int
}

// AXYBRow is one item of the vendor's xyRelationNumList: a binding with one
// of its live B–Y relations, or with a zero Relation when it has none.
type AXYBRow struct {
	Binding  routing.AXYBBinding
	Relation routing.YRelation // Relation.ID == "" when the binding has no relation
}

// QueryAXYB returns one page of rows of the matching live bindings, ordered
// by the binding's subscribeTime and id, then the relation's, and the total
// number of rows. An X that is not the app's is ErrXNotInApp.
func (s *Store) QueryAXYB(q AXYBQuery) ([]AXYBRow, int, error) {
	var rows []AXYBRow
	err := s.snapshot(func(r reader) error {
		var ids []string
		var err error
		if q.ID != "" {
			if err := appExists(r, q.AppKey); err != nil {
				return err
			}
			ids = []string{q.ID}
		} else if ids, err = queryIDs(r, q.AppKey, q.X, q.A, axybByXKey, axybByAPrefix); err != nil {
			return err
		}
		now := s.now()
		bs, err := loadMatching(r, ids, loadAXYB, nil, func(b routing.AXYBBinding) bool {
			return b.AppKey == q.AppKey && !b.Expired(now) && (q.X == "" || b.X == q.X) && (q.A == "" || b.A == q.A)
		})
		if err != nil {
			return err
		}
		sort.Slice(bs, func(i, j int) bool { return createdBefore(bs[i].Created, bs[i].ID, bs[j].Created, bs[j].ID) })
		for _, b := range bs {
			rels, err := liveRels(r, b.ID, now)
			if err != nil {
				return err
			}
			if len(rels) == 0 {
				rows = append(rows, AXYBRow{Binding: b})
			}
			for _, rel := range rels {
				rows = append(rows, AXYBRow{Binding: b, Relation: rel})
			}
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return page(rows, q.PageIndex, q.PageSize), len(rows), nil
}

// AXYBBinding implements routing.AXYBLookup: the A–X binding on x (may be
// expired).
func (s *Store) AXYBBinding(x routing.Number) (routing.AXYBBinding, bool, error) {
	return byIndex(s, axybByXKey(x), loadAXYB, func(b routing.AXYBBinding) bool { return b.X == x })
}

// YRelationByB implements routing.AXYBLookup: caller b's relation on x (may
// be expired).
func (s *Store) YRelationByB(x, b routing.Number) (routing.YRelation, bool, error) {
	return byIndex(s, relByBKey(x, b), loadRel, func(r routing.YRelation) bool { return r.X == x && r.B == b })
}

// YRelationByY implements routing.AXYBLookup: A's relation on y (may be
// expired).
func (s *Store) YRelationByY(y, a routing.Number) (routing.YRelation, bool, error) {
	return byIndex(s, relByYKey(y, a), loadRel, func(r routing.YRelation) bool { return r.Y == y && r.A == a })
}

// AXYBIsA implements routing.AXYBLookup: whether a is A of a binding of the
// app live at now (8030 rather than 8014 for its call to a Y).
func (s *Store) AXYBIsA(appKey string, a routing.Number, now time.Time) (bool, error) {
	found := false
	err := s.snapshot(func(r reader) error {
		ids, err := idsUnder(r, axybByAPrefix(a))
		if err != nil {
			return err
		}
		for _, id := range ids {
			b, ok, err := loadAXYB(r, id)
			if err != nil {
				return err
			}
			if ok && b.AppKey == appKey && b.A == a && !b.Expired(now) {
				found = true
				return nil
			}
		}
		return nil
	})
	return found, err
}
