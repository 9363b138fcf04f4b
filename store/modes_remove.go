package store

import (
	"github.com/xnum/xnum/routing"
)

// removeModesOnX deletes every AX, AXE and AXYB record on x: its AX binding
// and temporary callee, its AXE bindings and their callback records, its
// A–X binding with its relations, and the relations that use x as Y.
func (t *tx) removeModesOnX(x routing.Number) error {
	delAX := func(b routing.AXBinding) error { return t.delAX(b, false) }
	if err := delThroughX(t, axByXKey(x), loadAX, delAX); err != nil {
		return err
	}
	if err := t.delTemp(x); err != nil {
		return err
	}
	delAXE := func(b routing.AXEBinding) error { return t.delAXE(b, false) }
	if err := delUnder(t, axeExtPrefix(x), loadAXE, delAXE); err != nil {
		return err
	}
	if err := delThroughX(t, axybByXKey(x), loadAXYB, t.delAXYB); err != nil {
		return err
	}
	return delUnder(t, relByYPrefix(x), loadRel, t.delRel)
}

// delThroughX deletes the record a one-per-X index entry k names, when it
// is there, and then the entry itself.
func delThroughX[R any](t *tx, k []byte, load func(reader, string) (R, bool, error), del func(R) error) error {
	id, ok, err := get(t.b, k)
	if err != nil || !ok {
		return err
	}
	if err := delLoaded(t, []string{string(id)}, load, del); err != nil {
		return err
	}
	return t.del(k)
}

// delUnder deletes the records that the index entries under p name.
func delUnder[R any](t *tx, p []byte, load func(reader, string) (R, bool, error), del func(R) error) error {
	ids, err := idsUnder(t.b, p)
	if err != nil {
		return err
	}
	return delLoaded(t, ids, load, del)
}

// delLoaded deletes with del each of ids that load finds.
func delLoaded[R any](t *tx, ids []string, load func(reader, string) (R, bool, error), del func(R) error) error {
	for _, id := range ids {
		rec, ok, err := load(t.b, id)
		if err != nil {
			return err
		}
		if ok {
			if err := del(rec); err != nil {
				return err
			}
		}
	}
	return nil
}
