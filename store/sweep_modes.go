package store

import (
	"errors"
	"fmt"
	"time"

	"github.com/xnum/xnum/routing"
)

// sweepModesOnce deletes up to sweepBatch due records of the me family and
// reports how many it deleted and how many entries it looked at.
func (s *Store) sweepModesOnce() (deleted, scanned int, err error) {
	err = s.update(func(t *tx) error {
		hi := timeBound(pfxModeExp, t.now.Add(time.Nanosecond))
		type due struct {
			key      []byte
			kind, id string
		}
		var dues []due
		err := scanRange(t.b, pfxModeExp, hi, func(k, _ []byte) error {
			_, kind, id, ok := splitModeExpKey(k)
			if !ok {
				return fmt.Errorf("%w: bad expiry key %s", ErrInconsistent, safeKey(k))
			}
			dues = append(dues, due{append([]byte(nil), k...), kind, id})
			if len(dues) == sweepBatch {
				return errStop
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStop) {
			return err
		}
		scanned = len(dues)
		for _, d := range dues {
			gone, err := t.expire(d.kind, d.id)
			if err != nil {
				return err
			}
			if gone {
				deleted++
			} else if err := t.del(d.key); err != nil {
				// An entry without its expired record is garbage.
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	return deleted, scanned, nil
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
func expireIf[R interface{ Expired(time.Time) bool }](t *tx, id string,
	load func(reader, string) (R, bool, error), del func(R) error) (bool, error) {
	rec, ok, err := load(t.b, id)
	if err != nil || !ok || !rec.Expired(t.now) {
		return false, err
	}
	return true, del(rec)
}
