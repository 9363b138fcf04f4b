package routing

import (
	"errors"
	"time"
)

// defaultExtLen is the extension length of an AXE app that sets none
// [DESIGN], as the admin API defaults it.
const defaultExtLen = 4

// decideAXE routes a call to an X of an AXE app (SPEC §3). A bound A calling
// its X is called back: the last caller through its extension, else its
// callbackNum, else its callbackTone and 8019. Anyone else is asked for an
// extension (StepCollect), unless X holds no live binding at all (8025).
func decideAXE(c Call, l AXELookup, t *Table, now time.Time, d Decision) Decision {
	x := d.X.Number
	b, isA, err := l.AXEByParty(x, c.Caller)
	if err != nil {
		return d.reject(t, CauseInternal)
	}
	if isA && !b.Expired(now) {
		return decideCallback(c, l, t, now, d.bound(b.ID, b.CallOptions), b)
	}
	has, err := l.AXEHasBinding(x, now)
	if err != nil {
		return d.reject(t, CauseInternal)
	}
	if !has {
		return d.reject(t, CauseAXENoBinding)
	}
	n := d.App.ExtLen
	if n < 1 || n > 4 {
		n = defaultExtLen
	}
	// The step's fallback release: a SIP layer that cannot collect ends the
	// call as if no digit came.
	d = d.reject(t, CauseNoDigits)
	d.Direction = dirToBound
	d.Next = StepCollect
	d.Collect = Collect{Digits: n, AnswerFirst: d.App.AnswerBeforeCollect, Prompt: PromptEnterExt}
	return d
}

// decideCallback routes A → X: the live callback record, else callbackNum,
// else the callbackTone (or the built-in prompt) and 8019.
func decideCallback(c Call, l AXELookup, t *Table, now time.Time, d Decision, b AXEBinding) Decision {
	// 2. A bound fixed-line A only receives calls through X [HW].
	if c.CallerKind == KindFixed {
		return d.reject(t, CauseFixedLineCaller)
	}
	d.ExtendNumber = b.Ext
	cb, ok, err := l.Callback(b.ID)
	if err != nil {
		return d.reject(t, CauseInternal)
	}
	if ok && !cb.Expired(now) && cb.Caller != "" {
		return d.connect(cb.Caller, d.X.Number, dirToTemp)
	}
	if b.CallbackNum != "" {
		return d.connect(b.CallbackNum, d.X.Number, dirToTemp)
	}
	d = d.reject(t, CauseNoCallback)
	if b.CallbackTone != "" {
		d.Release.Prompt = b.CallbackTone
	}
	return d
}

// DecideExtension finishes an AXE decision d (Next == StepCollect) with the
// digits the caller keyed (SPEC §3, §4.3): "" → 8033; digits that name no
// live binding on X → 8022; otherwise the call goes to that binding's A
// shown X, and the caller becomes the binding's callback record (the one
// store effect). The SIP layer retries 8022/8033 with the invalid-extension
// prompt while dtmf.retries last, and reports 7516 itself when the caller
// hangs up before the transfer.
func DecideExtension(d Decision, digits string, l Lookup, t *Table, now time.Time) Decision {
	if d.Next != StepCollect {
		return d
	}
	if digits == "" {
		return d.reject(t, CauseNoDigits)
	}
	if len(digits) != d.Collect.Digits || !allDigits(digits) {
		return d.reject(t, CauseBadExtension)
	}
	ml, ok := l.(AXELookup)
	if !ok {
		return d.reject(t, CauseInternal)
	}
	x := d.X.Number
	b, ok, err := ml.AXEByExt(x, digits)
	if err != nil {
		return d.reject(t, CauseInternal)
	}
	if !ok || b.Expired(now) {
		return d.reject(t, CauseBadExtension)
	}
	d = d.bound(b.ID, b.CallOptions)
	d.ExtendNumber = digits
	cb := Callback{SubscriptionID: b.ID, X: x, Ext: b.Ext, Caller: d.Call.Caller, At: now, Expires: b.CallbackExpiry(now)}
	if err := ml.PutCallback(cb); errors.Is(err, ErrBindingGone) {
		return d.reject(t, CauseBadExtension)
	} else if err != nil {
		return d.reject(t, CauseInternal)
	}
	return d.connect(b.A, x, dirToBound)
}
