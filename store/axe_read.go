package store

import (
	"errors"
	"sort"
	"time"

	"github.com/xnum/xnum/routing"
)

// GetAXE returns the app's live AXE binding with that subscriptionId;
// ErrRecordNotFound when absent, expired, or another app's.
func (s *Store) GetAXE(appKey, id string) (routing.AXEBinding, error) {
	return getLive(s, appKey, id, loadAXE, axeApp, ErrRecordNotFound)
}

// AXEQuery selects an app's live AXE bindings: all, or narrowed by X, by A
// (bindNum) and by extension (with X); paged like Query.
type AXEQuery struct {
	AppKey    string
	X         routing.Number // optional: virtualNum
	A         routing.Number // optional: bindNum
	Ext       string         // optional: extendNum, used with X
	PageIndex int
	PageSize  int
}

// QueryAXE returns one page of matching live AXE bindings ordered by
// subscribeTime then subscriptionId, and the total. An X that is not the
// app's is ErrXNotInApp.
func (s *Store) QueryAXE(q AXEQuery) ([]routing.AXEBinding, int, error) {
	var all []routing.AXEBinding
	err := s.snapshot(func(r reader) error {
		xs, err := scopeXs(r, q.AppKey, q.X)
		if err != nil {
			return err
		}
		now := s.now()
		for _, x := range xs {
			ids, err := axeCandidates(r, x, q)
			if err != nil {
				return err
			}
			all, err = loadMatching(r, ids, loadAXE, all, func(b routing.AXEBinding) bool {
				return b.AppKey == q.AppKey && b.X == x && !b.Expired(now) &&
					(q.A == "" || b.A == q.A) && (q.Ext == "" || b.Ext == q.Ext)
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	sort.Slice(all, func(i, j int) bool { return createdBefore(all[i].Created, all[i].ID, all[j].Created, all[j].ID) })
	return page(all, q.PageIndex, q.PageSize), len(all), nil
}

// axeCandidates reads the ids on x that may match q: one entry when A or
// the extension narrows, else every binding on x.
func axeCandidates(r reader, x routing.Number, q AXEQuery) ([]string, error) {
	var k []byte
	switch {
	case q.A != "":
		k = axePartyKey(x, q.A)
	case q.Ext != "":
		k = axeExtKey(x, q.Ext)
	default:
		return idsUnder(r, axeExtPrefix(x))
	}
	id, ok, err := get(r, k)
	if err != nil || !ok {
		return nil, err
	}
	return []string{string(id)}, nil
}

// AXEByParty implements routing.AXELookup: A's AXE binding on x (may be
// expired).
func (s *Store) AXEByParty(x, a routing.Number) (routing.AXEBinding, bool, error) {
	return byIndex(s, axePartyKey(x, a), loadAXE, func(b routing.AXEBinding) bool { return b.X == x && b.A == a })
}

// AXEByExt implements routing.AXELookup: the AXE binding of extension ext on
// x (may be expired).
func (s *Store) AXEByExt(x routing.Number, ext string) (routing.AXEBinding, bool, error) {
	if ext == "" {
		return routing.AXEBinding{}, false, nil
	}
	return byIndex(s, axeExtKey(x, ext), loadAXE, func(b routing.AXEBinding) bool { return b.X == x && b.Ext == ext })
}

// AXEHasBinding implements routing.AXELookup: whether x holds an AXE
// binding live at now (8025 when not).
func (s *Store) AXEHasBinding(x routing.Number, now time.Time) (bool, error) {
	found := false
	err := s.snapshot(func(r reader) error {
		err := scan(r, axeExtPrefix(x), func(_, v []byte) error {
			b, ok, err := loadAXE(r, string(v))
			if err != nil {
				return err
			}
			if ok && !b.Expired(now) {
				found = true
				return errStop
			}
			return nil
		})
		if errors.Is(err, errStop) {
			err = nil
		}
		return err
	})
	return found, err
}

// Callback implements routing.AXELookup: the callback record of binding id
// (may be expired).
func (s *Store) Callback(id string) (routing.Callback, bool, error) {
	var c routing.Callback
	var ok bool
	err := s.read(func() error {
		var err error
		c, ok, err = loadCallback(s.db, id)
		return err
	})
	if err != nil || !ok {
		return routing.Callback{}, false, err
	}
	return c, true, nil
}

// PutCallback implements routing.AXELookup: c replaces the callback record
// of its binding, synced. ErrBindingGone when the binding is absent,
// expired at c.At, or no longer holds c's X and extension.
func (s *Store) PutCallback(c routing.Callback) error {
	if err := checkNumber("caller", c.Caller); err != nil {
		return err
	}
	return s.update(func(t *tx) error {
		b, ok, err := loadAXE(t.b, c.SubscriptionID)
		if err != nil {
			return err
		}
		if !ok || b.Expired(c.At) || b.X != c.X || b.Ext != c.Ext {
			return ErrBindingGone
		}
		if err := t.delCallback(b.ID); err != nil {
			return err
		}
		if err := t.setJSON(callbackKey(b.ID), c); err != nil {
			return err
		}
		return t.putExp(c.Expires, kindCallback, b.ID)
	})
}
