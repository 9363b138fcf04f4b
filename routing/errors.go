package routing

import (
	"errors"
	"fmt"
)

// ErrInvalidNumber is returned for anything that is not a valid number of the plan.
var ErrInvalidNumber = errors.New("invalid number")

// The reasons Normalize gives, each wrapping ErrInvalidNumber. They are
// values, not built per call, because Normalize runs on every INVITE.
var (
	errTooLong      = fmt.Errorf("%w: too long", ErrInvalidNumber)
	errControl      = fmt.Errorf("%w: control character", ErrInvalidNumber)
	errCharacter    = fmt.Errorf("%w: unexpected character", ErrInvalidNumber)
	errForeign      = fmt.Errorf("%w: foreign country code", ErrInvalidNumber)
	errNotInPlan    = fmt.Errorf("%w: not in the number plan", ErrInvalidNumber)
	errCountryCode  = errors.New("numberplan.country_code: not digits")
	errPrefixDigits = errors.New("numberplan prefixes must be digits")
	errNoPatterns   = errors.New("numberplan: no mobile or fixed pattern")
)

// Errors of the call-time store effects of ModeLookup (AllocateY,
// PutCallback). The store returns them (wrapped or not); Decide turns them
// into release causes.
var (
	// ErrNoFreeY: the AXYB app has no Y left for this A (8031).
	ErrNoFreeY = errors.New("no free y number")
	// ErrBindingGone: the binding a decision was resolving was unbound or
	// expired between the lookup and the effect (8014).
	ErrBindingGone = errors.New("binding gone")
)
