package store

import (
	"fmt"
	"strings"

	"github.com/xnum/xnum/routing"
)

// validNumber is the store's own guard on what becomes part of a key: an
// E.164 number with '+' (SPEC §2). Number-plan checks are the caller's.
func validNumber(n routing.Number) bool {
	s := string(n)
	if len(s) < 3 || len(s) > 21 || s[0] != '+' {
		return false
	}
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func checkNumber(field string, n routing.Number) error {
	if !validNumber(n) {
		return fmt.Errorf("%w: %s %q", ErrInvalidArgument, field, n.Masked())
	}
	return nil
}

// checkAppKey keeps app keys printable: 0x00 separates key parts.
func checkAppKey(key string) error {
	if key == "" || len(key) > 128 || strings.ContainsFunc(key, func(r rune) bool { return r < 0x21 || r == 0x7f }) {
		return fmt.Errorf("%w: appKey", ErrInvalidArgument)
	}
	return nil
}

// sameArea compares area codes with or without their national prefix 0
// ("0755" and "755" are the same area).
func sameArea(a, b string) bool {
	return a != "" && strings.TrimPrefix(a, "0") == strings.TrimPrefix(b, "0")
}
