package routing

import (
	"errors"
	"strings"
	"testing"
)

func chinaPlan(t testing.TB) *Plan {
	t.Helper()
	p, err := NewPlan(DefaultPlanConfig())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestNormalizeShapes covers every shape of SPEC §2.
func TestNormalizeShapes(t *testing.T) {
	p := chinaPlan(t)
	tests := []struct {
		raw  string
		want Number
		kind Kind
	}{
		{"+8613800000001", "+8613800000001", KindMobile},
		{"8613800000001", "+8613800000001", KindMobile},
		{"008613800000001", "+8613800000001", KindMobile},
		{"13800000001", "+8613800000001", KindMobile},
		{"013800000001", "+8613800000001", KindMobile}, // mobile dialled with the trunk prefix
		{"19912345678", "+8619912345678", KindMobile},
		{"075512345678", "+8675512345678", KindFixed},
		{"+8675512345678", "+8675512345678", KindFixed},
		{"8675512345678", "+8675512345678", KindFixed},
		{"008675512345678", "+8675512345678", KindFixed},
		{"75512345678", "+8675512345678", KindFixed}, // trunk prefix dropped by a gateway
		{"01012345678", "+861012345678", KindFixed},  // Beijing
		{"+861012345678", "+861012345678", KindFixed},
		{"861012345678", "+861012345678", KindFixed},
		{"02112345678", "+862112345678", KindFixed}, // Shanghai
		{"05711234567", "+865711234567", KindFixed}, // 7-digit local number
		{"4001234567", "+864001234567", KindService},
		{"95588", "+8695588", KindService},
		{"tel:+8613800000001", "+8613800000001", KindMobile},
		{"TEL:+8613800000001", "+8613800000001", KindMobile},
		{"tel:+86-138-0000-0001;phone-context=+86", "+8613800000001", KindMobile},
		{"tel:+8613800000001;phone-context=example.com", "+8613800000001", KindMobile},
		{"tel:12345678;phone-context=+86-755", "+8675512345678", KindFixed},
		{"tel:075512345678;phone-context=+86", "+8675512345678", KindFixed},
		{"tel:13800000001;phone-context=+86755", "+8613800000001", KindMobile},
		{"13800000001;user=phone", "+8613800000001", KindMobile},
		{"+86 138 0000 0001", "+8613800000001", KindMobile},
		{"+86-138-0000-0001", "+8613800000001", KindMobile},
		{"(0755) 1234-5678", "+8675512345678", KindFixed},
		{"010.1234.5678", "+861012345678", KindFixed},
		{"  13800000001  ", "+8613800000001", KindMobile},
	}
	for _, tt := range tests {
		n, k, err := p.Normalize(tt.raw)
		if err != nil || n != tt.want || k != tt.kind {
			t.Errorf("Normalize(%q) = %q, %v, %v; want %q, %v", tt.raw, n, k, err, tt.want, tt.kind)
		}
		if got := p.Kind(n); got != tt.kind {
			t.Errorf("Kind(%q) = %v, want %v", n, got, tt.kind)
		}
	}
}

func TestNormalizeInvalid(t *testing.T) {
	p := chinaPlan(t)
	for _, raw := range []string{
		"",
		" ",
		"+",
		"tel:",
		"13800000001\r\nX-Injected: 1",
		"13800000001\r\n",
		"\n13800000001",
		"1380000\x000001",
		"138\t00000001",
		"1380000000a",
		"abc",
		"sip:13800000001@example.com",
		"+8613800000001@host",
		"+14155550100",  // foreign country code
		"0014155550100", // foreign country code, international prefix
		"tel:12345678;phone-context=+1-212",
		"1380000000",      // too short for a mobile
		"138000000011",    // too long for a mobile
		"0755123456",      // too short for a fixed line
		"0755123456789",   // too long for a fixed line
		"12345678",        // local number without context
		"+86075512345678", // trunk prefix after the country code
		"1" + strings.Repeat("3", 30),
		strings.Repeat("1", 300),
		"13+800000001",
		"++8613800000001",
		"１３８００００００01", // full-width digits
		"11000000000",
		"+86",
		"0086",
	} {
		n, k, err := p.Normalize(raw)
		if !errors.Is(err, ErrInvalidNumber) || n != "" || k != KindInvalid {
			t.Errorf("Normalize(%q) = %q, %v, %v; want ErrInvalidNumber", raw, n, k, err)
		}
	}
}

// TestFormatRoundTrip: what goes to the trunk in either number_format comes
// back as the same number (SPEC §8 trunk.number_format).
func TestFormatRoundTrip(t *testing.T) {
	p := chinaPlan(t)
	tests := []struct {
		n        Number
		national string
	}{
		{"+8613800000001", "13800000001"},
		{"+8675512345678", "075512345678"},
		{"+861012345678", "01012345678"},
		{"+864001234567", "4001234567"},
		{"+8695588", "95588"},
	}
	for _, tt := range tests {
		if got := p.Format(tt.n, false); got != string(tt.n) {
			t.Errorf("Format(%v, e164) = %q", tt.n, got)
		}
		got := p.Format(tt.n, true)
		if got != tt.national {
			t.Errorf("Format(%v, national) = %q, want %q", tt.n, got, tt.national)
		}
		for _, s := range []string{got, p.Format(tt.n, false)} {
			if back, _, err := p.Normalize(s); err != nil || back != tt.n {
				t.Errorf("Normalize(Format(%v)) = %q, %v", tt.n, back, err)
			}
		}
	}
}

func TestNewPlanRejects(t *testing.T) {
	mod := func(f func(*PlanConfig)) PlanConfig {
		c := DefaultPlanConfig()
		f(&c)
		return c
	}
	for name, c := range map[string]PlanConfig{
		"empty country code":  mod(func(c *PlanConfig) { c.CountryCode = "" }),
		"letters in cc":       mod(func(c *PlanConfig) { c.CountryCode = "8a" }),
		"letters in prefix":   mod(func(c *PlanConfig) { c.NationalPrefix = "O" }),
		"equal prefixes":      mod(func(c *PlanConfig) { c.InternationalPrefix = "0" }),
		"no patterns":         mod(func(c *PlanConfig) { c.Mobile, c.Fixed = nil, nil }),
		"bad mobile pattern":  mod(func(c *PlanConfig) { c.Mobile = []string{"1[3-9"} }),
		"bad fixed pattern":   mod(func(c *PlanConfig) { c.Fixed = []string{"("} }),
		"bad service pattern": mod(func(c *PlanConfig) { c.Service = []string{"*"} }),
	} {
		if _, err := NewPlan(c); err == nil {
			t.Errorf("%s: NewPlan accepted %+v", name, c)
		}
	}
}

// TestOtherPlan: the plan is data — a plan without trunk prefix and another
// country code works the same way.
func TestOtherPlan(t *testing.T) {
	p, err := NewPlan(PlanConfig{
		CountryCode: "44", NationalPrefix: "0", InternationalPrefix: "00",
		Mobile: []string{`7[0-9]{9}`}, Fixed: []string{`[12][0-9]{8,9}`},
	})
	if err != nil {
		t.Fatal(err)
	}
	for raw, want := range map[string]Number{
		"07700900123":    "+447700900123",
		"+447700900123":  "+447700900123",
		"00447700900123": "+447700900123",
		"02079460000":    "+442079460000",
	} {
		if n, _, err := p.Normalize(raw); err != nil || n != want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", raw, n, err, want)
		}
	}
	if _, _, err := p.Normalize("+8613800000001"); !errors.Is(err, ErrInvalidNumber) {
		t.Errorf("a Chinese number passed the UK plan: %v", err)
	}
}

// FuzzNormalize: Normalize either refuses or returns '+' and digits that
// normalise to themselves, with the same kind, and never panics.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"+8613800000001", "008613800000001", "075512345678", "01012345678",
		"tel:+86-10-1234-5678;phone-context=+86", "tel:12345678;phone-context=+86755", "13800000001\r\n", "95588"} {
		f.Add(s)
	}
	p := chinaPlan(f)
	f.Fuzz(func(t *testing.T, raw string) {
		n, k, err := p.Normalize(raw)
		if err != nil {
			if !errors.Is(err, ErrInvalidNumber) || n != "" || k != KindInvalid {
				t.Fatalf("Normalize(%q) failed with %q, %v, %v", raw, n, k, err)
			}
			return
		}
		s := string(n)
		if len(s) < 2 || s[0] != '+' || !allDigits(s[1:]) {
			t.Fatalf("Normalize(%q) = %q: not '+' and digits", raw, s)
		}
		again, k2, err := p.Normalize(s)
		if err != nil || again != n || k2 != k {
			t.Fatalf("Normalize(%q) = %q (%v) but that normalises to %q (%v), %v", raw, n, k, again, k2, err)
		}
		if k == KindInvalid {
			t.Fatalf("Normalize(%q) = %q with KindInvalid and no error", raw, n)
		}
	})
}
