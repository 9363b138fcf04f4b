package store

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/xnum/xnum/routing"
)

// CreateApp stores a new app. Created is set from the clock when zero.
func (s *Store) CreateApp(a routing.App) error {
	if err := checkAppKey(a.Key); err != nil {
		return err
	}
	if !a.Mode.Valid() {
		return fmt.Errorf("%w: mode %q", ErrInvalidArgument, a.Mode)
	}
	return s.update(func(t *tx) error {
		if _, ok, err := get(t.b, appKey(a.Key)); err != nil || ok {
			if ok {
				return ErrAppExists
			}
			return err
		}
		if a.Created.IsZero() {
			a.Created = t.now
		}
		t.invalidate = true
		return t.setJSON(appKey(a.Key), a)
	})
}

// GetApp returns the app with that key. It is served from the cache (see
// xcache): the outbox dispatcher calls it for every emit and every push
// round, and a Pebble read each time cost ~6 % of the CPU at 500 calls/s.
// Only apps that exist are cached (keys come from API callers too).
func (s *Store) GetApp(key string) (routing.App, error) {
	var a routing.App
	err := s.read(func() error {
		cached, gen, ok := s.cache.app(key)
		if ok {
			a = cached
			return nil
		}
		loaded, ok, err := loadApp(s.db, key)
		if err != nil {
			return err
		}
		if !ok {
			return ErrAppNotFound
		}
		if s.afterAppRead != nil {
			s.afterAppRead()
		}
		gen.putApp(key, loaded) // into the generation taken before the read
		a = loaded
		return nil
	})
	if err != nil {
		return routing.App{}, err
	}
	return cloneApp(a), nil
}

// UpdateApp replaces a stored app (matched by Key) with a, keeping its
// creation time. Mode may change only while the app has no X numbers, since
// the X numbers' bindings belong to the old mode.
func (s *Store) UpdateApp(a routing.App) error {
	if !a.Mode.Valid() {
		return fmt.Errorf("%w: mode %q", ErrInvalidArgument, a.Mode)
	}
	return s.update(func(t *tx) error {
		old, ok, err := loadApp(t.b, a.Key)
		if err != nil {
			return err
		}
		if !ok {
			return ErrAppNotFound
		}
		if old.Mode != a.Mode {
			has, err := hasAny(t.b, appXPrefix(a.Key))
			if err != nil {
				return err
			}
			if has {
				return fmt.Errorf("%w: mode cannot change while the app has numbers", ErrInvalidArgument)
			}
		}
		a.Created = old.Created
		t.invalidate = true
		return t.setJSON(appKey(a.Key), a)
	})
}

// SetFrozen freezes or unfreezes an app (arrears, SPEC §3): nothing else
// changes, so unfreezing restores everything.
func (s *Store) SetFrozen(key string, frozen bool) error {
	return s.update(func(t *tx) error {
		a, ok, err := loadApp(t.b, key)
		if err != nil {
			return err
		}
		if !ok {
			return ErrAppNotFound
		}
		a.Frozen = frozen
		t.invalidate = true
		return t.setJSON(appKey(key), a)
	})
}

// DeleteApp removes an app with all its X numbers and their bindings in one
// batch.
func (s *Store) DeleteApp(key string) error {
	return s.update(func(t *tx) error {
		xs, err := scopeXs(t.b, key, "")
		if err != nil {
			return err
		}
		for _, x := range xs {
			if err := t.removeX(key, x); err != nil {
				return err
			}
		}
		t.invalidate = true
		return t.del(appKey(key))
	})
}

// ListApps returns every app, ordered by key.
func (s *Store) ListApps() ([]routing.App, error) {
	var out []routing.App
	err := s.snapshot(func(r reader) error {
		return scan(r, pfxApp, func(_, v []byte) error {
			var a routing.App
			if err := json.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("decode app: %w", err)
			}
			out = append(out, a)
			return nil
		})
	})
	return out, err
}

// hasAny reports whether any key starts with p.
func hasAny(r reader, p []byte) (bool, error) {
	found := false
	err := scan(r, p, func(_, _ []byte) error {
		found = true
		return errStop
	})
	if errors.Is(err, errStop) {
		err = nil
	}
	return found, err
}
