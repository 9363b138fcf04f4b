package api

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"time"
)

// SignRequest signs an outbound request with the X-AKSK scheme of SPEC §5,
// as the webhooks of SPEC §6.1 are: it sets the headers of SignHeaders on
// req. It fails only when the system's randomness does.
func SignRequest(req *http.Request, appKey, appSecret string, now time.Time) error {
	return SignHeaders(req.Header.Set, appKey, appSecret, now)
}

// SignHeaders signs an outbound request with the X-AKSK scheme of SPEC §5
// through set, whatever the HTTP client (cdr's webhook pushes do not use
// net/http): it sets
//
//	Authorization: AKSK realm="SDP",profile="UsernameToken",type="Appkey"
//	X-AKSK: UsernameToken Username="<appKey>",PasswordDigest="<d>",Nonce="<n>",Created="<now>"
//
// with a fresh 32-hex-digit nonce and d = Base64(HMAC-SHA256(appSecret,
// Nonce+Created)). It fails only when the system's randomness does.
func SignHeaders(set func(key, value string), appKey, appSecret string, now time.Time) error {
	nonce, err := newNonce()
	if err != nil {
		return err
	}
	created := nowCreated(now)
	d := base64.StdEncoding.EncodeToString(digestAKSK(appSecret, nonce, created))
	set(headerAuthorization, "AKSK "+authParams)
	set(headerXAKSK, `UsernameToken Username="`+appKey+`",PasswordDigest="`+d+`",Nonce="`+nonce+`",Created="`+created+`"`)
	return nil
}

// newNonce returns 16 random bytes as 32 hex digits.
func newNonce() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("nonce: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}
