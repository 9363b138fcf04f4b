package api_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xnum/xnum/routing"
)

func TestBindQueryModifyUnbind(t *testing.T) {
	e := newEnv(t, envOpts{})
	id, x := e.bind(app1, map[string]any{
		"callerNum": numA, "calleeNum": numB, "relationNum": x1,
		"callDirection": 1, "duration": 3600, "maxDuration": 30, "userData": "order 42",
		"recordHintTone": routing.PromptRecording, "lastMinVoice": routing.PromptLastMinute,
		"preVoice":        map[string]any{"callerHintTone": routing.PromptConnecting},
		"privateSms":      true,
		"someVendorExtra": map[string]any{"ignored": true}, // unknown fields are ignored
	})
	if x != x1 {
		t.Fatalf("relationNum %s, want %s", x, x1)
	}
	a := e.call(app1, http.MethodGet, url.Values{"subscriptionId": {id}}, nil)
	expect(t, a, "0", http.StatusOK)
	items, _ := a.m["relationNumList"].([]any)
	if a.m["totalCount"] != float64(1) || len(items) != 1 {
		t.Fatalf("query: %s", a.raw)
	}
	want := map[string]any{
		"subscriptionId": id, "relationNum": x1, "callerNum": numA, "calleeNum": numB,
		"callDirection": float64(1), "duration": float64(3600), "maxDuration": float64(30),
		"recordFlag": false, "subscribeTime": "2025-03-04 05:06:07", "userData": "order 42",
	}
	item := items[0].(map[string]any)
	for k, v := range want {
		if item[k] != v {
			t.Errorf("item %s = %v, want %v", k, item[k], v)
		}
	}

	expect(t, e.call(app1, http.MethodPut, nil, map[string]any{
		"subscriptionId": id, "calleeNum": numC, "callDirection": 0, "userData": "changed",
	}), "0", http.StatusOK)
	b, err := e.st.GetBinding("app1", id)
	if err != nil {
		t.Fatal(err)
	}
	if b.B != numC || b.Direction != 0 || b.UserData != "changed" || b.A != numA || b.MaxDuration != 30 ||
		b.PreVoice.CallerHintTone != routing.PromptConnecting || !b.PrivateSMS {
		t.Errorf("after modify: %+v", b)
	}

	expect(t, e.call(app1, http.MethodDelete, url.Values{"subscriptionId": {id}}, nil), "0", http.StatusOK)
	if n := e.total(app1, x1); n != 0 {
		t.Errorf("after unbind: %d bindings on X", n)
	}
}

// Modifying duration restarts the expiry clock from the modification
// (SPEC §3).
func TestModifyDurationRestartsClock(t *testing.T) {
	e := newEnv(t, envOpts{})
	id, _ := e.bind(app1, map[string]any{"callerNum": numA, "calleeNum": numB, "duration": 60})
	e.clock.Add(50 * time.Second)
	expect(t, e.call(app1, http.MethodPut, nil, map[string]any{"subscriptionId": id, "duration": 60}), "0", http.StatusOK)
	e.clock.Add(50 * time.Second) // 100 s after the bind, 50 s after the modify
	expect(t, e.call(app1, http.MethodGet, url.Values{"subscriptionId": {id}}, nil), "0", http.StatusOK)
	e.clock.Add(10 * time.Second)
	expect(t, e.call(app1, http.MethodGet, url.Values{"subscriptionId": {id}}, nil), "1012007", http.StatusNotFound)
}

// Any free X of the app, or one of the requested area (SPEC §5).
func TestBindPicksX(t *testing.T) {
	e := newEnv(t, envOpts{})
	_, x := e.bind(app1, map[string]any{"callerNum": numA, "calleeNum": numB, "areaCode": "010"})
	if x != x3 {
		t.Errorf("areaCode 010 gave %s, want %s", x, x3)
	}
	_, x = e.bind(app1, map[string]any{"callerNum": numA, "calleeNum": numB, "areaCode": "755", "areaMatchMode": 0})
	if x != x1 && x != x2 {
		t.Errorf("areaCode 755 gave %s", x)
	}
	_, x = e.bind(app1, map[string]any{"callerNum": numA, "calleeNum": numB})
	if x != x1 && x != x2 {
		t.Errorf("any X gave %s, want the last free one", x)
	}
	// Every X now holds A: none is free.
	a := e.call(app1, http.MethodPost, nil, map[string]any{"callerNum": numA, "calleeNum": numD})
	expect(t, a, "1012008", http.StatusConflict)
}

func TestBindNoFreeXInArea1012008(t *testing.T) {
	e := newEnv(t, envOpts{})
	a := e.call(app1, http.MethodPost, nil, map[string]any{"callerNum": numA, "calleeNum": numB, "areaCode": "0999"})
	expect(t, a, "1012008", http.StatusConflict)
	// areaMatchMode 1 falls back to any X.
	_, x := e.bind(app1, map[string]any{"callerNum": numA, "calleeNum": numB, "areaCode": "0999", "areaMatchMode": 1})
	if x == "" {
		t.Fatal("no X")
	}
}

func TestBindExists1012010(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.bind(app1, map[string]any{"callerNum": numA, "calleeNum": numB, "relationNum": x1})
	for _, pair := range [][2]string{{numA, numC}, {numC, numB}, {numB, numC}} {
		a := e.call(app1, http.MethodPost, nil, map[string]any{"callerNum": pair[0], "calleeNum": pair[1], "relationNum": x1})
		expect(t, a, "1012010", http.StatusConflict)
	}
	// Another pair on the same X is fine (A–X–B and C–X–D coexist).
	e.bind(app1, map[string]any{"callerNum": numC, "calleeNum": numD, "relationNum": x1})
	// A modify that moves a party onto one already bound on X is refused too.
	id, _ := e.bind(app1, map[string]any{"callerNum": fixed, "calleeNum": "+8613800000005", "relationNum": x1})
	expect(t, e.call(app1, http.MethodPut, nil, map[string]any{"subscriptionId": id, "calleeNum": numD}), "1012010", http.StatusConflict)
}

func TestBindXFull1012009(t *testing.T) {
	e := newEnv(t, envOpts{maxPairs: 2})
	e.bind(app1, map[string]any{"callerNum": numA, "calleeNum": numB, "relationNum": x1})
	e.bind(app1, map[string]any{"callerNum": numC, "calleeNum": numD, "relationNum": x1})
	a := e.call(app1, http.MethodPost, nil, map[string]any{"callerNum": fixed, "calleeNum": "+8613800000005", "relationNum": x1})
	expect(t, a, "1012009", http.StatusConflict)
}

func TestBindXOfAnotherApp1012001(t *testing.T) {
	e := newEnv(t, envOpts{})
	for _, x := range []string{x9, "+8617999999999"} {
		a := e.call(app1, http.MethodPost, nil, map[string]any{"callerNum": numA, "calleeNum": numB, "relationNum": x})
		expect(t, a, "1012001", http.StatusForbidden)
	}
	a := e.call(app1, http.MethodGet, url.Values{"relationNum": {x9}}, nil)
	expect(t, a, "1012001", http.StatusForbidden)
	a = e.call(app1, http.MethodDelete, url.Values{"relationNum": {x9}}, nil)
	expect(t, a, "1012001", http.StatusForbidden)
}

func TestBindingNotFound1012007(t *testing.T) {
	e := newEnv(t, envOpts{})
	id, _ := e.bind(app1, map[string]any{"callerNum": numA, "calleeNum": numB, "relationNum": x1})
	// Another app can't see or touch it.
	expect(t, e.call(app2, http.MethodGet, url.Values{"subscriptionId": {id}}, nil), "1012007", http.StatusNotFound)
	expect(t, e.call(app2, http.MethodDelete, url.Values{"subscriptionId": {id}}, nil), "1012007", http.StatusNotFound)
	expect(t, e.call(app1, http.MethodPut, nil, map[string]any{"subscriptionId": "deadbeef", "userData": "x"}), "1012007", http.StatusNotFound)
	// Unbinding twice.
	expect(t, e.call(app1, http.MethodDelete, url.Values{"subscriptionId": {id}}, nil), "0", http.StatusOK)
	expect(t, e.call(app1, http.MethodDelete, url.Values{"subscriptionId": {id}}, nil), "1012007", http.StatusNotFound)
	expect(t, e.call(app1, http.MethodGet, url.Values{"subscriptionId": {id}}, nil), "1012007", http.StatusNotFound)
	// An X with no binding left.
	expect(t, e.call(app1, http.MethodDelete, url.Values{"relationNum": {x1}}, nil), "1012007", http.StatusNotFound)
}

// relationNum alone unbinds every binding on that X; with callerNum only the
// matching one.
func TestUnbindByRelationNum(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.bind(app1, map[string]any{"callerNum": numA, "calleeNum": numB, "relationNum": x1})
	e.bind(app1, map[string]any{"callerNum": numC, "calleeNum": numD, "relationNum": x1})
	e.bind(app1, map[string]any{"callerNum": numA, "calleeNum": numB, "relationNum": x2})
	expect(t, e.call(app1, http.MethodDelete, url.Values{"relationNum": {x2}, "callerNum": {numA}}, nil), "0", http.StatusOK)
	if n := e.total(app1, x2); n != 0 {
		t.Errorf("x2 holds %d", n)
	}
	expect(t, e.call(app1, http.MethodDelete, url.Values{"relationNum": {x1}}, nil), "0", http.StatusOK)
	if n := e.total(app1, x1); n != 0 {
		t.Errorf("x1 holds %d", n)
	}
}

func TestFrozen1010029(t *testing.T) {
	e := newEnv(t, envOpts{})
	id, _ := e.bind(app1, map[string]any{"callerNum": numA, "calleeNum": numB, "relationNum": x1})
	if err := e.st.SetFrozen("app1", true); err != nil {
		t.Fatal(err)
	}
	expect(t, e.call(app1, http.MethodPost, nil, map[string]any{"callerNum": numC, "calleeNum": numD}), "1010029", http.StatusForbidden)
	expect(t, e.call(app1, http.MethodPut, nil, map[string]any{"subscriptionId": id, "userData": "x"}), "1010029", http.StatusForbidden)
	expect(t, e.call(app1, http.MethodDelete, url.Values{"subscriptionId": {id}}, nil), "1010029", http.StatusForbidden)
	// Querying is no change: allowed. Nothing was lost.
	expect(t, e.call(app1, http.MethodGet, url.Values{"subscriptionId": {id}}, nil), "0", http.StatusOK)
	if err := e.st.SetFrozen("app1", false); err != nil {
		t.Fatal(err)
	}
	expect(t, e.call(app1, http.MethodDelete, url.Values{"subscriptionId": {id}}, nil), "0", http.StatusOK)
}

func TestWrongMode1010040(t *testing.T) {
	e := newEnv(t, envOpts{})
	for _, m := range []string{http.MethodPost, http.MethodGet} {
		a := e.call(axap, m, url.Values{"relationNum": {x1}}, map[string]any{"callerNum": numA, "calleeNum": numB})
		expect(t, a, "1010040", http.StatusForbidden)
	}
}

func TestRecordingDisabled1012012(t *testing.T) {
	e := newEnv(t, envOpts{})
	expect(t, e.call(app1, http.MethodPost, nil, map[string]any{"callerNum": numA, "calleeNum": numB, "recordFlag": true}), "1012012", http.StatusForbidden)
	id, _ := e.bind(app1, map[string]any{"callerNum": numA, "calleeNum": numB, "recordFlag": false})
	expect(t, e.call(app1, http.MethodPut, nil, map[string]any{"subscriptionId": id, "recordFlag": true}), "1012012", http.StatusForbidden)
	// An app that may record can.
	e.bind(rec, map[string]any{"callerNum": numA, "calleeNum": numB, "recordFlag": true})
	if n := e.total(app1, x1) + e.total(app1, x2) + e.total(app1, x3); n != 1 {
		t.Errorf("app1 holds %d bindings, want 1", n)
	}
}

// Every bad field is 1010002 with the field named, and nothing is stored.
func TestBindInvalidFields1010002(t *testing.T) {
	e := newEnv(t, envOpts{})
	base := func(kv ...any) map[string]any {
		return with(map[string]any{"callerNum": numA, "calleeNum": numB, "relationNum": x1}, kv...)
	}
	cases := []struct {
		field string
		body  any
	}{
		{"callerNum", base("callerNum", nil)},
		{"callerNum", base("callerNum", "12345")},
		{"callerNum", base("callerNum", 8613800000001)},
		{"callerNum", base("callerNum", x2)},                 // an X of the platform
		{"callerNum", base("callerNum", "+4930123456")},      // foreign
		{"callerNum", base("callerNum", "+864001234567")},    // service number
		{"callerNum", base("callerNum", "+8613800000001\r")}, // control character
		{"calleeNum", base("calleeNum", nil)},
		{"calleeNum", base("calleeNum", x9)},
		{"calleeNum", base("calleeNum", numA)},
		{"relationNum", base("relationNum", "x1")},
		{"areaCode", base("relationNum", nil, "areaCode", "abc")},
		{"areaMatchMode", base("relationNum", nil, "areaCode", "0755", "areaMatchMode", 2)},
		{"callDirection", base("callDirection", 3)},
		{"callDirection", base("callDirection", "both")},
		{"callDirection", base("callDirection", 1.5)},
		{"duration", base("duration", 59)},
		{"duration", base("duration", 7776001)},
		{"duration", base("duration", -1)},
		{"maxDuration", base("maxDuration", 1441)},
		{"recordFlag", base("recordFlag", "yes")},
		{"recordHintTone", base("recordHintTone", "nosuchprompt")},
		{"lastMinVoice", base("lastMinVoice", "nosuchprompt")},
		{"preVoice.callerHintTone", base("preVoice", map[string]any{"callerHintTone": "nosuchprompt"})},
		{"preVoice.calleeHintTone", base("preVoice", map[string]any{"calleeHintTone": 7})},
		{"preVoice", base("preVoice", "connecting")},
		{"privateSms", base("privateSms", 3)},
		{"userData", base("userData", strings.Repeat("u", 257))},
		{"userData", base("userData", "line\nbreak")},
		{"userData", base("userData", "中文")},
		{"body", "{not json"},
		{"body", `["an","array"]`},
	}
	for _, c := range cases {
		a := e.call(app1, http.MethodPost, nil, c.body)
		if a.code() != "1010002" || a.status != http.StatusBadRequest || !strings.Contains(a.desc(), c.field) {
			t.Errorf("%s: body %v: got %d %s", c.field, c.body, a.status, a.raw)
		}
	}
	// The API names which party is an X (the store alone could not).
	a := e.call(app1, http.MethodPost, nil, base("calleeNum", x9))
	if a.desc() != "invalid calleeNum: is a privacy number of the platform" {
		t.Errorf("X as calleeNum: %s", a.raw)
	}
	// relationNum wins over areaCode.
	_, x := e.bind(app1, base("callerNum", numC, "calleeNum", numD, "areaCode", "010"))
	if x != x1 {
		t.Errorf("relationNum with areaCode bound on %s", x)
	}
	expect(t, e.call(app1, http.MethodDelete, url.Values{"relationNum": {x1}}, nil), "0", http.StatusOK)
	// The edges are accepted.
	e.bind(app1, base("duration", 60, "maxDuration", 1440, "userData", strings.Repeat("u", 256)))
	expect(t, e.call(app1, http.MethodDelete, url.Values{"relationNum": {x1}}, nil), "0", http.StatusOK)
	// Bad input stored nothing.
	for _, x := range []string{x1, x2, x3} {
		if n := e.total(app1, x); n != 0 {
			t.Errorf("%s holds %d bindings after bad input", x, n)
		}
	}
}

func TestModifyAndQueryInvalid1010002(t *testing.T) {
	e := newEnv(t, envOpts{})
	id, _ := e.bind(app1, map[string]any{"callerNum": numA, "calleeNum": numB, "relationNum": x1, "duration": 600})
	for _, c := range []struct {
		field string
		body  map[string]any
	}{
		{"subscriptionId", map[string]any{"userData": "x"}},
		{"subscriptionId", map[string]any{"subscriptionId": 12}},
		{"calleeNum", map[string]any{"subscriptionId": id, "calleeNum": numA}}, // equals the stored A
		{"callerNum", map[string]any{"subscriptionId": id, "callerNum": "bad"}},
		{"duration", map[string]any{"subscriptionId": id, "duration": 30}},
		{"lastMinVoice", map[string]any{"subscriptionId": id, "lastMinVoice": "nosuchprompt"}},
	} {
		a := e.call(app1, http.MethodPut, nil, c.body)
		if a.code() != "1010002" || a.status != http.StatusBadRequest || !strings.Contains(a.desc(), c.field) {
			t.Errorf("modify %s: got %d %s", c.field, a.status, a.raw)
		}
	}
	b, err := e.st.GetBinding("app1", id)
	if err != nil {
		t.Fatal(err)
	}
	if b.A != numA || b.B != numB || b.Duration != 600 || b.LastMinVoice != "" {
		t.Errorf("bad modify changed the binding: %+v", b)
	}
	for _, c := range []struct {
		field string
		q     url.Values
	}{
		{"relationNum", url.Values{}},
		{"pageSize", url.Values{"relationNum": {x1}, "pageSize": {"9"}}},
		{"pageSize", url.Values{"relationNum": {x1}, "pageSize": {"101"}}},
		{"pageIndex", url.Values{"relationNum": {x1}, "pageIndex": {"0"}}},
		{"pageIndex", url.Values{"relationNum": {x1}, "pageIndex": {"one"}}},
		{"callerNum", url.Values{"relationNum": {x1}, "callerNum": {"bad"}}},
	} {
		a := e.call(app1, http.MethodGet, c.q, nil)
		if a.code() != "1010002" || a.status != http.StatusBadRequest || !strings.Contains(a.desc(), c.field) {
			t.Errorf("query %s: got %d %s", c.field, a.status, a.raw)
		}
	}
	a := e.call(app1, http.MethodDelete, url.Values{}, nil)
	expect(t, a, "1010002", http.StatusBadRequest)
	if n := e.total(app1, x1); n != 1 {
		t.Errorf("x1 holds %d bindings", n)
	}
}

// GET and DELETE read the query string and, when one is sent, a JSON body
// (SPEC §5); numbers arrive as %2B… or, from careless clients, with the '+'
// decoded to a space.
func TestQueryAndUnbindParamsFromQueryOrBody(t *testing.T) {
	e := newEnv(t, envOpts{})
	id, _ := e.bind(app1, map[string]any{"callerNum": numA, "calleeNum": numB, "relationNum": x1})
	e.bind(app1, map[string]any{"callerNum": numC, "calleeNum": numD, "relationNum": x1})

	a := e.call(app1, http.MethodGet, nil, map[string]any{"relationNum": x1, "callerNum": numA})
	expect(t, a, "0", http.StatusOK)
	if a.m["totalCount"] != float64(1) {
		t.Errorf("body query: %s", a.raw)
	}
	// A raw '+' in the query string (decoded as a space by every server).
	raw := e.request(http.MethodGet, axbPath+"?relationNum=+8617100000001&calleeNum=+8613800000004", nil, nil,
		func(r *http.Request) { app1.sign(r, e.clock.Now()) })
	expect(t, raw, "0", http.StatusOK)
	if raw.m["totalCount"] != float64(1) {
		t.Errorf("raw '+' query: %s", raw.raw)
	}
	// Paging.
	a = e.call(app1, http.MethodGet, url.Values{"relationNum": {x1}, "pageIndex": {"2"}, "pageSize": {"10"}}, nil)
	expect(t, a, "0", http.StatusOK)
	if items, _ := a.m["relationNumList"].([]any); a.m["totalCount"] != float64(2) || len(items) != 0 {
		t.Errorf("page 2: %s", a.raw)
	}

	expect(t, e.call(app1, http.MethodDelete, nil, map[string]any{"subscriptionId": id}), "0", http.StatusOK)
	expect(t, e.call(app1, http.MethodGet, nil, map[string]any{"subscriptionId": id}), "1012007", http.StatusNotFound)
	if n := e.total(app1, x1); n != 1 {
		t.Errorf("x1 holds %d after body unbind", n)
	}
}

// subscribeTime is yyyy-MM-dd HH:mm:ss in UTC.
func TestSubscribeTimeFormat(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.bind(app1, map[string]any{"callerNum": numA, "calleeNum": numB, "relationNum": x1})
	a := e.call(app1, http.MethodGet, url.Values{"relationNum": {x1}}, nil)
	item := a.m["relationNumList"].([]any)[0].(map[string]any)
	if ts, _ := item["subscribeTime"].(string); !regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`).MatchString(ts) {
		t.Errorf("subscribeTime %q", ts)
	}
}

// A binding may name "none" for any of its prompts: it is stored and plays
// nothing (SPEC §4.3), unlike an unknown name (1010002).
func TestBindPromptNone(t *testing.T) {
	e := newEnv(t, envOpts{})
	id, _ := e.bind(app1, map[string]any{
		"callerNum": numA, "calleeNum": numB, "relationNum": x1,
		"lastMinVoice": routing.PromptNone,
		"preVoice":     map[string]any{"callerHintTone": routing.PromptNone},
	})
	b, err := e.st.GetBinding("app1", id)
	if err != nil {
		t.Fatal(err)
	}
	if b.LastMinVoice != routing.PromptNone || b.PreVoice.CallerHintTone != routing.PromptNone {
		t.Errorf("stored prompts %q %q, want none", b.LastMinVoice, b.PreVoice.CallerHintTone)
	}
}
