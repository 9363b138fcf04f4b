package api_test

import (
	"net/http"
	"net/url"
	"testing"
)

// Answers are counted by route path and resultcode.
func TestRequestMetrics(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.call(app1, http.MethodGet, url.Values{"relationNum": {x1}}, nil)
	e.call(app1, http.MethodGet, url.Values{"relationNum": {x1}}, nil)
	e.request(http.MethodGet, axbPath, nil, nil, nil)
	e.admin(http.MethodGet, "/admin/v1/apps/app1", nil)
	got := map[[2]string]float64{}
	mfs, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "xnum_api_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			var k [2]string
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "path":
					k[0] = l.GetValue()
				case "resultcode":
					k[1] = l.GetValue()
				}
			}
			got[k] = m.GetCounter().GetValue()
		}
	}
	want := map[[2]string]float64{
		{axbPath, "0"}:                   2,
		{axbPath, "1023006"}:             1,
		{"/admin/v1/apps/{appKey}", "0"}: 1,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%v = %v, want %v (all: %v)", k, got[k], v, got)
		}
	}
}
