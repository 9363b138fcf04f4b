package routing

import (
	"fmt"
	"regexp"
	"strings"
)

// Kind classifies a normalised number by the number plan (SPEC §2).
type Kind int

// The kinds of number the plan tells apart.
const (
	KindInvalid Kind = iota
	KindMobile
	KindFixed
	KindService // 400/95 service numbers: AX temporary callee only
)

func (k Kind) String() string {
	switch k {
	case KindMobile:
		return "mobile"
	case KindFixed:
		return "fixed"
	case KindService:
		return "service"
	}
	return "invalid"
}

// PlanConfig is the number plan as config data (numberplan.* keys).
// Patterns match the digits after the country code, anchored at both ends.
type PlanConfig struct {
	CountryCode         string   // "86"
	NationalPrefix      string   // "0"
	InternationalPrefix string   // "00"
	Mobile              []string // e.g. `1[3-9][0-9]{9}`
	Fixed               []string // e.g. `(10|2[0-9]|[3-9][0-9]{2})[0-9]{7,8}`
	Service             []string // e.g. `400[0-9]{7}`, `95[0-9]{3,6}`
}

// DefaultPlanConfig is the China plan of SPEC §2.
func DefaultPlanConfig() PlanConfig {
	return PlanConfig{
		CountryCode:         "86",
		NationalPrefix:      "0",
		InternationalPrefix: "00",
		Mobile:              []string{`1[3-9][0-9]{9}`},
		Fixed:               []string{`(10|2[0-9]|[3-9][0-9]{2})[0-9]{7,8}`},
		Service:             []string{`400[0-9]{7}`, `95[0-9]{3,6}`},
	}
}

// Plan normalises numbers to E.164 and classifies them. It is immutable and
// safe for concurrent use.
type Plan struct {
	cc, natPrefix, intlPrefix string
	mobile, fixed, service    []*regexp.Regexp
}

// NewPlan compiles a PlanConfig.
func NewPlan(c PlanConfig) (*Plan, error) {
	if !allDigits(c.CountryCode) {
		return nil, fmt.Errorf("%w: %q", errCountryCode, c.CountryCode)
	}
	// Empty prefixes are allowed (a plan without trunk prefix); otherwise
	// digits, and the two must differ or every number would match both.
	for _, pre := range []string{c.NationalPrefix, c.InternationalPrefix} {
		if pre != "" && !allDigits(pre) {
			return nil, fmt.Errorf("%w: %q", errPrefixDigits, pre)
		}
	}
	if c.NationalPrefix != "" && c.NationalPrefix == c.InternationalPrefix {
		return nil, fmt.Errorf("%w: national and international prefix are both %q", errPrefixDigits, c.NationalPrefix)
	}
	if len(c.Mobile)+len(c.Fixed) == 0 {
		return nil, errNoPatterns
	}
	p := &Plan{cc: c.CountryCode, natPrefix: c.NationalPrefix, intlPrefix: c.InternationalPrefix}
	var err error
	if p.mobile, err = compileAll("numberplan.mobile", c.Mobile); err != nil {
		return nil, err
	}
	if p.fixed, err = compileAll("numberplan.fixed", c.Fixed); err != nil {
		return nil, err
	}
	if p.service, err = compileAll("numberplan.service", c.Service); err != nil {
		return nil, err
	}
	return p, nil
}

func compileAll(key string, pats []string) ([]*regexp.Regexp, error) {
	out := make([]*regexp.Regexp, 0, len(pats))
	for _, s := range pats {
		re, err := regexp.Compile("^(?:" + s + ")$")
		if err != nil {
			return nil, fmt.Errorf("%s: %q: %w", key, s, err)
		}
		out = append(out, re)
	}
	return out, nil
}

// CountryCode returns the plan's country code without '+'.
func (p *Plan) CountryCode() string { return p.cc }

// maxRaw bounds the input Normalize looks at: no shape of a number is
// longer, and the bound keeps hostile headers cheap.
const maxRaw = 256

// Normalize turns any shape a trunk or client sends (SPEC §2: "+86…", "86…",
// "0086…", national "138…", "0755…", "010…", a tel: URI with or without
// phone-context (RFC 3966), visual separators "-", ".", " ", "(", ")") into
// E.164 and classifies it. Anything else, including any control character
// anywhere in raw (the header-injection guard of SPEC §2), is KindInvalid with
// ErrInvalidNumber. docs/NUMBERS.md lists the accepted shapes.
func (p *Plan) Normalize(raw string) (Number, Kind, error) {
	if len(raw) > maxRaw {
		return "", KindInvalid, errTooLong
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] < 0x20 || raw[i] == 0x7f {
			return "", KindInvalid, errControl
		}
	}
	s := strings.Trim(raw, " ")
	var params string
	if len(s) >= 4 && strings.EqualFold(s[:4], "tel:") { // RFC 3966: scheme is case-insensitive
		s = s[4:]
	}
	if i := strings.IndexByte(s, ';'); i >= 0 { // tel: URI or ;user=phone parameters
		s, params = s[:i], s[i+1:]
	}
	d, err := digits(s, true)
	if err != nil {
		return "", KindInvalid, err
	}
	if len(d) > 20 {
		return "", KindInvalid, errTooLong
	}
	national, err := p.national(d, phoneContext(params))
	if err != nil {
		return "", KindInvalid, err
	}
	k := p.classify(national)
	if k == KindInvalid {
		return "", KindInvalid, errNotInPlan
	}
	return Number("+" + p.cc + national), k, nil
}

// national strips whatever prefix d carries and returns the national
// significant number (digits after the country code), not yet classified.
// ctx is the digits of a global phone-context ("" for none).
func (p *Plan) national(d, ctx string) (string, error) {
	switch {
	case strings.HasPrefix(d, "+"):
		if !strings.HasPrefix(d[1:], p.cc) {
			return "", errForeign
		}
		return d[1+len(p.cc):], nil
	case p.intlPrefix != "" && strings.HasPrefix(d, p.intlPrefix):
		rest := d[len(p.intlPrefix):]
		if !strings.HasPrefix(rest, p.cc) {
			return "", errForeign
		}
		return rest[len(p.cc):], nil
	case p.natPrefix != "" && strings.HasPrefix(d, p.natPrefix):
		return d[len(p.natPrefix):], nil
	}
	// No prefix: a mobile or service number dialled nationally, the country
	// code without '+', a number local to a phone-context, or a fixed line
	// whose trunk prefix a gateway dropped ("75512345678"). A mobile or
	// service match wins (a Chinese mobile never starts with 86); then the
	// country code; then the phone-context's area; then the number itself.
	k := p.classify(d)
	if k == KindMobile || k == KindService {
		return d, nil
	}
	if strings.HasPrefix(d, p.cc) && p.classify(d[len(p.cc):]) != KindInvalid {
		return d[len(p.cc):], nil
	}
	if ctx != "" {
		if !strings.HasPrefix(ctx, p.cc) {
			return "", errForeign
		}
		if area := ctx[len(p.cc):]; area != "" && k == KindInvalid {
			return area + d, nil
		}
	}
	return d, nil
}

// digits drops visual separators and refuses anything else; a '+' may only
// lead (plus allowed).
func digits(s string, plus bool) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			b.WriteByte(c)
		case c == '+' && i == 0 && plus:
			b.WriteByte(c)
		case c == '-' || c == '.' || c == '(' || c == ')' || c == ' ':
		default:
			return "", errCharacter
		}
	}
	return b.String(), nil
}

// phoneContext returns the digits of a global phone-context parameter
// ("phone-context=+86-755" → "86755"); a domain-name context or none is "".
func phoneContext(params string) string {
	for _, kv := range strings.Split(params, ";") {
		k, v, _ := strings.Cut(kv, "=")
		if !strings.EqualFold(strings.TrimSpace(k), "phone-context") || !strings.HasPrefix(v, "+") {
			continue
		}
		if d, err := digits(v[1:], false); err == nil {
			return d
		}
	}
	return ""
}

// Kind classifies an already normalised number.
func (p *Plan) Kind(n Number) Kind {
	s := string(n)
	if !strings.HasPrefix(s, "+"+p.cc) {
		return KindInvalid
	}
	return p.classify(s[1+len(p.cc):])
}

// classify tries mobile, then service, then fixed patterns: service numbers
// are the narrowest ("400" + 7 digits would also read as area code 400).
func (p *Plan) classify(national string) Kind {
	for _, k := range [...]struct {
		res  []*regexp.Regexp
		kind Kind
	}{{p.mobile, KindMobile}, {p.service, KindService}, {p.fixed, KindFixed}} {
		for _, re := range k.res {
			if re.MatchString(national) {
				return k.kind
			}
		}
	}
	return KindInvalid
}

// Format renders n for a trunk: E.164 with '+' or national (trunk.number_format).
// Mobile and service numbers are national without prefix, fixed lines with it.
func (p *Plan) Format(n Number, national bool) string {
	if !national {
		return string(n)
	}
	s := strings.TrimPrefix(string(n), "+"+p.cc)
	if p.Kind(n) == KindFixed {
		return p.natPrefix + s
	}
	return s
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
