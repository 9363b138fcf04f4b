package api_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/xnum/xnum/api"
)

// Both schemes and the header variants real clients send (SPEC §5) are
// accepted.
func TestAuthSchemesAndVariants(t *testing.T) {
	e := newEnv(t, envOpts{})
	for _, st := range []style{
		{scheme: "AKSK", typeKey: "type", sep: ", ", nonceLen: 32},
		{scheme: "AKSK", typeKey: "dsl", sep: ",", nonceLen: 13},
		{scheme: "AKSK", typeKey: "type", sep: ",", nonceLen: 1},
		{scheme: "AKSK", typeKey: "dsl", sep: ", ", nonceLen: 128},
		{scheme: "WSSE", typeKey: "type", sep: ", ", nonceLen: 32},
		{scheme: "WSSE", typeKey: "dsl", sep: ",", nonceLen: 13},
		{scheme: "WSSE", typeKey: "type", sep: ",", nonceLen: 20},
	} {
		c := app1
		c.style = st
		a := e.call(c, http.MethodGet, url.Values{"relationNum": {x1}}, nil)
		if a.code() != "0" || a.status != http.StatusOK || a.desc() != "Success" {
			t.Errorf("%+v: got %d %s", st, a.status, a.raw)
		}
	}
}

// A digest made with the other scheme's formula is refused: the scheme
// named in Authorization decides the formula.
func TestAuthSchemeFormulaIsTheNamedOne(t *testing.T) {
	e := newEnv(t, envOpts{})
	a := e.request(http.MethodGet, axbPath, url.Values{"relationNum": {x1}}, nil, func(r *http.Request) {
		created := e.clock.Now().Format("2006-01-02T15:04:05Z")
		nonce := hexNonce(32)
		wsse := digest("WSSE", app1.secret, nonce, created)
		r.Header.Set("Authorization", `AKSK realm="SDP",profile="UsernameToken",type="Appkey"`)
		r.Header.Set("X-AKSK", `UsernameToken Username="app1",PasswordDigest="`+wsse+`",Nonce="`+nonce+`",Created="`+created+`"`)
	})
	expect(t, a, "1020176", http.StatusUnauthorized)
}

func TestAuthNoAuthorization1023006(t *testing.T) {
	e := newEnv(t, envOpts{})
	a := e.request(http.MethodGet, axbPath, url.Values{"relationNum": {x1}}, nil, nil)
	expect(t, a, "1023006", http.StatusBadRequest)
}

func TestAuthUnknownAppKey1010003(t *testing.T) {
	e := newEnv(t, envOpts{})
	a := e.call(cred{key: "nobody", secret: "whatever1"}, http.MethodGet, url.Values{"relationNum": {x1}}, nil)
	expect(t, a, "1010003", http.StatusUnauthorized)
}

func TestAuthCreatedOutsideWindow1010013(t *testing.T) {
	e := newEnv(t, envOpts{})
	now := e.clock.Now()
	for name, at := range map[string]time.Time{
		"stale":  now.Add(-301 * time.Second),
		"future": now.Add(301 * time.Second),
	} {
		c := app1
		c.created = at
		a := e.call(c, http.MethodGet, url.Values{"relationNum": {x1}}, nil)
		if a.code() != "1010013" || a.status != http.StatusUnauthorized {
			t.Errorf("%s Created: got %d %s", name, a.status, a.raw)
		}
	}
	// The edges of the window are inside it.
	for _, at := range []time.Time{now.Add(-300 * time.Second), now.Add(300 * time.Second)} {
		c := app1
		c.created = at
		expect(t, e.call(c, http.MethodGet, url.Values{"relationNum": {x1}}, nil), "0", http.StatusOK)
	}
}

func TestAuthWrongDigest1020176(t *testing.T) {
	e := newEnv(t, envOpts{})
	for _, scheme := range []string{"AKSK", "WSSE"} {
		c := cred{key: "app1", secret: "not-the-secret", style: style{scheme: scheme, typeKey: "type", sep: ","}}
		a := e.call(c, http.MethodGet, url.Values{"relationNum": {x1}}, nil)
		if a.code() != "1020176" || a.status != http.StatusUnauthorized {
			t.Errorf("%s: got %d %s", scheme, a.status, a.raw)
		}
	}
}

func TestAuthReplayedNonce1020176(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := app1
	c.nonce = hexNonce(32)
	c.created = e.clock.Now()
	q := url.Values{"relationNum": {x1}}
	expect(t, e.call(c, http.MethodGet, q, nil), "0", http.StatusOK)
	e.clock.Add(10 * time.Second)
	expect(t, e.call(c, http.MethodGet, q, nil), "1020176", http.StatusUnauthorized)
	// Another app may use the same nonce: the pair (appKey, Nonce) is what
	// is single-use.
	c2 := app2
	c2.nonce, c2.created = c.nonce, c.created
	expect(t, e.call(c2, http.MethodGet, url.Values{"relationNum": {x9}}, nil), "0", http.StatusOK)
	// Once Created has left the window, the replay is stale instead.
	e.clock.Add(300 * time.Second)
	expect(t, e.call(c, http.MethodGet, q, nil), "1010013", http.StatusUnauthorized)
}

// A request that fails its digest does not burn the nonce.
func TestAuthWrongDigestDoesNotBurnNonce(t *testing.T) {
	e := newEnv(t, envOpts{})
	c := app1
	c.nonce, c.created = hexNonce(32), e.clock.Now()
	bad := c
	bad.secret = "wrong-secret"
	q := url.Values{"relationNum": {x1}}
	expect(t, e.call(bad, http.MethodGet, q, nil), "1020176", http.StatusUnauthorized)
	expect(t, e.call(c, http.MethodGet, q, nil), "0", http.StatusOK)
}

// Malformed signature headers are authentication failures (1020176), see
// docs/API.md.
func TestAuthMalformed1020176(t *testing.T) {
	e := newEnv(t, envOpts{})
	created := e.clock.Now().Format("2006-01-02T15:04:05Z")
	token := func(nonce string) string { // correctly signed, so only the nonce's shape can fail it
		return `UsernameToken Username="app1",PasswordDigest="` + digest("AKSK", app1.secret, nonce, created) + `",Nonce="` + nonce + `",Created="` + created + `"`
	}
	good := token("abc123")
	auth := `AKSK realm="SDP",profile="UsernameToken",type="Appkey"`
	for name, h := range map[string][2]string{
		"unknown scheme":      {`Basic dXNlcjpwYXNz`, good},
		"no X-AKSK":           {auth, ""},
		"not UsernameToken":   {auth, `Token Username="app1"`},
		"no digest":           {auth, `UsernameToken Username="app1",Nonce="abc123",Created="` + created + `"`},
		"nonce not alnum":     {auth, token("ab-12")},
		"nonce too long":      {auth, token(hexNonce(129))},
		"bad Created":         {auth, `UsernameToken Username="app1",PasswordDigest="x",Nonce="abc123",Created="04/03/2025"`},
		"unterminated quote":  {auth, `UsernameToken Username="app1,PasswordDigest="x"`},
		"repeated parameter":  {auth, good + `,Nonce="abc124"`},
		"bad auth parameters": {`AKSK realm`, good},
	} {
		a := e.request(http.MethodGet, axbPath, url.Values{"relationNum": {x1}}, nil, func(r *http.Request) {
			r.Header.Set("Authorization", h[0])
			if h[1] != "" {
				r.Header.Set("X-AKSK", h[1])
			}
		})
		if a.code() != "1020176" || a.status != http.StatusUnauthorized {
			t.Errorf("%s: got %d %s", name, a.status, a.raw)
		}
	}
}

// Bare (unquoted) values and a lower-case scheme name are read too.
func TestAuthBareValues(t *testing.T) {
	e := newEnv(t, envOpts{})
	created := e.clock.Now().Format("2006-01-02T15:04:05Z")
	nonce := hexNonce(16)
	a := e.request(http.MethodGet, axbPath, url.Values{"relationNum": {x1}}, nil, func(r *http.Request) {
		r.Header.Set("Authorization", `wsse realm=SDP, profile=UsernameToken, dsl=Appkey`)
		r.Header.Set("X-WSSE", `UsernameToken Username=app1, PasswordDigest=`+digest("WSSE", app1.secret, nonce, created)+`, Nonce=`+nonce+`, Created=`+created)
	})
	expect(t, a, "0", http.StatusOK)
}

func TestRateLimit1010010(t *testing.T) {
	e := newEnv(t, envOpts{rateLimit: 2})
	q := url.Values{"relationNum": {x1}}
	expect(t, e.call(app1, http.MethodGet, q, nil), "0", http.StatusOK)
	expect(t, e.call(app1, http.MethodGet, q, nil), "0", http.StatusOK)
	expect(t, e.call(app1, http.MethodGet, q, nil), "1010010", http.StatusTooManyRequests)
	// Per app: another app still has its budget.
	expect(t, e.call(app2, http.MethodGet, url.Values{"relationNum": {x9}}, nil), "0", http.StatusOK)
	// The bucket refills with the clock.
	e.clock.Add(time.Second)
	expect(t, e.call(app1, http.MethodGet, q, nil), "0", http.StatusOK)
}

// The server works under TLS as it is (cmd serves api.tls_cert/tls_key).
func TestHandlerOverTLS(t *testing.T) {
	e := newEnv(t, envOpts{tls: true})
	expect(t, e.call(app1, http.MethodGet, url.Values{"relationNum": {x1}}, nil), "0", http.StatusOK)
}

// SignRequest's headers verify by SPEC §5's formula, and the server
// accepts them.
func TestSignRequest(t *testing.T) {
	e := newEnv(t, envOpts{})
	req, err := http.NewRequest(http.MethodGet, e.srv.URL+axbPath+"?relationNum=%2B8617100000001", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := api.SignRequest(req, "app1", "secret-one", e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if got := req.Header.Get("Authorization"); got != `AKSK realm="SDP",profile="UsernameToken",type="Appkey"` {
		t.Fatalf("Authorization = %q", got)
	}
	m := regexp.MustCompile(`^UsernameToken Username="app1",PasswordDigest="([^"]+)",Nonce="([0-9a-f]{32})",Created="(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"$`).
		FindStringSubmatch(req.Header.Get("X-AKSK"))
	if m == nil {
		t.Fatalf("X-AKSK = %q", req.Header.Get("X-AKSK"))
	}
	if m[3] != "2025-03-04T05:06:07Z" {
		t.Errorf("Created = %s", m[3])
	}
	mac := hmac.New(sha256.New, []byte("secret-one"))
	mac.Write([]byte(m[2] + m[3]))
	if want := base64.StdEncoding.EncodeToString(mac.Sum(nil)); m[1] != want {
		t.Errorf("digest %s, want %s", m[1], want)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("server refused SignRequest's signature: %d", resp.StatusCode)
	}
	// A second signature of the same request gets a fresh nonce.
	first := req.Header.Get("X-AKSK")
	if err := api.SignRequest(req, "app1", "secret-one", e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if req.Header.Get("X-AKSK") == first {
		t.Error("nonce reused by SignRequest")
	}
}
