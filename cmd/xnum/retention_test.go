package main

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/xnum/xnum/cdr"
	"github.com/xnum/xnum/store"
)

// TestCDRRetention: the daemon prunes CDRs older than cdr.retention when it
// starts (one stored 91 days ago goes, one from an hour ago stays, seen
// through the admin API), and its hourly prune removes what has aged out
// by the time it runs.
func TestCDRRetention(t *testing.T) {
	cfg := testConfig(t)
	cfg.CDR.Retention = 90 * 24 * time.Hour
	seed := func(at time.Time) cdr.Record {
		st, err := store.Open(cfg.Store.Dir, store.Options{Now: func() time.Time { return at }})
		if err != nil {
			t.Fatal(err)
		}
		r := tailRecord(0)
		if err := st.PutCDR(r); err != nil {
			t.Fatal(err)
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		return r
	}
	now := time.Now()
	old := seed(now.Add(-91 * 24 * time.Hour))
	recent := seed(now.Add(-time.Hour))

	d, _ := startDaemon(t, cfg)
	icids := func() []string {
		t.Helper()
		code, out, errOut := cli(t, "cdr", "list", "--api", d.APIURL(), "--token", testToken)
		if code != 0 {
			t.Fatalf("cdr list: exit %d: %s", code, errOut)
		}
		var ans struct {
			CDRs []cdr.Record `json:"cdrs"`
		}
		if err := json.Unmarshal([]byte(out), &ans); err != nil {
			t.Fatalf("cdr list: %v\n%s", err, out)
		}
		var out2 []string
		for _, r := range ans.CDRs {
			out2 = append(out2, r.ICID)
		}
		return out2
	}
	if got := icids(); len(got) != 1 || got[0] != recent.ICID {
		t.Fatalf("after start: %v, want only the recent %s (the old one is %s)", got, recent.ICID, old.ICID)
	}
	if n := d.pruneCDRs(now.Add(cfg.CDR.Retention - 2*time.Hour)); n != 0 {
		t.Fatalf("a prune before the recent record ages out removed %d", n)
	}
	if n := d.pruneCDRs(now.Add(cfg.CDR.Retention)); n != 1 {
		t.Fatalf("the prune after it aged out removed %d, want 1", n)
	}
	if got := icids(); len(got) != 0 {
		t.Fatalf("after the prune: %v", got)
	}
}
