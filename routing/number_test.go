package routing

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestMask(t *testing.T) {
	for in, want := range map[string]string{
		"":                            "",
		"+8613800000001":              "+86138******01",
		"13800000001":                 "1380*****01",
		"075512345678":                "0755******78",
		"+861012345678":               "+8610******78",
		"1234567":                     "1****67",
		"123456":                      "******",
		"+95588":                      "+*****",
		"sip:13800000001@example.com": "sip:1********************om",
	} {
		if got := Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestMaskNeverRevealsANumber: whatever the length, at most seven digits of
// the input survive, and of a bare number at least four and about half are
// hidden.
func TestMaskNeverRevealsANumber(t *testing.T) {
	for n := 1; n <= 40; n++ {
		s := strings.Repeat("9", n)
		for _, in := range []string{s, "+" + s, "tel:+" + s} {
			got := Mask(in)
			shown := strings.Count(got, "9")
			digits := strings.Count(in, "9")
			bare := strings.TrimPrefix(in, "+") == s
			if shown > 7 || (bare && n > 6 && (digits-shown < 4 || shown*2 > digits+1)) {
				t.Errorf("Mask(%q) = %q shows %d of %d digits", in, got, shown, digits)
			}
			if utf8.RuneCountInString(got) != utf8.RuneCountInString(in) {
				t.Errorf("Mask(%q) = %q changes the length", in, got)
			}
		}
	}
	if got := Mask("电话13800000001号码"); !utf8.ValidString(got) {
		t.Errorf("Mask made invalid UTF-8: %q", got)
	}
}

// TestNumberLogValue: a Number logged through slog never appears in full.
func TestNumberLogValue(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	n := Number("+8613800000001")
	log.Info("call", "caller", n, slog.Any("callee", n), slog.Group("g", "x", n))
	if strings.Contains(buf.String(), "13800000001") {
		t.Fatalf("log carries the number: %s", buf.String())
	}
	if !strings.Contains(buf.String(), n.Masked()) {
		t.Fatalf("log lacks the masked number: %s", buf.String())
	}
}
