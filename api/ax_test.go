package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xnum/xnum/routing"
)

// axBind binds origNum for c and returns subscriptionId and privateNum.
func (e *env) axBind(c cred, body map[string]any) (id, x string) {
	e.t.Helper()
	f := e.bindAt(c, axPath, "AX bind", body, "subscriptionId", "privateNum", "origNum")
	return f[0], f[1]
}

func TestAXBindQueryModifyUnbind(t *testing.T) {
	e := newModesEnv(t, envOpts{})
	id, x := e.axBind(axA, map[string]any{
		"origNum": numA, "privateNum": ax1X[0], "privateNumType": "mobile-virtual",
		"recordFlag": true, "recordHintTone": routing.PromptRecording, "calleeNumDisplay": "0",
		"privateSms": "true", "maxDuration": 30, "userData": "driver 7",
		"preVoice": map[string]any{"callerHintTone": routing.PromptConnecting},
	})
	if x != ax1X[0] {
		t.Fatalf("privateNum %s, want %s", x, ax1X[0])
	}
	for _, q := range []url.Values{
		{"subscriptionId": {id}},
		{"origNum": {numA}},
		{"privateNum": {x}},
		{"subscriptionId": {id}, "origNum": {numB}}, // subscriptionId wins
	} {
		a := e.at(axA, http.MethodGet, axPath, q, nil)
		expect(t, a, "0", http.StatusOK)
		list, _ := a.m["privateNumList"].([]any)
		if a.m["totalCount"] != float64(1) || len(list) != 1 {
			t.Fatalf("query %v: %s", q, a.raw)
		}
		want := map[string]any{
			"subscriptionId": id, "origNum": numA, "privateNum": x, "maxDuration": float64(30),
			"recordFlag": true, "privateSms": true, "userData": "driver 7",
			"subscribeTime": "2025-03-04 05:06:07",
		}
		for _, m := range []map[string]any{list[0].(map[string]any), a.m} {
			for k, v := range want {
				if m[k] != v {
					t.Errorf("query %v: %s = %v, want %v", q, k, m[k], v)
				}
			}
		}
	}

	// Modify by privateNum: a new A and other fields.
	expect(t, e.at(axA, http.MethodPut, axPath, nil, map[string]any{
		"privateNum": x, "origNum": numC, "maxDuration": 0, "userData": "changed", "recordFlag": false,
	}), "0", http.StatusOK)
	a := e.at(axA, http.MethodGet, axPath, url.Values{"subscriptionId": {id}}, nil)
	if a.str("origNum") != numC || a.m["maxDuration"] != float64(0) || a.str("userData") != "changed" ||
		a.m["recordFlag"] != false || a.m["privateSms"] != true {
		t.Errorf("after modify: %s", a.raw)
	}
	expect(t, e.at(axA, http.MethodGet, axPath, url.Values{"origNum": {numA}}, nil), "1016001", http.StatusNotFound)

	// Unbind by privateNum; twice is 1016001.
	expect(t, e.at(axA, http.MethodDelete, axPath, url.Values{"privateNum": {x}, "origNum": {numB}}, nil), "0", http.StatusOK)
	e.expectGone(axA, axPath, id, true)
}

// One X holds one A (1011005); one A holds at most 5 X (1011003).
func TestAXCapacity(t *testing.T) {
	e := newModesEnv(t, envOpts{})
	e.axBind(axA, map[string]any{"origNum": numA, "privateNum": ax1X[0]})
	a := e.at(axA, http.MethodPost, axPath, nil, map[string]any{"origNum": numB, "privateNum": ax1X[0]})
	expect(t, a, "1011005", http.StatusConflict)
	// The same A on the same X again is that X's A too.
	a = e.at(axA, http.MethodPost, axPath, nil, map[string]any{"origNum": numA, "privateNum": ax1X[0]})
	expect(t, a, "1011005", http.StatusConflict)
	for _, x := range ax1X[1:5] {
		e.axBind(axA, map[string]any{"origNum": numA, "privateNum": x})
	}
	a = e.at(axA, http.MethodPost, axPath, nil, map[string]any{"origNum": numA, "privateNum": ax1X[5]})
	expect(t, a, "1011003", http.StatusConflict)
	a = e.at(axA, http.MethodPost, axPath, nil, map[string]any{"origNum": numA})
	expect(t, a, "1011003", http.StatusConflict)
	q := e.at(axA, http.MethodGet, axPath, url.Values{"origNum": {numA}}, nil)
	if q.m["totalCount"] != float64(5) {
		t.Errorf("A holds %v X, want 5: %s", q.m["totalCount"], q.raw)
	}
	// Moving another A onto numA by modify is refused the same way.
	id, _ := e.axBind(axA, map[string]any{"origNum": numB, "privateNum": ax1X[5]})
	expect(t, e.at(axA, http.MethodPut, axPath, nil, map[string]any{"subscriptionId": id, "origNum": numA}),
		"1011003", http.StatusConflict)
}

// X of another app → 1011001; a number that is no X at all → 1011004; no
// free X in a strict area → 1012008 (issue 4 item 5, as AXB); no free X at
// all → 1011002.
func TestAXXChoice(t *testing.T) {
	e := newModesEnv(t, envOpts{})
	a := e.at(axA, http.MethodPost, axPath, nil, map[string]any{"origNum": numA, "privateNum": ax2X})
	expect(t, a, "1011001", http.StatusForbidden)
	a = e.at(axA, http.MethodPost, axPath, nil, map[string]any{"origNum": numA, "privateNum": "+8617999999999"})
	expect(t, a, "1011004", http.StatusForbidden)
	expect(t, e.at(axA, http.MethodGet, axPath, url.Values{"privateNum": {ax2X}}, nil), "1011001", http.StatusForbidden)
	expect(t, e.at(axA, http.MethodDelete, axPath, url.Values{"privateNum": {ax2X}}, nil), "1011001", http.StatusForbidden)

	// areaCode picks in the area; strict with none left → 1012008.
	_, x := e.axBind(axA, map[string]any{"origNum": numA, "areaCode": "010"})
	if x != ax1X[5] {
		t.Errorf("areaCode 010 gave %s, want %s", x, ax1X[5])
	}
	a = e.at(axA, http.MethodPost, axPath, nil, map[string]any{"origNum": numB, "areaCode": "010", "areaMatchMode": 0})
	expect(t, a, "1012008", http.StatusConflict)
	if a.desc() != "no free X for the requested area" {
		t.Errorf("area miss resultdesc %q", a.desc())
	}
	_, x = e.axBind(axA, map[string]any{"origNum": numB, "areaCode": "010", "areaMatchMode": 1})
	if x == ax1X[5] {
		t.Errorf("areaMatchMode 1 reused the taken X")
	}
	// privateNum wins over areaCode.
	_, x = e.axBind(axA, map[string]any{"origNum": numC, "privateNum": ax1X[6], "areaCode": "0755"})
	if x != ax1X[6] {
		t.Errorf("privateNum with areaCode bound %s", x)
	}
	// Fill the rest: every X has its A, so none is free.
	for _, n := range []string{numD, fixed, "+8613800000005", "+8613800000006"} {
		e.at(axA, http.MethodPost, axPath, nil, map[string]any{"origNum": n})
	}
	a = e.at(axA, http.MethodPost, axPath, nil, map[string]any{"origNum": "+8613800000007"})
	expect(t, a, "1011002", http.StatusConflict)
	// By area: strict is the area's miss; areaMatchMode 1 falls back to any
	// X, so its miss is the app's.
	a = e.at(axA, http.MethodPost, axPath, nil, map[string]any{"origNum": "+8613800000007", "areaCode": "0755"})
	expect(t, a, "1012008", http.StatusConflict)
	a = e.at(axA, http.MethodPost, axPath, nil, map[string]any{"origNum": "+8613800000007", "areaCode": "0755", "areaMatchMode": 1})
	expect(t, a, "1011002", http.StatusConflict)
}

// The temporary callee: by privateNum or subscriptionId (which wins), a
// home number or a 400/95 service number, never an X.
func TestAXTemporaryCallee(t *testing.T) {
	e := newModesEnv(t, envOpts{})
	id, x := e.axBind(axA, map[string]any{"origNum": numA, "privateNum": ax1X[0]})
	id2, x2 := e.axBind(axA, map[string]any{"origNum": numB, "privateNum": ax1X[1]})
	for _, body := range []map[string]any{
		{"privateNum": x, "calleeNum": numC},
		{"subscriptionId": id, "calleeNum": "+864001234567"},
		{"subscriptionId": id, "calleeNum": "95588"},
		{"subscriptionId": id, "privateNum": x2, "calleeNum": numD}, // subscriptionId wins
	} {
		expect(t, e.at(axA, http.MethodPut, axCalleePath, nil, body), "0", http.StatusOK)
	}

	for _, c := range []struct {
		field string
		body  map[string]any
	}{
		{"calleeNum", map[string]any{"subscriptionId": id}},
		{"calleeNum", map[string]any{"subscriptionId": id, "calleeNum": ax2X}},
		{"calleeNum", map[string]any{"subscriptionId": id, "calleeNum": x}},
		{"calleeNum", map[string]any{"subscriptionId": id, "calleeNum": "+4930123456"}},
		{"calleeNum", map[string]any{"subscriptionId": id, "calleeNum": "12"}},
		{"calleeNum", map[string]any{"subscriptionId": id, "calleeNum": numA}}, // A itself
		{"subscriptionId or privateNum", map[string]any{"calleeNum": numC}},
		{"privateNum", map[string]any{"privateNum": "abc", "calleeNum": numC}},
	} {
		expectField(t, e.at(axA, http.MethodPut, axCalleePath, nil, c.body), c.field)
	}
	expect(t, e.at(axA, http.MethodPut, axCalleePath, nil, map[string]any{"subscriptionId": "nope", "calleeNum": numC}),
		"1016001", http.StatusNotFound)
	expect(t, e.at(axA, http.MethodPut, axCalleePath, nil, map[string]any{"privateNum": ax1X[6], "calleeNum": numC}),
		"1016001", http.StatusNotFound)
	expect(t, e.at(axA, http.MethodPut, axCalleePath, nil, map[string]any{"privateNum": ax2X, "calleeNum": numC}),
		"1011001", http.StatusForbidden)

	// The last valid set is the one routing takes, once; x2 has none.
	e.clock.Add(59 * time.Second)
	takeTempCallee(t, e, x, id, numD)
	takeTempCallee(t, e, x, id, "")
	takeTempCallee(t, e, x2, id2, "")
	// A set serves within 60 s only.
	expect(t, e.at(axA, http.MethodPut, axCalleePath, nil, map[string]any{"privateNum": x2, "calleeNum": numC}), "0", http.StatusOK)
	e.clock.Add(61 * time.Second)
	takeTempCallee(t, e, x2, id2, "")
}

// takeTempCallee consumes the temporary callee routing would use for x.
func takeTempCallee(t *testing.T, e *env, x, id, want string) {
	t.Helper()
	got, ok, err := e.st.TakeTempCallee(routing.Number(x), id, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want || ok != (want != "") {
		t.Errorf("temporary callee of %s: %q %v, want %q", x, got, ok, want)
	}
}

// Every bad field is 1010002 naming it, and nothing is stored.
func TestAXInvalidFields1010002(t *testing.T) {
	e := newModesEnv(t, envOpts{})
	base := map[string]any{"origNum": numA, "privateNum": ax1X[0]}
	e.expectFields(axA, axPath, []fieldCase{
		{"origNum", with(base, "origNum", nil)},
		{"origNum", with(base, "origNum", "12345")},
		{"origNum", with(base, "origNum", ax1X[1])},
		{"origNum", with(base, "origNum", x9)},
		{"origNum", with(base, "origNum", "+864001234567")},
		{"origNum", with(base, "origNum", 8613800000001)},
		{"privateNum", with(base, "privateNum", "x")},
		{"areaCode", with(base, "privateNum", nil, "areaCode", "7")},
		{"areaMatchMode", with(base, "areaMatchMode", 2)},
		{"calleeNumDisplay", with(base, "calleeNumDisplay", 2)},
		{"maxDuration", with(base, "maxDuration", 1441)},
		{"recordFlag", with(base, "recordFlag", "maybe")},
		{"recordHintTone", with(base, "recordHintTone", "nosuch")},
		{"lastMinVoice", with(base, "lastMinVoice", "nosuch")},
		{"privateSms", with(base, "privateSms", 2)},
		{"preVoice.calleeHintTone", with(base, "preVoice", map[string]any{"calleeHintTone": "nosuch"})},
		{"userData", with(base, "userData", strings.Repeat("u", 257))},
		{"body", "[1]"},
	})
	// Recording for an app without it.
	expect(t, e.at(axB, http.MethodPost, axPath, nil, map[string]any{"origNum": numA, "recordFlag": true}),
		"1012012", http.StatusForbidden)
	expectField(t, e.at(axA, http.MethodGet, axPath, url.Values{}, nil), "subscriptionId or privateNum")
	expectField(t, e.at(axA, http.MethodGet, axPath, url.Values{"origNum": {"bad"}}, nil), "origNum")
	expectField(t, e.at(axA, http.MethodDelete, axPath, url.Values{"origNum": {numA}}, nil), "subscriptionId or privateNum")
	expectField(t, e.at(axA, http.MethodPut, axPath, nil, map[string]any{"userData": "x"}), "subscriptionId or privateNum")
	// Nothing was stored.
	expect(t, e.at(axA, http.MethodGet, axPath, url.Values{"origNum": {numA}}, nil), "1016001", http.StatusNotFound)
	expect(t, e.at(axA, http.MethodGet, axPath, url.Values{"privateNum": {ax1X[0]}}, nil), "1016001", http.StatusNotFound)
}

// Another mode's key → 1010040 on every AX operation; frozen → 1010029 on
// every change, queries still answer.
func TestAXModeAndFrozen(t *testing.T) {
	e := newModesEnv(t, envOpts{})
	for _, c := range []cred{app1, axeA, ybA} {
		for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodGet, http.MethodDelete} {
			expect(t, e.at(c, m, axPath, url.Values{"privateNum": {ax1X[0]}}, map[string]any{"origNum": numA}),
				"1010040", http.StatusForbidden)
		}
		expect(t, e.at(c, http.MethodPut, axCalleePath, nil, map[string]any{"privateNum": ax1X[0], "calleeNum": numB}),
			"1010040", http.StatusForbidden)
	}
	expect(t, e.at(axA, http.MethodPost, axbPath, nil, map[string]any{"callerNum": numA, "calleeNum": numB}),
		"1010040", http.StatusForbidden)

	id, x := e.axBind(axA, map[string]any{"origNum": numA, "privateNum": ax1X[0]})
	if err := e.st.SetFrozen("ax1", true); err != nil {
		t.Fatal(err)
	}
	expect(t, e.at(axA, http.MethodPost, axPath, nil, map[string]any{"origNum": numB}), "1010029", http.StatusForbidden)
	expect(t, e.at(axA, http.MethodPut, axPath, nil, map[string]any{"subscriptionId": id, "userData": "x"}), "1010029", http.StatusForbidden)
	expect(t, e.at(axA, http.MethodPut, axCalleePath, nil, map[string]any{"subscriptionId": id, "calleeNum": numB}), "1010029", http.StatusForbidden)
	expect(t, e.at(axA, http.MethodDelete, axPath, url.Values{"subscriptionId": {id}}, nil), "1010029", http.StatusForbidden)
	expect(t, e.at(axA, http.MethodGet, axPath, url.Values{"privateNum": {x}}, nil), "0", http.StatusOK)
	if err := e.st.SetFrozen("ax1", false); err != nil {
		t.Fatal(err)
	}
	a := e.at(axA, http.MethodGet, axPath, url.Values{"subscriptionId": {id}}, nil)
	if a.str("origNum") != numA || a.str("privateNum") != x {
		t.Errorf("binding changed across freeze: %s", a.raw)
	}
	expect(t, e.at(axA, http.MethodDelete, axPath, url.Values{"subscriptionId": {id}}, nil), "0", http.StatusOK)
}

// Concurrent binds keep the capacity rules: one A on at most 5 X, one A per
// X.
func TestAXConcurrentBinds(t *testing.T) {
	e := newModesEnv(t, envOpts{})
	got := e.concurrently(len(ax1X), func(i int) (answer, error) {
		return e.try(axA, http.MethodPost, axPath, nil, map[string]any{"origNum": numA, "privateNum": ax1X[i]})
	})
	if len(got["0"]) != 5 || len(got["1011003"]) != len(ax1X)-5 {
		t.Errorf("same A on %d X at once: %d bound, %d refused 1011003, all %v", len(ax1X), len(got["0"]), len(got["1011003"]), codesOf(got))
	}
	// Many A at once on one X that A did not get: exactly one wins.
	taken := map[string]bool{}
	for _, a := range got["0"] {
		taken[a.str("privateNum")] = true
	}
	var free string
	for _, x := range ax1X {
		if !taken[x] {
			free = x
		}
	}
	others := []string{numB, numC, numD, fixed, "+8613800000005", "+8613800000006"}
	got = e.concurrently(len(others), func(i int) (answer, error) {
		return e.try(axA, http.MethodPost, axPath, nil, map[string]any{"origNum": others[i], "privateNum": free})
	})
	if len(got["0"]) != 1 || len(got["1011005"]) != len(others)-1 {
		t.Errorf("%d A on one X at once: %v", len(others), codesOf(got))
	}
}

func codesOf(m map[string][]answer) map[string]int {
	out := map[string]int{}
	for k, v := range m {
		out[k] = len(v)
	}
	return out
}
