package store

import (
	"time"
)

// Reads of one record shared by every mode family.

// getLive reads the record id with load for the app: notFound when it is
// absent, another app's (appOf names a record's app) or expired at the
// store's clock.
func getLive[R interface{ Expired(time.Time) bool }](s *Store, appKey, id string,
	load func(reader, string) (R, bool, error), appOf func(R) string, notFound error) (R, error) {
	var rec R
	err := s.read(func() error {
		var ok bool
		var err error
		rec, ok, err = load(s.db, id)
		if err == nil && (!ok || appOf(rec) != appKey || rec.Expired(s.now())) {
			err = notFound
		}
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
