package sip

import (
	"bytes"
	"math/rand/v2"
	"net/netip"
	"strconv"
)

// sdpIdentity is the session description identity xnum presents to one
// party: its own o= username, session id and version (RFC 4566 §5.2), so that
// nothing of the other party's o= line (username, session id, address —
// SPEC §4.1) ever reaches it. Each leg of a call has its own.
//
// Until the media issue relays RTP, the body otherwise passes through: c= and
// m= still describe the other party's media (docs/SIP.md).
type sdpIdentity struct {
	sessID  uint64
	version uint64
	last    uint64 // hash of the last body sent, o= excluded
	sent    bool
}

func newSDPIdentity() sdpIdentity {
	// RFC 4566 §5.2 suggests an NTP timestamp; any unique number will do.
	return sdpIdentity{sessID: rand.Uint64() >> 1, version: rand.Uint64() >> 33}
}

// rewrite returns body as xnum sends it to this leg's party: o= replaced by
// xnum's, s= set to "xnum", and the p=, e=, i=, u= and a=tool: lines (phone,
// e-mail, free text, URI and software of the other party) dropped. The o=
// version increases only when the description differs from the last one
// sent on this leg (RFC 3264 §8), so a 200 repeating the 183's SDP repeats
// its version too (RFC 3261 §13.2.1). ErrBadSDP for anything that is not a
// session description.
func (id *sdpIdentity) rewrite(body []byte, host string) ([]byte, error) {
	if !bytes.HasPrefix(body, []byte("v=")) {
		return nil, ErrBadSDP
	}
	sum := uint64(fnvOffset)
	forEachLine(body, func(line []byte) {
		if keep, repl := sdpLine(line); keep && !bytes.HasPrefix(line, []byte("o=")) {
			if repl != nil {
				line = repl
			}
			sum = fnv1a(fnv1a(sum, line), newline)
		}
	})
	if id.sent && sum != id.last {
		id.version++
	}
	id.sent, id.last = true, sum

	out := make([]byte, 0, len(body)+48)
	wroteO := false
	forEachLine(body, func(line []byte) {
		keep, repl := sdpLine(line)
		switch {
		case !keep:
			return
		case bytes.HasPrefix(line, []byte("o=")):
			if !wroteO {
				out = id.appendOrigin(out, host)
				wroteO = true
			}
			return
		case bytes.HasPrefix(line, []byte("s=")) && !wroteO:
			// o= must precede s= (RFC 4566 §5): supply it when missing.
			out = id.appendOrigin(out, host)
			wroteO = true
		}
		if repl != nil {
			line = repl
		}
		out = append(out, line...)
		out = append(out, '\r', '\n')
	})
	return out, nil
}

func (id *sdpIdentity) appendOrigin(out []byte, host string) []byte {
	out = append(out, "o=xnum "...)
	out = strconv.AppendUint(out, id.sessID, 10)
	out = append(out, ' ')
	out = strconv.AppendUint(out, id.version, 10)
	if a, err := netip.ParseAddr(host); err == nil && a.Is6() && !a.Is4In6() {
		out = append(out, " IN IP6 "...)
	} else {
		out = append(out, " IN IP4 "...)
	}
	out = append(out, host...)
	return append(out, '\r', '\n')
}

var (
	sdpSessionName = []byte("s=xnum")
	newline        = []byte{'\n'}
)

// FNV-1a, inline so that hashing a body allocates nothing.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnv1a(h uint64, b []byte) uint64 {
	for _, c := range b {
		h ^= uint64(c)
		h *= fnvPrime
	}
	return h
}

// sdpLine says whether a line crosses to the other leg, and its replacement.
func sdpLine(line []byte) (keep bool, repl []byte) {
	if len(line) < 2 || line[1] != '=' {
		return len(line) > 0, nil
	}
	switch line[0] {
	case 'p', 'e', 'i', 'u':
		return false, nil
	case 's':
		return true, sdpSessionName
	case 'a':
		if bytes.HasPrefix(line, []byte("a=tool:")) {
			return false, nil
		}
	}
	return true, nil
}

// forEachLine calls f for every line of b without its CR/LF.
func forEachLine(b []byte, f func([]byte)) {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		var line []byte
		if i < 0 {
			line, b = b, nil
		} else {
			line, b = b[:i], b[i+1:]
		}
		line = bytes.TrimRight(line, "\r")
		if len(line) > 0 {
			f(line)
		}
	}
}
