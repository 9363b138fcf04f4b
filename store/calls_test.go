package store

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/xnum/xnum/cdr"
)

func answeredCall(session string) cdr.Record {
	return cdr.Record{ICID: "icid-" + session, SessionID: session, AppKey: "app1",
		CallerNum: "+8613800000001", CalleeNum: "+8617000000000",
		CallInTime: "2025-03-01 08:00:00", FwdAnswerTime: "2025-03-01 08:00:02"}
}

func sessions(t testing.TB, s *Store) []string {
	t.Helper()
	recs, err := s.Calls()
	if err != nil {
		t.Fatalf("Calls: %v", err)
	}
	var out []string
	for _, r := range recs {
		out = append(out, r.SessionID)
	}
	return out
}

// TestCallStateGoesWithItsCDR: an answered call's record stays until its
// CDR is stored, and leaves in the CDR's batch; other CDRs touch nothing;
// the families are known to CheckIndexes; records survive a reopen.
func TestCallStateGoesWithItsCDR(t *testing.T) {
	dir := t.TempDir()
	s, _ := openDir(t, dir, Options{})
	o := openOutbox(t, s)
	for _, id := range []string{"s2", "s1", "s3"} {
		if err := s.PutCall(answeredCall(id)); err != nil {
			t.Fatalf("PutCall %s: %v", id, err)
		}
	}
	if got := sessions(t, s); !slices.Equal(got, []string{"s1", "s2", "s3"}) {
		t.Fatalf("Calls = %v", got)
	}
	mustCheck(t, s)

	// A CDR of another call with the same sessionId as none of them, and
	// an unanswered CDR of s3 (no fwdAnswerTime, A got 487): nothing goes.
	if _, err := o.EnqueueWithCDR(cdr.Record{ICID: "x", SessionID: "other"}); err != nil {
		t.Fatal(err)
	}
	if _, err := o.EnqueueWithCDR(cdr.Record{ICID: "y", SessionID: "s3", SIPStatusCode: 487}); err != nil {
		t.Fatal(err)
	}
	if got := sessions(t, s); len(got) != 3 {
		t.Fatalf("Calls after unrelated CDRs = %v", got)
	}

	// s2's final CDR, with its fee item: the record goes in the same write.
	final := answeredCall("s2")
	final.CallEndTime = "2025-03-01 08:01:00"
	item, err := cdr.NewFeeItem("app1", final)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.EnqueueWithCDR(final, item); err != nil {
		t.Fatal(err)
	}
	if got := sessions(t, s); !slices.Equal(got, []string{"s1", "s3"}) {
		t.Fatalf("Calls after s2's CDR = %v", got)
	}
	if err := s.ForgetCall("s1"); err != nil {
		t.Fatal(err)
	}
	mustCheck(t, s)

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, _ := openDir(t, dir, Options{})
	if got := sessions(t, s2); !slices.Equal(got, []string{"s3"}) {
		t.Fatalf("Calls after reopen = %v", got)
	}
	recs, _ := s2.Calls()
	if recs[0] != answeredCall("s3") {
		t.Fatalf("record after reopen = %+v", recs[0])
	}
}

// TestLocallyAnsweredCall: a call whose A xnum answered itself (AXE
// collection: no fwdAnswerTime, sipStatusCode 0) is kept like any answered
// call, and its CDR — B never answered, A was (sipStatusCode 0) — takes it
// away; a CDR that gave A a final failure does not.
func TestLocallyAnsweredCall(t *testing.T) {
	s, _ := openTest(t, Options{})
	o := openOutbox(t, s)
	local := answeredCall("axe")
	local.FwdAnswerTime = ""
	if err := s.PutCall(local); err != nil {
		t.Fatalf("PutCall of a locally answered call: %v", err)
	}
	if got := sessions(t, s); !slices.Equal(got, []string{"axe"}) {
		t.Fatalf("Calls = %v", got)
	}
	refused := local
	refused.SIPStatusCode = 403
	if _, err := o.EnqueueWithCDR(refused); err != nil {
		t.Fatal(err)
	}
	if got := sessions(t, s); len(got) != 1 {
		t.Fatalf("Calls after a 403 CDR of the session = %v", got)
	}
	final := local
	final.CallEndTime, final.ULFailReason = "2025-03-01 08:00:09", 8022 // BYE after wrong keys
	if _, err := o.EnqueueWithCDR(final); err != nil {
		t.Fatal(err)
	}
	if got := sessions(t, s); len(got) != 0 {
		t.Fatalf("Calls after the call's CDR = %v", got)
	}
	mustCheck(t, s)
}

// TestPutCallRefusesIncomplete: a record PutCall could never delete again
// (A not answered: neither fwdAnswerTime nor sipStatusCode 0) or identify
// (no sessionId, no icid) is refused.
func TestPutCallRefusesIncomplete(t *testing.T) {
	s, _ := openTest(t, Options{})
	for name, mut := range map[string]func(*cdr.Record){
		"no sessionId": func(r *cdr.Record) { r.SessionID = "" },
		"no icid":      func(r *cdr.Record) { r.ICID = "" },
		"A refused":    func(r *cdr.Record) { r.FwdAnswerTime, r.SIPStatusCode = "", 403 },
	} {
		r := answeredCall("s")
		mut(&r)
		if err := s.PutCall(r); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%s: PutCall = %v, want ErrInvalidArgument", name, err)
		}
	}
	if got := sessions(t, s); len(got) != 0 {
		t.Fatalf("Calls = %v", got)
	}
}

// TestLastAlive: the heartbeat's last value, kept across a reopen.
func TestLastAlive(t *testing.T) {
	dir := t.TempDir()
	s, _ := openDir(t, dir, Options{})
	if _, ok, err := s.LastAlive(); ok || err != nil {
		t.Fatalf("LastAlive on a new store = %v %v", ok, err)
	}
	at := time.Date(2025, 3, 1, 8, 0, 7, 0, time.UTC)
	for _, t2 := range []time.Time{at.Add(-time.Second), at} {
		if err := s.MarkAlive(t2); err != nil {
			t.Fatal(err)
		}
	}
	mustCheck(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, _ := openDir(t, dir, Options{})
	got, ok, err := s2.LastAlive()
	if err != nil || !ok || !got.Equal(at) {
		t.Fatalf("LastAlive = %v %v %v, want %v", got, ok, err, at)
	}
}
