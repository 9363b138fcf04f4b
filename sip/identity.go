package sip

import (
	"net/netip"
	"net/url"
	"strings"

	"github.com/emiago/sipgo/sip"

	"github.com/xnum/xnum/routing"
)

// routingCall turns an initial INVITE into what routing sees: the caller of
// SPEC §2.1 and the dialled X (the Request-URI user, SPEC §8), both
// normalised by the number plan. Anything anonymous, unparseable or outside
// the plan becomes "" — routing's "no binding" / unprovisioned path. No raw
// string of the request goes further than this function.
func (s *Server) routingCall(req *sip.Request) routing.Call {
	var c routing.Call
	c.Caller, c.CallerKind = s.callerOf(req)
	if u, ok := userOf(&req.Recipient); ok {
		if n, _, err := s.d.Plan.Normalize(u); err == nil {
			c.Dialled = n
		}
	}
	return c
}

// callerOf: on a trusted source the P-Asserted-Identity (RFC 3325) wins over
// From, so a forged From cannot pick the binding; elsewhere, or with
// sip.caller_source=from, only From counts.
func (s *Server) callerOf(req *sip.Request) (routing.Number, routing.Kind) {
	if !s.callerFromOnly && s.trusted.contains(sourceAddr(req)) {
		if n, k, ok := s.paiCaller(req); ok {
			return n, k
		}
	}
	if f := req.From(); f != nil {
		if u, ok := userOf(&f.Address); ok {
			if n, k, err := s.d.Plan.Normalize(u); err == nil {
				return n, k
			}
		}
	}
	return "", routing.KindInvalid
}

// paiCaller is the first identity of P-Asserted-Identity that is a number of
// the plan (a PAI may carry a sip: and a tel: identity, RFC 3325 §9.1).
func (s *Server) paiCaller(req *sip.Request) (routing.Number, routing.Kind, bool) {
	for _, h := range req.GetHeaders("P-Asserted-Identity") {
		for _, v := range splitAddresses(h.Value()) {
			var uri sip.Uri
			if _, err := sip.ParseAddressValue(v, &uri, nil); err != nil {
				continue
			}
			if u, ok := userOf(&uri); ok {
				if n, k, err := s.d.Plan.Normalize(u); err == nil {
					return n, k, true
				}
			}
		}
	}
	return "", routing.KindInvalid, false
}

// userOf is the telephone-number part of a URI: the user of a sip:/sips: URI
// (percent-decoded) or the subscriber of a tel: URI. Anonymous identities
// (RFC 3323 §4.1.1.3) have none.
func userOf(u *sip.Uri) (string, bool) {
	switch strings.ToLower(u.Scheme) {
	case "sip", "sips":
		if u.User == "" || strings.EqualFold(u.User, "anonymous") ||
			strings.EqualFold(u.Host, "anonymous.invalid") {
			return "", false
		}
		if strings.IndexByte(u.User, '%') >= 0 {
			d, err := url.PathUnescape(u.User)
			if err != nil {
				return "", false
			}
			return d, true
		}
		return u.User, true
	case "tel":
		r := u.Raw()
		return r, r != ""
	}
	return "", false
}

// splitAddresses splits a header value on the commas that separate
// name-addrs, leaving commas inside quotes or angle brackets alone.
func splitAddresses(v string) []string {
	var out []string
	quoted, angle, start := false, false, 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '"' && !angle:
			quoted = !quoted
		case c == '<' && !quoted:
			angle = true
		case c == '>' && !quoted:
			angle = false
		case c == ',' && !quoted && !angle:
			if p := strings.TrimSpace(v[start:i]); p != "" {
				out = append(out, p)
			}
			start = i + 1
		}
	}
	if p := strings.TrimSpace(v[start:]); p != "" {
		out = append(out, p)
	}
	return out
}

// sourceAddr is the IP a request came from (the packet's, not its Via's).
func sourceAddr(req *sip.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}
