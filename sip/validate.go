package sip

// Stateless validation of inbound requests (SPEC §4.1 last bullet, §2 header
// injection guard). sipgo's parser accepts many messages RFC 4475 calls
// invalid and keeps header values as written, so every request is judged
// here before anything else looks at it. docs/SIP-VALIDATION.md lists what is
// checked, why, and which RFC 4475 messages sipgo's parser already drops.

import (
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Limits on what one request may carry. A request past any of them is
// answered 513 Message Too Large: nothing legitimate comes near them, and
// they bound the work CheckRequest (and everything after it) does.
const (
	// MaxHeaderValueLen is the longest header value accepted inbound and the
	// longest SafeHeaderValue lets through outbound. RFC 4475's longest
	// legitimate values (3.1.1.7) are under 600 octets; a STIR Identity
	// header is about 1 KiB.
	MaxHeaderValueLen = 4096
	// maxHeaders bounds the number of header fields (after sipgo splits
	// comma-separated values into one field each).
	maxHeaders = 256
	// maxSameHeader bounds the fields of one name: Via, Route and
	// Record-Route grow with the path, which Max-Forwards (≤ 255, 70 by
	// default) already keeps short.
	maxSameHeader = 70
	// maxMessage bounds header values plus body. SIP over UDP fits in one
	// datagram; sipgo's parser refuses more than 64 KiB anyway.
	maxMessage = 32 * 1024
	// maxUserLen bounds a URI user part (SafeUser).
	maxUserLen = 256
	// maxCSeq is the largest CSeq sequence number (RFC 3261 §8.1.1.5).
	maxCSeq = 1<<31 - 1
	// maxMaxForwards is the largest Max-Forwards value (RFC 3261 §20.22).
	maxMaxForwards = 255
)

// magicCookie starts every RFC 3261 branch (RFC 3261 §8.1.1.7).
const magicCookie = "z9hG4bK"

// CheckRequest is the stateless verdict on a parsed inbound request: ok is
// true when the request is well formed and acceptable; otherwise status and
// reason are the final response to send (400, 406, 415, 416, 420, 483, 505 or
// 513), and extra holds headers that response must carry (Unsupported for
// 420, Accept for 415). The reason is a constant of this file, never request
// data. CheckRequest never modifies req.
//
// Callers must not answer an ACK (drop it instead), and should drop rather
// than answer a request for which SafeToAnswer is false: a response echoes
// Via, From, To, Call-ID and CSeq, and those are what made it fail.
//
// Checks, first failure wins (RFC 3261 §8.2 order: syntax, scheme, hops,
// extensions, content):
//   - SIP version 2.0 (505; 400 when it is no SIP version at all);
//   - sizes (513): header count, fields of one name, value length, total;
//   - every header name a token, every value free of control characters
//     (SafeHeaderValue), the method a token (400);
//   - To, From, Call-ID, CSeq and Via present; To, From, Call-ID, CSeq,
//     Max-Forwards, Content-Length and Content-Type at most once; Max-Forwards
//     present except on ACK and CANCEL; Contact present on INVITE, exactly one,
//     a SIP or SIPS URI (400);
//   - CSeq number ≤ 2^31-1 and method equal to the request's (400);
//   - top Via: SIP/2.0, a transport, a valid sent-by host and port, a branch
//     (if any) that is a token and not the bare magic cookie (400);
//   - Request-URI, From, To and Contact URIs well formed: SIP URIs with a
//     valid host, a user of RFC 3261 user characters, no URI headers outside
//     a REGISTER Contact (400); From tag present (400);
//   - Max-Forwards ≤ 255 (400); Content-Length equal to the body (400);
//     Date in RFC 1123 GMT form and Expires a 32-bit number when present (400);
//   - Request-URI scheme sip, sips or tel (416);
//   - Max-Forwards 0 on an initial INVITE, the request xnum forwards (483);
//   - Require naming any extension (420 + Unsupported; xnum supports none);
//   - INVITE or UPDATE with a body: Content-Type application/sdp without
//     Content-Encoding (415 + Accept), and an INVITE's Accept, if any, must
//     allow application/sdp (406).
func CheckRequest(req *sip.Request) (status int, reason string, extra []sip.Header, ok bool) {
	if req == nil {
		return 400, "Bad Request", nil, false
	}
	if s, r := checkVersion(req.SipVersion); s != 0 {
		return s, r, nil, false
	}
	f, s, r := scan(req)
	if s != 0 {
		return s, r, nil, false
	}
	if r := checkSyntax(req, f.counts); r != "" {
		return 400, r, nil, false
	}
	if r := checkURIs(req, f); r != "" {
		return 400, r, nil, false
	}
	if r := checkScalars(req, f); r != "" {
		return 400, r, nil, false
	}
	if !supportedScheme(req.Recipient.Scheme) {
		return 416, "Unsupported URI Scheme", nil, false
	}
	if req.Method == sip.INVITE && !hasToTag(req) {
		if mf := req.MaxForwards(); mf != nil && mf.Val() == 0 {
			return 483, "Too Many Hops", nil, false
		}
	}
	if req.Method != sip.ACK && req.Method != sip.CANCEL {
		// RFC 3261 §8.2.2.3: ACK and CANCEL are never refused for Require.
		if unsupported, bad := requiredExtensions(f); bad {
			return 400, "Malformed Require", nil, false
		} else if len(unsupported) > 0 {
			return 420, "Bad Extension", []sip.Header{sip.NewHeader("Unsupported", strings.Join(unsupported, ", "))}, false
		}
	}
	if s, r, x := checkContent(req, f); s != 0 {
		return s, r, x, false
	}
	return 0, "", nil, true
}

// SafeHeaderValue reports whether s may be placed into an outgoing header
// value: no CR, LF, NUL or other control character (HTAB is allowed, it is
// whitespace in SIP), and at most MaxHeaderValueLen octets. Octets ≥ 0x80 are
// allowed and not checked for UTF-8: they cannot break SIP framing, and
// carriers send non-UTF-8 display names.
func SafeHeaderValue(s string) bool {
	if len(s) > MaxHeaderValueLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// SafeUser reports whether s may be placed as the user part of a SIP URI:
// 1–256 characters of the RFC 3261 §25.1 user set (unreserved, user-unreserved
// "&=+$,;?/" and %HH escapes), no escape that decodes to a control character,
// and no leading "/" (sipgo reads "sip://…" as hierarchical slashes and would
// drop them).
func SafeUser(s string) bool {
	return len(s) > 0 && len(s) <= maxUserLen && s[0] != '/' && userChars(s, false)
}

// SafeToAnswer reports whether a response built from req with
// sip.NewResponseFromRequest carries only safe values: it copies Via, From,
// To, Call-ID, CSeq, Record-Route and Timestamp as parsed, so a CR or LF in
// one of them would be written back out. When false, drop the request.
func SafeToAnswer(req *sip.Request) bool {
	if req == nil {
		return false
	}
	for _, h := range req.Headers() {
		switch strings.ToLower(h.Name()) {
		case "via", "v", "from", "f", "to", "t", "call-id", "i", "cseq", "record-route", "timestamp":
			if !SafeHeaderValue(h.Value()) {
				return false
			}
		}
	}
	return true
}

// checkVersion: RFC 3261 §8.2 does not name it, §21.5.6 does: 505 for a
// version we do not speak. The SIP literal is case-insensitive (§7.1).
func checkVersion(v string) (int, string) {
	if strings.EqualFold(v, "SIP/2.0") {
		return 0, ""
	}
	if len(v) > 4 && strings.EqualFold(v[:4], "SIP/") {
		major, minor, found := strings.Cut(v[4:], ".")
		if found && allDigits(major) && allDigits(minor) {
			return 505, "Version Not Supported"
		}
	}
	return 400, "Bad SIP Version"
}

// fields is the header section as CheckRequest reads it: each field with
// its canonical name and its value serialised once.
type fields struct {
	hs     []sip.Header
	names  []string
	values []string
	counts map[string]int
}

// values of the fields called name (canonical).
func (f *fields) all(name string) []string {
	var out []string
	for i, n := range f.names {
		if n == name {
			out = append(out, f.values[i])
		}
	}
	return out
}

func (f *fields) first(name string) (string, bool) {
	for i, n := range f.names {
		if n == name {
			return f.values[i], true
		}
	}
	return "", false
}

// scan walks the header fields once: sizes (513) first, then the syntax of
// names and values (400).
func scan(req *sip.Request) (f *fields, status int, reason string) {
	hs := req.Headers()
	if len(hs) > maxHeaders {
		return nil, 513, "Message Too Large"
	}
	f = &fields{hs: hs, names: make([]string, len(hs)), values: make([]string, len(hs)), counts: make(map[string]int, len(hs))}
	counts := f.counts
	total := len(req.Body())
	for i, h := range hs {
		name, v := canonicalName(h.Name()), h.Value()
		f.names[i], f.values[i] = name, v
		counts[name]++
		total += len(h.Name()) + len(v) + 4
		if counts[name] > maxSameHeader || len(v) > MaxHeaderValueLen || total > maxMessage {
			return nil, 513, "Message Too Large"
		}
		if reason != "" {
			continue
		}
		if !isToken(h.Name()) {
			reason = "Malformed Header Name"
		} else if !SafeHeaderValue(v) {
			reason = "Control Character In Header"
		}
	}
	if reason != "" {
		return nil, 400, reason
	}
	return f, 0, ""
}

// checkSyntax: method, mandatory and single headers, CSeq, the top Via.
// Presence is judged on sipgo's typed headers: a request built in code may
// carry a generic field of the same name, which counts as malformed.
func checkSyntax(req *sip.Request, counts map[string]int) string {
	if !isToken(string(req.Method)) {
		return "Malformed Method"
	}
	typed := map[string]bool{
		"to": req.To() != nil, "from": req.From() != nil, "call-id": req.CallID() != nil,
		"cseq": req.CSeq() != nil, "via": req.Via() != nil, "max-forwards": req.MaxForwards() != nil,
		"content-length": req.ContentLength() != nil, "content-type": req.ContentType() != nil,
	}
	for _, name := range []string{"to", "from", "call-id", "cseq", "via", "max-forwards", "content-length", "content-type"} {
		switch {
		case counts[name] > 1 && name != "via":
			return "Duplicate " + displayName[name] + " Header"
		case counts[name] > 0 && !typed[name]:
			return "Malformed " + displayName[name] + " Header"
		case counts[name] == 0 && mandatory(name, req.Method):
			return "Missing " + displayName[name] + " Header"
		}
	}
	if req.Method == sip.INVITE && counts["contact"] != 1 {
		return "INVITE Needs One Contact"
	}
	if !callIDChars(string(*req.CallID())) {
		return "Malformed Call-ID"
	}
	cseq := req.CSeq()
	if cseq.SeqNo > maxCSeq {
		return "CSeq Out Of Range"
	}
	// sipgo upper-cases the request method but not CSeq's, so the
	// comparison cannot be case-sensitive as RFC 3261 §7.1 would have it.
	if !strings.EqualFold(string(cseq.MethodName), string(req.Method)) {
		return "CSeq Method Mismatch"
	}
	return checkTopVia(req.Via())
}

// mandatory: RFC 3261 §8.1.1 lists To, From, CSeq, Call-ID, Max-Forwards and
// Via. A missing Max-Forwards is tolerated on ACK and CANCEL, which xnum
// never forwards and can never refuse usefully.
func mandatory(name string, m sip.RequestMethod) bool {
	switch name {
	case "to", "from", "call-id", "cseq", "via":
		return true
	case "max-forwards":
		return m != sip.ACK && m != sip.CANCEL
	}
	return false
}

func checkTopVia(v *sip.ViaHeader) string {
	if !strings.EqualFold(v.ProtocolName, "SIP") || v.ProtocolVersion != "2.0" {
		return "Malformed Via Protocol"
	}
	if !isToken(v.Transport) {
		return "Malformed Via Transport"
	}
	if !validHost(v.Host) {
		return "Malformed Via Sent-By"
	}
	if !validParams(v.Params) {
		return "Malformed Via Parameter"
	}
	if v.Port < 0 || v.Port > 65535 {
		return "Malformed Via Port"
	}
	// A missing branch is an RFC 2543 peer: sipgo matches its transactions
	// the old way (RFC 3261 §17.2.3), which needs the From tag required
	// below. A bare magic cookie claims RFC 3261 and names no transaction
	// (RFC 4475 §3.2.1).
	if branch, ok := param(v.Params, "branch"); ok {
		if !isToken(branch) || branch == magicCookie {
			return "Malformed Via Branch"
		}
	}
	return ""
}

// checkURIs: Request-URI, From, To, Contact (RFC 3261 §19.1.1 table: URI
// headers only in a registration's Contact).
func checkURIs(req *sip.Request, f *fields) string {
	if !validURI(&req.Recipient) || len(req.Recipient.Headers) > 0 {
		return "Malformed Request-URI"
	}
	from, to := req.From(), req.To()
	if !validURI(&from.Address) || len(from.Address.Headers) > 0 {
		return "Malformed From"
	}
	if !validParams(from.Params) {
		return "Malformed From"
	}
	if tag, ok := param(from.Params, "tag"); !ok || !isToken(tag) {
		return "Missing From Tag"
	}
	if !validURI(&to.Address) || len(to.Address.Headers) > 0 {
		return "Malformed To"
	}
	if !validParams(to.Params) {
		return "Malformed To"
	}
	if tag, ok := param(to.Params, "tag"); ok && !isToken(tag) {
		return "Malformed To Tag"
	}
	for i, n := range f.names {
		c, ok := f.hs[i].(*sip.ContactHeader)
		if n != "contact" || !ok {
			continue
		}
		if c.Address.Wildcard {
			if req.Method == sip.INVITE {
				return "Malformed Contact"
			}
			continue
		}
		if !validURI(&c.Address) || !validParams(c.Params) || (len(c.Address.Headers) > 0 && req.Method != sip.REGISTER) {
			return "Malformed Contact"
		}
		if req.Method == sip.INVITE && !isSIPScheme(c.Address.Scheme) {
			return "Malformed Contact"
		}
	}
	return ""
}

// checkScalars: numbers and dates with a fixed grammar.
func checkScalars(req *sip.Request, f *fields) string {
	if mf := req.MaxForwards(); mf != nil && mf.Val() > maxMaxForwards {
		return "Max-Forwards Out Of Range"
	}
	if cl := req.ContentLength(); cl != nil && int(*cl) != len(req.Body()) {
		return "Content-Length Mismatch"
	}
	if d, ok := f.first("date"); ok {
		// RFC 3261 §20.17: rfc1123-date, GMT only (RFC 4475 §3.1.2.12).
		if _, err := time.Parse(time.RFC1123, d); err != nil || !strings.HasSuffix(d, " GMT") {
			return "Malformed Date"
		}
	}
	if e, ok := f.first("expires"); ok {
		// delta-seconds (RFC 3261 §20.19, §25.1: at most 2^32-1).
		if _, err := strconv.ParseUint(e, 10, 32); err != nil {
			return "Malformed Expires"
		}
	}
	return ""
}

// requiredExtensions lists the Require option tags xnum does not support:
// all of them. xnum supports no SIP extension on the A leg — not 100rel (it
// sends no reliable provisionals) and not timer (it does not refresh
// sessions itself; RFC 4028 refreshes pass as ordinary re-INVITE/UPDATE).
// bad is true when a tag is not a token.
func requiredExtensions(f *fields) (unsupported []string, bad bool) {
	seen := map[string]bool{}
	for _, v := range f.all("require") {
		for tag := range strings.SplitSeq(v, ",") {
			tag = strings.TrimSpace(tag)
			if tag == "" {
				continue
			}
			if !isToken(tag) {
				return nil, true
			}
			if key := strings.ToLower(tag); !seen[key] {
				seen[key] = true
				unsupported = append(unsupported, tag)
			}
		}
	}
	return unsupported, false
}

// checkContent: bodies of offer/answer requests are SDP (RFC 3261 §8.2.3,
// RFC 4475 §3.3.6) and an INVITE must accept SDP in return (§3.3.15).
func checkContent(req *sip.Request, f *fields) (int, string, []sip.Header) {
	if req.Method != sip.INVITE && req.Method != sip.UPDATE {
		return 0, "", nil
	}
	if len(req.Body()) > 0 {
		ct := req.ContentType()
		if ct == nil {
			return 400, "Missing Content-Type", nil
		}
		mt, _, _ := strings.Cut(string(*ct), ";")
		if !strings.EqualFold(strings.TrimSpace(mt), "application/sdp") {
			return 415, "Unsupported Media Type", []sip.Header{sip.NewHeader("Accept", "application/sdp")}
		}
		if e, ok := f.first("content-encoding"); ok && !strings.EqualFold(strings.TrimSpace(e), "identity") {
			return 415, "Unsupported Media Type", []sip.Header{
				sip.NewHeader("Accept", "application/sdp"),
				sip.NewHeader("Accept-Encoding", "identity"),
			}
		}
	}
	if req.Method == sip.INVITE {
		if accept := f.all("accept"); len(accept) > 0 && !acceptsSDP(accept) {
			return 406, "Not Acceptable", nil
		}
	}
	return 0, "", nil
}

func acceptsSDP(values []string) bool {
	for _, v := range values {
		for r := range strings.SplitSeq(v, ",") {
			mt, _, _ := strings.Cut(r, ";")
			switch strings.ToLower(strings.TrimSpace(mt)) {
			case "application/sdp", "application/*", "*/*":
				return true
			}
		}
	}
	return false
}

// validURI checks the parts xnum relies on. SIP and SIPS URIs need a valid
// host and, if any, a user of RFC 3261 user characters; other schemes
// (tel, or anything in From/To, RFC 4475 §3.3.4) need a scheme token and a
// non-empty opaque part without spaces.
func validURI(u *sip.Uri) bool {
	if !isScheme(u.Scheme) {
		return false
	}
	if !isSIPScheme(u.Scheme) {
		raw := u.Raw()
		return raw != "" && SafeHeaderValue(raw) && !strings.ContainsAny(raw, " \t<>\"")
	}
	// sipgo keeps the whitespace before ";" of an addr-spec in the host
	// (RFC 4475 §3.1.1.1 "sip:vivekg@chair-dnrc.example.com ;   tag").
	if !validHost(strings.TrimRight(u.Host, " \t")) || u.Port < 0 || u.Port > 65535 {
		return false
	}
	if u.User != "" && !userChars(u.User, true) {
		return false
	}
	return u.Password == "" || passwordChars(u.Password)
}

func supportedScheme(s string) bool {
	return isSIPScheme(s) || strings.EqualFold(s, "tel")
}

func isSIPScheme(s string) bool {
	return strings.EqualFold(s, "sip") || strings.EqualFold(s, "sips")
}

// isScheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3261 §25.1).
func isScheme(s string) bool {
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isAlpha(c) && !isDigit(c) && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

// validHost: hostname, IPv4address or IPv6reference (RFC 3261 §25.1). sipgo
// keeps the brackets of an IPv6 URI host and strips them from a Via host.
func validHost(h string) bool {
	if h == "" || len(h) > 255 {
		return false
	}
	if h[0] == '[' {
		if h[len(h)-1] != ']' {
			return false
		}
		h = h[1 : len(h)-1]
	}
	if strings.IndexByte(h, ':') >= 0 {
		a, err := netip.ParseAddr(h)
		return err == nil && a.Is6() && a.Zone() == ""
	}
	h = strings.TrimSuffix(h, ".")
	if h == "" {
		return false
	}
	for label := range strings.SplitSeq(h, ".") {
		if label == "" || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			if c := label[i]; !isAlpha(c) && !isDigit(c) && c != '-' {
				return false
			}
		}
	}
	return true
}

// userChars: 1*( unreserved / escaped / user-unreserved ). An escape may
// stand for any octet inbound (RFC 4475 §3.1.1.4 escapes NUL); outbound,
// allowControls is false and escaped control characters are refused.
func userChars(s string, allowControls bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isAlpha(c) || isDigit(c) || strings.IndexByte("-_.!~*'()&=+$,;?/", c) >= 0:
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return false
			}
			if v := unhex(s[i+1])<<4 | unhex(s[i+2]); !allowControls && (v < 0x20 || v == 0x7f) {
				return false
			}
			i += 2
		default:
			return false
		}
	}
	return true
}

// passwordChars: *( unreserved / escaped / "&" / "=" / "+" / "$" / "," ).
func passwordChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isAlpha(c) || isDigit(c) || strings.IndexByte("-_.!~*'()&=+$,", c) >= 0:
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			i += 2
		default:
			return false
		}
	}
	return true
}

// callIDChars: word [ "@" word ] (RFC 3261 §25.1).
func callIDChars(s string) bool {
	if s == "" {
		return false
	}
	local, host, found := strings.Cut(s, "@")
	if !isWord(local) || (found && !isWord(host)) {
		return false
	}
	return true
}

func isWord(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlpha(c) && !isDigit(c) && strings.IndexByte("-.!%*_+`'~()<>:\\\"/[]?{}", c) < 0 {
			return false
		}
	}
	return true
}

// isToken: 1*( alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" /
// "'" / "~" ) (RFC 3261 §25.1).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlpha(c) && !isDigit(c) && strings.IndexByte("-.!%*_+`'~", c) < 0 {
			return false
		}
	}
	return true
}

// validParams: generic-param = token [ EQUAL gen-value ], gen-value = token
// / host / quoted-string (RFC 3261 §25.1). sipgo puts whatever follows a
// URI into parameters — a second address of a list included ("To: <a>,
// <b>" yields the key ", <b>") — so this is where such leftovers are caught.
// Whitespace around names and values is allowed (RFC 4475 §3.1.1.1), and
// sipgo's empty leftovers of "; ;" are ignored.
func validParams(ps sip.HeaderParams) bool {
	for _, kv := range ps {
		k, v := strings.TrimSpace(kv.K), strings.TrimSpace(kv.V)
		if k == "" && v == "" {
			continue
		}
		if !isToken(k) {
			return false
		}
		if v == "" || isToken(v) || validHost(v) || isQuoted(v) {
			continue
		}
		return false
	}
	return true
}

// isQuoted: DQUOTE *(qdtext / quoted-pair) DQUOTE, control characters
// already excluded by SafeHeaderValue.
func isQuoted(s string) bool {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		switch s[i] {
		case '\\':
			i++
			if i == len(s)-1 {
				return false
			}
		case '"':
			return false
		}
	}
	return true
}

// param finds a header parameter by name. sipgo keeps the whitespace RFC
// 3261 allows around ";" and "=" in keys and values (RFC 4475 §3.1.1.1), so
// both are trimmed and names compared case-insensitively.
func param(ps sip.HeaderParams, name string) (string, bool) {
	for _, kv := range ps {
		if strings.EqualFold(strings.TrimSpace(kv.K), name) {
			return strings.TrimSpace(kv.V), true
		}
	}
	return "", false
}

func hasToTag(req *sip.Request) bool {
	to := req.To()
	if to == nil {
		return false
	}
	tag, ok := param(to.Params, "tag")
	return ok && tag != ""
}

// canonicalName folds compact forms (RFC 3261 §7.3.3) and case.
func canonicalName(n string) string {
	if c, ok := typedNames[n]; ok {
		return c
	}
	n = strings.ToLower(n)
	if long, ok := compactForms[n]; ok {
		return long
	}
	return n
}

// typedNames are the names sipgo's typed headers report, folded without
// allocating.
var typedNames = map[string]string{
	"Via": "via", "From": "from", "To": "to", "Call-ID": "call-id", "CSeq": "cseq", "Contact": "contact",
	"Max-Forwards": "max-forwards", "Content-Length": "content-length", "Content-Type": "content-type",
	"Route": "route", "Record-Route": "record-route",
}

var compactForms = map[string]string{
	"i": "call-id", "m": "contact", "e": "content-encoding", "l": "content-length",
	"c": "content-type", "f": "from", "s": "subject", "k": "supported", "t": "to", "v": "via",
}

var displayName = map[string]string{
	"to": "To", "from": "From", "call-id": "Call-ID", "cseq": "CSeq", "via": "Via",
	"max-forwards": "Max-Forwards", "content-length": "Content-Length", "content-type": "Content-Type",
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isHex(c byte) bool   { return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') }

func unhex(c byte) byte {
	switch {
	case isDigit(c):
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
