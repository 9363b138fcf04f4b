package store

import (
	"time"
)

// Reads of one record shared by every mode family.

// expiring is a record that stops serving at some time.
type expiring interface{ Expired(time.Time) bool }

// live reads the record id with load for the app: notFound when it is
// absent, another app's (appOf names a record's app) or expired at now.
func live[R expiring](r reader, now time.Time, appKey, id string,
	load func(reader, string) (R, bool, error), appOf func(R) string, notFound error) (R, error) {
	rec, ok, err := load(r, id)
	if err == nil && (!ok || appOf(rec) != appKey || rec.Expired(now)) {
		err = notFound
	}
	return rec, err
}

// getLive is live at the store's clock, outside a write batch.
func getLive[R expiring](s *Store, appKey, id string,
	load func(reader, string) (R, bool, error), appOf func(R) string, notFound error) (R, error) {
	var rec R
	err := s.read(func() error {
		var err error
		rec, err = live(s.db, s.now(), appKey, id, load, appOf, notFound)
		return err
	})
	if err != nil {
		var zero R
		return zero, err
	}
	return rec, nil
}

// loadMatching loads each of ids with load and appends to into those found
// that keep accepts.
func loadMatching[R any](r reader, ids []string, load func(reader, string) (R, bool, error), into []R, keep func(R) bool) ([]R, error) {
	for _, id := range ids {
		rec, ok, err := load(r, id)
		if err != nil {
			return into, err
		}
		if ok && keep(rec) {
			into = append(into, rec)
		}
	}
	return into, nil
}

// byIndex reads the record that the index entry k names, when match
// confirms it: two Gets without a snapshot, so the record may have moved
// on since the entry was read.
func byIndex[R any](s *Store, k []byte, load func(reader, string) (R, bool, error), match func(R) bool) (R, bool, error) {
	var rec R
	var found bool
	err := s.read(func() error {
		id, ok, err := get(s.db, k)
		if err != nil || !ok {
			return err
		}
		rec, found, err = load(s.db, string(id))
		found = found && match(rec)
		return err
	})
	if err != nil || !found {
		var zero R
		return zero, false, err
	}
	return rec, true, nil
}
