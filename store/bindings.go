package store

import (
	"github.com/xnum/xnum/routing"
)

var _ routing.Lookup = (*Store)(nil)

// BindingByParty implements routing.Lookup: the live AXB binding on x in
// which n is A or B. An expired binding not yet swept counts as absent
// (SPEC §3: lookups check expiry so that a late sweep never routes).
func (s *Store) BindingByParty(x, n routing.Number) (routing.Binding, bool, error) {
	ref := partyRef{x, n}
	b, g, ok := s.bindings.get(ref)
	if ok {
		if b.Expired(s.now()) {
			return routing.Binding{}, false, nil
		}
		return b, true, nil
	}
	var found bool
	err := s.read(func() error {
		id, ok, err := get(s.db, partyKey(x, n))
		if err != nil || !ok {
			return err
		}
		b, ok, err = loadBinding(s.db, string(id))
		if err != nil || !ok {
			return err
		}
		// Two Gets without a snapshot: a modify in between may have moved
		// the party, so confirm the binding still holds n on x.
		isA, isB := b.Party(n)
		found = b.X == x && (isA || isB) && !b.Expired(s.now())
		return nil
	})
	if err != nil || !found {
		return routing.Binding{}, false, err
	}
	if s.afterBindingRead != nil {
		s.afterBindingRead()
	}
	g.put(ref, b)
	return b, true, nil
}

// liveBinding loads the app's binding id; absent, expired or another app's
// is ErrBindingNotFound.
func (t *tx) liveBinding(appKey, id string) (routing.Binding, error) {
	return live(t.b, t.now, appKey, id, loadBinding, bindingApp, ErrBindingNotFound)
}

func bindingApp(b routing.Binding) string { return b.AppKey }

// GetBinding returns the app's live binding with that subscriptionId;
// ErrBindingNotFound when absent, expired, or another app's.
func (s *Store) GetBinding(appKey, id string) (routing.Binding, error) {
	return getLive(s, appKey, id, loadBinding, bindingApp, ErrBindingNotFound)
}

// ModifyAXB changes a live binding of the app: fn edits a copy, then the
// store checks it and rewrites the binding and its indexes in one batch.
//
// fn may change A, B, Direction, Duration, MaxDuration, the flags, prompts
// and UserData. A new A or B is checked against the uniqueness rule
// (ErrBindingExists). Expires is recomputed as now+Duration when Duration
// changes (SPEC §3: modifying duration restarts the clock) or when fn sets
// Expires to the zero time, which is how a caller restarts the clock with an
// unchanged duration. Changing ID, AppKey, X, Created, or setting Expires
// to anything else is ErrImmutableField.
func (s *Store) ModifyAXB(appKey, id string, fn func(*routing.Binding) error) (routing.Binding, error) {
	var nb routing.Binding
	err := s.update(func(t *tx) error {
		if _, err := t.appForWrite(appKey); err != nil {
			return err
		}
		old, err := t.liveBinding(appKey, id)
		if err != nil {
			return err
		}
		if nb, err = editCopy(old, fn, func(b routing.Binding) fixed { return fixed{b.ID, b.AppKey, b.X, b.Created} }); err != nil {
			return err
		}
		restart, err := restartExpiry(old.Expires, nb.Expires, nb.Duration != old.Duration)
		if err != nil {
			return err
		}
		if err := checkBinding(nb); err != nil {
			return err
		}
		for _, n := range []routing.Number{nb.A, nb.B} {
			if n == old.A || n == old.B {
				continue
			}
			if err := t.checkParties(n); err != nil {
				return err
			}
			free, err := t.partyFree(nb.X, n, id)
			if err != nil {
				return err
			}
			if !free {
				return ErrBindingExists
			}
		}
		if restart {
			nb.Expires = expiry(t.now, nb.Duration)
		} else {
			nb.Expires = old.Expires
		}
		if err := t.delBinding(old, false); err != nil {
			return err
		}
		return t.putBinding(nb, false)
	})
	if err != nil {
		return routing.Binding{}, err
	}
	return nb, nil
}

// UnbindAXB deletes one live binding of the app. A second unbind, like an
// unknown or expired id, is ErrBindingNotFound (1012007). Calls already
// routed by it go on (SPEC §3: the binding is resolved once per INVITE).
func (s *Store) UnbindAXB(appKey, id string) error {
	return s.update(func(t *tx) error {
		if _, err := t.appForWrite(appKey); err != nil {
			return err
		}
		b, err := t.liveBinding(appKey, id)
		if err != nil {
			return err
		}
		return t.delBinding(b, true)
	})
}

// UnbindX deletes every binding on one X of the app (SPEC §5: relationNum
// alone) and returns how many live ones there were; none is
// ErrBindingNotFound.
func (s *Store) UnbindX(appKey string, x routing.Number) (int, error) {
	live := 0
	err := s.update(func(t *tx) error {
		if _, err := t.appForWrite(appKey); err != nil {
			return err
		}
		if _, err := t.ownX(appKey, x); err != nil {
			return err
		}
		bs, err := bindingsOnX(t.b, x)
		if err != nil {
			return err
		}
		for _, b := range bs {
			if !b.Expired(t.now) {
				live++
			}
			if err := t.delBinding(b, true); err != nil {
				return err
			}
		}
		if live == 0 {
			return ErrBindingNotFound
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return live, nil
}
