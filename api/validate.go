package api

import (
	"fmt"
	"strings"

	"github.com/xnum/xnum/routing"
)

// Limits of the AXB body (SPEC §5).
const (
	minDuration    = 60      // seconds; 0 = never expires [DESIGN default]
	maxDuration    = 7776000 // seconds (90 days)
	maxMaxDuration = 1440    // minutes
	maxUserData    = 256
	minPageSize    = 10
	maxPageSize    = 100
	defPageSize    = 50
)

// partyNumber reads a real party's number (A or B): it must normalise under
// the plan, be a home mobile or fixed line, and be no X of the platform
// (SPEC §2 loop guard). ok=false when absent.
func (s *Server) partyNumber(p params, k string) (routing.Number, bool, error) {
	return s.realNumber(p, k, false)
}

// realNumber reads a real number: a home mobile or fixed line, or with
// service also a 400/95 service number (the AX temporary callee [HW]), and
// never an X of the platform.
func (s *Server) realNumber(p params, k string, service bool) (routing.Number, bool, error) {
	n, kind, ok, err := s.planNumber(p, k)
	if err != nil || !ok {
		return "", ok, err
	}
	switch {
	case kind == routing.KindMobile || kind == routing.KindFixed:
	case kind == routing.KindService && service:
	case service:
		return "", true, fieldErr(p.name(k), "must be a mobile, fixed-line or service number")
	default:
		return "", true, fieldErr(p.name(k), "must be a mobile or fixed-line number")
	}
	isX, err := s.st.IsX(n)
	if err != nil {
		return "", true, fmt.Errorf("is x: %w", err)
	}
	if isX {
		return "", true, fieldErr(p.name(k), "is a privacy number of the platform")
	}
	return n, true, nil
}

// xNumber reads an X (relationNum): any number valid under the plan; whether
// it belongs to the app is the store's answer (1012001).
func (s *Server) xNumber(p params, k string) (routing.Number, bool, error) {
	n, _, ok, err := s.planNumber(p, k)
	return n, ok, err
}

// planNumber reads k, when present, as a number valid under the plan.
func (s *Server) planNumber(p params, k string) (routing.Number, routing.Kind, bool, error) {
	raw, ok, err := p.str(k)
	if err != nil || !ok {
		return "", 0, ok, err
	}
	// A '+' sent raw in a query string arrives as a space: Normalize trims it
	// and reads "86…" as the country code, so such clients still work.
	n, kind, err := s.plan.Normalize(raw)
	if err != nil {
		return "", 0, true, fieldErr(p.name(k), "not a valid number")
	}
	return n, kind, true, nil
}

// prompt reads a prompt name, which must exist for the app (SPEC §5: built-in
// or uploaded, else 1010002). An empty name plays the default; "none"
// (routing.PromptNone) is kept and plays nothing (SPEC §4.3).
func (s *Server) prompt(p params, k string, app routing.App) (string, error) {
	name, ok, err := p.str(k)
	if err != nil || !ok || name == "" {
		return "", err
	}
	if name == routing.PromptNone {
		return name, nil
	}
	if _, uploaded := app.Prompts[name]; uploaded || s.isPrompt(app.Key, name) {
		return name, nil
	}
	return "", fieldErr(p.name(k), "unknown prompt %q", printable(name))
}

// userData reads userData: at most 256 printable ASCII characters (SPEC §5).
// Printable-only also keeps CR/LF out of anything userData may reach.
func userData(p params) (string, bool, error) {
	v, ok, err := p.str("userData")
	if err != nil || !ok {
		return "", ok, err
	}
	if len(v) > maxUserData {
		return "", true, fieldErr("userData", "longer than %d characters", maxUserData)
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			return "", true, fieldErr("userData", "only printable ASCII is allowed")
		}
	}
	return v, true, nil
}

// areaCode reads an area code such as "0755" or "755" and returns it with
// its national prefix ("0755"), the form the admin API stores.
func areaCode(p params, k string) (string, bool, error) {
	v, ok, err := p.str(k)
	if err != nil || !ok || v == "" {
		return "", ok && v != "", err
	}
	a, good := normalArea(v)
	if !good {
		return "", true, fieldErr(p.name(k), "must be 2-4 digits after an optional 0")
	}
	return a, true, nil
}

func normalArea(v string) (string, bool) {
	d := strings.TrimPrefix(strings.TrimSpace(v), "0")
	if len(d) < 2 || len(d) > 4 || d[0] == '0' {
		return "", false
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return "", false
		}
	}
	return "0" + d, true
}

// page reads pageIndex (from 1, default 1) and pageSize (10–100, default 50).
func page(p params) (index, size int, err error) {
	i, err := p.intIn("pageIndex", 1, 1, 1<<31-1)
	if err != nil {
		return 0, 0, err
	}
	n, err := p.intIn("pageSize", defPageSize, minPageSize, maxPageSize)
	if err != nil {
		return 0, 0, err
	}
	return int(i), int(n), nil
}

// printable cuts an echoed client value short and drops non-printables.
func printable(s string) string {
	if len(s) > 32 {
		s = s[:32]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return -1
		}
		return r
	}, s)
}
