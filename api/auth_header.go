package api

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// scheme is one of the two signing schemes of SPEC §5.
type scheme int

const (
	schemeAKSK scheme = iota + 1 // Authorization: AKSK … + X-AKSK, HMAC-SHA256
	schemeWSSE                   // Authorization: WSSE … + X-WSSE, SHA-256
)

// Header names and the vendor's fixed Authorization parameters (SPEC §5 [HW]).
const (
	headerAuthorization = "Authorization"
	headerXAKSK         = "X-AKSK"
	headerXWSSE         = "X-WSSE"
	authParams          = `realm="SDP",profile="UsernameToken",type="Appkey"`
	// createdLayout is the vendor's Created format yyyy-MM-ddTHH:mm:ssZ (UTC).
	createdLayout = "2006-01-02T15:04:05Z"
	maxNonceLen   = 128
)

// credentials are what a signed request claims.
type credentials struct {
	scheme   scheme
	username string // the appKey
	digest   string // PasswordDigest, Base64
	nonce    string
	created  string // raw, as signed
	at       time.Time
}

// parseCredentials reads the Authorization header and the scheme's token
// header. Real clients vary (SPEC §5): scheme names in any case, `dsl=`
// instead of `type=`, spaces or none after commas, quoted or bare values.
// The Authorization parameters are checked for syntax only; their values
// (realm, profile, type/dsl) are the same constant for every client and carry
// no security. Anything unreadable is ErrMalformedAuth (1020176: the request
// failed authentication, it is not a bad business request).
func parseCredentials(h http.Header) (credentials, error) {
	var c credentials
	auth := strings.TrimSpace(h.Get(headerAuthorization))
	if auth == "" {
		return c, ErrNoAuthorization
	}
	name, rest, _ := strings.Cut(auth, " ")
	var tokenHeader string
	switch {
	case strings.EqualFold(name, "AKSK"):
		c.scheme, tokenHeader = schemeAKSK, headerXAKSK
	case strings.EqualFold(name, "WSSE"):
		c.scheme, tokenHeader = schemeWSSE, headerXWSSE
	default:
		return c, fmt.Errorf("%w: unknown scheme", ErrMalformedAuth)
	}
	if _, err := parseParams(rest); err != nil {
		return c, fmt.Errorf("%w: Authorization: %v", ErrMalformedAuth, err)
	}
	token := strings.TrimSpace(h.Get(tokenHeader))
	kind, rest, _ := strings.Cut(token, " ")
	if !strings.EqualFold(kind, "UsernameToken") {
		return c, fmt.Errorf("%w: %s is no UsernameToken", ErrMalformedAuth, tokenHeader)
	}
	p, err := parseParams(rest)
	if err != nil {
		return c, fmt.Errorf("%w: %s: %v", ErrMalformedAuth, tokenHeader, err)
	}
	c.username, c.digest, c.nonce, c.created = p["username"], p["passworddigest"], p["nonce"], p["created"]
	switch {
	case c.username == "":
		return c, fmt.Errorf("%w: no Username", ErrMalformedAuth)
	case c.digest == "":
		return c, fmt.Errorf("%w: no PasswordDigest", ErrMalformedAuth)
	case !validNonce(c.nonce):
		return c, fmt.Errorf("%w: Nonce must be 1-%d letters or digits", ErrMalformedAuth, maxNonceLen)
	}
	// The vendor's layout; RFC 3339 with fractions or an offset is read too,
	// since the digest covers the raw string whatever its shape.
	at, err := time.Parse(time.RFC3339, c.created)
	if err != nil {
		return c, fmt.Errorf("%w: Created is not yyyy-MM-ddTHH:mm:ssZ", ErrMalformedAuth)
	}
	c.at = at
	return c, nil
}

func validNonce(n string) bool {
	if n == "" || len(n) > maxNonceLen {
		return false
	}
	for i := 0; i < len(n); i++ {
		ch := n[i]
		if !(ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z') {
			return false
		}
	}
	return true
}

// parseParams reads `k="v", k2=v2,k3="v3"` into a map keyed by the
// lower-cased name. A quoted value ends at the next quote (the vendor's values
// never contain one); a bare value ends at the next comma. Control characters,
// empty names and repeated names are refused.
func parseParams(s string) (map[string]string, error) {
	out := make(map[string]string, 4)
	for {
		s = strings.TrimLeft(s, " \t,")
		if s == "" {
			return out, nil
		}
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return nil, fmt.Errorf("parameter without '='")
		}
		key := strings.ToLower(strings.TrimSpace(s[:eq]))
		if !isToken(key) {
			return nil, fmt.Errorf("bad parameter name %q", key)
		}
		s = strings.TrimLeft(s[eq+1:], " \t")
		var val string
		if strings.HasPrefix(s, `"`) {
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				return nil, fmt.Errorf("unterminated quote in %s", key)
			}
			val, s = s[1:1+end], s[2+end:]
			if rest := strings.TrimLeft(s, " \t"); rest != "" && rest[0] != ',' {
				return nil, fmt.Errorf("garbage after %s", key)
			}
		} else {
			end := strings.IndexByte(s, ',')
			if end < 0 {
				end = len(s)
			}
			val, s = strings.TrimSpace(s[:end]), s[end:]
		}
		for i := 0; i < len(val); i++ {
			if val[i] < 0x20 || val[i] == 0x7f {
				return nil, fmt.Errorf("control character in %s", key)
			}
		}
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("repeated parameter %s", key)
		}
		out[key] = val
	}
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '_' || ch == '-') {
			return false
		}
	}
	return true
}
