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
// survive (STYLE.md: logs never carry a full real number).
type Number string

// String returns the full E.164 form. Use it only where the full number is
// required (storage, the other leg's header, the API answer) — never in logs.
func (n Number) String() string { return string(n) }

// Masked returns the number with its middle digits replaced by '*'.
func (n Number) Masked() string { return Mask(string(n)) }

// LogValue implements slog.LogValuer.
func (n Number) LogValue() slog.Value { return slog.StringValue(n.Masked()) }

// Mask hides the middle of any string that may hold a number, for logs:
// "+8613800000001" → "+86138******01", "13800000001" → "1380*****01". At least
// half of the characters (and at least four) are hidden and never more than
// seven are shown, so a log line can tell numbers apart without carrying one.
// Strings of six characters or fewer become all stars. A leading '+' is kept.
func Mask(s string) string {
	if s == "" {
		return ""
	}
	r := []rune(s) // rune-wise: a hostile header must not become invalid UTF-8
	prefix := ""
	if r[0] == '+' {
		prefix, r = "+", r[1:]
	}
	n := len(r)
	if n <= 6 {
		return prefix + strings.Repeat("*", n)
	}
	const tail, maxShown = 2, 7
	hide := max(4, n/2, n-maxShown)
	keep := n - tail - hide
	return prefix + string(r[:keep]) + strings.Repeat("*", hide) + string(r[n-tail:])
}
