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
	if c.CountryCode == "" || !allDigits(c.CountryCode) {
		return nil, fmt.Errorf("numberplan.country_code: %q is not digits", c.CountryCode)
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

// Normalize turns any shape a trunk or client sends (SPEC §2: "+86…", "86…",
// "0086…", national "138…", "0755…", "010…", a tel: URI, visual separators
// "-", ".", " ", "(", ")") into E.164 and classifies it. Anything else,
// including any control character, is KindInvalid with ErrInvalidNumber.
func (p *Plan) Normalize(raw string) (Number, Kind, error) {
	s := strings.TrimSpace(raw)
	s = strings.TrimPrefix(s, "tel:")
	if i := strings.IndexByte(s, ';'); i >= 0 { // tel: URI parameters
		s = s[:i]
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			b.WriteByte(c)
		case c == '+' && i == 0:
			b.WriteByte(c)
		case c == '-' || c == '.' || c == '(' || c == ')' || c == ' ':
		default:
			return "", KindInvalid, fmt.Errorf("%w: unexpected character", ErrInvalidNumber)
		}
	}
	d := b.String()
	if len(d) > 20 {
		return "", KindInvalid, fmt.Errorf("%w: too long", ErrInvalidNumber)
	}
	var national string
	switch {
	case strings.HasPrefix(d, "+"):
		if !strings.HasPrefix(d[1:], p.cc) {
			return "", KindInvalid, fmt.Errorf("%w: foreign country code", ErrInvalidNumber)
		}
		national = d[1+len(p.cc):]
	case p.intlPrefix != "" && strings.HasPrefix(d, p.intlPrefix):
		rest := d[len(p.intlPrefix):]
		if !strings.HasPrefix(rest, p.cc) {
			return "", KindInvalid, fmt.Errorf("%w: foreign country code", ErrInvalidNumber)
		}
		national = rest[len(p.cc):]
	case p.natPrefix != "" && strings.HasPrefix(d, p.natPrefix):
		national = d[len(p.natPrefix):]
	default:
		// Either the country code without '+' or a national number without
		// prefix (mobiles, service numbers). A national match wins: a Chinese
		// mobile never starts with 86.
		if k := p.classify(d); k != KindInvalid {
			return Number("+" + p.cc + d), k, nil
		}
		if strings.HasPrefix(d, p.cc) {
			national = d[len(p.cc):]
		} else {
			national = d
		}
	}
	k := p.classify(national)
	if k == KindInvalid {
		return "", KindInvalid, fmt.Errorf("%w: not in the number plan", ErrInvalidNumber)
	}
	return Number("+" + p.cc + national), k, nil
}

// Kind classifies an already normalised number.
func (p *Plan) Kind(n Number) Kind {
	s := string(n)
	if !strings.HasPrefix(s, "+"+p.cc) {
		return KindInvalid
	}
	return p.classify(s[1+len(p.cc):])
}

func (p *Plan) classify(national string) Kind {
	for _, re := range p.mobile {
		if re.MatchString(national) {
			return KindMobile
		}
	}
	for _, re := range p.fixed {
		if re.MatchString(national) {
			return KindFixed
		}
	}
	for _, re := range p.service {
		if re.MatchString(national) {
			return KindService
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
