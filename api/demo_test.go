package api_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/xnum/xnum/api"
	"github.com/xnum/xnum/routing"
)

// ProvisionDemo creates SPEC §8's demo, is idempotent, and the demo app
// signs with demo/demo-secret.
func TestProvisionDemo(t *testing.T) {
	e := newEnv(t, envOpts{})
	for range 2 {
		if err := api.ProvisionDemo(e.st, e.plan); err != nil {
			t.Fatal(err)
		}
	}
	xs, err := e.st.ListNumbers("demo")
	if err != nil {
		t.Fatal(err)
	}
	if len(xs) != 10 || xs[0].Number != "+8617000000000" || xs[9].Number != "+8617000000009" {
		t.Fatalf("demo numbers: %+v", xs)
	}
	demo := cred{key: "demo", secret: "demo-secret"}
	a := e.call(demo, http.MethodGet, url.Values{"relationNum": {"+8617000000000"}}, nil)
	expect(t, a, "0", http.StatusOK)
	items, _ := a.m["relationNumList"].([]any)
	if a.m["totalCount"] != float64(1) || len(items) != 1 {
		t.Fatalf("demo bindings: %s", a.raw)
	}
	b := items[0].(map[string]any)
	if b["callerNum"] != "+8613800000001" || b["calleeNum"] != "+8613800000002" || b["callDirection"] != float64(0) || b["duration"] != float64(0) {
		t.Errorf("demo binding: %v", b)
	}
	// An operator's change survives a restart's provisioning.
	if err := e.st.SetSuspended("demo", "+8617000000003", true); err != nil {
		t.Fatal(err)
	}
	if err := api.ProvisionDemo(e.st, e.plan); err != nil {
		t.Fatal(err)
	}
	x, _, ok, err := e.st.XNumber(routing.Number("+8617000000003"))
	if err != nil || !ok || !x.Suspended {
		t.Errorf("provisioning reset the demo: %+v %v", x, err)
	}
}
