package store

import (
	"errors"
	"fmt"

	"github.com/xnum/xnum/routing"
)

// AddNumbers assigns X numbers to an app, all or none. A number owned by
// another app fails the whole call with ErrNumberTaken; re-adding a number
// the app already has keeps its state and only sets the area code given.
func (s *Store) AddNumbers(appKey string, nums []routing.Number, areaCode string) error {
	for _, n := range nums {
		if err := checkNumber("number", n); err != nil {
			return err
		}
	}
	return s.update(func(t *tx) error {
		if err := appExists(t.b, appKey); err != nil {
			return err
		}
		for _, n := range nums {
			xn, ok, err := loadX(t.b, n)
			if err != nil {
				return err
			}
			switch {
			case ok && xn.AppKey != appKey:
				return fmt.Errorf("%w: %s", ErrNumberTaken, n.Masked())
			case ok:
				if areaCode != "" {
					xn.AreaCode = areaCode
				}
			default:
				xn = routing.XNumber{Number: n, AppKey: appKey, AreaCode: areaCode, Added: t.now}
			}
			if err := t.setJSON(xKey(n), xn); err != nil {
				return err
			}
			if err := t.set(appXKey(appKey, n), nil); err != nil {
				return err
			}
		}
		t.invalidate = true
		return nil
	})
}

// ListNumbers returns the app's X numbers, ordered by number.
func (s *Store) ListNumbers(appKey string) ([]routing.XNumber, error) {
	var out []routing.XNumber
	err := s.snapshot(func(r reader) error {
		xs, err := scopeXs(r, appKey, "")
		if err != nil {
			return err
		}
		for _, x := range xs {
			xn, ok, err := loadX(r, x)
			if err != nil {
				return err
			}
			if ok {
				out = append(out, xn)
			}
		}
		return nil
	})
	return out, err
}

// RemoveNumber takes an X away from its app together with all its bindings,
// in one batch.
func (s *Store) RemoveNumber(appKey string, n routing.Number) error {
	return s.update(func(t *tx) error {
		if _, err := t.appNumber(appKey, n); err != nil {
			return err
		}
		t.invalidate = true
		return t.removeX(appKey, n)
	})
}

// SetSuspended suspends or resumes one X: a suspended X refuses calls with
// 8055 (SPEC §3) and is never picked for a new binding; its bindings stay.
func (s *Store) SetSuspended(appKey string, n routing.Number, suspended bool) error {
	return s.update(func(t *tx) error {
		xn, err := t.appNumber(appKey, n)
		if err != nil {
			return err
		}
		xn.Suspended = suspended
		t.invalidate = true
		return t.setJSON(xKey(n), xn)
	})
}

// IsX reports whether n is an X of the platform (SPEC §2 loop guard).
func (s *Store) IsX(n routing.Number) (bool, error) {
	_, _, ok, err := s.XNumber(n)
	return ok, err
}

// XNumber implements routing.Lookup: the X and its app, ok=false when n is
// no X of the platform. It is served from memory after the first call.
func (s *Store) XNumber(n routing.Number) (routing.XNumber, routing.App, bool, error) {
	e, gen, ok := s.cache.get(n)
	if ok {
		return e.x, cloneApp(e.app), true, nil
	}
	// Most misses are numbers that are no X (every caller passes the loop
	// guard): one Get answers them, and the answer is kept in the same
	// generation (a number added later swaps the generation).
	if gen.isNo(n) {
		return routing.XNumber{}, routing.App{}, false, nil
	}
	err := s.read(func() error {
		var err error
		_, ok, err = get(s.db, xKey(n))
		if err == nil && !ok {
			if s.afterXRead != nil {
				s.afterXRead()
			}
			gen.putNo(n)
		}
		return err
	})
	if err != nil || !ok {
		return routing.XNumber{}, routing.App{}, false, err
	}
	// An X not cached yet: read it and its app from one snapshot, so that an
	// app deleted between the two reads is not mistaken for a broken store.
	var found bool
	err = s.snapshot(func(r reader) error {
		x, ok, err := loadX(r, n)
		if err != nil || !ok {
			return err
		}
		app, ok, err := loadApp(r, x.AppKey)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: x %s names missing app", ErrInconsistent, n.Masked())
		}
		e, found = xentry{x: x, app: app}, true
		if s.afterXRead != nil {
			s.afterXRead()
		}
		gen.put(n, e)
		return nil
	})
	if err != nil || !found {
		return routing.XNumber{}, routing.App{}, false, err
	}
	return e.x, cloneApp(e.app), true, nil
}

// appNumber is ownX for the admin API, where a number that is not the
// app's is ErrNumberNotFound.
func (t *tx) appNumber(appKey string, n routing.Number) (routing.XNumber, error) {
	xn, err := t.ownX(appKey, n)
	if errors.Is(err, ErrXNotInApp) {
		err = ErrNumberNotFound
	}
	return xn, err
}

// appExists is nil when the app is stored and ErrAppNotFound when not.
func appExists(r reader, appKey string) error {
	_, ok, err := loadApp(r, appKey)
	if err == nil && !ok {
		err = ErrAppNotFound
	}
	return err
}

// checkScope checks a query's scope: the app exists and x, when given, is
// one of its numbers (else ErrXNotInApp).
func checkScope(r reader, appKey string, x routing.Number) error {
	if err := appExists(r, appKey); err != nil {
		return err
	}
	if x == "" {
		return nil
	}
	_, err := loadOwnX(r, appKey, x)
	return err
}

// scopeXs is the X numbers a query covers after checkScope: x alone when
// given, else every X of the app.
func scopeXs(r reader, appKey string, x routing.Number) ([]routing.Number, error) {
	if err := checkScope(r, appKey, x); err != nil {
		return nil, err
	}
	if x != "" {
		return []routing.Number{x}, nil
	}
	return appNumbers(r, appKey)
}

// appNumbers lists the X numbers of an app from its index.
func appNumbers(r reader, appKey string) ([]routing.Number, error) {
	var out []routing.Number
	p := appXPrefix(appKey)
	err := scan(r, p, func(k, _ []byte) error {
		out = append(out, routing.Number(k[len(p):]))
		return nil
	})
	return out, err
}

// removeX deletes x, its app index entry, its bindings of every mode (with
// their temporary callee, callback records and B–Y relations), the B–Y
// relations it serves as Y, and its pair count.
func (t *tx) removeX(appKey string, x routing.Number) error {
	bs, err := bindingsOnX(t.b, x)
	if err != nil {
		return err
	}
	for _, b := range bs {
		if err := t.delBinding(b, false); err != nil {
			return err
		}
	}
	if err := t.removeModesOnX(x); err != nil {
		return err
	}
	for _, k := range [][]byte{countKey(x), appXKey(appKey, x), xKey(x)} {
		if err := t.del(k); err != nil {
			return err
		}
	}
	return nil
}
