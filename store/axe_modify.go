package store

import (
	"fmt"

	"github.com/xnum/xnum/routing"
)

// ModifyAXE changes a live AXE binding of the app: fn edits a copy. fn may
// change A (unique on X; the callback record is then dropped), Ext (the
// app's length, unique on X), CallbackNum xor CallbackTone,
// BindExpiredTime and TimeUnit (the clock restarts from now),
// CallbackExpiredTime (for records written from now on) and the call
// options. Changing ID, AppKey, X, Created or setting Expires otherwise is
// ErrImmutableField.
func (s *Store) ModifyAXE(appKey, id string, fn func(*routing.AXEBinding) error) (routing.AXEBinding, error) {
	var nb routing.AXEBinding
	err := s.updateMode(appKey, routing.ModeAXE, func(t *tx, app routing.App) error {
		old, err := t.liveAXE(appKey, id)
		if err != nil {
			return err
		}
		if nb, err = editCopy(old, fn, func(b routing.AXEBinding) fixed { return fixed{b.ID, b.AppKey, b.X, b.Created} }); err != nil {
			return err
		}
		changed := nb.BindExpiredTime != old.BindExpiredTime || nb.TimeUnit != old.TimeUnit
		restart, err := restartExpiry(old.Expires, nb.Expires, changed)
		if err != nil {
			return err
		}
		if err := checkAXE(nb); err != nil {
			return err
		}
		if n := extLen(app); len(nb.Ext) != n {
			return fmt.Errorf("%w: extendNum must have %d digits", ErrInvalidArgument, n)
		}
		if nb.A != old.A {
			if err := t.checkParties(nb.A); err != nil {
				return err
			}
			free, err := t.axePartyFree(nb.X, nb.A, id)
			if err := mustBeFree(free, err, ErrPartyExists); err != nil {
				return err
			}
		}
		if nb.CallbackNum != "" && nb.CallbackNum != old.CallbackNum {
			if err := t.checkParties(nb.CallbackNum); err != nil {
				return err
			}
		}
		if nb.Ext != old.Ext {
			free, err := t.extFree(nb.X, nb.Ext, id)
			if err := mustBeFree(free, err, ErrExtensionTaken); err != nil {
				return err
			}
		}
		nb.Expires = old.Expires
		if restart {
			nb.Expires = expiryIn(t, nb.BindExpiredTime, nb)
		}
		if err := t.delAXE(old, nb.A == old.A); err != nil {
			return err
		}
		return t.putAXE(nb)
	})
	if err != nil {
		return routing.AXEBinding{}, err
	}
	return nb, nil
}

// UnbindAXE deletes one live AXE binding of the app and its callback
// record. Unknown, expired, another app's or already unbound:
// ErrRecordNotFound.
func (s *Store) UnbindAXE(appKey, id string) error {
	return s.updateMode(appKey, routing.ModeAXE, func(t *tx, _ routing.App) error {
		b, err := t.liveAXE(appKey, id)
		if err != nil {
			return err
		}
		return t.delAXE(b, false)
	})
}

// UnbindAXEByX deletes the live AXE bindings on x: the one of extension ext,
// or all of them when ext is "". It returns how many live ones it deleted;
// none is ErrRecordNotFound, an x not the app's ErrXNotInApp.
func (s *Store) UnbindAXEByX(appKey string, x routing.Number, ext string) (int, error) {
	live := 0
	err := s.updateMode(appKey, routing.ModeAXE, func(t *tx, _ routing.App) error {
		if _, err := t.ownX(appKey, x); err != nil {
			return err
		}
		var ids []string
		if ext == "" {
			var err error
			if ids, err = idsUnder(t.b, axeExtPrefix(x)); err != nil {
				return err
			}
		} else if id, ok, err := get(t.b, axeExtKey(x, ext)); err != nil {
			return err
		} else if ok {
			ids = []string{string(id)}
		}
		for _, id := range ids {
			b, ok, err := loadAXE(t.b, id)
			if err != nil {
				return err
			}
			if !ok || (ext != "" && b.Ext != ext) {
				continue
			}
			if !b.Expired(t.now) {
				live++
			}
			if err := t.delAXE(b, false); err != nil {
				return err
			}
		}
		if live == 0 {
			return ErrRecordNotFound
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return live, nil
}
