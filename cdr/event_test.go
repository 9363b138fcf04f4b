package cdr

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

// keys returns the JSON object keys of v, sorted.
func keys(t *testing.T, v any) []string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func sorted(s ...string) []string { slices.Sort(s); return s }

// TestRecordFields: a zero Record carries every field of SPEC §6.2 under its
// exact name (unset strings "", integers 0: nothing omitted).
func TestRecordFields(t *testing.T) {
	want := sorted("icid", "direction", "spId", "appKey", "bindNum", "sessionId", "subscriptionId",
		"callerNum", "calleeNum", "fwdDisplayNum", "fwdDstNum", "callInTime", "fwdStartTime",
		"fwdAlertingTime", "fwdAnswerTime", "callEndTime", "failTime", "fwdUnaswRsn", "ulFailReason",
		"sipStatusCode", "callRelDirection", "recordFlag", "recordStartTime", "recordDomain",
		"recordObjectName", "serviceType", "extendNumber", "userData")
	if got := keys(t, Record{}); !slices.Equal(got, want) {
		t.Fatalf("Record keys\n%v\nwant\n%v", got, want)
	}
}

func TestEventFields(t *testing.T) {
	if got := keys(t, Event{}); !slices.Equal(got, []string{"eventType", "statusInfo"}) {
		t.Errorf("Event keys %v", got)
	}
	if got := keys(t, NewFeeEvent([]Record{{}})); !slices.Equal(got, []string{"eventType", "feeLst"}) {
		t.Errorf("FeeEvent keys %v", got)
	}
}

// statusKeys returns the statusInfo keys of ev as an enterprise receives it.
func statusKeys(t *testing.T, ev Event) []string {
	t.Helper()
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		StatusInfo map[string]json.RawMessage `json:"statusInfo"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatal(err)
	}
	var out []string
	for k := range env.StatusInfo {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestEventStateFields: stateCode and stateDesc belong to disconnect only
// (SPEC §6.1): the other events carry neither, even when the struct holds
// values; disconnect carries both always, a normal clear as "stateCode":0.
func TestEventStateFields(t *testing.T) {
	common := []string{"timestamp", "sessionId", "caller", "called", "subscriptionId", "userData"}
	for _, typ := range []string{EventCallIn, EventCallOut, EventAlerting, EventAnswer} {
		ev := Event{EventType: typ, StatusInfo: StatusInfo{StateCode: 7102, StateDesc: "set by mistake"}}
		if got, want := statusKeys(t, ev), sorted(common...); !slices.Equal(got, want) {
			t.Errorf("%s keys %v, want %v", typ, got, want)
		}
	}
	ev := Event{EventType: EventCollectInfo, StatusInfo: StatusInfo{DigitInfo: "12"}}
	if got, want := statusKeys(t, ev), sorted(append(slices.Clone(common), "digitInfo")...); !slices.Equal(got, want) {
		t.Errorf("collectInfo keys %v, want %v", got, want)
	}
	ev = Event{EventType: EventDisconnect, StatusInfo: StatusInfo{StateDesc: "normal clear"}}
	if got, want := statusKeys(t, ev), sorted(append(slices.Clone(common), "stateCode", "stateDesc")...); !slices.Equal(got, want) {
		t.Errorf("disconnect keys %v, want %v", got, want)
	}
	b, err := json.Marshal(Event{EventType: EventDisconnect})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"stateCode":0,"stateDesc":""`) {
		t.Errorf("disconnect with a normal clear: %s", b)
	}
	// Read back, an event keeps its fields.
	in := Event{EventType: EventDisconnect, StatusInfo: StatusInfo{SessionID: "s", StateCode: 8014, StateDesc: "no binding"}}
	b, _ = json.Marshal(in)
	var out Event
	if err := json.Unmarshal(b, &out); err != nil || out != in {
		t.Errorf("round trip %+v %v, want %+v", out, err, in)
	}
}

// TestEventPointer: an *Event marshals as the Event does.
func TestEventPointer(t *testing.T) {
	ev := &Event{EventType: EventAnswer, StatusInfo: StatusInfo{StateCode: 1}}
	a, _ := json.Marshal(ev)
	b, _ := json.Marshal(*ev)
	if string(a) != string(b) || strings.Contains(string(a), "stateCode") {
		t.Errorf("pointer %s, value %s", a, b)
	}
}

// TestEventJSON pins one whole disconnect event as an enterprise receives it.
func TestEventJSON(t *testing.T) {
	at := time.Date(2026, 11, 27, 5, 9, 8, 0, time.FixedZone("CST", 8*3600))
	e := Event{EventType: EventDisconnect, StatusInfo: StatusInfo{
		Timestamp: FormatTime(at), SessionID: "s1", Caller: "+8613800000001", Called: "+8617000000000",
		SubscriptionID: "sub", UserData: "u", StateCode: 8014, StateDesc: "no binding",
	}}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"eventType":"disconnect","statusInfo":{"timestamp":"2026-11-26 21:09:08","sessionId":"s1",` +
		`"caller":"+8613800000001","called":"+8617000000000","subscriptionId":"sub","userData":"u",` +
		`"stateCode":8014,"stateDesc":"no binding"}}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
	if FormatTime(time.Time{}) != "" {
		t.Error("zero time is not \"\"")
	}
}
