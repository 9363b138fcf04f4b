package store

import (
	"errors"

	"github.com/xnum/xnum/routing"
)

// Sentinels of the store. The API maps each to its result code (SPEC §5);
// callers compare with errors.Is, since the store wraps them with detail.
var (
	// ErrClosed is returned by every method after Close.
	ErrClosed = errors.New("store closed")
	// ErrInvalidArgument rejects a malformed key, number or field before
	// anything is written; the wrapping message names the field.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrSchemaVersion refuses a directory written by another layout version.
	ErrSchemaVersion = errors.New("unsupported store schema version")
	// ErrInconsistent is reported by CheckIndexes when a record and its
	// indexes disagree.
	ErrInconsistent = errors.New("store indexes inconsistent")

	// ErrAppExists: CreateApp with a key already stored.
	ErrAppExists = errors.New("app already exists")
	// ErrAppNotFound: no app with that key.
	ErrAppNotFound = errors.New("app not found")
	// ErrAppFrozen: bind, modify and unbind of a frozen app are refused
	// (SPEC §3 lifecycle, 1010029).
	ErrAppFrozen = errors.New("app frozen")
	// ErrWrongMode: an AXB operation on an app of another mode (1010040).
	ErrWrongMode = errors.New("app has another mode")

	// ErrNumberTaken: the number is already an X of another app.
	ErrNumberTaken = errors.New("number owned by another app")
	// ErrNumberNotFound: the number is no X of that app.
	ErrNumberNotFound = errors.New("number not found")

	// ErrXNotInApp: the requested X is unknown or belongs to another app (1012001).
	ErrXNotInApp = errors.New("x number not in this app")
	// ErrNoFreeX: no X of the app can take the pair.
	ErrNoFreeX = errors.New("no free x number")
	// ErrNoFreeXInArea: no X of the requested area can take the pair (1012008).
	ErrNoFreeXInArea = errors.New("no free x number in area")
	// ErrPartyIsX: A or B is an X of the platform (SPEC §2 loop guard, 1010002).
	ErrPartyIsX = errors.New("party is an x number")
	// ErrBindingExists: a number of the pair is already bound on that X (1012010).
	ErrBindingExists = errors.New("binding already exists")
	// ErrXFull: the X already holds the maximum number of pairs (1012009).
	ErrXFull = errors.New("x number full")
	// ErrBindingNotFound: no live binding with that id for that app, also on
	// the second unbind (1012007).
	ErrBindingNotFound = errors.New("binding not found")
	// ErrImmutableField: a ModifyAXB callback changed a field the store owns.
	ErrImmutableField = errors.New("immutable binding field changed")

	// Sentinels of the AX, AXE and AXYB modes (store/MODES.md maps each to
	// its result code per mode).

	// ErrRecordNotFound: no live AX/AXE/AXYB binding or B–Y relation with
	// that id (or X, or B) for that app, also on the second unbind (1016001).
	ErrRecordNotFound = errors.New("record not found")
	// ErrXHasA: the X already has its one A (AX 1011005; AXYB 1016002).
	ErrXHasA = errors.New("x number already has an a")
	// ErrATooManyX: A already holds MaxXPerA AX numbers (1011003).
	ErrATooManyX = errors.New("a has too many x numbers")
	// ErrPartyExists: AXE: A is already bound on that X (1016002).
	ErrPartyExists = errors.New("number already bound on that x")
	// ErrExtensionTaken: AXE: the extendNum asked for is in use on that X
	// (1016002).
	ErrExtensionTaken = errors.New("extension already in use on that x")
	// ErrNoFreeExtension: AXE: no extension of the app's length is free on
	// the X, or on any X the request allows (1020167).
	ErrNoFreeExtension = errors.New("no free extension")
	// ErrXIsY: AXYB: the privateNum asked for serves as a Y of live B–Y
	// relations and cannot become an X now (1016002).
	ErrXIsY = errors.New("number in use as a y")
	// ErrNoFreeY is routing.ErrNoFreeY: AllocateY found no Y (8031).
	ErrNoFreeY = routing.ErrNoFreeY
	// ErrBindingGone is routing.ErrBindingGone: a call-time effect found its
	// binding unbound or expired.
	ErrBindingGone = routing.ErrBindingGone
)

// errStop ends a scan early; it never leaves the package.
var errStop = errors.New("stop scan")
