package routing

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"
)

// cnAreaCodes is China's area code → province table (data/cn_areacodes.txt,
// coverage described there and in docs/NUMBERS.md).
//
//go:embed data/cn_areacodes.txt
var cnAreaCodes []byte

// Provinces maps fixed-line area codes to their province, for the
// areaMatchMode 1 rank "same province" (SPEC §5). It is immutable.
type Provinces struct {
	byArea map[string]string
}

// chinaProvinces parses the embedded table once; the table is data checked
// by the tests, so a parse failure is a build fault.
var chinaProvinces = sync.OnceValue(func() *Provinces {
	p, err := ParseProvinces(cnAreaCodes)
	if err != nil {
		panic(fmt.Sprintf("routing: embedded area codes: %v", err))
	}
	return p
})

// ChinaProvinces returns the embedded table of China's area codes.
func ChinaProvinces() *Provinces { return chinaProvinces() }

// ParseProvinces reads a table of lines "<name …>: <area code> …"; '#'
// starts a comment line. Area codes are digits without the trunk prefix and
// may appear once.
func ParseProvinces(data []byte) (*Provinces, error) {
	p := &Provinces{byArea: map[string]string{}}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, codes, ok := strings.Cut(line, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return nil, fmt.Errorf("line %d: want \"name: codes\"", i+1)
		}
		for _, c := range strings.Fields(codes) {
			if !allDigits(c) || len(c) < 2 || len(c) > 3 {
				return nil, fmt.Errorf("line %d: bad area code %q", i+1, c)
			}
			if prev, dup := p.byArea[c]; dup {
				return nil, fmt.Errorf("line %d: area code %s already in %s", i+1, c, prev)
			}
			p.byArea[c] = name
		}
	}
	return p, nil
}

// Province returns the province of an area code, given with or without its
// trunk prefix 0 ("0755" or "755").
func (p *Provinces) Province(area string) (string, bool) {
	name, ok := p.byArea[strings.TrimPrefix(area, "0")]
	return name, ok
}

// Same reports whether two area codes are both known and in one province.
func (p *Provinces) Same(a, b string) bool {
	pa, ok := p.Province(a)
	if !ok {
		return false
	}
	pb, ok := p.Province(b)
	return ok && pa == pb
}

// Len is the number of area codes in the table.
func (p *Provinces) Len() int { return len(p.byArea) }
