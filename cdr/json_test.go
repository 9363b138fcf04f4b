package cdr

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// wireEvent and wireInfo are Event as it was sent before AppendJSON, through
// encoding/json: the state fields are pointers so that nil omits them while
// a disconnect's 0 stays. They are the reference the hand-written JSON must
// match byte for byte.
type wireEvent struct {
	EventType  string   `json:"eventType"`
	StatusInfo wireInfo `json:"statusInfo"`
}

type wireInfo struct {
	Timestamp      string  `json:"timestamp"`
	SessionID      string  `json:"sessionId"`
	Caller         string  `json:"caller"`
	Called         string  `json:"called"`
	SubscriptionID string  `json:"subscriptionId"`
	UserData       string  `json:"userData"`
	StateCode      *int    `json:"stateCode,omitempty"`
	StateDesc      *string `json:"stateDesc,omitempty"`
	DigitInfo      string  `json:"digitInfo,omitempty"`
}

// referenceEventJSON is the old Event.MarshalJSON.
func referenceEventJSON(t *testing.T, e Event) []byte {
	t.Helper()
	si := e.StatusInfo
	w := wireEvent{EventType: e.EventType, StatusInfo: wireInfo{
		Timestamp: si.Timestamp, SessionID: si.SessionID, Caller: si.Caller, Called: si.Called,
		SubscriptionID: si.SubscriptionID, UserData: si.UserData, DigitInfo: si.DigitInfo,
	}}
	if e.EventType == EventDisconnect {
		w.StatusInfo.StateCode, w.StatusInfo.StateDesc = &si.StateCode, &si.StateDesc
	}
	b, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// jsonEdgeStrings are the strings whose JSON encoding/json writes specially.
var jsonEdgeStrings = []string{
	"", "a", `"`, `\`, `\"`, "<", ">", "&", "<script>&amp;</script>", "/", "'",
	"\x00", "\x01", "\x1f", "\x7f", "\b\f\n\r\t", "a\x00b\nc",
	"caf\u00e9", "\u4e2d\u6587", "\U0001F600", "\u2028", "\u2029", "a\u2028b\u2029c", "\u2027\u202a",
	"\ufffd", "\xff", "\xc3", "a\xe2\x80", "\xe2\x80\xa8x\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\xaf",
	"+8613800000001", "2026-11-27 10:00:00", strings.Repeat("x<\u2028\x00", 100),
}

// randomJSONString mixes the edge cases, random bytes and random runes.
func randomJSONString(r *rand.Rand) string {
	switch r.IntN(4) {
	case 0:
		return jsonEdgeStrings[r.IntN(len(jsonEdgeStrings))]
	case 1: // random bytes: invalid UTF-8 too
		b := make([]byte, r.IntN(24))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return string(b)
	case 2: // random runes, valid UTF-8
		var sb strings.Builder
		for range r.IntN(12) {
			sb.WriteRune(rune(r.IntN(utf8.MaxRune + 1)))
		}
		return sb.String()
	default: // mostly ASCII, as real fields are
		var sb strings.Builder
		for range r.IntN(40) {
			sb.WriteByte(byte(r.IntN(128)))
		}
		return sb.String()
	}
}

var allEventTypes = []string{EventCallIn, EventCallOut, EventAlerting, EventAnswer, EventDisconnect,
	EventCollectInfo, EventFee, "", "other"}

func randomEvent(r *rand.Rand) Event {
	s := func() string { return randomJSONString(r) }
	codes := []int{0, 1, -1, 486, 31, math.MaxInt, math.MinInt}
	return Event{EventType: allEventTypes[r.IntN(len(allEventTypes))], StatusInfo: StatusInfo{
		Timestamp: s(), SessionID: s(), Caller: s(), Called: s(), SubscriptionID: s(), UserData: s(),
		StateCode: codes[r.IntN(len(codes))], StateDesc: s(), DigitInfo: s(),
	}}
}

// The hand-written event JSON is encoding/json's, byte for byte: every
// event type (disconnect with stateCode 0 too, collectInfo with digitInfo),
// every string encoding/json escapes, random strings, through NewEventItem,
// Event.MarshalJSON and json.Marshal(ev).
func TestEventJSONMatchesEncodingJSON(t *testing.T) {
	var events []Event
	for _, typ := range allEventTypes {
		events = append(events,
			Event{EventType: typ},
			Event{EventType: typ, StatusInfo: StatusInfo{Timestamp: "2026-11-27 10:00:00", SessionID: "s1",
				Caller: "+8613800000001", Called: "+8617000000001", SubscriptionID: "sub", UserData: "u",
				StateCode: 0, StateDesc: "", DigitInfo: "123#"}},
			Event{EventType: typ, StatusInfo: StatusInfo{StateCode: 486, StateDesc: "busy", DigitInfo: ""}})
		for _, s := range jsonEdgeStrings {
			events = append(events, Event{EventType: typ, StatusInfo: StatusInfo{Timestamp: s, SessionID: s,
				Caller: s, Called: s, SubscriptionID: s, UserData: s, StateCode: -7, StateDesc: s, DigitInfo: s}})
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		events = append(events, randomEvent(r))
	}
	for _, ev := range events {
		want := referenceEventJSON(t, ev)
		if got := ev.AppendJSON(nil); !bytes.Equal(got, want) {
			t.Fatalf("AppendJSON(%#v)\n got %s\nwant %s", ev, got, want)
		}
		it, err := NewEventItem("app", ev)
		if err != nil || !bytes.Equal(it.Payload, want) {
			t.Fatalf("NewEventItem(%#v) payload %s %v\nwant %s", ev, it.Payload, err, want)
		}
		if got, err := json.Marshal(ev); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("json.Marshal(%#v)\n got %s %v\nwant %s", ev, got, err, want)
		}
		if len(want) > ev.jsonSize()+jsonEscapeSlack(ev.StatusInfo.Timestamp, ev.StatusInfo.SessionID,
			ev.StatusInfo.Caller, ev.StatusInfo.Called, ev.StatusInfo.SubscriptionID, ev.StatusInfo.UserData,
			ev.StatusInfo.StateDesc, ev.StatusInfo.DigitInfo, ev.EventType) {
			t.Fatalf("jsonSize %d < %d for plain strings: raise eventJSONFixed", ev.jsonSize(), len(want))
		}
	}
}

// jsonEscapeSlack is how many bytes escaping adds to strs at most (6 a
// byte), so that the size check above only fails for the fixed part.
func jsonEscapeSlack(strs ...string) int {
	n := 0
	for _, s := range strs {
		n += 5 * len(s)
	}
	return n
}

func randomRecord(r *rand.Rand) Record {
	var rec Record
	v := reflect.ValueOf(&rec).Elem()
	ints := []int64{0, 1, -1, 2, 486, math.MaxInt, math.MinInt}
	for i := range v.NumField() {
		switch f := v.Field(i); f.Kind() {
		case reflect.String:
			f.SetString(randomJSONString(r))
		case reflect.Int:
			f.SetInt(ints[r.IntN(len(ints))])
		default:
			panic("Record field of kind " + f.Kind().String() + ": teach AppendJSON and this test")
		}
	}
	return rec
}

// The hand-written record JSON is encoding/json's, byte for byte, through
// NewFeeItem too.
func TestRecordJSONMatchesEncodingJSON(t *testing.T) {
	records := []Record{{}, {ICID: "i", Direction: DirRefused, SIPStatusCode: 486, CallerNum: "+8613800000001"}}
	for _, s := range jsonEdgeStrings {
		rec := Record{ICID: s, UserData: s, ExtendNumber: s, RecordObjectName: s}
		records = append(records, rec)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 5000 {
		records = append(records, randomRecord(r))
	}
	for _, rec := range records {
		want, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		if got := rec.AppendJSON(nil); !bytes.Equal(got, want) {
			t.Fatalf("AppendJSON(%#v)\n got %s\nwant %s", rec, got, want)
		}
		if rec.ICID == "" {
			continue
		}
		it, err := NewFeeItem("app", rec)
		if err != nil || !bytes.Equal(it.Payload, want) {
			t.Fatalf("NewFeeItem(%#v) payload %s %v\nwant %s", rec, it.Payload, err, want)
		}
	}
	// The fixed part of the size estimate holds the keys and six integers
	// of three digits.
	wide := Record{Direction: 999, FwdUnaswRsn: 999, ULFailReason: 999,
		SIPStatusCode: 999, CallRelDirection: 999, RecordFlag: 999}
	if n := len(wide.AppendJSON(nil)); n > wide.jsonSize() {
		t.Fatalf("jsonSize %d < %d: raise recordJSONFixed", wide.jsonSize(), n)
	}
}

// BenchmarkEventJSON is the encoding of one event for the outbox
// (NewEventItem: json.Marshal(ev) before AppendJSON).
func BenchmarkEventJSON(b *testing.B) {
	evs := callEventsForBench("7c1e2d9a-5b4f-4e0a-9d8c-3f2b1a0e9d8c")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := NewEventItem("app1", evs[i%len(evs)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecordJSON is the encoding of one CDR for the outbox
// (NewFeeItem: json.Marshal(rec) before AppendJSON).
func BenchmarkRecordJSON(b *testing.B) {
	rec := Record{ICID: "icid-0001-0002-0003-0004", Direction: DirToBound, SPID: "sp1", AppKey: "app1",
		BindNum: "+8617000000001", SessionID: "7c1e2d9a-5b4f-4e0a-9d8c-3f2b1a0e9d8c", SubscriptionID: "sub-1",
		CallerNum: "+8613800000001", CalleeNum: "+8613900000002", FwdDisplayNum: "+8617000000001",
		FwdDstNum: "+8613900000002", CallInTime: "2026-11-27 10:00:00", FwdStartTime: "2026-11-27 10:00:00",
		FwdAlertingTime: "2026-11-27 10:00:01", FwdAnswerTime: "2026-11-27 10:00:03",
		CallEndTime: "2026-11-27 10:01:03", SIPStatusCode: 200, CallRelDirection: RelCaller,
		ServiceType: "AXB", UserData: "order-42"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewFeeItem("app1", rec); err != nil {
			b.Fatal(err)
		}
	}
}

// callEventsForBench is the five events of one answered call.
func callEventsForBench(session string) []Event {
	si := StatusInfo{Timestamp: "2026-11-27 10:00:00", SessionID: session, Caller: "+8613800000001",
		Called: "+8617000000001", SubscriptionID: "sub-1", UserData: "order-42"}
	var evs []Event
	for _, typ := range []string{EventCallIn, EventCallOut, EventAlerting, EventAnswer, EventDisconnect} {
		evs = append(evs, Event{EventType: typ, StatusInfo: si})
	}
	return evs
}
