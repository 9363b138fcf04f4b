package api_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/xnum/xnum/routing"
	"github.com/xnum/xnum/store"
)

// axybBind binds for c and returns subscriptionId and relationNumber.
func (e *env) axybBind(c cred, body map[string]any) (id, x string) {
	e.t.Helper()
	f := e.bindAt(c, axybPath, "AXYB bind", body, "subscriptionId", "relationNumber")
	return f[0], f[1]
}

// allocate makes the B–Y relation a call of b to the binding's X makes.
func (e *env) allocate(id, b string) routing.YRelation {
	e.t.Helper()
	r, err := e.st.AllocateY(id, routing.Number(b), e.clock.Now())
	if err != nil {
		e.t.Fatalf("allocate Y for %s: %v", b, err)
	}
	return r
}

// rows queries q as c and returns the xyRelationNumList items.
func (e *env) rows(c cred, q url.Values) []map[string]any {
	e.t.Helper()
	a := e.at(c, http.MethodGet, axybPath, q, nil)
	expect(e.t, a, "0", http.StatusOK)
	list, ok := a.m["xyRelationNumList"].([]any)
	if !ok {
		e.t.Fatalf("no xyRelationNumList: %s", a.raw)
	}
	out := make([]map[string]any, len(list))
	for i, it := range list {
		out[i] = it.(map[string]any)
	}
	return out
}

func TestAXYBBindQueryUnbind(t *testing.T) {
	e := newModesEnv(t, envOpts{})
	id, x := e.axybBind(ybA, map[string]any{
		"origNum": numA, "privateNum": axybX[0], "duration": 3600, "ybDuration": 600,
		"callDirection": 1, "userData": "order 5", "maxDuration": 20,
	})
	if x != axybX[0] {
		t.Fatalf("relationNumber %s, want %s", x, axybX[0])
	}
	rows := e.rows(ybA, url.Values{"subscriptionId": {id}})
	// duration and ybDuration are JSON strings: the vendor's AXYB query types
	// them String(1-32) (SPEC §5 names them, not their type); callDirection
	// is an Integer there.
	want := map[string]any{
		"bindId": id, "numA": numA, "numX": x, "numY": "", "numB": "", "callDirection": float64(1),
		"duration": "3600", "ybDuration": "600", "subscribeTime": "2025-03-04 05:06:07",
		"userData": "order 5",
	}
	if len(rows) != 1 {
		t.Fatalf("rows %v", rows)
	}
	for k, v := range want {
		if rows[0][k] != v {
			t.Errorf("%s = %#v, want %#v", k, rows[0][k], v)
		}
	}

	// Two callers get their Y at call time; the query lists one row each.
	e.clock.Add(10 * time.Second)
	rb := e.allocate(id, numB)
	rc := e.allocate(id, numC)
	rows = e.rows(ybA, url.Values{"relationNum": {x}})
	if len(rows) != 2 {
		t.Fatalf("rows after two calls: %v", rows)
	}
	got := map[string]string{}
	for _, r := range rows {
		got[r["numB"].(string)] = r["numY"].(string)
		if r["bindId"] != id || r["numA"] != numA || r["numX"] != x || r["subscribeTime"] != "2025-03-04 05:06:17" {
			t.Errorf("row %v", r)
		}
	}
	if got[numB] != string(rb.Y) || got[numC] != string(rc.Y) || rb.Y == rc.Y {
		t.Errorf("rows %v, relations %s %s", got, rb.Y, rc.Y)
	}
	// Query by origNum [DESIGN] sees the same; paging by row.
	if rows := e.rows(ybA, url.Values{"origNum": {numA}, "pageSize": {"10"}, "pageIndex": {"1"}}); len(rows) != 2 {
		t.Errorf("by origNum: %v", rows)
	}

	// One relation by bNum, the other by yNum (which wins over bNum).
	expect(t, e.at(ybA, http.MethodDelete, axybPath, url.Values{"subscriptionId": {id}, "bNum": {numB}}, nil), "0", http.StatusOK)
	expect(t, e.at(ybA, http.MethodDelete, axybPath, url.Values{"subscriptionId": {id}, "bNum": {numB}}, nil), "1016001", http.StatusNotFound)
	expect(t, e.at(ybA, http.MethodDelete, axybPath,
		url.Values{"subscriptionId": {id}, "yNum": {string(rc.Y)}, "bNum": {numD}}, nil), "0", http.StatusOK)
	rows = e.rows(ybA, url.Values{"subscriptionId": {id}})
	if len(rows) != 1 || rows[0]["numY"] != "" {
		t.Errorf("after unbinding both relations: %v", rows)
	}

	// All of it by subscriptionId; twice is 1016001.
	e.allocate(id, numB)
	expect(t, e.at(ybA, http.MethodDelete, axybPath, url.Values{"subscriptionId": {id}}, nil), "0", http.StatusOK)
	e.expectGone(ybA, axybPath, id, false)
	if rows := e.rows(ybA, url.Values{"relationNum": {x}}); len(rows) != 0 {
		t.Errorf("X still lists %v", rows)
	}
	if _, ok, err := e.st.YRelationByB(routing.Number(x), numB); err != nil || ok {
		t.Errorf("relation survived the unbind: %v %v", ok, err)
	}
}

// A B–Y relation lives ybDuration; the binding duration.
func TestAXYBDurations(t *testing.T) {
	e := newModesEnv(t, envOpts{})
	id, x := e.axybBind(ybA, map[string]any{"origNum": numA, "duration": 600, "ybDuration": 120})
	e.allocate(id, numB)
	e.clock.Add(119 * time.Second)
	if rows := e.rows(ybA, url.Values{"relationNum": {x}}); len(rows) != 1 || rows[0]["numB"] != numB {
		t.Errorf("relation gone early: %v", rows)
	}
	e.clock.Add(time.Second)
	if rows := e.rows(ybA, url.Values{"relationNum": {x}}); len(rows) != 1 || rows[0]["numB"] != "" {
		t.Errorf("relation outlived ybDuration: %v", rows)
	}
	e.clock.Add(480 * time.Second)
	expect(t, e.at(ybA, http.MethodGet, axybPath, url.Values{"subscriptionId": {id}}, nil), "1016001", http.StatusNotFound)
}

// One X one A (1016002); a number serving as Y is no X (1016002); another
// app's X (1011001); none free (1011002), none in a strict area (1012008).
func TestAXYBXRules(t *testing.T) {
	e := newModesEnv(t, envOpts{})
	id, _ := e.axybBind(ybA, map[string]any{"origNum": numA, "privateNum": axybX[0]})
	expect(t, e.at(ybA, http.MethodPost, axybPath, nil, map[string]any{"origNum": numB, "privateNum": axybX[0]}),
		"1016002", http.StatusConflict)
	y := e.allocate(id, numB).Y
	expect(t, e.at(ybA, http.MethodPost, axybPath, nil, map[string]any{"origNum": numC, "privateNum": string(y)}),
		"1016002", http.StatusConflict)
	expect(t, e.at(ybA, http.MethodPost, axybPath, nil, map[string]any{"origNum": numC, "privateNum": x1}),
		"1011001", http.StatusForbidden)
	// The one number left is picked; then none is free.
	_, x := e.axybBind(ybA, map[string]any{"origNum": numC})
	if x == axybX[0] || x == string(y) {
		t.Errorf("bound on a taken number %s", x)
	}
	expect(t, e.at(ybA, http.MethodPost, axybPath, nil, map[string]any{"origNum": numD}), "1011002", http.StatusConflict)
	// By area: a strict miss is 1012008 (issue 4 item 5, as AXB), also in an
	// area with X numbers that are all taken; mode 1's miss is the app's.
	expect(t, e.at(ybA, http.MethodPost, axybPath, nil, map[string]any{"origNum": numD, "areaCode": "010"}), "1012008", http.StatusConflict)
	expect(t, e.at(ybA, http.MethodPost, axybPath, nil, map[string]any{"origNum": numD, "areaCode": "0755"}), "1012008", http.StatusConflict)
	expect(t, e.at(ybA, http.MethodPost, axybPath, nil, map[string]any{"origNum": numD, "areaCode": "010", "areaMatchMode": 1}),
		"1011002", http.StatusConflict)
	expect(t, e.at(ybA, http.MethodGet, axybPath, url.Values{"relationNum": {x1}}, nil), "1011001", http.StatusForbidden)
}

func TestAXYBInvalidFields1010002(t *testing.T) {
	e := newModesEnv(t, envOpts{})
	base := map[string]any{"origNum": numA, "privateNum": axybX[0]}
	e.expectFields(ybA, axybPath, []fieldCase{
		{"origNum", with(base, "origNum", nil)},
		{"origNum", with(base, "origNum", axybX[1])},
		{"origNum", with(base, "origNum", "+1555123")},
		{"privateNum", with(base, "privateNum", "?")},
		{"duration", with(base, "duration", 59)},
		{"ybDuration", with(base, "duration", 600, "ybDuration", 601)},
		{"ybDuration", with(base, "ybDuration", -5)},
		{"callDirection", with(base, "callDirection", 3)},
		{"maxDuration", with(base, "maxDuration", 2000)},
		{"lastMinVoice", with(base, "lastMinVoice", "nosuch")},
		{"userData", with(base, "userData", 5)},
		{"areaMatchMode", with(base, "areaMatchMode", "2")},
	})
	expect(t, e.at(ybA, http.MethodPost, axybPath, nil, with(base, "recordFlag", true)), "1012012", http.StatusForbidden)
	expectField(t, e.at(ybA, http.MethodGet, axybPath, url.Values{}, nil), "subscriptionId or relationNum")
	expectField(t, e.at(ybA, http.MethodGet, axybPath, url.Values{"relationNum": {"bad"}}, nil), "relationNum")
	expectField(t, e.at(ybA, http.MethodDelete, axybPath, url.Values{"bNum": {numB}}, nil), "subscriptionId")
	expectField(t, e.at(ybA, http.MethodDelete, axybPath, url.Values{"subscriptionId": {"abc"}, "bNum": {"bad"}}, nil), "bNum")
	// ybDuration equal to duration, and any ybDuration when duration is 0,
	// are fine; nothing bad was stored before them.
	e.axybBind(ybA, with(base, "duration", 600, "ybDuration", 600))
	e.axybBind(ybA, map[string]any{"origNum": numB, "privateNum": axybX[1], "ybDuration": 7776000})
}

func TestAXYBModeAndFrozen(t *testing.T) {
	e := newModesEnv(t, envOpts{})
	for _, c := range []cred{app1, axA, axeA} {
		for _, m := range []string{http.MethodPost, http.MethodGet, http.MethodDelete} {
			expect(t, e.at(c, m, axybPath, url.Values{"subscriptionId": {"x"}}, map[string]any{"origNum": numA}),
				"1010040", http.StatusForbidden)
		}
	}
	id, _ := e.axybBind(ybA, map[string]any{"origNum": numA})
	e.allocate(id, numB)
	if err := e.st.SetFrozen("axyb1", true); err != nil {
		t.Fatal(err)
	}
	expect(t, e.at(ybA, http.MethodPost, axybPath, nil, map[string]any{"origNum": numC}), "1010029", http.StatusForbidden)
	expect(t, e.at(ybA, http.MethodDelete, axybPath, url.Values{"subscriptionId": {id}, "bNum": {numB}}, nil), "1010029", http.StatusForbidden)
	expect(t, e.at(ybA, http.MethodDelete, axybPath, url.Values{"subscriptionId": {id}}, nil), "1010029", http.StatusForbidden)
	if rows := e.rows(ybA, url.Values{"subscriptionId": {id}}); len(rows) != 1 || rows[0]["numB"] != numB {
		t.Errorf("frozen query: %v", rows)
	}
	if err := e.st.SetFrozen("axyb1", false); err != nil {
		t.Fatal(err)
	}
	expect(t, e.at(ybA, http.MethodDelete, axybPath, url.Values{"subscriptionId": {id}, "bNum": {numB}}, nil), "0", http.StatusOK)
}

// Binds through the API racing call-time Y allocation never let a number
// be an X and a Y at once, and one X gets one A.
func TestAXYBConcurrentBindsAndYUse(t *testing.T) {
	e := newModesEnv(t, envOpts{})
	pool := make([]string, 8)
	for i := range pool {
		pool[i] = fmt.Sprintf("+861770000000%d", i)
	}
	if err := e.st.CreateApp(routing.App{Key: "axyb2", Secret: "secret-axyb2", Mode: routing.ModeAXYB}); err != nil {
		t.Fatal(err)
	}
	if err := e.st.AddNumbers("axyb2", toNums(pool), "0755"); err != nil {
		t.Fatal(err)
	}
	c := cred{key: "axyb2", secret: "secret-axyb2"}
	id, x0 := e.axybBind(c, map[string]any{"origNum": numA, "privateNum": pool[0]})

	// Seven binds (each naming its own number) race seven callers of x0.
	var wg sync.WaitGroup
	start := make(chan struct{})
	binds := make([]answer, 7)
	bindErrs := make([]error, 7)
	allocErrs := make([]error, 7)
	for i := range 7 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			binds[i], bindErrs[i] = e.try(c, http.MethodPost, axybPath, nil,
				map[string]any{"origNum": party(i), "privateNum": pool[i+1]})
		}()
		go func() {
			defer wg.Done()
			<-start
			_, allocErrs[i] = e.st.AllocateY(id, routing.Number(party(100+i)), e.clock.Now())
		}()
	}
	close(start)
	wg.Wait()
	for i := range 7 {
		if bindErrs[i] != nil {
			t.Fatal(bindErrs[i])
		}
		if c := binds[i].code(); c != "0" && c != "1016002" {
			t.Errorf("bind %d: %s", i, binds[i].raw)
		}
		if allocErrs[i] != nil && !errors.Is(allocErrs[i], store.ErrNoFreeY) {
			t.Errorf("allocate %d: %v", i, allocErrs[i])
		}
	}
	xs := map[string]bool{x0: true}
	ys := map[string]bool{}
	for _, x := range pool {
		for _, r := range e.rows(c, url.Values{"relationNum": {x}}) {
			xs[r["numX"].(string)] = true
			if y := r["numY"].(string); y != "" {
				if ys[y] {
					t.Errorf("Y %s serves A %s twice", y, r["numA"])
				}
				ys[y] = true
			}
		}
	}
	for y := range ys {
		if xs[y] {
			t.Errorf("%s is an X and a Y at once", y)
		}
	}
	if len(xs)+len(ys) > len(pool) {
		t.Errorf("%d X and %d Y from %d numbers", len(xs), len(ys), len(pool))
	}
	// Every bind refused was refused because its number was a Y.
	for i, a := range binds {
		if a.code() == "1016002" && !ys[pool[i+1]] {
			t.Errorf("bind on %s refused though it serves as no Y", pool[i+1])
		}
	}

	// Many A at once on one free X: exactly one wins.
	for _, r := range e.rows(c, url.Values{"subscriptionId": {id}}) {
		if y := r["numY"].(string); y != "" {
			expect(t, e.at(c, http.MethodDelete, axybPath, url.Values{"subscriptionId": {id}, "yNum": {y}}, nil), "0", http.StatusOK)
		}
	}
	var free string
	for _, x := range pool {
		if !xs[x] {
			free = x
		}
	}
	if free == "" {
		t.Fatal("no number left free")
	}
	got := e.concurrently(10, func(i int) (answer, error) {
		return e.try(c, http.MethodPost, axybPath, nil, map[string]any{"origNum": party(200 + i), "privateNum": free})
	})
	if len(got["0"]) != 1 || len(got["1016002"]) != 9 {
		t.Errorf("10 A on one X at once: %v", codesOf(got))
	}
}
