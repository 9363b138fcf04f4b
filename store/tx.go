package store

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/xnum/xnum/routing"
)

// tx is one mutation in progress: an indexed batch, so that its own reads see
// its earlier writes (deleting an expired binding, then counting the pairs).
type tx struct {
	s   *Store
	b   *pebble.Batch
	now time.Time
	// invalidate is set when the batch touches apps or X numbers, which the
	// XNumber cache mirrors.
	invalidate bool
}

func (t *tx) set(k, v []byte) error {
	if err := t.b.Set(k, v, nil); err != nil {
		return fmt.Errorf("batch set: %w", err)
	}
	return nil
}

func (t *tx) del(k []byte) error {
	if err := t.b.Delete(k, nil); err != nil {
		return fmt.Errorf("batch delete: %w", err)
	}
	return nil
}

func (t *tx) setJSON(k []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	return t.set(k, data)
}

// getJSON decodes the value at k into v; ok=false when absent.
func getJSON(r reader, k []byte, v any) (bool, error) {
	data, ok, err := get(r, k)
	if err != nil || !ok {
		return false, err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return false, fmt.Errorf("decode %s: %w", safeKey(k), err)
	}
	return true, nil
}

// loadJSON reads the record at k.
func loadJSON[R any](r reader, k []byte) (R, bool, error) {
	var rec R
	ok, err := getJSON(r, k, &rec)
	return rec, ok, err
}

func loadApp(r reader, key string) (routing.App, bool, error) {
	return loadJSON[routing.App](r, appKey(key))
}

func loadX(r reader, x routing.Number) (routing.XNumber, bool, error) {
	return loadJSON[routing.XNumber](r, xKey(x))
}

func loadBinding(r reader, id string) (routing.Binding, bool, error) {
	return loadJSON[routing.Binding](r, bindingKey(id))
}

func pairCount(r reader, x routing.Number) (uint64, error) {
	v, _, err := get(r, countKey(x))
	return decodeCount(v), err
}

// appForWrite loads the app a binding mutation acts for and applies the
// checks every such mutation shares: it exists, it is AXB, it is not frozen
// (SPEC §3: a frozen app's bind/unbind/modify are refused).
func (t *tx) appForWrite(key string) (routing.App, error) {
	return t.appFor(key, routing.ModeAXB)
}

// appFor is appForWrite for an app of mode.
func (t *tx) appFor(key string, mode routing.Mode) (routing.App, error) {
	app, ok, err := loadApp(t.b, key)
	if err != nil {
		return app, err
	}
	if !ok {
		return app, ErrAppNotFound
	}
	if app.Mode != mode {
		return app, fmt.Errorf("%w: %s", ErrWrongMode, app.Mode)
	}
	if app.Frozen {
		return app, ErrAppFrozen
	}
	return app, nil
}

// putBinding writes b and every index entry; fresh says whether b is new
// on its X (and so counts towards the pair limit).
func (t *tx) putBinding(b routing.Binding, fresh bool) error {
	if err := t.setJSON(bindingKey(b.ID), b); err != nil {
		return err
	}
	for _, kv := range [][2][]byte{
		{bindXKey(b.X, b.ID), nil},
		{partyKey(b.X, b.A), []byte(b.ID)},
		{partyKey(b.X, b.B), []byte(b.ID)},
	} {
		if err := t.set(kv[0], kv[1]); err != nil {
			return err
		}
	}
	if !b.Expires.IsZero() {
		if err := t.set(expiryKey(b.Expires, b.ID), nil); err != nil {
			return err
		}
	}
	if fresh {
		return t.addCount(b.X, 1)
	}
	return nil
}

// delBinding removes b and every index entry of it. A party entry is
// removed only while it still points at b, so that deleting a stale
// binding never takes a newer binding's entry with it.
func (t *tx) delBinding(b routing.Binding, gone bool) error {
	if err := t.del(bindingKey(b.ID)); err != nil {
		return err
	}
	if err := t.del(bindXKey(b.X, b.ID)); err != nil {
		return err
	}
	for _, n := range []routing.Number{b.A, b.B} {
		id, ok, err := get(t.b, partyKey(b.X, n))
		if err != nil {
			return err
		}
		if ok && string(id) == b.ID {
			if err := t.del(partyKey(b.X, n)); err != nil {
				return err
			}
		}
	}
	if !b.Expires.IsZero() {
		if err := t.del(expiryKey(b.Expires, b.ID)); err != nil {
			return err
		}
	}
	if gone {
		return t.addCount(b.X, -1)
	}
	return nil
}

func (t *tx) addCount(x routing.Number, d int) error {
	n, err := pairCount(t.b, x)
	if err != nil {
		return err
	}
	switch {
	case d < 0 && n < uint64(-d):
		n = 0
	default:
		n = uint64(int64(n) + int64(d))
	}
	if n == 0 {
		return t.del(countKey(x))
	}
	return t.set(countKey(x), encodeCount(n))
}

// partyFree reports whether n may be bound on x by the binding self (""
// for a new one). An expired binding holding n is deleted in this batch:
// it no longer routes (SPEC §3), so it must not block a new pair either.
func (t *tx) partyFree(x, n routing.Number, self string) (bool, error) {
	id, ok, err := get(t.b, partyKey(x, n))
	if err != nil {
		return false, err
	}
	if !ok || string(id) == self {
		return true, nil
	}
	b, ok, err := loadBinding(t.b, string(id))
	if err != nil {
		return false, err
	}
	if !ok {
		// A dangling entry cannot arise from this code; overwriting it is
		// the repair CheckIndexes would ask for.
		return true, nil
	}
	if b.Expired(t.now) {
		return true, t.delBinding(b, true)
	}
	return false, nil
}

// hasRoom reports whether x can take one more pair, deleting its expired
// pairs first when it looks full.
func (t *tx) hasRoom(x routing.Number) (bool, error) {
	n, err := pairCount(t.b, x)
	if err != nil {
		return false, err
	}
	if n < uint64(t.s.maxPairs) {
		return true, nil
	}
	var expired []routing.Binding
	err = scan(t.b, bindXPrefix(x), func(k, _ []byte) error {
		_, id, _ := split2(pfxBindX, k)
		b, ok, err := loadBinding(t.b, id)
		if err == nil && ok && b.Expired(t.now) {
			expired = append(expired, b)
		}
		return err
	})
	if err != nil {
		return false, err
	}
	for _, b := range expired {
		if err := t.delBinding(b, true); err != nil {
			return false, err
		}
	}
	n, err = pairCount(t.b, x)
	return n < uint64(t.s.maxPairs), err
}

// isX reports whether n is an X of the platform, as seen by this batch.
func (t *tx) isX(n routing.Number) (bool, error) {
	_, ok, err := get(t.b, xKey(n))
	return ok, err
}

// bindingsOnX loads every binding on x.
func bindingsOnX(r reader, x routing.Number) ([]routing.Binding, error) {
	var out []routing.Binding
	err := scan(r, bindXPrefix(x), func(k, _ []byte) error {
		_, id, _ := split2(pfxBindX, k)
		b, ok, err := loadBinding(r, id)
		if err == nil && ok {
			out = append(out, b)
		}
		return err
	})
	return out, err
}
