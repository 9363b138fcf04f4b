package store

import (
	"github.com/xnum/xnum/routing"
)

func loadAX(r reader, id string) (routing.AXBinding, bool, error) {
	return loadJSON[routing.AXBinding](r, axKey(id))
}

func loadTemp(r reader, x routing.Number) (routing.TempCallee, bool, error) {
	return loadJSON[routing.TempCallee](r, tempKey(x))
}

func axApp(b routing.AXBinding) string { return b.AppKey }

// liveAX loads the app's binding id; absent, expired or another app's is
// ErrRecordNotFound.
func (t *tx) liveAX(appKey, id string) (routing.AXBinding, error) {
	return live(t.b, t.now, appKey, id, loadAX, axApp, ErrRecordNotFound)
}

func (t *tx) putAX(b routing.AXBinding) error {
	return t.putRecord(axKey(b.ID), b, kindAX, b.ID, b.Expires, axByXKey(b.X), axByAKey(b.A, b.X))
}

// delAX removes b with its index entries and, unless keepTemp, the pending
// temporary callee of its X.
func (t *tx) delAX(b routing.AXBinding, keepTemp bool) error {
	if err := t.delRecord(axKey(b.ID), kindAX, b.ID, b.Expires, axByXKey(b.X), axByAKey(b.A, b.X)); err != nil {
		return err
	}
	if keepTemp {
		return nil
	}
	return t.delTemp(b.X)
}

// delTemp removes the temporary callee of x, if any.
func (t *tx) delTemp(x routing.Number) error {
	c, ok, err := loadTemp(t.b, x)
	if err != nil || !ok {
		return err
	}
	if err := t.del(tempKey(x)); err != nil {
		return err
	}
	return t.delExp(c.Expires, kindTemp, string(x))
}

// axFree reports whether x holds no live AX binding, deleting an expired
// one in this batch: it no longer routes, so it must not block a bind.
func (t *tx) axFree(x routing.Number) (bool, error) {
	id, ok, err := get(t.b, axByXKey(x))
	if err != nil || !ok {
		return true, err
	}
	b, ok, err := loadAX(t.b, string(id))
	if err != nil {
		return false, err
	}
	if !ok {
		return true, nil // dangling entry: the put overwrites it
	}
	if b.Expired(t.now) {
		return true, t.delAX(b, false)
	}
	return false, nil
}

// axRoomForA checks that A holds fewer than MaxXPerA live AX bindings other
// than self, deleting A's expired ones in this batch.
func (t *tx) axRoomForA(a routing.Number, self string) error {
	ids, err := idsUnder(t.b, axByAPrefix(a))
	if err != nil {
		return err
	}
	live := 0
	for _, id := range ids {
		if id == self {
			continue
		}
		b, ok, err := loadAX(t.b, id)
		if err != nil {
			return err
		}
		switch {
		case !ok:
		case b.Expired(t.now):
			if err := t.delAX(b, false); err != nil {
				return err
			}
		default:
			live++
		}
	}
	if live >= MaxXPerA {
		return ErrATooManyX
	}
	return nil
}
