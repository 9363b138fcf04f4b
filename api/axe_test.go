package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xnum/xnum/routing"
)

// party returns the i-th of many distinct home mobile numbers.
func party(i int) string { return fmt.Sprintf("+86139%08d", i) }

// axeBind binds for c and returns subscriptionId, virtualNum, extendNum.
func (e *env) axeBind(c cred, body map[string]any) (id, x, ext string) {
	e.t.Helper()
	f := e.bindAt(c, axePath, "AXE bind", body, "subscriptionId", "virtualNum", "extendNum")
	return f[0], f[1], f[2]
}

func TestAXEBindQueryModifyUnbind(t *testing.T) {
	e := newModesEnv(t, envOpts{})
	id, x, ext := e.axeBind(axeA, map[string]any{
		"bindNum": numA, "virtualNum": axeX[0], "extendNum": "042", "callbackNum": numB,
		"bindExpiredTime": 2, "callbackExpiredTime": 30, "timeUnit": "1", "displayNumMode": 0,
		"maxDuration": 10, "userData": "shop 9",
	})
	if x != axeX[0] || ext != "042" {
		t.Fatalf("bound %s ext %s", x, ext)
	}
	want := map[string]any{
		"subscriptionId": id, "virtualNum": x, "extendNum": "042", "bindNum": numA,
		"callbackNum": numB, "callbackTone": "", "timeUnit": "1", "bindExpiredTime": float64(2),
		"callbackExpiredTime": float64(30), "recordFlag": "false", "displayNumMode": "0",
		"maxDuration": float64(10), "userData": "shop 9", "subscribeTime": "2025-03-04 05:06:07",
	}
	for _, q := range []url.Values{
		{"subscriptionId": {id}},
		{"virtualNum": {x}, "extendNum": {ext}},
		{"subscriptionId": {id}, "virtualNum": {axeX[1]}, "extendNum": {"999"}}, // subscriptionId wins
	} {
		a := e.at(axeA, http.MethodGet, axePath, q, nil)
		expect(t, a, "0", http.StatusOK)
		for k, v := range want {
			if a.m[k] != v {
				t.Errorf("query %v: %s = %v, want %v", q, k, a.m[k], v)
			}
		}
	}

	// Modify by virtualNum + extendNum: a callbackTone replaces the
	// callbackNum; a new unit re-expresses the time not sent.
	expect(t, e.at(axeA, http.MethodPut, axePath, nil, map[string]any{
		"virtualNum": x, "extendNum": ext, "callbackTone": routing.PromptNoBinding,
		"timeUnit": 0, "callbackExpiredTime": 1, "userData": "changed",
	}), "1010002", http.StatusBadRequest) // 2 minutes are no whole number of hours
	expect(t, e.at(axeA, http.MethodPut, axePath, nil, map[string]any{
		"virtualNum": x, "extendNum": ext, "callbackTone": routing.PromptNoBinding,
		"timeUnit": 0, "bindExpiredTime": 3, "callbackExpiredTime": 1, "userData": "changed", "bindNum": numC,
	}), "0", http.StatusOK)
	a := e.at(axeA, http.MethodGet, axePath, url.Values{"subscriptionId": {id}}, nil)
	if a.str("callbackNum") != "" || a.str("callbackTone") != routing.PromptNoBinding || a.str("timeUnit") != "0" ||
		a.m["bindExpiredTime"] != float64(3) || a.m["callbackExpiredTime"] != float64(1) ||
		a.str("userData") != "changed" || a.str("bindNum") != numC || a.m["maxDuration"] != float64(10) {
		t.Errorf("after modify: %s", a.raw)
	}
	// Hours back to minutes converts exactly.
	expect(t, e.at(axeA, http.MethodPut, axePath, nil, map[string]any{"subscriptionId": id, "timeUnit": 1}), "0", http.StatusOK)
	a = e.at(axeA, http.MethodGet, axePath, url.Values{"subscriptionId": {id}}, nil)
	if a.str("timeUnit") != "1" || a.m["bindExpiredTime"] != float64(180) || a.m["callbackExpiredTime"] != float64(60) {
		t.Errorf("after unit change: %s", a.raw)
	}

	expect(t, e.at(axeA, http.MethodDelete, axePath, url.Values{"virtualNum": {x}, "extendNum": {ext}}, nil), "0", http.StatusOK)
	e.expectGone(axeA, axePath, id, true)
}

// bindExpiredTime counts timeUnit; an expired binding is gone for the API.
func TestAXEExpiry(t *testing.T) {
	e := newModesEnv(t, envOpts{})
	id, _, _ := e.axeBind(axeA, map[string]any{"bindNum": numA, "bindExpiredTime": 2, "timeUnit": 1})
	e.clock.Add(119 * time.Second)
	expect(t, e.at(axeA, http.MethodGet, axePath, url.Values{"subscriptionId": {id}}, nil), "0", http.StatusOK)
	// Sending bindExpiredTime restarts the clock.
	expect(t, e.at(axeA, http.MethodPut, axePath, nil, map[string]any{"subscriptionId": id, "bindExpiredTime": 2}), "0", http.StatusOK)
	e.clock.Add(119 * time.Second)
	expect(t, e.at(axeA, http.MethodGet, axePath, url.Values{"subscriptionId": {id}}, nil), "0", http.StatusOK)
	e.clock.Add(time.Second)
	expect(t, e.at(axeA, http.MethodGet, axePath, url.Values{"subscriptionId": {id}}, nil), "1016001", http.StatusNotFound)
}

// Extensions: the app's length, unique per X (1016002), A once per X
// (1016002), assigned when absent, none free → 1020167.
func TestAXEExtensions(t *testing.T) {
	e := newModesEnv(t, envOpts{})
	_, x, ext := e.axeBind(axeA, map[string]any{"bindNum": numA, "virtualNum": axeX[0]})
	if len(ext) != 3 || strings.Trim(ext, "0123456789") != "" {
		t.Errorf("assigned extension %q, want 3 digits", ext)
	}
	a := e.at(axeA, http.MethodPost, axePath, nil, map[string]any{"bindNum": numB, "virtualNum": x, "extendNum": ext})
	expect(t, a, "1016002", http.StatusConflict)
	a = e.at(axeA, http.MethodPost, axePath, nil, map[string]any{"bindNum": numA, "virtualNum": x})
	expect(t, a, "1016002", http.StatusConflict)
	// The same extension on the other X is fine; so is A there.
	e.axeBind(axeA, map[string]any{"bindNum": numA, "virtualNum": axeX[1], "extendNum": ext})

	// An app with one-digit extensions and one X: ten bindings, then 1020167.
	if err := e.st.CreateApp(routing.App{Key: "axe9", Secret: "secret-axe9", Mode: routing.ModeAXE, ExtLen: 1}); err != nil {
		t.Fatal(err)
	}
	if err := e.st.AddNumbers("axe9", []routing.Number{"+8617500000009"}, ""); err != nil {
		t.Fatal(err)
	}
	small := cred{key: "axe9", secret: "secret-axe9"}
	seen := map[string]bool{}
	for i := range 10 {
		_, _, ext := e.axeBind(small, map[string]any{"bindNum": party(i)})
		if seen[ext] || len(ext) != 1 {
			t.Errorf("extension %q assigned twice or of wrong length", ext)
		}
		seen[ext] = true
	}
	expect(t, e.at(small, http.MethodPost, axePath, nil, map[string]any{"bindNum": party(10)}), "1020167", http.StatusConflict)
	expect(t, e.at(small, http.MethodPost, axePath, nil, map[string]any{"bindNum": party(10), "virtualNum": "+8617500000009"}),
		"1020167", http.StatusConflict)
}

// virtualNum of another app, no free X, the X choice by area.
func TestAXEXChoice(t *testing.T) {
	e := newModesEnv(t, envOpts{})
	expect(t, e.at(axeA, http.MethodPost, axePath, nil, map[string]any{"bindNum": numA, "virtualNum": x1}), "1011001", http.StatusForbidden)
	// No X in area 010: strict is 1012008 (issue 4 item 5, as AXB); mode 1
	// falls back to the app's other X.
	expect(t, e.at(axeA, http.MethodPost, axePath, nil, map[string]any{"bindNum": numA, "areaCode": "010"}), "1012008", http.StatusConflict)
	if _, x, _ := e.axeBind(axeA, map[string]any{"bindNum": numB, "areaCode": "010", "areaMatchMode": 1}); x != axeX[0] && x != axeX[1] {
		t.Errorf("areaCode 010 mode 1 gave %s", x)
	}
	_, x, _ := e.axeBind(axeA, map[string]any{"bindNum": numA, "areaCode": "0755"})
	if x != axeX[0] && x != axeX[1] {
		t.Errorf("areaCode 0755 gave %s", x)
	}
	expect(t, e.at(axeA, http.MethodGet, axePath, url.Values{"virtualNum": {x1}, "extendNum": {"123"}}, nil), "1011001", http.StatusForbidden)
	expect(t, e.at(axeA, http.MethodGet, axePath, url.Values{"virtualNum": {x}, "extendNum": {"999"}}, nil), "1016001", http.StatusNotFound)
}

func TestAXEInvalidFields1010002(t *testing.T) {
	e := newModesEnv(t, envOpts{})
	base := map[string]any{"bindNum": numA, "virtualNum": axeX[0]}
	e.expectFields(axeA, axePath, []fieldCase{
		{"bindNum", with(base, "bindNum", nil)},
		{"bindNum", with(base, "bindNum", "123")},
		{"bindNum", with(base, "bindNum", axeX[1])},
		{"virtualNum", with(base, "virtualNum", "v")},
		{"extendNum", with(base, "extendNum", "12")},
		{"extendNum", with(base, "extendNum", "1234")},
		{"extendNum", with(base, "extendNum", "12a")},
		{"extendNum", with(base, "extendNum", 123)},
		{"callbackNum and callbackTone", with(base, "callbackNum", numB, "callbackTone", routing.PromptNoBinding)},
		{"callbackNum", with(base, "callbackNum", axeX[1])},
		{"callbackNum", with(base, "callbackNum", x9)},
		{"callbackNum", with(base, "callbackNum", numA)},
		{"callbackNum", with(base, "callbackNum", "+864001234567")},
		{"callbackTone", with(base, "callbackTone", "nosuch")},
		{"timeUnit", with(base, "timeUnit", 2)},
		{"bindExpiredTime", with(base, "bindExpiredTime", -1)},
		{"bindExpiredTime", with(base, "bindExpiredTime", 2161)},
		{"callbackExpiredTime", with(base, "callbackExpiredTime", "soon")},
		{"displayNumMode", with(base, "displayNumMode", 5)},
		{"maxDuration", with(base, "maxDuration", -1)},
		{"recordHintTone", with(base, "recordHintTone", "nosuch")},
		{"userData", with(base, "userData", "a\tb")},
		{"areaCode", with(base, "virtualNum", nil, "areaCode", "x")},
	})
	expect(t, e.at(axeA, http.MethodPost, axePath, nil, with(base, "recordFlag", true)), "1012012", http.StatusForbidden)
	for _, q := range []url.Values{{}, {"virtualNum": {axeX[0]}}, {"extendNum": {"123"}}} {
		expectField(t, e.at(axeA, http.MethodGet, axePath, q, nil), "subscriptionId or virtualNum and extendNum")
		expectField(t, e.at(axeA, http.MethodDelete, axePath, q, nil), "subscriptionId or virtualNum and extendNum")
	}
	expectField(t, e.at(axeA, http.MethodGet, axePath, url.Values{"virtualNum": {axeX[0]}, "extendNum": {"12345"}}, nil), "extendNum")
	// Nothing was stored: bindNum numA can still take the extension of the
	// first attempt on that X.
	e.axeBind(axeA, with(base, "extendNum", "123"))
	id, _, _ := e.axeBind(axeA, map[string]any{"bindNum": numB, "virtualNum": axeX[0], "callbackNum": numC})
	expectField(t, e.at(axeA, http.MethodPut, axePath, nil, map[string]any{"subscriptionId": id, "callbackNum": numB}), "callbackNum")
	expectField(t, e.at(axeA, http.MethodPut, axePath, nil, map[string]any{"subscriptionId": id, "bindNum": x1}), "bindNum")
	a := e.at(axeA, http.MethodGet, axePath, url.Values{"subscriptionId": {id}}, nil)
	if a.str("callbackNum") != numC || a.str("bindNum") != numB {
		t.Errorf("a refused modify changed the binding: %s", a.raw)
	}
}

func TestAXEModeAndFrozen(t *testing.T) {
	e := newModesEnv(t, envOpts{})
	for _, c := range []cred{app1, axA, ybA} {
		for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodGet, http.MethodDelete} {
			expect(t, e.at(c, m, axePath, url.Values{"subscriptionId": {"x"}}, map[string]any{"bindNum": numA}),
				"1010040", http.StatusForbidden)
		}
	}
	id, _, _ := e.axeBind(axeA, map[string]any{"bindNum": numA})
	if err := e.st.SetFrozen("axe1", true); err != nil {
		t.Fatal(err)
	}
	expect(t, e.at(axeA, http.MethodPost, axePath, nil, map[string]any{"bindNum": numB}), "1010029", http.StatusForbidden)
	expect(t, e.at(axeA, http.MethodPut, axePath, nil, map[string]any{"subscriptionId": id, "userData": "x"}), "1010029", http.StatusForbidden)
	expect(t, e.at(axeA, http.MethodDelete, axePath, url.Values{"subscriptionId": {id}}, nil), "1010029", http.StatusForbidden)
	expect(t, e.at(axeA, http.MethodGet, axePath, url.Values{"subscriptionId": {id}}, nil), "0", http.StatusOK)
	if err := e.st.SetFrozen("axe1", false); err != nil {
		t.Fatal(err)
	}
	expect(t, e.at(axeA, http.MethodDelete, axePath, url.Values{"subscriptionId": {id}}, nil), "0", http.StatusOK)
}

// Concurrent binds keep extensions unique per X: assigned ones never
// repeat, and one asked for by many goes to exactly one.
func TestAXEConcurrentBinds(t *testing.T) {
	e := newModesEnv(t, envOpts{})
	const n = 40
	got := e.concurrently(n, func(i int) (answer, error) {
		return e.try(axeA, http.MethodPost, axePath, nil, map[string]any{"bindNum": party(i), "virtualNum": axeX[0]})
	})
	if len(got["0"]) != n {
		t.Fatalf("assigned binds: %v", codesOf(got))
	}
	seen := map[string]bool{}
	for _, a := range got["0"] {
		if ext := a.str("extendNum"); seen[ext] {
			t.Errorf("extension %s assigned twice", ext)
		} else {
			seen[ext] = true
		}
	}
	got = e.concurrently(n, func(i int) (answer, error) {
		return e.try(axeA, http.MethodPost, axePath, nil,
			map[string]any{"bindNum": party(100 + i), "virtualNum": axeX[1], "extendNum": "777"})
	})
	if len(got["0"]) != 1 || len(got["1016002"]) != n-1 {
		t.Errorf("one extension asked by %d at once: %v", n, codesOf(got))
	}
}
