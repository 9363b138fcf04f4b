package routing

import (
	"log/slog"
	"strings"
)

// Number is a real or privacy number in E.164 form with a leading '+',
// always produced by Plan.Normalize. Its zero value is "no number".
//
// Number implements slog.LogValuer so that a log line never carries a full
// real number: only the country code, the first three and last two digits
// survive (SPEC "logs mask numbers").
type Number string

// String returns the full E.164 form. Use it only where the full number is
// required (storage, the other leg's header, the API answer) — never in logs.
func (n Number) String() string { return string(n) }

// Masked returns the number with its middle digits replaced by '*'.
func (n Number) Masked() string { return Mask(string(n)) }

// LogValue implements slog.LogValuer.
func (n Number) LogValue() slog.Value { return slog.StringValue(n.Masked()) }

// Mask hides the middle of any digit string: "+8613800000001" → "+86138******01".
// Strings of six characters or fewer become all stars.
func Mask(s string) string {
	if s == "" {
		return ""
	}
	prefix := ""
	if strings.HasPrefix(s, "+") {
		prefix, s = "+", s[1:]
	}
	if len(s) <= 6 {
		return prefix + strings.Repeat("*", len(s))
	}
	keep := 5 // country code and operator prefix
	if len(s)-keep-2 < 4 {
		keep = 2
	}
	return prefix + s[:keep] + strings.Repeat("*", len(s)-keep-2) + s[len(s)-2:]
}
