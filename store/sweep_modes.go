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
		b, ok, err := loadAX(t.b, id)
		if err != nil || !ok || !b.Expired(t.now) {
			return false, err
		}
		return true, t.delAX(b, false)
	case kindTemp:
		c, ok, err := loadTemp(t.b, routing.Number(id))
		if err != nil || !ok || !c.Expired(t.now) {
			return false, err
		}
		return true, t.delTemp(routing.Number(id))
	case kindAXE:
		b, ok, err := loadAXE(t.b, id)
		if err != nil || !ok || !b.Expired(t.now) {
			return false, err
		}
		return true, t.delAXE(b, false)
	case kindCallback:
		c, ok, err := loadCallback(t.b, id)
		if err != nil || !ok || !c.Expired(t.now) {
			return false, err
		}
		return true, t.delCallback(id)
	case kindAXYB:
		b, ok, err := loadAXYB(t.b, id)
		if err != nil || !ok || !b.Expired(t.now) {
			return false, err
		}
		return true, t.delAXYB(b)
	case kindRel:
		r, ok, err := loadRel(t.b, id)
		if err != nil || !ok || !r.Expired(t.now) {
			return false, err
		}
		return true, t.delRel(r)
	}
	return false, fmt.Errorf("%w: expiry kind %q", ErrInconsistent, kind)
}
