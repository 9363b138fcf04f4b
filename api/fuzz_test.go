package api

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzParseCredentials: signature headers are outside input; parsing never
// panics, and whatever it accepts satisfies SPEC §5's shape rules.
func FuzzParseCredentials(f *testing.F) {
	f.Add(`AKSK realm="SDP",profile="UsernameToken",type="Appkey"`,
		`UsernameToken Username="app1",PasswordDigest="ZGln",Nonce="abc123",Created="2025-03-04T05:06:07Z"`)
	f.Add(`WSSE realm="SDP", profile="UsernameToken", dsl="Appkey"`,
		`UsernameToken Username=app1, PasswordDigest=ZGln, Nonce=0123456789abc, Created=2025-03-04T05:06:07Z`)
	f.Add(`AKSK realm`, `UsernameToken Username="a,PasswordDigest="`)
	f.Add(``, ``)
	f.Fuzz(func(t *testing.T, auth, token string) {
		h := http.Header{}
		h.Set(headerAuthorization, auth)
		h.Set(headerXAKSK, token)
		h.Set(headerXWSSE, token)
		c, err := parseCredentials(h)
		if err != nil {
			return
		}
		if c.username == "" || c.digest == "" || !validNonce(c.nonce) || c.at.IsZero() {
			t.Fatalf("accepted incomplete credentials %+v", c)
		}
		if strings.ContainsAny(c.username+c.digest+c.created, "\r\n\x00") {
			t.Fatalf("control character accepted: %+v", c)
		}
	})
}

// FuzzParams: API bodies are outside input; every getter either answers or
// fails with a FieldError, never panics.
func FuzzParams(f *testing.F) {
	f.Add(`{"callerNum":"+8613800000001","callDirection":"1","duration":60,"recordFlag":"true","preVoice":{"callerHintTone":"connecting"}}`)
	f.Add(`{"callDirection":1.5,"recordFlag":3,"preVoice":"x","numbers":["a",1]}`)
	f.Add(`[1,2]`)
	f.Add(`{"duration":99999999999999999999999}`)
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest(http.MethodPost, "/?pageSize=10", strings.NewReader(body))
		p, err := readParams(httptest.NewRecorder(), r, true)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("non-field error %T", err)
			}
			return
		}
		for _, k := range []string{"callerNum", "callDirection", "duration", "recordFlag", "preVoice", "numbers", "pageSize"} {
			checkField(t, p, k)
			if sub, ok, err := p.object(k); err == nil && ok {
				checkField(t, sub, "callerHintTone")
			}
		}
	})
}

func checkField(t *testing.T, p params, k string) {
	var errs []error
	_, _, err := p.str(k)
	errs = append(errs, err)
	_, _, err = p.integer(k)
	errs = append(errs, err)
	_, _, err = p.boolean(k)
	errs = append(errs, err)
	_, _, err = p.strs(k)
	errs = append(errs, err)
	_, err = p.intIn(k, 0, 0, 10)
	errs = append(errs, err)
	for _, err := range errs {
		var fe *FieldError
		if err != nil && (!errors.As(err, &fe) || !strings.Contains(fe.Error(), k)) {
			t.Fatalf("%s: error %v does not name the field", k, err)
		}
	}
}
