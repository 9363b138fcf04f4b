package api_test

// The test client signs requests itself, written from the text of SPEC §5
// and deliberately not calling the server's signing code:
//
//	X-AKSK: d = Base64(HMAC-SHA256(key=appSecret, msg=Nonce+Created))
//	WSSE:   d = Base64(SHA-256(Nonce + Created + appSecret))

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/xnum/xnum/api"
	"github.com/xnum/xnum/configs"
	"github.com/xnum/xnum/routing"
	"github.com/xnum/xnum/store"
)

const (
	adminToken = "test-admin-token"
	axbPath    = "/rest/caas/relationnumber/partners/v1.0"

	// Numbers of the fixture.
	numA  = "+8613800000001"
	numB  = "+8613800000002"
	numC  = "+8613800000003"
	numD  = "+8613800000004"
	fixed = "+8675512345678"
)

// Xs of the fixture: app1 owns x1..x3 (x1, x2 in area 0755, x3 in 010),
// app2 owns x9.
const (
	x1 = "+8617100000001"
	x2 = "+8617100000002"
	x3 = "+8617100000003"
	x9 = "+8617200000009"
)

// clock is the injected clock shared by server and store.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is one running API over real HTTP on a real Pebble store.
type env struct {
	t     *testing.T
	st    *store.Store
	srv   *httptest.Server
	clock *clock
	reg   *prometheus.Registry
	plan  *routing.Plan
}

type envOpts struct {
	rateLimit int
	maxPairs  int
	tls       bool
}

func newEnv(t *testing.T, o envOpts) *env {
	t.Helper()
	c := &clock{t: time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)}
	st, err := store.Open(t.TempDir(), store.Options{Now: c.Now, MaxPairsPerX: o.maxPairs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	plan, err := routing.NewPlan(routing.DefaultPlanConfig())
	if err != nil {
		t.Fatal(err)
	}
	if o.rateLimit == 0 {
		o.rateLimit = 1000
	}
	reg := prometheus.NewRegistry()
	s := api.New(api.Deps{
		Store: st, Plan: plan, Now: c.Now, Registerer: reg,
		Config: configs.API{AuthWindow: 300 * time.Second, AdminToken: adminToken, RateLimit: o.rateLimit},
	})
	var srv *httptest.Server
	if o.tls {
		srv = httptest.NewTLSServer(s.Handler())
	} else {
		srv = httptest.NewServer(s.Handler())
	}
	t.Cleanup(srv.Close)
	e := &env{t: t, st: st, srv: srv, clock: c, reg: reg, plan: plan}
	e.fixture()
	return e
}

// fixture provisions apps and numbers straight into the store.
func (e *env) fixture() {
	e.t.Helper()
	must := func(err error) {
		e.t.Helper()
		if err != nil {
			e.t.Fatal(err)
		}
	}
	must(e.st.CreateApp(routing.App{Key: "app1", Secret: "secret-one", Mode: routing.ModeAXB}))
	must(e.st.CreateApp(routing.App{Key: "app2", Secret: "secret-two", Mode: routing.ModeAXB}))
	must(e.st.CreateApp(routing.App{Key: "rec", Secret: "secret-rec", Mode: routing.ModeAXB, Recording: true}))
	must(e.st.CreateApp(routing.App{Key: "axapp", Secret: "secret-ax", Mode: routing.ModeAX}))
	must(e.st.AddNumbers("app1", []routing.Number{x1, x2}, "0755"))
	must(e.st.AddNumbers("app1", []routing.Number{x3}, "010"))
	must(e.st.AddNumbers("app2", []routing.Number{x9}, ""))
	must(e.st.AddNumbers("rec", []routing.Number{"+8617300000001"}, ""))
}

// style is how a client writes its signature headers (SPEC §5: real clients
// vary).
type style struct {
	scheme   string // "AKSK" or "WSSE"
	typeKey  string // "type" or "dsl"
	sep      string // between parameters: ", " or ","
	nonceLen int    // hex digits
}

var defaultStyle = style{scheme: "AKSK", typeKey: "type", sep: ",", nonceLen: 32}

// cred is who signs and how.
type cred struct {
	key, secret string
	style       style
	nonce       string    // "" = fresh random
	created     time.Time // zero = the env clock
	digest      string    // "" = computed
}

func hexNonce(n int) string {
	b := make([]byte, (n+1)/2)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)[:n]
}

// digest computes PasswordDigest from SPEC §5's formulas.
func digest(scheme, secret, nonce, created string) string {
	if scheme == "WSSE" {
		sum := sha256.Sum256([]byte(nonce + created + secret))
		return base64.StdEncoding.EncodeToString(sum[:])
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(nonce + created))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// sign adds the two headers of SPEC §5 to req.
func (c cred) sign(req *http.Request, now time.Time) {
	st := c.style
	if st.scheme == "" {
		st = defaultStyle
	}
	if st.nonceLen == 0 {
		st.nonceLen = 32
	}
	nonce := c.nonce
	if nonce == "" {
		nonce = hexNonce(st.nonceLen)
	}
	at := c.created
	if at.IsZero() {
		at = now
	}
	created := at.UTC().Format("2006-01-02T15:04:05Z")
	d := c.digest
	if d == "" {
		d = digest(st.scheme, c.secret, nonce, created)
	}
	req.Header.Set("Authorization", fmt.Sprintf(`%s realm="SDP"%sprofile="UsernameToken"%s%s="Appkey"`,
		st.scheme, st.sep, st.sep, st.typeKey))
	token := strings.Join([]string{
		`UsernameToken Username="` + c.key + `"`,
		`PasswordDigest="` + d + `"`,
		`Nonce="` + nonce + `"`,
		`Created="` + created + `"`,
	}, st.sep)
	// "UsernameToken Username=…" keeps its space; the separator only
	// governs what follows the commas.
	if st.scheme == "WSSE" {
		req.Header.Set("X-WSSE", token)
	} else {
		req.Header.Set("X-AKSK", token)
	}
}

// answer is a decoded JSON answer.
type answer struct {
	status int
	m      map[string]any
	raw    string
}

func (a answer) code() string {
	s, _ := a.m["resultcode"].(string)
	return s
}

func (a answer) desc() string {
	s, _ := a.m["resultdesc"].(string)
	return s
}

// request sends one request. body nil = no body; a string is sent raw.
func (e *env) request(method, path string, q url.Values, body any, hdr func(*http.Request)) answer {
	e.t.Helper()
	a, err := e.send(method, path, q, body, hdr)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	return a
}

// send is request for any goroutine: it reports failures instead of ending
// the test (t.Fatal must not run outside the test's goroutine).
func (e *env) send(method, path string, q url.Values, body any, hdr func(*http.Request)) (answer, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return answer{}, err
		}
		rd = bytes.NewReader(data)
	}
	u := e.srv.URL + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		return answer{}, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if hdr != nil {
		hdr(req)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	a := answer{status: resp.StatusCode, raw: string(data)}
	if err := json.Unmarshal(data, &a.m); err != nil {
		return a, fmt.Errorf("answer is no JSON object: %q", data)
	}
	if _, ok := a.m["resultcode"].(string); !ok {
		return a, fmt.Errorf("resultcode is not a string: %s", data)
	}
	return a, nil
}

// call sends a signed AXB request as c.
func (e *env) call(c cred, method string, q url.Values, body any) answer {
	e.t.Helper()
	return e.at(c, method, axbPath, q, body)
}

// admin sends an admin request with the right token.
func (e *env) admin(method, path string, body any) answer {
	e.t.Helper()
	return e.request(method, path, nil, body, func(r *http.Request) {
		r.Header.Set("Authorization", "Bearer "+adminToken)
	})
}

var (
	app1 = cred{key: "app1", secret: "secret-one"}
	app2 = cred{key: "app2", secret: "secret-two"}
	rec  = cred{key: "rec", secret: "secret-rec"}
	axap = cred{key: "axapp", secret: "secret-ax"}
)

// expect fails unless a carries code with its HTTP status.
func expect(t *testing.T, a answer, code string, status int) {
	t.Helper()
	if a.code() != code || a.status != status {
		t.Fatalf("got %d %s (%s), want %d %s", a.status, a.code(), a.raw, status, code)
	}
}

// bind binds A–X–B for c and returns the subscriptionId.
func (e *env) bind(c cred, body map[string]any) (id, x string) {
	e.t.Helper()
	f := e.bindAt(c, axbPath, "bind", body, "subscriptionId", "relationNum")
	return f[0], f[1]
}

// bindAt POSTs a bind of any mode for c to path, expects success and
// returns the answer's string fields, failing (as what) when one is empty.
func (e *env) bindAt(c cred, path, what string, body map[string]any, fields ...string) []string {
	e.t.Helper()
	a := e.at(c, http.MethodPost, path, nil, body)
	expect(e.t, a, "0", http.StatusOK)
	out := make([]string, len(fields))
	for i, k := range fields {
		if out[i] = a.str(k); out[i] == "" {
			e.t.Fatalf("%s answer lacks %s: %s", what, strings.Join(fields, "/"), a.raw)
		}
	}
	return out
}

// total queries relationNum x as c and returns totalCount.
func (e *env) total(c cred, x string) int {
	e.t.Helper()
	a := e.call(c, http.MethodGet, url.Values{"relationNum": {x}}, nil)
	expect(e.t, a, "0", http.StatusOK)
	n, ok := a.m["totalCount"].(float64)
	if !ok {
		e.t.Fatalf("no totalCount: %s", a.raw)
	}
	return int(n)
}

// The paths of the mode APIs (SPEC §5), written out here rather than taken
// from the server.
const (
	axPath       = "/rest/provision/caas/privatenumber/v1.0"
	axCalleePath = "/rest/caas/privatenumber/calleenumber/v1.0"
	axePath      = "/rest/caas/extendnumber/v1.0"
	axybPath     = "/rest/omp/xyrelationnumber/v1.0"
)

// Apps and numbers of the mode fixture, beside newEnv's AXB one.
var (
	axA  = cred{key: "ax1", secret: "secret-ax1"}
	axB  = cred{key: "ax2", secret: "secret-ax2"}
	axeA = cred{key: "axe1", secret: "secret-axe1"}
	ybA  = cred{key: "axyb1", secret: "secret-axyb1"}
)

// ax1 owns ax1X[0..6]: 0..3 in area 0755 (Shenzhen), 4 in 020 (Guangzhou,
// same province), 5 in 010, 6 without area; ax2 owns ax2X.
var (
	ax1X = []string{"+8617400000001", "+8617400000002", "+8617400000003", "+8617400000004",
		"+8617400000005", "+8617400000006", "+8617400000007"}
	ax2X  = "+8617400000009"
	axeX  = []string{"+8617500000001", "+8617500000002"}
	axybX = []string{"+8617600000001", "+8617600000002", "+8617600000003"}
)

// newModesEnv is newEnv plus one app per mode and their numbers.
func newModesEnv(t *testing.T, o envOpts) *env {
	t.Helper()
	e := newEnv(t, o)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(e.st.CreateApp(routing.App{Key: "ax1", Secret: "secret-ax1", Mode: routing.ModeAX, Recording: true}))
	must(e.st.CreateApp(routing.App{Key: "ax2", Secret: "secret-ax2", Mode: routing.ModeAX}))
	must(e.st.CreateApp(routing.App{Key: "axe1", Secret: "secret-axe1", Mode: routing.ModeAXE, ExtLen: 3}))
	must(e.st.CreateApp(routing.App{Key: "axyb1", Secret: "secret-axyb1", Mode: routing.ModeAXYB}))
	must(e.st.AddNumbers("ax1", toNums(ax1X[:4]), "0755"))
	must(e.st.AddNumbers("ax1", toNums(ax1X[4:5]), "020"))
	must(e.st.AddNumbers("ax1", toNums(ax1X[5:6]), "010"))
	must(e.st.AddNumbers("ax1", toNums(ax1X[6:]), ""))
	must(e.st.AddNumbers("ax2", toNums([]string{ax2X}), ""))
	must(e.st.AddNumbers("axe1", toNums(axeX), "0755"))
	must(e.st.AddNumbers("axyb1", toNums(axybX), "0755"))
	return e
}

func toNums(ss []string) []routing.Number {
	out := make([]routing.Number, len(ss))
	for i, s := range ss {
		out[i] = routing.Number(s)
	}
	return out
}

// at sends a request signed by c to path.
func (e *env) at(c cred, method, path string, q url.Values, body any) answer {
	e.t.Helper()
	return e.request(method, path, q, body, func(r *http.Request) { c.sign(r, e.clock.Now()) })
}

// expectGone expects binding id to be gone for c on path: unbind, query
// and, with modify, a modify of it are 1016001.
func (e *env) expectGone(c cred, path, id string, modify bool) {
	e.t.Helper()
	expect(e.t, e.at(c, http.MethodDelete, path, url.Values{"subscriptionId": {id}}, nil), "1016001", http.StatusNotFound)
	expect(e.t, e.at(c, http.MethodGet, path, url.Values{"subscriptionId": {id}}, nil), "1016001", http.StatusNotFound)
	if modify {
		expect(e.t, e.at(c, http.MethodPut, path, nil, map[string]any{"subscriptionId": id, "userData": "x"}), "1016001", http.StatusNotFound)
	}
}

// expectField fails unless a is a 1010002 whose resultdesc names field.
func expectField(t *testing.T, a answer, field string) {
	t.Helper()
	if a.code() != "1010002" || a.status != http.StatusBadRequest || !strings.Contains(a.desc(), field) {
		t.Errorf("want 1010002 naming %s, got %d %s", field, a.status, a.raw)
	}
}

// fieldCase is one bad request body and the field its 1010002 names.
type fieldCase struct {
	field string
	body  any
}

// expectFields POSTs each body to path as c and expects a 1010002 naming
// its field.
func (e *env) expectFields(c cred, path string, cases []fieldCase) {
	e.t.Helper()
	for _, fc := range cases {
		expectField(e.t, e.at(c, http.MethodPost, path, nil, fc.body), fc.field)
	}
}

// str returns a string field of an answer.
func (a answer) str(k string) string {
	s, _ := a.m[k].(string)
	return s
}

// with copies m and applies key/value pairs; a nil value deletes the key.
func with(m map[string]any, kv ...any) map[string]any {
	out := make(map[string]any, len(m)+len(kv)/2)
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

// try sends a request signed by c from any goroutine (env.send).
func (e *env) try(c cred, method, path string, q url.Values, body any) (answer, error) {
	return e.send(method, path, q, body, func(r *http.Request) { c.sign(r, e.clock.Now()) })
}

// concurrently runs n requests at once (released together) and returns the
// answers by resultcode.
func (e *env) concurrently(n int, send func(i int) (answer, error)) map[string][]answer {
	e.t.Helper()
	var wg sync.WaitGroup
	start := make(chan struct{})
	answers := make([]answer, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			answers[i], errs[i] = send(i)
		}()
	}
	close(start)
	wg.Wait()
	out := map[string][]answer{}
	for i, a := range answers {
		if errs[i] != nil {
			e.t.Fatalf("request %d: %v", i, errs[i])
		}
		out[a.code()] = append(out[a.code()], a)
	}
	return out
}
