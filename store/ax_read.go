package store

import (
	"sort"
	"time"

	"github.com/xnum/xnum/routing"
)

var _ routing.ModeLookup = (*Store)(nil)

// GetAX returns the app's live AX binding with that subscriptionId;
// ErrRecordNotFound when absent, expired, or another app's.
func (s *Store) GetAX(appKey, id string) (routing.AXBinding, error) {
	return getLive(s, appKey, id, loadAX, axApp, ErrRecordNotFound)
}

// AXQuery selects an app's live AX bindings: all, those on X, those of A,
// or both; paged like Query.
type AXQuery struct {
	AppKey    string
	X         routing.Number // optional: privateNum
	A         routing.Number // optional: origNum
	PageIndex int
	PageSize  int
}

// QueryAX returns one page of matching live AX bindings ordered by
// subscribeTime then subscriptionId, and the total number of matches. An X
// that is not the app's is ErrXNotInApp.
func (s *Store) QueryAX(q AXQuery) ([]routing.AXBinding, int, error) {
	var all []routing.AXBinding
	err := s.snapshot(func(r reader) error {
		ids, err := queryIDs(r, q.AppKey, q.X, q.A, axByXKey, axByAPrefix)
		if err != nil {
			return err
		}
		now := s.now()
		all, err = loadMatching(r, ids, loadAX, all, func(b routing.AXBinding) bool {
			return b.AppKey == q.AppKey && !b.Expired(now) && (q.X == "" || b.X == q.X) && (q.A == "" || b.A == q.A)
		})
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	sort.Slice(all, func(i, j int) bool { return createdBefore(all[i].Created, all[i].ID, all[j].Created, all[j].ID) })
	return page(all, q.PageIndex, q.PageSize), len(all), nil
}

// queryIDs gathers candidate ids for a query of a family with a one-per-X
// index (byX) and an A index (byA): by A when given, else by X, else every
// X of the app. The app must exist and X, when given, be the app's.
func queryIDs(r reader, appKey string, x, a routing.Number,
	byX func(routing.Number) []byte, byA func(routing.Number) []byte) ([]string, error) {
	if a != "" {
		if err := checkScope(r, appKey, x); err != nil {
			return nil, err
		}
		return idsUnder(r, byA(a))
	}
	xs, err := scopeXs(r, appKey, x)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, x := range xs {
		id, ok, err := get(r, byX(x))
		if err != nil {
			return nil, err
		}
		if ok {
			ids = append(ids, string(id))
		}
	}
	return ids, nil
}

func createdBefore(ta time.Time, ida string, tb time.Time, idb string) bool {
	if !ta.Equal(tb) {
		return ta.Before(tb)
	}
	return ida < idb
}

// AXBinding implements routing.AXLookup: the AX binding on x, which may be
// expired (routing checks).
func (s *Store) AXBinding(x routing.Number) (routing.AXBinding, bool, error) {
	return byIndex(s, axByXKey(x), loadAX, func(b routing.AXBinding) bool { return b.X == x })
}

// TakeTempCallee implements routing.AXLookup: it returns and deletes, in one
// synced batch under the writer mutex, the temporary callee of binding id
// on x, so that two calls racing for it cannot both get it. A callee of
// another binding or expired at now is deleted and not returned.
func (s *Store) TakeTempCallee(x routing.Number, id string, now time.Time) (routing.Number, bool, error) {
	var callee routing.Number
	err := s.update(func(t *tx) error {
		c, ok, err := loadTemp(t.b, x)
		if err != nil || !ok {
			return err
		}
		if c.SubscriptionID == id && !c.Expired(now) {
			callee = c.Callee
		}
		return t.delTemp(x)
	})
	if err != nil || callee == "" {
		return "", false, err
	}
	return callee, true, nil
}
