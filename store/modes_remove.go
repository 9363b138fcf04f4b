package store

import (
	"github.com/xnum/xnum/routing"
)

// removeModesOnX deletes every AX, AXE and AXYB record on x: its AX binding
// and temporary callee, its AXE bindings and their callback records, its
// A–X binding with its relations, and the relations that use x as Y.
func (t *tx) removeModesOnX(x routing.Number) error {
	if id, ok, err := get(t.b, axByXKey(x)); err != nil {
		return err
	} else if ok {
		if b, ok, err := loadAX(t.b, string(id)); err != nil {
			return err
		} else if ok {
			if err := t.delAX(b, false); err != nil {
				return err
			}
		}
		if err := t.del(axByXKey(x)); err != nil {
			return err
		}
	}
	if err := t.delTemp(x); err != nil {
		return err
	}
	ids, err := idsUnder(t.b, axeExtPrefix(x))
	if err != nil {
		return err
	}
	for _, id := range ids {
		b, ok, err := loadAXE(t.b, id)
		if err != nil {
			return err
		}
		if ok {
			if err := t.delAXE(b, false); err != nil {
				return err
			}
		}
	}
	if id, ok, err := get(t.b, axybByXKey(x)); err != nil {
		return err
	} else if ok {
		if b, ok, err := loadAXYB(t.b, string(id)); err != nil {
			return err
		} else if ok {
			if err := t.delAXYB(b); err != nil {
				return err
			}
		}
		if err := t.del(axybByXKey(x)); err != nil {
			return err
		}
	}
	rids, err := idsUnder(t.b, relByYPrefix(x))
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
		}
	}
	return nil
}
