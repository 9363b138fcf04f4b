package api_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/xnum/xnum/routing"
)

// queryItem GETs binding id of c by subscriptionId and returns its one
// relationNumList item.
func (e *env) queryItem(c cred, id string) map[string]any {
	e.t.Helper()
	a := e.call(c, http.MethodGet, url.Values{"subscriptionId": {id}}, nil)
	expect(e.t, a, "0", http.StatusOK)
	items, _ := a.m["relationNumList"].([]any)
	if len(items) != 1 {
		e.t.Fatalf("query %s: %s", id, a.raw)
	}
	return items[0].(map[string]any)
}

// TestModifyEveryField: each field SPEC §5 lists as modifiable that the AXB
// tests above leave out (callerNum, maxDuration, recordFlag, lastMinVoice,
// preVoice) changes on its own PUT over HTTP; the query answers the new
// value where SPEC §5 lists it among the query's fields, the stored binding
// (the real Pebble store) holds it otherwise; the fields not sent stay.
func TestModifyEveryField(t *testing.T) {
	e := newEnv(t, envOpts{})
	const xr = "+8617300000001" // rec's one X
	id, x := e.bind(rec, map[string]any{"callerNum": numA, "calleeNum": numB, "userData": "keep",
		"preVoice": map[string]any{"callerHintTone": routing.PromptConnecting}})
	if x != xr {
		t.Fatalf("bound on %s", x)
	}
	put := func(body map[string]any) {
		t.Helper()
		body["subscriptionId"] = id
		expect(t, e.call(rec, http.MethodPut, nil, body), "0", http.StatusOK)
	}
	stored := func() routing.Binding {
		t.Helper()
		b, err := e.st.GetBinding("rec", id)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	put(map[string]any{"callerNum": numC})
	if it := e.queryItem(rec, id); it["callerNum"] != numC || it["calleeNum"] != numB || it["userData"] != "keep" {
		t.Errorf("after callerNum: %v", it)
	}
	// The X's party index moved with it: the old A is free, the new one found.
	for n, want := range map[string]float64{numC: 1, numA: 0} {
		a := e.call(rec, http.MethodGet, url.Values{"relationNum": {xr}, "callerNum": {n}}, nil)
		if a.m["totalCount"] != want {
			t.Errorf("query of X by callerNum %s: %s, want totalCount %v", n, a.raw, want)
		}
	}
	e.bind(rec, map[string]any{"callerNum": numA, "calleeNum": numD, "relationNum": xr})

	put(map[string]any{"maxDuration": 45})
	if it := e.queryItem(rec, id); it["maxDuration"] != float64(45) || it["callerNum"] != numC {
		t.Errorf("after maxDuration: %v", it)
	}

	put(map[string]any{"recordFlag": true})
	if it := e.queryItem(rec, id); it["recordFlag"] != true || it["maxDuration"] != float64(45) {
		t.Errorf("after recordFlag: %v", it)
	}
	if b := stored(); !b.RecordFlag {
		t.Errorf("stored recordFlag %v", b.RecordFlag)
	}

	put(map[string]any{"lastMinVoice": routing.PromptLastMinute})
	if b := stored(); b.LastMinVoice != routing.PromptLastMinute || b.MaxDuration != 45 || !b.RecordFlag {
		t.Errorf("after lastMinVoice: %+v", b)
	}

	// preVoice: the members sent change, the other stays.
	put(map[string]any{"preVoice": map[string]any{"calleeHintTone": routing.PromptRecording}})
	if pv := stored().PreVoice; pv.CallerHintTone != routing.PromptConnecting || pv.CalleeHintTone != routing.PromptRecording {
		t.Errorf("after preVoice.calleeHintTone: %+v", pv)
	}
	put(map[string]any{"preVoice": map[string]any{"callerHintTone": routing.PromptNone}})
	if pv := stored().PreVoice; pv.CallerHintTone != routing.PromptNone || pv.CalleeHintTone != routing.PromptRecording {
		t.Errorf("after preVoice.callerHintTone: %+v", pv)
	}

	// Back to no recording, and lastMinVoice cleared with "".
	put(map[string]any{"recordFlag": "false", "lastMinVoice": ""})
	it := e.queryItem(rec, id)
	if b := stored(); it["recordFlag"] != false || b.RecordFlag || b.LastMinVoice != "" {
		t.Errorf("after recordFlag false: %v %+v", it, b)
	}
	if it["callerNum"] != numC || it["calleeNum"] != numB || it["maxDuration"] != float64(45) || it["userData"] != "keep" {
		t.Errorf("fields not sent changed: %v", it)
	}
}

// TestModifyCallerNumOntoPair1012010: moving callerNum onto a number already
// bound on that X — as another pair's A or B — is 1012010 (issue 4 item 7)
// and changes nothing; a number bound only on another X is fine.
func TestModifyCallerNumOntoPair1012010(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.bind(app1, map[string]any{"callerNum": numA, "calleeNum": numB, "relationNum": x1})
	id, _ := e.bind(app1, map[string]any{"callerNum": numC, "calleeNum": numD, "relationNum": x1})
	e.bind(app1, map[string]any{"callerNum": fixed, "calleeNum": "+8613800000005", "relationNum": x2})
	for _, n := range []string{numA, numB} {
		a := e.call(app1, http.MethodPut, nil, map[string]any{"subscriptionId": id, "callerNum": n})
		expect(t, a, "1012010", http.StatusConflict)
	}
	if it := e.queryItem(app1, id); it["callerNum"] != numC || it["calleeNum"] != numD {
		t.Errorf("a refused modify changed the binding: %v", it)
	}
	expect(t, e.call(app1, http.MethodPut, nil, map[string]any{"subscriptionId": id, "callerNum": "+8613800000005"}), "0", http.StatusOK)
	if it := e.queryItem(app1, id); it["callerNum"] != "+8613800000005" {
		t.Errorf("callerNum of another X's pair: %v", it)
	}
}

// TestModifyRecordHintTone1010002: recordHintTone is set at bind only — SPEC
// §5's modify list leaves it out, as does the vendor's table of AXB fields
// that can be modified — so a PUT carrying it is refused naming the field
// and changes nothing, not silently half-applied.
func TestModifyRecordHintTone1010002(t *testing.T) {
	e := newEnv(t, envOpts{})
	id, _ := e.bind(app1, map[string]any{"callerNum": numA, "calleeNum": numB, "recordHintTone": routing.PromptRecording})
	for _, v := range []any{routing.PromptConnecting, ""} {
		a := e.call(app1, http.MethodPut, nil, map[string]any{"subscriptionId": id, "recordHintTone": v, "userData": "new"})
		expectField(t, a, "recordHintTone")
	}
	b, err := e.st.GetBinding("app1", id)
	if err != nil {
		t.Fatal(err)
	}
	if b.RecordHintTone != routing.PromptRecording || b.UserData != "" {
		t.Errorf("refused modify changed the binding: %+v", b)
	}
	// null counts as absent (params): the rest of the PUT applies.
	expect(t, e.call(app1, http.MethodPut, nil, map[string]any{"subscriptionId": id, "recordHintTone": nil, "userData": "new"}),
		"0", http.StatusOK)
}
