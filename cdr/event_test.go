package cdr

import (
	"encoding/json"
	"slices"
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
	want := sorted("timestamp", "sessionId", "caller", "called", "subscriptionId", "userData", "stateCode", "stateDesc")
	if got := keys(t, StatusInfo{}); !slices.Equal(got, want) {
		t.Errorf("StatusInfo keys %v, want %v", got, want)
	}
	if got := keys(t, StatusInfo{DigitInfo: "12"}); !slices.Contains(got, "digitInfo") {
		t.Errorf("digitInfo missing when set: %v", got)
	}
	if got := keys(t, NewFeeEvent([]Record{{}})); !slices.Equal(got, []string{"eventType", "feeLst"}) {
		t.Errorf("FeeEvent keys %v", got)
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
