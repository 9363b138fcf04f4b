package store

import (
	"fmt"
	"sort"
	"time"

	"github.com/xnum/xnum/routing"
)

// Helpers shared by the AX, AXE and AXYB families.

// XChoice is how a bind of any mode names its X (SPEC §5): a specific number
// (privateNum, virtualNum), or an area code with its match mode, or neither
// for any free X of the app [DESIGN].
type XChoice struct {
	X             routing.Number
	AreaCode      string
	AreaMatchMode int // AreaStrict or AreaPreferred
}

func (c XChoice) check(field string) error {
	if c.X != "" {
		if err := checkNumber(field, c.X); err != nil {
			return err
		}
	}
	if c.AreaMatchMode != AreaStrict && c.AreaMatchMode != AreaPreferred {
		return fmt.Errorf("%w: areaMatchMode", ErrInvalidArgument)
	}
	return nil
}

// checkOptions validates the call settings every bind carries.
func checkOptions(o routing.CallOptions) error {
	if o.MaxDuration < 0 {
		return fmt.Errorf("%w: maxDuration", ErrInvalidArgument)
	}
	return nil
}

// updateMode runs fn in one write batch on the app, which must exist, be of
// mode and not be frozen (appFor).
func (s *Store) updateMode(appKey string, mode routing.Mode, fn func(*tx, routing.App) error) error {
	return s.update(func(t *tx) error {
		app, err := t.appFor(appKey, mode)
		if err != nil {
			return err
		}
		return fn(t, app)
	})
}

// mustBeFree turns the answer of a free check into an error: the check's
// own error, else taken when it said no.
func mustBeFree(free bool, err, taken error) error {
	if err == nil && !free {
		err = taken
	}
	return err
}

// ownX loads x and checks that it is an X of app (ErrXNotInApp otherwise).
func (t *tx) ownX(appKey string, x routing.Number) (routing.XNumber, error) {
	return loadOwnX(t.b, appKey, x)
}

// loadOwnX is ownX on any reader.
func loadOwnX(r reader, appKey string, x routing.Number) (routing.XNumber, error) {
	xn, ok, err := loadX(r, x)
	if err != nil {
		return xn, err
	}
	if !ok || xn.AppKey != appKey {
		return xn, ErrXNotInApp
	}
	return xn, nil
}

// xCheck is one test an X passes to take a new binding: free says whether
// it does, taken is the error of an X asked for that does not.
type xCheck struct {
	free  func(routing.Number) (bool, error)
	taken error
}

// chooseX is the X of a bind: the one c asks for, which must be the app's
// and pass every check (else the first failing check's taken), or the one
// pickFree finds among those that pass them all.
func (t *tx) chooseX(appKey string, c XChoice, checks ...xCheck) (routing.Number, error) {
	if c.X != "" {
		if _, err := t.ownX(appKey, c.X); err != nil {
			return "", err
		}
		for _, ch := range checks {
			free, err := ch.free(c.X)
			if err := mustBeFree(free, err, ch.taken); err != nil {
				return "", err
			}
		}
		return c.X, nil
	}
	return t.pickFree(appKey, c, func(xn routing.XNumber) (bool, error) {
		for _, ch := range checks {
			if free, err := ch.free(xn.Number); err != nil || !free {
				return false, err
			}
		}
		return true, nil
	})
}

// pickFree chooses the X of a bind without a specific number: among the
// app's X numbers that are not suspended, that the area choice allows and
// for which free says yes, the best area rank, then the lowest number. None
// is ErrNoFreeXInArea when an area was asked for, else ErrNoFreeX.
func (t *tx) pickFree(appKey string, c XChoice, free func(routing.XNumber) (bool, error)) (routing.Number, error) {
	return t.pickLeastLoaded(appKey, c, func(xn routing.XNumber) (uint64, bool, error) {
		ok, err := free(xn)
		return 0, ok, err
	})
}

// pickLeastLoaded is pickFree where weigh says whether an X is free and how
// loaded it is: among the best area rank, the least loaded X wins, then the
// lowest number.
func (t *tx) pickLeastLoaded(appKey string, c XChoice, weigh func(routing.XNumber) (uint64, bool, error)) (routing.Number, error) {
	xs, err := appNumbers(t.b, appKey)
	if err != nil {
		return "", err
	}
	type cand struct {
		x    routing.Number
		rank int
		load uint64
	}
	var cands []cand
	for _, x := range xs {
		xn, ok, err := loadX(t.b, x)
		if err != nil {
			return "", err
		}
		if !ok || xn.Suspended {
			continue
		}
		rank := t.areaRank(c.AreaCode, c.AreaMatchMode, xn.AreaCode)
		if rank < 0 {
			continue
		}
		load, ok, err := weigh(xn)
		if err != nil {
			return "", err
		}
		if ok {
			cands = append(cands, cand{x, rank, load})
		}
	}
	if len(cands) == 0 {
		if c.AreaCode != "" {
			return "", ErrNoFreeXInArea
		}
		return "", ErrNoFreeX
	}
	sort.Slice(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if a.rank != b.rank {
			return a.rank < b.rank
		}
		if a.load != b.load {
			return a.load < b.load
		}
		return a.x < b.x
	})
	return cands[0].x, nil
}

// putRecord writes rec at k, each index entry of idx naming id, and the
// expiry entry of (kind, id).
func (t *tx) putRecord(k []byte, rec any, kind, id string, expires time.Time, idx ...[]byte) error {
	if err := t.setJSON(k, rec); err != nil {
		return err
	}
	for _, ik := range idx {
		if err := t.set(ik, []byte(id)); err != nil {
			return err
		}
	}
	return t.putExp(expires, kind, id)
}

// delRecord deletes the record at k, the index entries of idx that still
// name id, and the expiry entry of (kind, id).
func (t *tx) delRecord(k []byte, kind, id string, expires time.Time, idx ...[]byte) error {
	if err := t.del(k); err != nil {
		return err
	}
	for _, ik := range idx {
		if err := t.delIfPoints(ik, id); err != nil {
			return err
		}
	}
	return t.delExp(expires, kind, id)
}

// putExp and delExp maintain the me family for a record that expires.
func (t *tx) putExp(expires time.Time, kind, id string) error {
	if expires.IsZero() {
		return nil
	}
	return t.set(modeExpKey(expires, kind, id), nil)
}

func (t *tx) delExp(expires time.Time, kind, id string) error {
	if expires.IsZero() {
		return nil
	}
	return t.del(modeExpKey(expires, kind, id))
}

// delIfPoints deletes the index entry k only while it names id, so that
// deleting a stale record never takes a newer record's entry with it.
func (t *tx) delIfPoints(k []byte, id string) error {
	v, ok, err := get(t.b, k)
	if err != nil || !ok || string(v) != id {
		return err
	}
	return t.del(k)
}

// fixed is what no modify may change: a binding's id, app, X and creation.
type fixed struct {
	id, app string
	x       routing.Number
	created time.Time
}

// editCopy lets fn edit a copy of old and returns it; a change of what
// fixedOf gives is ErrImmutableField.
func editCopy[B any](old B, fn func(*B) error, fixedOf func(B) fixed) (B, error) {
	nb := old
	if err := fn(&nb); err != nil {
		return nb, err
	}
	o, n := fixedOf(old), fixedOf(nb)
	if n.id != o.id || n.app != o.app || n.x != o.x || !n.created.Equal(o.created) {
		return nb, ErrImmutableField
	}
	return nb, nil
}

// restartExpiry applies the modify rule of every mode: the clock restarts
// from now when the duration changed or the caller zeroed Expires; any
// other change of Expires is ErrImmutableField.
func restartExpiry(oldExp, newExp time.Time, durationChanged bool) (bool, error) {
	switch {
	case newExp.Equal(oldExp):
		return durationChanged, nil
	case newExp.IsZero():
		return true, nil
	default:
		return false, fmt.Errorf("%w: expires", ErrImmutableField)
	}
}

// idsUnder lists the values of the index entries under prefix p (an index
// whose values are ids).
func idsUnder(r reader, p []byte) ([]string, error) {
	var out []string
	err := scan(r, p, func(_, v []byte) error {
		out = append(out, string(v))
		return nil
	})
	return out, err
}

// page sorts nothing: it cuts one 1-based page of n items.
func page[T any](all []T, index, size int) []T {
	lo, hi := pageBounds(len(all), index, size)
	return all[lo:hi]
}
