package store

import (
	"github.com/xnum/xnum/routing"
)

func loadAXYB(r reader, id string) (routing.AXYBBinding, bool, error) {
	var b routing.AXYBBinding
	ok, err := getJSON(r, axybKey(id), &b)
	return b, ok, err
}

func loadRel(r reader, rid string) (routing.YRelation, bool, error) {
	var rel routing.YRelation
	ok, err := getJSON(r, relKey(rid), &rel)
	return rel, ok, err
}

// liveAXYB loads the app's binding id; absent, expired or another app's is
// ErrRecordNotFound.
func (t *tx) liveAXYB(appKey, id string) (routing.AXYBBinding, error) {
	b, ok, err := loadAXYB(t.b, id)
	if err != nil {
		return b, err
	}
	if !ok || b.AppKey != appKey || b.Expired(t.now) {
		return b, ErrRecordNotFound
	}
	return b, nil
}

func (t *tx) putAXYB(b routing.AXYBBinding) error {
	if err := t.setJSON(axybKey(b.ID), b); err != nil {
		return err
	}
	if err := t.set(axybByXKey(b.X), []byte(b.ID)); err != nil {
		return err
	}
	if err := t.set(axybByAKey(b.A, b.X), []byte(b.ID)); err != nil {
		return err
	}
	return t.putExp(b.Expires, kindAXYB, b.ID)
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
	if err := t.del(axybKey(b.ID)); err != nil {
		return err
	}
	if err := t.delIfPoints(axybByXKey(b.X), b.ID); err != nil {
		return err
	}
	if err := t.delIfPoints(axybByAKey(b.A, b.X), b.ID); err != nil {
		return err
	}
	return t.delExp(b.Expires, kindAXYB, b.ID)
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
	if err := t.setJSON(relKey(r.ID), r); err != nil {
		return err
	}
	for _, kv := range [][2][]byte{
		{relOfBindKey(r.BindingID, r.ID), nil},
		{relByBKey(r.X, r.B), []byte(r.ID)},
		{relByYKey(r.Y, r.A), []byte(r.ID)},
	} {
		if err := t.set(kv[0], kv[1]); err != nil {
			return err
		}
	}
	return t.putExp(r.Expires, kindRel, r.ID)
}

func (t *tx) delRel(r routing.YRelation) error {
	if err := t.del(relKey(r.ID)); err != nil {
		return err
	}
	if err := t.del(relOfBindKey(r.BindingID, r.ID)); err != nil {
		return err
	}
	if err := t.delIfPoints(relByBKey(r.X, r.B), r.ID); err != nil {
		return err
	}
	if err := t.delIfPoints(relByYKey(r.Y, r.A), r.ID); err != nil {
		return err
	}
	return t.delExp(r.Expires, kindRel, r.ID)
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
