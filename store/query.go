package store

import (
	"sort"

	"github.com/xnum/xnum/routing"
)

// Page sizes of QueryAXB when the caller leaves them out or overshoots.
const (
	DefaultPageSize = 50
	MaxPageSize     = 1000
)

// Query selects an app's live AXB bindings (SPEC §5 query): all of them, or
// those on X, narrowed by Caller (the binding's A) and Callee (its B).
type Query struct {
	AppKey    string
	X         routing.Number // optional
	Caller    routing.Number // optional: binding's A (callerNum)
	Callee    routing.Number // optional: binding's B (calleeNum)
	PageIndex int            // from 1; <1 means 1
	PageSize  int            // <1 means DefaultPageSize; capped at MaxPageSize
}

// QueryAXB returns one page of the matching live bindings, ordered by
// subscribeTime then subscriptionId, and the total number of matches.
// An X that is not the app's is ErrXNotInApp.
func (s *Store) QueryAXB(q Query) ([]routing.Binding, int, error) {
	var all []routing.Binding
	err := s.snapshot(func(r reader) error {
		xs, err := scopeXs(r, q.AppKey, q.X)
		if err != nil {
			return err
		}
		now := s.now()
		for _, x := range xs {
			bs, err := candidates(r, x, q)
			if err != nil {
				return err
			}
			for _, b := range bs {
				if b.AppKey == q.AppKey && !b.Expired(now) &&
					(q.Caller == "" || b.A == q.Caller) && (q.Callee == "" || b.B == q.Callee) {
					all = append(all, b)
				}
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

// candidates reads the bindings on x that may match q: through the party
// index when a number narrows the query, else the whole X.
func candidates(r reader, x routing.Number, q Query) ([]routing.Binding, error) {
	n := q.Caller
	if n == "" {
		n = q.Callee
	}
	if n == "" {
		return bindingsOnX(r, x)
	}
	id, ok, err := get(r, partyKey(x, n))
	if err != nil || !ok {
		return nil, err
	}
	b, ok, err := loadBinding(r, string(id))
	if err != nil || !ok {
		return nil, err
	}
	return []routing.Binding{b}, nil
}

// pageBounds returns the slice bounds of a 1-based page over n items.
func pageBounds(n, index, size int) (int, int) {
	if index < 1 {
		index = 1
	}
	if size < 1 {
		size = DefaultPageSize
	}
	if size > MaxPageSize {
		size = MaxPageSize
	}
	lo := (index - 1) * size
	if lo > n || lo < 0 {
		return n, n
	}
	return lo, min(lo+size, n)
}
