package configs

import "errors"

// Sentinels of this package; every error Load and Validate return wraps one
// of them inside a *KeyError that names the key.
var (
	// ErrUnknownKey: a key in the file or an XNUM_ variable that is no config key.
	ErrUnknownKey = errors.New("unknown key")
	// ErrBadValue: a value that does not parse or is out of range.
	ErrBadValue = errors.New("bad value")
	// ErrConflict: settings that are each fine but not together.
	ErrConflict = errors.New("conflicting settings")
	// ErrRequired: a key that must be set.
	ErrRequired = errors.New("required")
)

// KeyError names the key (as in the YAML file, e.g. "sip.listen") a problem
// is about, so that xnum refuses to start with a message an operator can act
// on (SPEC §8, issue 2: "a message naming the key").
type KeyError struct {
	Key string
	Err error
}

func (e *KeyError) Error() string { return e.Key + ": " + e.Err.Error() }

func (e *KeyError) Unwrap() error { return e.Err }
