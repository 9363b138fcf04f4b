package store

import (
	"fmt"
	"math/rand/v2"

	"github.com/xnum/xnum/routing"
)

func loadAXE(r reader, id string) (routing.AXEBinding, bool, error) {
	return loadJSON[routing.AXEBinding](r, axeKey(id))
}

func loadCallback(r reader, id string) (routing.Callback, bool, error) {
	return loadJSON[routing.Callback](r, callbackKey(id))
}

func axeApp(b routing.AXEBinding) string { return b.AppKey }

// liveAXE loads the app's binding id; absent, expired or another app's is
// ErrRecordNotFound.
func (t *tx) liveAXE(appKey, id string) (routing.AXEBinding, error) {
	return live(t.b, t.now, appKey, id, loadAXE, axeApp, ErrRecordNotFound)
}

func (t *tx) putAXE(b routing.AXEBinding) error {
	return t.putRecord(axeKey(b.ID), b, kindAXE, b.ID, b.Expires, axeExtKey(b.X, b.Ext), axePartyKey(b.X, b.A))
}

// delAXE removes b with its index entries and, unless keepCallback, its
// callback record.
func (t *tx) delAXE(b routing.AXEBinding, keepCallback bool) error {
	if err := t.delRecord(axeKey(b.ID), kindAXE, b.ID, b.Expires, axeExtKey(b.X, b.Ext), axePartyKey(b.X, b.A)); err != nil {
		return err
	}
	if keepCallback {
		return nil
	}
	return t.delCallback(b.ID)
}

func (t *tx) delCallback(id string) error {
	c, ok, err := loadCallback(t.b, id)
	if err != nil || !ok {
		return err
	}
	if err := t.del(callbackKey(id)); err != nil {
		return err
	}
	return t.delExp(c.Expires, kindCallback, id)
}

// axeHeld reports whether the index entry k names a live binding other than
// self; an expired one is deleted in this batch (it must not block a bind).
func (t *tx) axeHeld(k []byte, self string) (bool, error) {
	id, ok, err := get(t.b, k)
	if err != nil || !ok || string(id) == self {
		return false, err
	}
	b, ok, err := loadAXE(t.b, string(id))
	if err != nil || !ok {
		return false, err // a dangling entry: the put overwrites it
	}
	if b.Expired(t.now) {
		return false, t.delAXE(b, false)
	}
	return true, nil
}

// extFree reports whether extension e is free on x for binding self.
func (t *tx) extFree(x routing.Number, e, self string) (bool, error) {
	held, err := t.axeHeld(axeExtKey(x, e), self)
	return !held, err
}

// axePartyFree reports whether A may be bound on x by binding self.
func (t *tx) axePartyFree(x, a routing.Number, self string) (bool, error) {
	held, err := t.axeHeld(axePartyKey(x, a), self)
	return !held, err
}

// freeExt draws a free extension of n digits on x: from a random start,
// the first free one in order, wrapping around. A random start keeps a
// just-freed extension from being handed out again at once, so that old
// callers of it rarely reach a new A. "" when all 10^n are taken.
func (t *tx) freeExt(x routing.Number, n int) (string, error) {
	size := 1
	for range n {
		size *= 10
	}
	start := rand.IntN(size)
	for i := range size {
		e := fmt.Sprintf("%0*d", n, (start+i)%size)
		free, err := t.extFree(x, e, "")
		if err != nil {
			return "", err
		}
		if free {
			return e, nil
		}
	}
	return "", nil
}
