package api

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
	"sync"
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
	var nonce [16]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return fmt.Errorf("nonce: %w", err)
	}
	s := signers.Get().(*signer)
	defer signers.Put(s)
	// The digested Nonce+Created first, then the header after it in the
	// same buffer, copying them from there.
	b := hex.AppendEncode(s.buf[:0], nonce[:])
	b = now.UTC().AppendFormat(b, createdLayout) // the Created value, in createdLayout
	msg := len(b)
	m := s.mac(appSecret)
	m.Write(b)
	digest := m.Sum(s.sum[:0])
	b = append(b, `UsernameToken Username="`...)
	b = append(b, appKey...)
	b = append(b, `",PasswordDigest="`...)
	b = base64.StdEncoding.AppendEncode(b, digest)
	b = append(b, `",Nonce="`...)
	b = append(b, b[:nonceHex]...)
	b = append(b, `",Created="`...)
	b = append(b, b[nonceHex:msg]...)
	b = append(b, '"')
	s.buf = b
	set(headerAuthorization, "AKSK "+authParams)
	set(headerXAKSK, string(b[msg:]))
	return nil
}

// nonceHex is the length of a nonce in hex: 16 random bytes.
const nonceHex = 32

// signer is what SignHeaders reuses from one signature to the next: the
// daemon signs every push, thousands a second, and a new HMAC each time
// (two SHA-256 states and the pads) was most of what a push allocated
// (docs/EVENTS.md "Speed"). A signer is used by one signature at a time;
// signers hands them out.
type signer struct {
	macs map[string]hash.Hash // HMAC-SHA256 by secret, at most maxSignerKeys
	buf  []byte
	sum  [sha256.Size]byte
}

// maxSignerKeys bounds the secrets a signer keeps an HMAC for: the apps
// being pushed to at the same time. Past it they are all dropped and made
// again as needed.
const maxSignerKeys = 16

// signers is a cache of signers, not configuration: servers in one process
// may share it, and whatever it holds only saves work.
var signers = sync.Pool{New: func() any { return &signer{macs: map[string]hash.Hash{}} }}

// mac returns the HMAC-SHA256 keyed with secret, reset.
func (s *signer) mac(secret string) hash.Hash {
	if m := s.macs[secret]; m != nil {
		m.Reset()
		return m
	}
	if len(s.macs) >= maxSignerKeys {
		clear(s.macs)
	}
	m := hmac.New(sha256.New, []byte(secret))
	s.macs[secret] = m
	return m
}
