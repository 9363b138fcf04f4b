package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xnum/xnum/cdr"
)

func TestAdminToken401(t *testing.T) {
	e := newEnv(t, envOpts{})
	for name, h := range map[string]string{
		"missing":      "",
		"wrong":        "Bearer not-the-token",
		"prefix":       "Bearer " + adminToken[:len(adminToken)-1],
		"other scheme": "Basic " + adminToken,
		"empty bearer": "Bearer ",
	} {
		a := e.request(http.MethodGet, "/admin/v1/apps", nil, nil, func(r *http.Request) {
			if h != "" {
				r.Header.Set("Authorization", h)
			}
		})
		if a.status != http.StatusUnauthorized || a.code() != "1020176" {
			t.Errorf("%s: got %d %s", name, a.status, a.raw)
		}
	}
	// The AXB signature is no admin credential.
	a := e.request(http.MethodGet, "/admin/v1/apps", nil, nil, func(r *http.Request) { app1.sign(r, e.clock.Now()) })
	expect(t, a, "1020176", http.StatusUnauthorized)
	// Nothing was created by an unauthorised POST.
	e.request(http.MethodPost, "/admin/v1/apps", nil, map[string]any{"appKey": "sneaky", "mode": "AXB"}, nil)
	expect(t, e.admin(http.MethodGet, "/admin/v1/apps/sneaky", nil), "1016001", http.StatusNotFound)
}

func TestAdminAppsCRUD(t *testing.T) {
	e := newEnv(t, envOpts{})
	a := e.admin(http.MethodPost, "/admin/v1/apps", map[string]any{
		"appKey": "shop", "appSecret": "shop-secret-1", "mode": "AXB",
		"statusUrl": "https://shop.example/status", "feeUrl": "https://shop.example/fee",
		"recording": true, "extraField": 1,
	})
	expect(t, a, "0", http.StatusOK)
	app, _ := a.m["app"].(map[string]any)
	if app["appKey"] != "shop" || app["appSecret"] != "shop-secret-1" || app["mode"] != "AXB" ||
		app["recording"] != true || app["answerBeforeCollect"] != true || app["statusUrl"] != "https://shop.example/status" {
		t.Errorf("create answer: %s", a.raw)
	}
	// The secret shows only in the create answer.
	a = e.admin(http.MethodGet, "/admin/v1/apps/shop", nil)
	expect(t, a, "0", http.StatusOK)
	if strings.Contains(a.raw, "shop-secret-1") || a.m["app"].(map[string]any)["appKey"] != "shop" {
		t.Errorf("get: %s", a.raw)
	}
	a = e.admin(http.MethodGet, "/admin/v1/apps", nil)
	expect(t, a, "0", http.StatusOK)
	if apps, _ := a.m["apps"].([]any); len(apps) != 5 || strings.Contains(a.raw, "secret") {
		t.Errorf("list: %s", a.raw)
	}
	// The app signs with its secret.
	shop := cred{key: "shop", secret: "shop-secret-1"}
	expect(t, e.call(shop, http.MethodPost, nil, map[string]any{"callerNum": numA, "calleeNum": numB}), "1012008", http.StatusConflict)

	expect(t, e.admin(http.MethodPost, "/admin/v1/apps", map[string]any{"appKey": "shop", "mode": "AXB"}), "1016002", http.StatusConflict)

	a = e.admin(http.MethodPut, "/admin/v1/apps/shop", map[string]any{"feeUrl": "http://other.example/fee", "appSecret": "rotated-secret"})
	expect(t, a, "0", http.StatusOK)
	if a.m["app"].(map[string]any)["feeUrl"] != "http://other.example/fee" || strings.Contains(a.raw, "rotated") {
		t.Errorf("update: %s", a.raw)
	}
	expect(t, e.call(shop, http.MethodGet, url.Values{"relationNum": {x1}}, nil), "1020176", http.StatusUnauthorized)
	shop.secret = "rotated-secret"
	expect(t, e.call(shop, http.MethodGet, url.Values{"relationNum": {x1}}, nil), "1012001", http.StatusForbidden)

	for field, body := range map[string]map[string]any{
		"statusUrl": {"statusUrl": "ftp://x"},
		"mode":      {"mode": "ABC"},
		"extLen":    {"extLen": 5},
		"recording": {"recording": "maybe"},
		"appSecret": {"appSecret": "short"},
	} {
		a := e.admin(http.MethodPut, "/admin/v1/apps/shop", body)
		if a.code() != "1010002" || !strings.Contains(a.desc(), field) {
			t.Errorf("update %s: %s", field, a.raw)
		}
	}
	expect(t, e.admin(http.MethodPut, "/admin/v1/apps/nosuch", map[string]any{"feeUrl": "http://x.example"}), "1016001", http.StatusNotFound)

	expect(t, e.admin(http.MethodDelete, "/admin/v1/apps/shop", nil), "0", http.StatusOK)
	expect(t, e.admin(http.MethodGet, "/admin/v1/apps/shop", nil), "1016001", http.StatusNotFound)
	expect(t, e.admin(http.MethodDelete, "/admin/v1/apps/shop", nil), "1016001", http.StatusNotFound)
	expect(t, e.call(shop, http.MethodGet, url.Values{"relationNum": {x1}}, nil), "1010003", http.StatusUnauthorized)
}

func TestAdminCreateAppGeneratesAndValidates(t *testing.T) {
	e := newEnv(t, envOpts{})
	a := e.admin(http.MethodPost, "/admin/v1/apps", map[string]any{"mode": "AXE"})
	expect(t, a, "0", http.StatusOK)
	app := a.m["app"].(map[string]any)
	key, _ := app["appKey"].(string)
	secret, _ := app["appSecret"].(string)
	if key == "" || len(secret) < 16 || app["extLen"] != float64(4) {
		t.Fatalf("generated app: %s", a.raw)
	}
	expect(t, e.call(cred{key: key, secret: secret}, http.MethodGet, url.Values{"relationNum": {x1}}, nil), "1010040", http.StatusForbidden)
	for field, body := range map[string]map[string]any{
		"mode":      {"appKey": "k1"},
		"appKey":    {"appKey": "has space", "mode": "AXB"},
		"appSecret": {"appKey": "k2", "appSecret": `quote"d-secret`, "mode": "AXB"},
		"callinUrl": {"appKey": "k3", "mode": "X", "callinUrl": "not a url"},
		"body":      {},
	} {
		var b any = body
		if field == "body" {
			b = "[1,2]"
		}
		a := e.admin(http.MethodPost, "/admin/v1/apps", b)
		if a.code() != "1010002" || a.status != http.StatusBadRequest || !strings.Contains(a.desc(), field) {
			t.Errorf("create %s: %s", field, a.raw)
		}
	}
}

func TestAdminFreeze(t *testing.T) {
	e := newEnv(t, envOpts{})
	a := e.admin(http.MethodPost, "/admin/v1/apps/app1/freeze", nil)
	expect(t, a, "0", http.StatusOK)
	if a.m["app"].(map[string]any)["frozen"] != true {
		t.Errorf("freeze answer: %s", a.raw)
	}
	expect(t, e.call(app1, http.MethodPost, nil, map[string]any{"callerNum": numA, "calleeNum": numB}), "1010029", http.StatusForbidden)
	expect(t, e.admin(http.MethodPost, "/admin/v1/apps/app1/unfreeze", nil), "0", http.StatusOK)
	e.bind(app1, map[string]any{"callerNum": numA, "calleeNum": numB})
	expect(t, e.admin(http.MethodPost, "/admin/v1/apps/nosuch/freeze", nil), "1016001", http.StatusNotFound)
}

func TestAdminNumbers(t *testing.T) {
	e := newEnv(t, envOpts{})
	a := e.admin(http.MethodPost, "/admin/v1/apps/app2/numbers", map[string]any{
		"numbers": []string{"+8617200000001", "8617200000002", "17200000003"}, "areaCode": "0755",
	})
	expect(t, a, "0", http.StatusOK)
	nums, _ := a.m["numbers"].([]any)
	if len(nums) != 3 || nums[1].(map[string]any)["number"] != "+8617200000002" || nums[0].(map[string]any)["areaCode"] != "0755" {
		t.Fatalf("add: %s", a.raw)
	}
	a = e.admin(http.MethodGet, "/admin/v1/apps/app2/numbers", nil)
	if nums, _ := a.m["numbers"].([]any); len(nums) != 4 {
		t.Errorf("list: %s", a.raw)
	}
	// Another app's X, a bad number, no numbers.
	expect(t, e.admin(http.MethodPost, "/admin/v1/apps/app2/numbers", map[string]any{"numbers": []string{x1}}), "1016002", http.StatusConflict)
	a = e.admin(http.MethodPost, "/admin/v1/apps/app2/numbers", map[string]any{"numbers": []string{"+8617200000005", "12"}})
	if a.code() != "1010002" || !strings.Contains(a.desc(), "numbers[1]") {
		t.Errorf("bad number: %s", a.raw)
	}
	expect(t, e.admin(http.MethodPost, "/admin/v1/apps/app2/numbers", map[string]any{"numbers": []string{}}), "1010002", http.StatusBadRequest)
	expect(t, e.admin(http.MethodPost, "/admin/v1/apps/app2/numbers", map[string]any{"numbers": []string{"+8617200000006"}, "areaCode": "x"}), "1010002", http.StatusBadRequest)
	expect(t, e.admin(http.MethodPost, "/admin/v1/apps/nosuch/numbers", map[string]any{"numbers": []string{"+8617200000007"}}), "1016001", http.StatusNotFound)
	a = e.admin(http.MethodGet, "/admin/v1/apps/app2/numbers", nil)
	if nums, _ := a.m["numbers"].([]any); len(nums) != 4 {
		t.Errorf("failed adds changed the list: %s", a.raw)
	}

	// Suspend: a suspended X is not picked for a bind; resume gives it back.
	for _, n := range []string{"+8617200000001", "+8617200000002", "+8617200000003"} {
		expect(t, e.admin(http.MethodDelete, "/admin/v1/apps/app2/numbers/"+url.PathEscape(n), nil), "0", http.StatusOK)
	}
	expect(t, e.admin(http.MethodPost, "/admin/v1/apps/app2/numbers/%2B8617200000009/suspend", nil), "0", http.StatusOK)
	a = e.admin(http.MethodGet, "/admin/v1/apps/app2/numbers", nil)
	if nums, _ := a.m["numbers"].([]any); len(nums) != 1 || nums[0].(map[string]any)["suspended"] != true {
		t.Errorf("after suspend: %s", a.raw)
	}
	expect(t, e.call(app2, http.MethodPost, nil, map[string]any{"callerNum": numA, "calleeNum": numB}), "1012008", http.StatusConflict)
	expect(t, e.admin(http.MethodPost, "/admin/v1/apps/app2/numbers/+8617200000009/resume", nil), "0", http.StatusOK)
	e.bind(app2, map[string]any{"callerNum": numA, "calleeNum": numB})

	// Removing an X removes its bindings; removing it twice is 1016001.
	expect(t, e.admin(http.MethodDelete, "/admin/v1/apps/app2/numbers/+8617200000009", nil), "0", http.StatusOK)
	if b, ok, err := e.st.BindingByParty(x9, numA); err != nil || ok {
		t.Errorf("binding survived its X: %+v %v", b, err)
	}
	expect(t, e.admin(http.MethodDelete, "/admin/v1/apps/app2/numbers/+8617200000009", nil), "1016001", http.StatusNotFound)
	expect(t, e.admin(http.MethodPost, "/admin/v1/apps/app1/numbers/+8617200000009/suspend", nil), "1016001", http.StatusNotFound)
	expect(t, e.admin(http.MethodDelete, "/admin/v1/apps/app2/numbers/bogus", nil), "1010002", http.StatusBadRequest)
}

// An api.Server embedded without the prompt, outbox and recording backends
// (api.Deps nil, as newEnv builds it) answers their endpoints 1010501; the
// daemon wires all three (cmd/xnum tests them).
func TestAdminNotImplementedStubs(t *testing.T) {
	e := newEnv(t, envOpts{})
	for _, r := range [][2]string{
		{http.MethodPut, "/admin/v1/apps/app1/prompts/welcome"},
		{http.MethodGet, "/admin/v1/outbox/dead"},
		{http.MethodPost, "/admin/v1/outbox/dead/17/redrive"},
	} {
		a := e.admin(r[0], r[1], nil)
		if a.status != http.StatusNotImplemented || a.code() != "1010501" || a.desc() != "not available: no backend wired" {
			t.Errorf("%s %s: %d %s", r[0], r[1], a.status, a.raw)
		}
	}
}

func TestAdminCDRQuery(t *testing.T) {
	e := newEnv(t, envOpts{})
	t0 := e.clock.Now()
	for i := range 12 {
		r := cdr.Record{
			ICID: fmt.Sprintf("icid-%02d", i), AppKey: "app1", BindNum: x1, CallerNum: numA,
			SubscriptionID: "sub-a", ULFailReason: 0, ServiceType: "004",
		}
		switch {
		case i%4 == 1:
			r.AppKey, r.BindNum = "app2", x9
		case i%4 == 2:
			r.SubscriptionID, r.ULFailReason, r.CallerNum = "", 8014, numC
		case i%4 == 3:
			r.BindNum = x2
		}
		if err := e.st.PutCDR(r); err != nil {
			t.Fatal(err)
		}
		e.clock.Add(time.Minute)
	}
	icids := func(a answer) []string {
		t.Helper()
		expect(t, a, "0", http.StatusOK)
		var out []string
		for _, c := range a.m["cdrs"].([]any) {
			out = append(out, c.(map[string]any)["icid"].(string))
		}
		return out
	}
	query := func(q string) answer {
		return e.admin(http.MethodGet, "/admin/v1/cdrs?"+q, nil)
	}
	a := query("")
	if got := icids(a); a.m["total"] != float64(12) || len(got) != 12 || got[0] != "icid-11" || got[11] != "icid-00" {
		t.Errorf("all, newest first: %v %v", a.m["total"], got)
	}
	for q, want := range map[string]string{
		"appKey=app2":                   "icid-09 icid-05 icid-01",
		"appKey=app1&ulFailReason=8014": "icid-10 icid-06 icid-02",
		"callerNum=%2B8613800000003":    "icid-10 icid-06 icid-02",
		"callerNum=13800000003":         "icid-10 icid-06 icid-02",
		"bindNum=%2B8617100000002":      "icid-11 icid-07 icid-03",
		"subscriptionId=sub-a&appKey=app1&bindNum=%2B8617100000001":             "icid-08 icid-04 icid-00",
		"since=" + url.QueryEscape(t0.Add(10*time.Minute).Format(time.RFC3339)): "icid-11 icid-10",
		"until=" + url.QueryEscape(t0.Add(2*time.Minute).Format(time.RFC3339)):  "icid-01 icid-00",
		"since=2025-03-04T05:08:07Z&until=2025-03-04T05:10:07Z":                 "icid-03 icid-02",
		"since=2025-03-04T13:08:07%2B08:00&until=2025-03-04T05:09:07Z":          "icid-02",
		"pageSize=5&pageIndex=3": "icid-01 icid-00",
		"pageSize=5&pageIndex=4": "",
	} {
		if got := strings.Join(icids(query(q)), " "); got != want {
			t.Errorf("%s: got %q, want %q", q, got, want)
		}
	}
	a = query("appKey=app2&pageSize=2")
	if a.m["total"] != float64(3) {
		t.Errorf("total with paging: %s", a.raw)
	}
	if c := a.m["cdrs"].([]any)[0].(map[string]any); c["ulFailReason"] != float64(0) || c["fwdDstNum"] != "" || c["serviceType"] != "004" {
		t.Errorf("record fields: %v", c)
	}
	for q, field := range map[string]string{
		"pageSize=1001":       "pageSize",
		"pageSize=0":          "pageSize",
		"since=yesterday":     "since",
		"until=2025-03-04":    "until",
		"ulFailReason=normal": "ulFailReason",
	} {
		a := query(q)
		if a.code() != "1010002" || !strings.Contains(a.desc(), field) {
			t.Errorf("%s: %s", q, a.raw)
		}
	}
	if got := icids(query("pageSize=1000")); len(got) != 12 {
		t.Errorf("pageSize 1000: %d", len(got))
	}
}
