package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/xnum/xnum/configs"
)

// defaultAPI is where `make run` puts the API (api.listen of SPEC §8).
const defaultAPI = "http://127.0.0.1:8080"

// clientFlags are the connection flags shared by every admin subcommand.
type clientFlags struct {
	api     string
	token   string
	config  string
	environ []string
}

// register adds --api, --token and --config as persistent flags of a
// command group.
func (f *clientFlags) register(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVar(&f.api, "api", defaultAPI, "base URL of the xnum API")
	cmd.PersistentFlags().StringVar(&f.token, "token", "",
		"admin token (default $XNUM_ADMIN_TOKEN, else api.admin_token of the daemon's config)")
	cmd.PersistentFlags().StringVar(&f.config, "config", "",
		"daemon config to take the token and API address from (default "+configs.DefaultPath+" if present)")
}

// client builds the HTTP client of one invocation. The token comes from
// --token, else XNUM_ADMIN_TOKEN (keeps it out of shell history), else the
// daemon's own config, so that `xnum app list` works from the repository
// root next to `make run`. --api left at its default follows that config's
// api.listen too.
func (f *clientFlags) client(cmd *cobra.Command) (*apiClient, error) {
	base, tok := f.api, f.token
	if tok == "" {
		tok = envMap(f.environ)["XNUM_ADMIN_TOKEN"]
	}
	if tok == "" {
		cfg, ok, err := f.daemonConfig()
		if err != nil {
			return nil, err
		}
		if ok {
			tok = cfg.API.AdminToken
			if !cmd.Flags().Changed("api") {
				base = apiBase(cfg.API)
			}
		}
	}
	if tok == "" {
		return nil, errors.New("no admin token: pass --token or set XNUM_ADMIN_TOKEN (api.admin_token of the daemon's config)")
	}
	return newAPIClient(base, cmd.OutOrStdout(), func(r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+tok)
		return nil
	})
}

// daemonConfig loads --config, or configs/xnum.yaml when it exists; ok is
// false when there is neither.
func (f *clientFlags) daemonConfig() (configs.Config, bool, error) {
	path := f.config
	if path == "" {
		if _, err := os.Stat(configs.DefaultPath); err != nil {
			return configs.Config{}, false, nil
		}
		path = configs.DefaultPath
	}
	cfg, err := configs.Load(path, f.environ)
	if err != nil {
		return configs.Config{}, false, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, true, nil
}

// apiBase is the URL a client on this host uses for api.listen; a wildcard
// listen address is reached on loopback.
func apiBase(c configs.API) string {
	scheme := "http"
	if c.TLSCert != "" {
		scheme = "https"
	}
	host, port, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return defaultAPI
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

// apiClient sends one JSON request to an xnum API and prints the answer.
type apiClient struct {
	base *url.URL
	http *http.Client
	out  io.Writer
	sign func(*http.Request) error
}

func newAPIClient(base string, out io.Writer, sign func(*http.Request) error) (*apiClient, error) {
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--api %q: want a URL like %s", base, defaultAPI)
	}
	return &apiClient{base: u, http: &http.Client{Timeout: 30 * time.Second}, out: out, sign: sign}, nil
}

// apiError is a non-2xx answer: the envelope's resultcode and resultdesc.
type apiError struct {
	status     int
	resultcode string
	resultdesc string
}

func (e *apiError) Error() string {
	if e.resultcode == "" {
		return fmt.Sprintf("HTTP %d: %s", e.status, e.resultdesc)
	}
	return fmt.Sprintf("HTTP %d: resultcode %s: %s", e.status, e.resultcode, e.resultdesc)
}

// do sends method path?query with body (JSON-encoded when not nil), prints
// the answer indented on success and returns an *apiError otherwise.
func (c *apiClient) do(ctx context.Context, method, path string, query url.Values, body any) error {
	if body == nil {
		return c.send(ctx, method, path, query, nil, "")
	}
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	return c.send(ctx, method, path, query, bytes.NewReader(b), "application/json;charset=UTF-8")
}

// send is do with a raw body of the given content type (nil: no body).
func (c *apiClient) send(ctx context.Context, method, path string, query url.Values, rd io.Reader, contentType string) error {
	raw, err := c.roundTrip(ctx, method, path, query, rd, contentType)
	if err != nil {
		return err
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, raw, "", "  ") != nil {
		_, err = c.out.Write(raw)
		return err
	}
	pretty.WriteByte('\n')
	_, err = c.out.Write(pretty.Bytes())
	return err
}

// roundTrip sends one signed request and returns a 2xx answer's body;
// anything else is an *apiError carrying the envelope's resultcode (or the
// raw text when the answer is no envelope).
func (c *apiClient) roundTrip(ctx context.Context, method, path string, query url.Values, rd io.Reader, contentType string) ([]byte, error) {
	u := *c.base
	u.Path = c.base.Path + path
	u.RawQuery = query.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if err := c.sign(req); err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, answerError(resp.StatusCode, raw)
	}
	return raw, nil
}

// answerError is the *apiError of an answer with HTTP status and body raw:
// the envelope's resultcode and resultdesc, or the raw text when the answer
// is no envelope.
func answerError(status int, raw []byte) error {
	var env struct {
		ResultCode string `json:"resultcode"`
		ResultDesc string `json:"resultdesc"`
	}
	if json.Unmarshal(raw, &env) != nil || env.ResultCode == "" {
		return &apiError{status: status, resultdesc: strings.TrimSpace(string(raw))}
	}
	return &apiError{status: status, resultcode: env.ResultCode, resultdesc: env.ResultDesc}
}
