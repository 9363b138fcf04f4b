package routing

import "time"

// The lookups of the AX, AXE and AXYB modes. They are separate from Lookup
// (decide.go), which stays the two-method contract of the AXB path: Decide
// asks the Lookup it is given for these by type assertion, and a Lookup that
// lacks the one a mode needs refuses that mode's calls with 7102. *store.Store
// implements ModeLookup.
//
// Records returned may be expired: Decide checks expiry itself. Methods
// whose comment says "effect" change the store, synced, before they return;
// they are the only writes a decision makes.

// ModeLookup is every lookup of every mode.
type ModeLookup interface {
	Lookup
	AXLookup
	AXELookup
	AXYBLookup
}

// AXLookup is what AX routing needs.
type AXLookup interface {
	// AXBinding returns the AX binding on x (one X has one A).
	AXBinding(x Number) (AXBinding, bool, error)
	// TakeTempCallee returns the temporary callee set for binding id on x
	// and consumes it (effect): it serves one call. ok=false when none is
	// set, it belongs to another binding, or it expired at now.
	TakeTempCallee(x Number, id string, now time.Time) (Number, bool, error)
}

// AXELookup is what AXE routing needs.
type AXELookup interface {
	// AXEByParty returns the AXE binding of A on x (A is bound once per X).
	AXEByParty(x, a Number) (AXEBinding, bool, error)
	// AXEByExt returns the AXE binding of extension ext on x.
	AXEByExt(x Number, ext string) (AXEBinding, bool, error)
	// AXEHasBinding reports whether x holds any AXE binding live at now.
	AXEHasBinding(x Number, now time.Time) (bool, error)
	// Callback returns the callback record of binding id.
	Callback(id string) (Callback, bool, error)
	// PutCallback stores c as the callback record of its binding, replacing
	// the previous one (effect). ErrBindingGone when the binding is no more.
	PutCallback(c Callback) error
}

// AXYBLookup is what AXYB routing needs.
type AXYBLookup interface {
	// AXYBBinding returns the A–X binding on x (one X has one A).
	AXYBBinding(x Number) (AXYBBinding, bool, error)
	// YRelationByB returns the B–Y relation of caller b on x.
	YRelationByB(x, b Number) (YRelation, bool, error)
	// YRelationByY returns the B–Y relation of A's on y.
	YRelationByY(y, a Number) (YRelation, bool, error)
	// AXYBIsA reports whether a is A of a binding of the app live at now.
	AXYBIsA(appKey string, a Number, now time.Time) (bool, error)
	// AllocateY takes a free Y of the binding's app for caller b and stores
	// the B–Y relation (effect); if b already has a live relation on that
	// binding it returns it. ErrNoFreeY when the app has no Y left for this
	// A, ErrBindingGone when the binding is no more.
	AllocateY(bindingID string, b Number, now time.Time) (YRelation, error)
}
