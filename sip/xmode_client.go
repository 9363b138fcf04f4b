package sip

// The X-mode callin request (SPEC §3, §6.1): every call to an X of an
// X-mode app is POSTed as a callin event to the app's callinUrl, signed
// with the app's secret, and the enterprise's answer decides where the call
// goes. The request is not retried (SPEC §6.1: it blocks a caller who is
// waiting) and is bounded by xmode.callin_timeout.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/xnum/xnum/cdr"
	"github.com/xnum/xnum/routing"
)

// Callin asks an X-mode enterprise where a call goes. It returns what
// happened for routing.DecideXMode: Err for no answer in time (or ctx
// cancelled, or a transport failure), else the HTTP status and the body.
// It must return soon after ctx is cancelled. *CallinClient is one.
type Callin interface {
	Callin(ctx context.Context, app routing.App, ev cdr.Event) routing.CallinResult
}

// SignFunc signs an outbound request with the app's key and secret
// (api.SignRequest: X-AKSK, SPEC §5).
type SignFunc func(req *http.Request, appKey, appSecret string, now time.Time) error

// CallinConfig builds a CallinClient.
type CallinConfig struct {
	// Sign signs each request; required.
	Sign SignFunc
	// Timeout is xmode.callin_timeout: the whole exchange, answer body
	// included. 0 is 3 s.
	Timeout time.Duration
	// Transport is the HTTP transport; nil is a clone of
	// http.DefaultTransport.
	Transport http.RoundTripper
	// Now is the clock of the signature; nil is time.Now.
	Now func() time.Time
}

// DefaultCallinTimeout is xmode.callin_timeout's default (SPEC §3).
const DefaultCallinTimeout = 3 * time.Second

// errNoCallinURL: the app has no callinUrl, so nobody can be asked.
var errNoCallinURL = errors.New("app has no callinUrl")

// CallinClient is the HTTP Callin. Safe for concurrent use.
type CallinClient struct {
	sign    SignFunc
	timeout time.Duration
	now     func() time.Time
	hc      *http.Client
}

// NewCallinClient checks cfg and builds the client.
func NewCallinClient(cfg CallinConfig) (*CallinClient, error) {
	if cfg.Sign == nil {
		return nil, fmt.Errorf("%w: CallinConfig.Sign is required", ErrMissingDeps)
	}
	c := &CallinClient{sign: cfg.Sign, timeout: cfg.Timeout, now: cfg.Now}
	if c.timeout <= 0 {
		c.timeout = DefaultCallinTimeout
	}
	if c.now == nil {
		c.now = time.Now
	}
	tr := cfg.Transport
	if tr == nil {
		tr = http.DefaultTransport.(*http.Transport).Clone()
	}
	c.hc = &http.Client{
		Transport: tr,
		// A redirect is an answer like any other non-2xx: 8014. Following
		// it would let the enterprise's server point xnum anywhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return c, nil
}

// Callin POSTs ev to app.CallinURL and reads at most
// routing.MaxCallinAnswer+1 bytes of the answer (a longer one is malformed
// for routing), all within the timeout.
func (c *CallinClient) Callin(ctx context.Context, app routing.App, ev cdr.Event) routing.CallinResult {
	if app.CallinURL == "" {
		return routing.CallinResult{Err: errNoCallinURL}
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return routing.CallinResult{Err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, app.CallinURL, bytes.NewReader(body))
	if err != nil {
		return routing.CallinResult{Err: err}
	}
	req.Header.Set("Content-Type", "application/json;charset=UTF-8")
	if err := c.sign(req, app.Key, app.Secret, c.now()); err != nil {
		return routing.CallinResult{Err: err}
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return routing.CallinResult{Err: err}
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, routing.MaxCallinAnswer+1))
	if err != nil {
		return routing.CallinResult{Err: err} // cut off by the timeout
	}
	return routing.CallinResult{Status: resp.StatusCode, Body: answer}
}
