package main

// The sentinel check: nothing that identifies one party may appear in any
// message the other party receives (SPEC §4.1: the B leg is built from a
// whitelist, and the same holds in reverse).

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// identity is everything that could give a party away.
type identity struct {
	Who     string // for messages: "caller", "callee", …
	Party   party
	IP      string   // its signalling address (Via, Contact, PAI host, SDP o=)
	MediaIP string   // its SDP c= address, checked on every line
	CallIDs []string // Call-IDs of its leg
	Extra   []string // more literal tokens (e.g. a redirect target)
	// MediaExposed: xnum runs with media.mode passthrough, which relays
	// the parties' SDP and so, by design and as documented, shows each
	// party the other's media address on SDP c= lines (m= carries only
	// the port). Only then is MediaIP allowed there. In relay mode (the
	// default, SPEC §4.3) every SDP is xnum's own and MediaIP may appear
	// nowhere.
	MediaExposed bool
}

// mediaLeakExempt is the one line prefix MediaExposed allows MediaIP on.
const mediaLeakExempt = "c="

type leakPattern struct {
	what      string
	re        *regexp.Regexp
	skipLines string // a line prefix on which this pattern is allowed
}

// numberPattern matches a number's national significant digits in any of
// its shapes (+86…, 86…, 0086…, 0…, national) and with separators between
// the digits ("+86 138-0000-0001", "(0755) 1234 5678").
func numberPattern(e164 string) *regexp.Regexp {
	nsn := strings.TrimPrefix(e164, "+86")
	parts := make([]string, 0, len(nsn))
	for _, d := range nsn {
		parts = append(parts, string(d))
	}
	return regexp.MustCompile(strings.Join(parts, `[\s\-.()/]*`))
}

// wordsPattern matches words in sequence with any separator, any case.
func wordsPattern(s string) *regexp.Regexp {
	words := strings.Fields(s)
	for i, w := range words {
		words[i] = regexp.QuoteMeta(w)
	}
	return regexp.MustCompile(`(?i)` + strings.Join(words, `(?:\s|%20|[_\-.+"'])*`))
}

func ipPattern(ip string) *regexp.Regexp {
	return regexp.MustCompile(`(?:^|[^0-9.])` + regexp.QuoteMeta(ip) + `(?:$|[^0-9])`)
}

func (id identity) patterns() []leakPattern {
	ps := []leakPattern{
		{what: "number " + id.Party.Number, re: numberPattern(id.Party.Number)},
		{what: "display name", re: wordsPattern(id.Party.Display)},
		{what: "user agent marker", re: regexp.MustCompile(`(?i)` + regexp.QuoteMeta(id.Party.Marker))},
		{what: "tag", re: regexp.MustCompile(`(?i)` + regexp.QuoteMeta(id.Party.Tag))},
	}
	if id.IP != "" {
		ps = append(ps, leakPattern{what: "signalling address " + id.IP, re: ipPattern(id.IP)})
	}
	if id.MediaIP != "" {
		p := leakPattern{what: "media address " + id.MediaIP, re: ipPattern(id.MediaIP)}
		if id.MediaExposed {
			p.skipLines = mediaLeakExempt
		}
		ps = append(ps, p)
	}
	for _, c := range id.CallIDs {
		if c != "" {
			ps = append(ps, leakPattern{what: "Call-ID " + c, re: regexp.MustCompile(regexp.QuoteMeta(c))})
		}
	}
	for _, x := range id.Extra {
		ps = append(ps, leakPattern{what: "token " + x, re: regexp.MustCompile(regexp.QuoteMeta(x))})
	}
	return ps
}

// leaks returns one line per hit of id in msgs.
func (id identity) leaks(msgs []sipMsg) []string {
	var out []string
	ps := id.patterns()
	for i, m := range msgs {
		for _, line := range strings.Split(m.Text, "\n") {
			for _, p := range ps {
				if p.skipLines != "" && strings.HasPrefix(line, p.skipLines) {
					continue
				}
				if p.re.MatchString(line) {
					out = append(out, fmt.Sprintf("message %d (%s): %s of the %s: %q", i+1, m.FirstLine(), p.what, id.Who, line))
				}
			}
		}
	}
	return out
}

// assertNoLeak fails the test for every hit of id in what receiver got.
func assertNoLeak(t testing.TB, receiver string, msgs []sipMsg, id identity) {
	t.Helper()
	if len(msgs) == 0 {
		t.Errorf("leak check: the %s received no message at all", receiver)
	}
	for _, l := range id.leaks(msgs) {
		t.Errorf("LEAK to the %s: %s", receiver, l)
	}
}

// callIDOf is the Call-ID of the first message p sent or received.
func callIDOf(msgs []sipMsg) string {
	for _, m := range msgs {
		if c := m.Header("Call-ID"); c != "" {
			return c
		}
	}
	return ""
}
