package api_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/xnum/xnum/api"
)

// SignHeaders sets the two headers of SignRequest through any setter (the
// webhook pushes' fasthttp request), with SPEC §5's digest.
func TestSignHeaders(t *testing.T) {
	got := map[string]string{}
	var keys []string
	set := func(k, v string) { keys = append(keys, k); got[k] = v }
	now := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	if err := api.SignHeaders(set, "app1", "secret-one", now); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(keys, []string{"Authorization", "X-AKSK"}) {
		t.Fatalf("set %v", keys)
	}
	if a := got["Authorization"]; a != `AKSK realm="SDP",profile="UsernameToken",type="Appkey"` {
		t.Fatalf("Authorization = %q", a)
	}
	m := regexp.MustCompile(`^UsernameToken Username="app1",PasswordDigest="([^"]+)",Nonce="([0-9a-f]{32})",Created="2025-03-04T05:06:07Z"$`).
		FindStringSubmatch(got["X-AKSK"])
	if m == nil {
		t.Fatalf("X-AKSK = %q", got["X-AKSK"])
	}
	mac := hmac.New(sha256.New, []byte("secret-one"))
	mac.Write([]byte(m[2] + "2025-03-04T05:06:07Z"))
	if want := base64.StdEncoding.EncodeToString(mac.Sum(nil)); m[1] != want {
		t.Errorf("digest %s, want %s", m[1], want)
	}
}
