package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/xnum/xnum/routing"
)

// digestAKSK is the X-AKSK PasswordDigest of SPEC §5:
// Base64(HMAC-SHA256(key=appSecret, msg=Nonce+Created)) over the raw 32 bytes.
func digestAKSK(secret, nonce, created string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(nonce + created))
	return m.Sum(nil)
}

// digestWSSE is the WSSE PasswordDigest of SPEC §5:
// Base64(SHA-256(Nonce+Created+appSecret)) over the raw 32 bytes.
func digestWSSE(secret, nonce, created string) []byte {
	sum := sha256.Sum256([]byte(nonce + created + secret))
	return sum[:]
}

func (c credentials) expected(secret string) []byte {
	if c.scheme == schemeWSSE {
		return digestWSSE(secret, c.nonce, c.created)
	}
	return digestAKSK(secret, c.nonce, c.created)
}

// digestMatches compares the claimed digest with the expected one in
// constant time (SPEC §5). Padding-less Base64 is tolerated.
func (c credentials) digestMatches(secret string) bool {
	got, err := base64.StdEncoding.DecodeString(c.digest)
	if err != nil {
		if got, err = base64.RawStdEncoding.DecodeString(c.digest); err != nil {
			return false
		}
	}
	return subtle.ConstantTimeCompare(got, c.expected(secret)) == 1
}

// authenticate checks a /rest/… request's signature (SPEC §5) and returns the
// app it speaks for. Order: header present (1023006) → readable (1020176) →
// app known (1010003) → Created within ±auth_window (1010013) → digest
// (1020176) → nonce fresh (1020176). The nonce is recorded only once the
// digest is right, so nobody without the secret can burn a client's nonces.
func (s *Server) authenticate(r *http.Request) (routing.App, error) {
	c, err := parseCredentials(r.Header)
	if err != nil {
		return routing.App{}, err
	}
	app, err := s.st.GetApp(c.username)
	if err != nil {
		if errors.Is(err, errAppNotFound) {
			return routing.App{}, ErrUnknownAppKey
		}
		return routing.App{}, fmt.Errorf("get app: %w", err)
	}
	now := s.now()
	if d := now.Sub(c.at); d > s.window || d < -s.window {
		return routing.App{}, ErrCreatedWindow
	}
	if !c.digestMatches(app.Secret) {
		return routing.App{}, ErrDigestMismatch
	}
	// The nonce is remembered for as long as its Created is acceptable: a
	// replay after that is refused by the window check instead.
	if err := s.nonces.use(app.Key, c.nonce, now, c.at.Add(s.window)); err != nil {
		return routing.App{}, err
	}
	return app, nil
}

// appCheck is what an API demands of the authenticated app beyond its
// signature.
type appCheck struct {
	mode     routing.Mode
	mutating bool // bind, modify, unbind: refused while frozen
}

// admit applies the per-app rules after authentication: rate limit
// (1010010), mode (1010040), frozen (1010029, SPEC §3 lifecycle).
func (s *Server) admit(app routing.App, chk appCheck) error {
	if !s.limiters.allow(app.Key, s.now()) {
		return ErrRateLimited
	}
	if app.Mode != chk.mode {
		return ErrWrongMode
	}
	if chk.mutating && app.Frozen {
		return ErrAppFrozen
	}
	return nil
}

// checkAdmin compares the bearer token with api.admin_token in constant time
// (SPEC §8). An empty configured token admits nobody.
func (s *Server) checkAdmin(r *http.Request) error {
	const prefix = "Bearer "
	h := r.Header.Get(headerAuthorization)
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) || s.adminToken == "" {
		return ErrAdminToken
	}
	got := sha256.Sum256([]byte(h[len(prefix):]))
	want := sha256.Sum256([]byte(s.adminToken))
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		return ErrAdminToken
	}
	return nil
}
