package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/xnum/xnum/cdr"
)

func TestCDRs(t *testing.T) {
	s, c := openTest(t, Options{})
	start := c.Now()
	// icid i is stored at start+i minutes.
	for i := range 10 {
		r := cdr.Record{
			ICID: fmt.Sprintf("icid-%02d", i), AppKey: "a", SubscriptionID: "sub-even",
			BindNum: "+8617000000001", CallerNum: "+8613800000001", ULFailReason: 0,
		}
		if i%2 == 1 {
			r.SubscriptionID, r.ULFailReason, r.CallerNum = "sub-odd", 8014, "+8613800000002"
		}
		if i == 9 {
			r.AppKey, r.BindNum = "b", "+8617000000002"
		}
		if err := s.PutCDR(r); err != nil {
			t.Fatal(err)
		}
		c.Advance(time.Minute)
	}
	if err := s.PutCDR(cdr.Record{}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("PutCDR without icid: %v", err)
	}
	cause := 8014
	zero := 0
	icids := func(rs []cdr.Record) string {
		out := ""
		for _, r := range rs {
			out += r.ICID[5:] + " "
		}
		return out
	}
	for name, tc := range map[string]struct {
		f     CDRFilter
		want  string
		total int
	}{
		"all newest first": {CDRFilter{}, "09 08 07 06 05 04 03 02 01 00 ", 10},
		"page":             {CDRFilter{PageIndex: 2, PageSize: 3}, "06 05 04 ", 10},
		"app":              {CDRFilter{AppKey: "a", PageSize: 2}, "08 07 ", 9},
		"subscription":     {CDRFilter{SubscriptionID: "sub-odd"}, "09 07 05 03 01 ", 5},
		"bind num":         {CDRFilter{BindNum: "+8617000000002"}, "09 ", 1},
		"caller":           {CDRFilter{CallerNum: "+8613800000001", AppKey: "a"}, "08 06 04 02 00 ", 5},
		"cause 8014":       {CDRFilter{ULFailReason: &cause, AppKey: "a"}, "07 05 03 01 ", 4},
		"cause 0":          {CDRFilter{ULFailReason: &zero}, "08 06 04 02 00 ", 5},
		"since until":      {CDRFilter{Since: start.Add(2 * time.Minute), Until: start.Add(5 * time.Minute)}, "04 03 02 ", 3},
		"beyond":           {CDRFilter{PageIndex: 5, PageSize: 3}, "", 10},
	} {
		got, total, err := s.QueryCDRs(tc.f)
		if err != nil || icids(got) != tc.want || total != tc.total {
			t.Errorf("%s: %q total %d (%v), want %q total %d", name, icids(got), total, err, tc.want, tc.total)
		}
	}
	got, _, _ := s.QueryCDRs(CDRFilter{SubscriptionID: "sub-odd", PageSize: 1})
	if len(got) != 1 || got[0].ULFailReason != 8014 || got[0].CallerNum != "+8613800000002" || got[0].AppKey != "b" {
		t.Fatalf("record fields lost: %+v", got)
	}

	n, err := s.PruneCDRs(start.Add(4 * time.Minute))
	if err != nil || n != 4 {
		t.Fatalf("PruneCDRs = %d, %v; want 4", n, err)
	}
	if _, total, _ := s.QueryCDRs(CDRFilter{}); total != 6 {
		t.Fatalf("after prune: %d left, want 6", total)
	}
	if n, err := s.PruneCDRs(start.Add(4 * time.Minute)); err != nil || n != 0 {
		t.Fatalf("second prune = %d, %v", n, err)
	}
	mustCheck(t, s)
}

func TestCDRPageSizeDefaults(t *testing.T) {
	s, c := openTest(t, Options{})
	// One batch instead of a thousand synced PutCDRs: this test is about
	// paging, and the keys are the ones PutCDR writes.
	batch := s.db.NewBatch()
	for i := range MaxPageSize + 5 {
		data, _ := json.Marshal(cdr.Record{ICID: fmt.Sprint(i)})
		if err := batch.Set(cdrKey(c.Now().Add(time.Duration(i)), fmt.Sprint(i)), data, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := batch.Commit(pebble.NoSync); err != nil {
		t.Fatal(err)
	}
	if got, total, _ := s.QueryCDRs(CDRFilter{}); len(got) != DefaultPageSize || total != MaxPageSize+5 {
		t.Fatalf("default page: %d of %d", len(got), total)
	}
	if got, _, _ := s.QueryCDRs(CDRFilter{PageSize: 5000}); len(got) != MaxPageSize {
		t.Fatalf("capped page: %d", len(got))
	}
}
