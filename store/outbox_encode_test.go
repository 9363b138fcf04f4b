package store

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/xnum/xnum/cdr"
)

// TestOutboxEncodeRoundTrip: what encodeItem stores decodes with
// json.Unmarshal into the item given, and into what json.Marshal's bytes
// (what older versions stored) decode into, payload compared as JSON:
// unicode, escapes, HTML characters, odd whitespace, strings that need
// escaping, times in other zones and out of JSON's range.
func TestOutboxEncodeRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 27, 10, 0, 0, 123456789, time.FixedZone("CST", 8*3600))
	base := cdr.OutboxItem{ID: 42, AppKey: "app-1", Kind: cdr.KindEvent, SessionID: "7c1e2d9a-5b4f",
		Payload: json.RawMessage(`{"n":1}`), Created: at.UTC()}
	var cases []cdr.OutboxItem
	for _, p := range []string{
		`{"n":1}`,
		`{"name":"café 北京 🎉","q":"say \"hi\"\\ \/ \b\f\n\r\t","u":"\u00e9\u2028\u2029\ud83c\udf89"}`,
		`{"html":"<b>&amp;</b>","raw":"a<b>c&d"}`,
		" \n\t{ \"spaced\" : [ 1 , 2.5e3 , -0 , true , null ] }\n",
		`"just a string"`, `12345678901234567890`, `[]`, `null`,
		"{\"bytes\":\"\xe2\x80\xa8 and a tab\\t\"}",
	} {
		it := base
		it.Payload = json.RawMessage(p)
		cases = append(cases, it)
	}
	odd := []func(*cdr.OutboxItem){
		func(it *cdr.OutboxItem) { it.LastError = `http status 503: "busy" <retry> & \ later` },
		func(it *cdr.OutboxItem) { it.LastError = "dial tcp: 北京\n\x01" },
		func(it *cdr.OutboxItem) { it.SessionID = "s\"1" },
		func(it *cdr.OutboxItem) { it.Kind = "fee<" },
		func(it *cdr.OutboxItem) {
			it.ID, it.Attempts = math.MaxUint64, math.MaxInt
			it.Created, it.NextAttempt, it.FirstFailure = at, at.Add(time.Hour), time.Unix(0, 1)
		},
		func(it *cdr.OutboxItem) { it.Attempts = -1 },
		func(it *cdr.OutboxItem) { it.NextAttempt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, // JSON cannot: an error, as before
		func(it *cdr.OutboxItem) { it.Payload = json.RawMessage(`{"n":`) },                         // not JSON: an error, as before
		func(it *cdr.OutboxItem) { it.Payload = nil },
	}
	for _, f := range odd {
		it := cases[1]
		f(&it)
		cases = append(cases, it)
	}
	for i, it := range cases {
		got, err := encodeItem(it)
		old, oldErr := json.Marshal(it)
		if (err != nil) != (oldErr != nil) {
			t.Fatalf("case %d: encodeItem error %v, json.Marshal error %v", i, err, oldErr)
		}
		if err != nil {
			continue
		}
		var fromNew, fromOld cdr.OutboxItem
		if err := json.Unmarshal(got, &fromNew); err != nil {
			t.Fatalf("case %d: %s does not decode: %v", i, got, err)
		}
		if err := json.Unmarshal(old, &fromOld); err != nil {
			t.Fatal(err)
		}
		if !sameItem(fromNew, fromOld) || len(it.Payload) > 0 && !sameItem(fromNew, it) { // no payload: null, as before
			t.Fatalf("case %d:\nencodeItem  %s\njson.Marshal %s\ngiven       %+v", i, got, old, it)
		}
		if len(it.Payload) > 0 && !bytes.Equal(fromNew.Payload, bytes.TrimSpace(it.Payload)) {
			t.Errorf("case %d: payload stored as %s, given %s", i, fromNew.Payload, it.Payload)
		}
	}
}

// sameItem compares two items, the payloads as JSON values and the times
// as instants.
func sameItem(a, b cdr.OutboxItem) bool {
	var pa, pb any
	ea, eb := json.Unmarshal(a.Payload, &pa), json.Unmarshal(b.Payload, &pb)
	if (ea == nil) != (eb == nil) || !reflect.DeepEqual(pa, pb) {
		return false
	}
	if !a.Created.Equal(b.Created) || !a.NextAttempt.Equal(b.NextAttempt) || !a.FirstFailure.Equal(b.FirstFailure) {
		return false
	}
	a.Payload, b.Payload = nil, nil
	a.Created, a.NextAttempt, a.FirstFailure = time.Time{}, time.Time{}, time.Time{}
	b.Created, b.NextAttempt, b.FirstFailure = time.Time{}, time.Time{}, time.Time{}
	return reflect.DeepEqual(a, b)
}
