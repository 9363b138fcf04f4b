package store

import (
	"fmt"

	"github.com/xnum/xnum/routing"
)

// sweepModesOnce deletes up to sweepBatch due records of the me family and
// reports how many it deleted and how many entries it looked at.
func (s *Store) sweepModesOnce() (deleted, scanned int, err error) {
	type kindID struct{ kind, id string }
	parse := func(k []byte) (kindID, bool) {
		_, kind, id, ok := splitModeExpKey(k)
		return kindID{kind, id}, ok
	}
	return sweepDue(s, pfxModeExp, parse, func(t *tx, d kindID) (bool, error) { return t.expire(d.kind, d.id) })
}

// expire deletes the record (kind, id) when it is expired at t.now, and
// reports whether it did.
func (t *tx) expire(kind, id string) (bool, error) {
	switch kind {
	case kindAX:
		return expireIf(t, id, loadAX, func(b routing.AXBinding) error { return t.delAX(b, false) })
	case kindTemp:
		loadTempID := func(r reader, id string) (routing.TempCallee, bool, error) { return loadTemp(r, routing.Number(id)) }
		return expireIf(t, id, loadTempID, func(routing.TempCallee) error { return t.delTemp(routing.Number(id)) })
	case kindAXE:
		return expireIf(t, id, loadAXE, func(b routing.AXEBinding) error { return t.delAXE(b, false) })
	case kindCallback:
		return expireIf(t, id, loadCallback, func(routing.Callback) error { return t.delCallback(id) })
	case kindAXYB:
		return expireIf(t, id, loadAXYB, t.delAXYB)
	case kindRel:
		return expireIf(t, id, loadRel, t.delRel)
	}
	return false, fmt.Errorf("%w: expiry kind %q", ErrInconsistent, kind)
}

// expireIf loads the record id and deletes it with del when it is expired
// at t.now, reporting whether it did.
func expireIf[R expiring](t *tx, id string,
	load func(reader, string) (R, bool, error), del func(R) error) (bool, error) {
	rec, ok, err := load(t.b, id)
	if err != nil || !ok || !rec.Expired(t.now) {
		return false, err
	}
	return true, del(rec)
}
