package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/xnum/xnum/routing"
)

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
