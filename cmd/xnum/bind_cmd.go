package main

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/spf13/cobra"
)

// axbPath is the AXB management API of SPEC §5 [HW].
const axbPath = "/rest/caas/relationnumber/partners/v1.0"

// akskFlags are an enterprise's credentials: the AXB API is signed per app,
// not with the admin token.
type akskFlags struct {
	api, key, secret string
}

func (f *akskFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.api, "api", defaultAPI, "base URL of the xnum API")
	cmd.Flags().StringVar(&f.key, "app-key", "", "appKey of the app (required)")
	cmd.Flags().StringVar(&f.secret, "app-secret", "", "appSecret of the app (required)")
}

func (f *akskFlags) client(cmd *cobra.Command) (*apiClient, error) {
	if f.key == "" || f.secret == "" {
		return nil, errors.New("--app-key and --app-secret are required")
	}
	return newAPIClient(f.api, cmd.OutOrStdout(), func(r *http.Request) error {
		return signAKSK(r, f.key, f.secret, time.Now())
	})
}

// signAKSK adds the X-AKSK headers of SPEC §5: PasswordDigest =
// Base64(HMAC-SHA256(key=appSecret, msg=Nonce+Created)).
func signAKSK(r *http.Request, appKey, appSecret string, now time.Time) error {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	nonce := hex.EncodeToString(b[:])
	created := now.UTC().Format("2006-01-02T15:04:05Z")
	m := hmac.New(sha256.New, []byte(appSecret))
	m.Write([]byte(nonce + created))
	digest := base64.StdEncoding.EncodeToString(m.Sum(nil))
	r.Header.Set("Authorization", `AKSK realm="SDP",profile="UsernameToken",type="Appkey"`)
	r.Header.Set("X-AKSK", fmt.Sprintf(`UsernameToken Username="%s",PasswordDigest="%s",Nonce="%s",Created="%s"`,
		appKey, digest, nonce, created))
	return nil
}

// newBindCmd is `xnum bind`: one AXB binding A–X–B through the management API.
func newBindCmd() *cobra.Command {
	var f akskFlags
	var body struct {
		CallerNum     string `json:"callerNum"`
		CalleeNum     string `json:"calleeNum"`
		RelationNum   string `json:"relationNum,omitempty"`
		AreaCode      string `json:"areaCode,omitempty"`
		CallDirection int    `json:"callDirection"`
		Duration      int    `json:"duration,omitempty"`
		MaxDuration   int    `json:"maxDuration,omitempty"`
		UserData      string `json:"userData,omitempty"`
	}
	cmd := &cobra.Command{
		Use:     "bind --app-key KEY --app-secret SECRET --caller A --callee B [--x X]",
		Short:   "Bind A–X–B (AXB management API, X-AKSK signed)",
		Args:    cobra.NoArgs,
		Example: "  xnum bind --app-key demo --app-secret demo-secret --caller +8613800000003 --callee +8613800000004",
		RunE: func(c *cobra.Command, _ []string) error {
			cl, err := f.client(c)
			if err != nil {
				return err
			}
			return cl.do(c.Context(), http.MethodPost, axbPath, nil, body)
		},
	}
	f.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&body.CallerNum, "caller", "", "A's real number, E.164 (+86…)")
	fl.StringVar(&body.CalleeNum, "callee", "", "B's real number, E.164 (+86…)")
	fl.StringVar(&body.RelationNum, "x", "", "a specific X of the app (default: any free X)")
	fl.StringVar(&body.AreaCode, "area-code", "", "pick a free X of this area code")
	fl.IntVar(&body.CallDirection, "call-direction", 0, "0 both ways, 1 only A→B, 2 only B→A")
	fl.IntVar(&body.Duration, "duration", 0, "seconds until the binding expires (0 = never)")
	fl.IntVar(&body.MaxDuration, "max-duration", 0, "minutes a call may last (0 = no limit)")
	fl.StringVar(&body.UserData, "user-data", "", "opaque data echoed in events and CDRs")
	return cmd
}

// newUnbindCmd is `xnum unbind`: delete one binding, or every binding of an X.
func newUnbindCmd() *cobra.Command {
	var f akskFlags
	var sub, x string
	cmd := &cobra.Command{
		Use:   "unbind --app-key KEY --app-secret SECRET (--subscription-id ID | --x X)",
		Short: "Unbind an AXB binding, or every binding on an X",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if (sub == "") == (x == "") {
				return errors.New("give exactly one of --subscription-id and --x")
			}
			cl, err := f.client(c)
			if err != nil {
				return err
			}
			q := url.Values{}
			if sub != "" {
				q.Set("subscriptionId", sub)
			} else {
				q.Set("relationNum", x)
			}
			return cl.do(c.Context(), http.MethodDelete, axbPath, q, nil)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&sub, "subscription-id", "", "the binding's subscriptionId")
	cmd.Flags().StringVar(&x, "x", "", "unbind every binding on this X")
	return cmd
}
