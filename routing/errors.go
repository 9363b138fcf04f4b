package routing

import "errors"

// ErrInvalidNumber is returned for anything that is not a valid number of the plan.
var ErrInvalidNumber = errors.New("invalid number")
