package store

import (
	"github.com/xnum/xnum/routing"
)

func loadAXYB(r reader, id string) (routing.AXYBBinding, bool, error) {
	return loadJSON[routing.AXYBBinding](r, axybKey(id))
}

func loadRel(r reader, rid string) (routing.YRelation, bool, error) {
	return loadJSON[routing.YRelation](r, relKey(rid))
}

func axybApp(b routing.AXYBBinding) string { return b.AppKey }

// liveAXYB loads the app's binding id; absent, expired or another app's is
// ErrRecordNotFound.
func (t *tx) liveAXYB(appKey, id string) (routing.AXYBBinding, error) {
	return live(t.b, t.now, appKey, id, loadAXYB, axybApp, ErrRecordNotFound)
}

func (t *tx) putAXYB(b routing.AXYBBinding) error {
	return t.putRecord(axybKey(b.ID), b, kindAXYB, b.ID, b.Expires, axybByXKey(b.X), axybByAKey(b.A, b.X))
}

// delAXYB removes b, its index entries and all its B–Y relations.
func (t *tx) delAXYB(b routing.AXYBBinding) error {
	rids, err := relsOf(t.b, b.ID)
	if err != nil {
		return err
	}
	for _, rid := range rids {
		rel, ok, err := loadRel(t.b, rid)
		if err != nil {
			return err
		}
		if ok {
			if err := t.delRel(rel); err != nil {
				return err
			}
		} else if err := t.del(relOfBindKey(b.ID, rid)); err != nil {
			return err
		}
	}
	return t.delRecord(axybKey(b.ID), kindAXYB, b.ID, b.Expires, axybByXKey(b.X), axybByAKey(b.A, b.X))
}

// relsOf lists the relation ids of binding id.
func relsOf(r reader, id string) ([]string, error) {
	p := relOfBindPrefix(id)
	var out []string
	err := scan(r, p, func(k, _ []byte) error {
		out = append(out, string(k[len(p):]))
		return nil
	})
	return out, err
}

func (t *tx) putRel(r routing.YRelation) error {
	if err := t.set(relOfBindKey(r.BindingID, r.ID), nil); err != nil {
		return err
	}
	return t.putRecord(relKey(r.ID), r, kindRel, r.ID, r.Expires, relByBKey(r.X, r.B), relByYKey(r.Y, r.A))
}

func (t *tx) delRel(r routing.YRelation) error {
	if err := t.del(relOfBindKey(r.BindingID, r.ID)); err != nil {
		return err
	}
	return t.delRecord(relKey(r.ID), kindRel, r.ID, r.Expires, relByBKey(r.X, r.B), relByYKey(r.Y, r.A))
}

// axybXFree reports whether x holds no live A–X binding, deleting an
// expired one (with its relations) in this batch.
func (t *tx) axybXFree(x routing.Number) (bool, error) {
	id, ok, err := get(t.b, axybByXKey(x))
	if err != nil || !ok {
		return true, err
	}
	b, ok, err := loadAXYB(t.b, string(id))
	if err != nil || !ok {
		return true, err // dangling entry: the put overwrites it
	}
	if b.Expired(t.now) {
		return true, t.delAXYB(b)
	}
	return false, nil
}

// relHeld reports whether the relation index entry k names a live relation,
// deleting an expired one in this batch.
func (t *tx) relHeld(k []byte) (routing.YRelation, bool, error) {
	rid, ok, err := get(t.b, k)
	if err != nil || !ok {
		return routing.YRelation{}, false, err
	}
	rel, ok, err := loadRel(t.b, string(rid))
	if err != nil || !ok {
		return routing.YRelation{}, false, err
	}
	if rel.Expired(t.now) {
		return routing.YRelation{}, false, t.delRel(rel)
	}
	return rel, true, nil
}

// yInUse reports whether y serves any live B–Y relation as Y, deleting the
// expired ones it meets.
func (t *tx) yInUse(y routing.Number) (bool, error) {
	rids, err := idsUnder(t.b, relByYPrefix(y))
	if err != nil {
		return false, err
	}
	used := false
	for _, rid := range rids {
		rel, ok, err := loadRel(t.b, rid)
		if err != nil {
			return false, err
		}
		switch {
		case !ok:
		case rel.Expired(t.now):
			if err := t.delRel(rel); err != nil {
				return false, err
			}
		default:
			used = true
		}
	}
	return used, nil
}
