package api_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"regexp"
	"slices"
	"strconv"
	"sync"
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

// SignHeaders reuses its HMACs (a signer per signature, an HMAC per
// secret): signatures for many secrets, more than a signer keeps, made at
// once on many goroutines, each verify with its own secret; Created is the
// instant in UTC whatever now's zone.
func TestSignHeadersManySecrets(t *testing.T) {
	zone := time.FixedZone("UTC+8", 8*3600)
	re := regexp.MustCompile(`^UsernameToken Username="(app[0-9]+)",PasswordDigest="([^"]+)",Nonce="([0-9a-f]{32})",Created="([^"]+)"$`)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				k := (g*7 + i*3) % 40
				app, secret := "app"+strconv.Itoa(k), "secret-"+strconv.Itoa(k)
				now := time.Date(2025, 3, 4, 13, 6, 7, 999_999_999, zone).Add(time.Duration(i) * time.Second)
				var x string
				set := func(k, v string) {
					if k == "X-AKSK" {
						x = v
					}
				}
				if err := api.SignHeaders(set, app, secret, now); err != nil {
					t.Error(err)
					return
				}
				m := re.FindStringSubmatch(x)
				if m == nil || m[1] != app || m[4] != now.UTC().Format("2006-01-02T15:04:05Z") {
					t.Errorf("X-AKSK = %q for %s at %v", x, app, now)
					return
				}
				mac := hmac.New(sha256.New, []byte(secret))
				mac.Write([]byte(m[3] + m[4]))
				if want := base64.StdEncoding.EncodeToString(mac.Sum(nil)); m[2] != want {
					t.Errorf("%s: digest %s, want %s", app, m[2], want)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// BenchmarkSignHeaders is the signature of one webhook push.
func BenchmarkSignHeaders(b *testing.B) {
	now := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	var n int
	set := func(k, v string) { n += len(v) }
	b.ReportAllocs()
	for b.Loop() {
		if err := api.SignHeaders(set, "app1", "secret-one", now); err != nil {
			b.Fatal(err)
		}
	}
	if n == 0 {
		b.Fatal("nothing set")
	}
}

// BenchmarkSignHeadersParallel is many pushers of two apps signing at once.
func BenchmarkSignHeadersParallel(b *testing.B) {
	now := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		set := func(k, v string) {}
		for i := 0; pb.Next(); i++ {
			app, secret := "app1", "secret-one"
			if i%2 == 1 {
				app, secret = "app2", "secret-two"
			}
			if err := api.SignHeaders(set, app, secret, now); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
