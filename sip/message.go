package sip

import (
	"encoding/hex"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"

	"github.com/xnum/xnum/routing"
)

// response builds a response to req with xnum's own reason phrase (never the
// other leg's, SPEC §4.2) and, when tag is set, that To tag: every response
// of one UAS transaction carries the same tag (RFC 3261 §8.2.6.2).
func (s *Server) response(req *sip.Request, status int, tag string) *sip.Response {
	res := sip.NewResponseFromRequest(req, status, phrase(status), nil)
	if tag != "" && status != 100 {
		if to := res.To(); to != nil {
			to.Params.Add("tag", tag)
		}
	}
	return res
}

// reasonHeader is the RFC 3326 Reason carrying the Q.850 cause of a release.
func reasonHeader(r routing.Release) sip.Header {
	var b strings.Builder
	b.Grow(40 + len(r.Desc))
	b.WriteString("Q.850;cause=")
	b.WriteString(strconv.Itoa(r.Q850))
	if r.Desc != "" && SafeHeaderValue(r.Desc) && !strings.ContainsRune(r.Desc, '"') {
		b.WriteString(`;text="`)
		b.WriteString(r.Desc)
		b.WriteByte('"')
	}
	return sip.NewHeader("Reason", b.String())
}

// phrase is xnum's reason phrase for a status (RFC 3261 §21).
func phrase(status int) string {
	switch status {
	case 100:
		return "Trying"
	case 180:
		return "Ringing"
	case 183:
		return "Session Progress"
	case 200:
		return "OK"
	case 400:
		return "Bad Request"
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
	case 405:
		return "Method Not Allowed"
	case 408:
		return "Request Timeout"
	case 415:
		return "Unsupported Media Type"
	case 416:
		return "Unsupported URI Scheme"
	case 420:
		return "Bad Extension"
	case 480:
		return "Temporarily Unavailable"
	case 481:
		return "Call/Transaction Does Not Exist"
	case 482:
		return "Loop Detected"
	case 483:
		return "Too Many Hops"
	case 486:
		return "Busy Here"
	case 487:
		return "Request Terminated"
	case 488:
		return "Not Acceptable Here"
	case 491:
		return "Request Pending"
	case 500:
		return "Server Internal Error"
	case 501:
		return "Not Implemented"
	case 503:
		return "Service Unavailable"
	case 505:
		return "Version Not Supported"
	case 600:
		return "Busy Everywhere"
	case 603:
		return "Decline"
	case 604:
		return "Does Not Exist Anywhere"
	case 606:
		return "Not Acceptable"
	}
	switch status / 100 {
	case 1:
		return "Progress"
	case 2:
		return "OK"
	case 3:
		return "Redirect"
	case 4:
		return "Request Failure"
	case 5:
		return "Server Failure"
	}
	return "Global Failure"
}

// idGen makes tags, Call-IDs, branches and CDR ids. Values are random
// (math/rand/v2's per-thread ChaCha8, seeded from the OS): nothing in them
// relates one leg to the other, and no lock is taken.
type idGen struct{}

func newIDGen() idGen { return idGen{} }

func (idGen) hex(n int) string {
	var raw [16]byte
	for i := 0; i < n; i += 8 {
		v := rand.Uint64()
		for j := 0; j < 8 && i+j < n; j++ {
			raw[i+j] = byte(v >> (8 * j))
		}
	}
	return hex.EncodeToString(raw[:n])
}

// tag is a From/To tag (RFC 3261 §19.3: at least 32 random bits).
func (g idGen) tag() string { return g.hex(8) }

// callID is a globally unique Call-ID (RFC 3261 §8.1.1.4).
func (g idGen) callID() string { return g.hex(16) }

// branch is an RFC 3261 §8.1.1.7 branch with the magic cookie.
func (g idGen) branch() string { return sip.RFC3261BranchMagicCookie + g.hex(8) }

// record is a CDR icid or a sessionId.
func (g idGen) record() string { return g.hex(16) }
