package sip

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/xnum/xnum/cdr"
	"github.com/xnum/xnum/routing"
)

// journal records, in one sequence, the events the server hands to its
// EventSink and the CDRs it emits, so a test sees their order.
type journal struct {
	mu      sync.Mutex
	entries []journalEntry
	changed chan struct{}
}

type journalEntry struct {
	app string
	ev  cdr.Event  // eventType "" for a CDR
	rec cdr.Record // the CDR
}

func newJournal() *journal { return &journal{changed: make(chan struct{}, 1)} }

func (j *journal) add(e journalEntry) {
	j.mu.Lock()
	j.entries = append(j.entries, e)
	j.mu.Unlock()
	select {
	case j.changed <- struct{}{}:
	default:
	}
}

func (j *journal) EmitEvents(evs []cdr.AppEvent) error {
	for _, e := range evs {
		j.add(journalEntry{app: e.AppKey, ev: e.Event})
	}
	return nil
}

// cdrSink returns a CDRSink writing into the journal.
func (j *journal) cdrSink() CDRSink { return journalCDR{j} }

type journalCDR struct{ j *journal }

func (s journalCDR) Emit(r cdr.Record) error { s.j.add(journalEntry{rec: r}); return nil }

// session waits until the journal holds a CDR and returns the entries of
// that CDR's session (events and the CDR, in order) and the other entries.
func (j *journal) session(t *testing.T) (mine []journalEntry, rest []journalEntry) {
	t.Helper()
	deadline := time.After(waitFor)
	for {
		j.mu.Lock()
		var rec *cdr.Record
		for i := range j.entries {
			if j.entries[i].ev.EventType == "" {
				rec = &j.entries[i].rec
				break
			}
		}
		if rec != nil {
			for _, e := range j.entries {
				if e.ev.StatusInfo.SessionID == rec.SessionID || e.rec.SessionID == rec.SessionID {
					mine = append(mine, e)
				} else {
					rest = append(rest, e)
				}
			}
			j.mu.Unlock()
			return mine, rest
		}
		j.mu.Unlock()
		select {
		case <-j.changed:
		case <-deadline:
			t.Fatal("no CDR")
		}
	}
}

// types renders a session's entries as "callin,callout,…,CDR".
func types(es []journalEntry) string {
	var out []string
	for _, e := range es {
		if e.ev.EventType == "" {
			out = append(out, "CDR")
		} else {
			out = append(out, e.ev.EventType)
		}
	}
	return strings.Join(out, ",")
}

// callStore is the CallStore of these tests: what was persisted, in order.
type callStore struct {
	mu   sync.Mutex
	recs []cdr.Record
	err  error
}

func (s *callStore) PutCall(r cdr.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recs = append(s.recs, r)
	return s.err
}

func (s *callStore) ForgetCall(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recs = slices.DeleteFunc(s.recs, func(r cdr.Record) bool { return r.SessionID == id })
	return nil
}

// fail makes every later PutCall fail. The lock orders it before the call
// loop's read: the INVITE that follows goes over a socket, which the race
// detector does not count as synchronisation.
func (s *callStore) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

func (s *callStore) all() []cdr.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]cdr.Record(nil), s.recs...)
}

func eventEnv(t *testing.T) (*tenv, *journal, *callStore) {
	j, cs := newJournal(), &callStore{}
	e := newEnv(t, withDeps(func(d *Deps) {
		d.Events, d.Calls, d.CDR = j, cs, j.cdrSink()
	}))
	return e, j, cs
}

// checkEvent compares an event's fields with want (timestamp only for
// presence and format).
func checkEvent(t *testing.T, got journalEntry, typ, session, caller, called, sub string, state int) {
	t.Helper()
	si := got.ev.StatusInfo
	if got.app != "demo" || got.ev.EventType != typ || si.SessionID != session || si.Caller != caller ||
		si.Called != called || si.SubscriptionID != sub || si.StateCode != state {
		t.Errorf("%s event = app %q %+v, want caller %s called %s subscription %q stateCode %d",
			typ, got.app, got.ev, caller, called, sub, state)
	}
	if _, err := time.Parse(cdr.TimeLayout, si.Timestamp); err != nil {
		t.Errorf("%s timestamp %q: %v", typ, si.Timestamp, err)
	}
}

// TestEventsAnsweredCall: callin, callout, alerting, answer, disconnect,
// then the CDR, all with one sessionId; the call's state was persisted
// before A had its 200, with the icid and sessionId its CDR carries.
func TestEventsAnsweredCall(t *testing.T) {
	t.Parallel()
	e, j, cs := eventEnv(t)
	c, _ := e.answer(inviteOpt{user: tX, from: tA, sdp: sdpOffer})
	persisted := cs.all() // A has its 200: the record is written
	if r := c.do(sip.BYE, ""); r.StatusCode != 200 {
		t.Fatalf("BYE: %d", r.StatusCode)
	}
	e.B.respond(e.B.expect(sip.BYE), 200, "", "")
	got, rest := j.session(t)
	if types(got) != "callin,callout,alerting,answer,disconnect,CDR" || len(rest) != 0 {
		t.Fatalf("journal %s (+%d of other sessions), want callin,callout,alerting,answer,disconnect,CDR", types(got), len(rest))
	}
	rec := got[5].rec
	sub, s := rec.SubscriptionID, rec.SessionID
	if sub == "" || s == "" {
		t.Fatalf("CDR without subscriptionId/sessionId: %+v", rec)
	}
	checkEvent(t, got[0], "callin", s, tA, tX, sub, 0)
	checkEvent(t, got[1], "callout", s, tX, tB, sub, 0)
	checkEvent(t, got[2], "alerting", s, tA, tX, sub, 0)
	checkEvent(t, got[3], "answer", s, tA, tX, sub, 0)
	checkEvent(t, got[4], "disconnect", s, tA, tX, sub, 0)
	for _, ev := range got[:5] {
		if ev.ev.StatusInfo.UserData != "order-42" {
			t.Errorf("%s userData %q, want the binding's", ev.ev.EventType, ev.ev.StatusInfo.UserData)
		}
	}
	if d := got[4].ev.StatusInfo.StateDesc; d == "" {
		t.Error("disconnect has no stateDesc")
	}
	if got[0].ev.StatusInfo.Timestamp != rec.CallInTime || got[3].ev.StatusInfo.Timestamp != rec.FwdAnswerTime ||
		got[4].ev.StatusInfo.Timestamp != rec.CallEndTime {
		t.Errorf("event times %v differ from the CDR's %s/%s/%s", got, rec.CallInTime, rec.FwdAnswerTime, rec.CallEndTime)
	}
	if len(persisted) != 1 {
		t.Fatalf("%d call records persisted by A's 200, want 1", len(persisted))
	}
	p := persisted[0]
	if p.ICID != rec.ICID || p.SessionID != s || p.AppKey != "demo" || p.FwdAnswerTime == "" ||
		p.CallEndTime != "" || p.FwdDstNum != tB || p.SubscriptionID != sub {
		t.Errorf("persisted %+v\nCDR %+v", p, rec)
	}
	e.idle()
	if n := e.metric("xnum_sip_events_total", map[string]string{"type": "answer", "result": "written"}); n != 1 {
		t.Errorf("events metric answer/written = %v", n)
	}
}

// TestEventsPerPath: what each kind of ending reports (SPEC §6.1): every
// attempt on a provisioned X starts with callin and ends with disconnect
// carrying the release cause; a number of no app reports nothing.
func TestEventsPerPath(t *testing.T) {
	t.Parallel()
	rows := []struct {
		name  string
		drive func(t *testing.T, e *tenv)
		want  string
		state int
	}{
		{"stranger", func(t *testing.T, e *tenv) {
			finalOf(t, e.invite(e.A, inviteOpt{user: tX, from: tStranger}).tx)
		}, "callin,disconnect,CDR", 8014},
		{"unprovisioned number", func(t *testing.T, e *tenv) {
			finalOf(t, e.invite(e.A, inviteOpt{user: tUnprov, from: tA}).tx)
		}, "CDR", -1},
		{"busy", func(t *testing.T, e *tenv) {
			c := e.invite(e.A, inviteOpt{user: tX, from: tA, sdp: sdpOffer})
			e.B.respond(e.B.expect(sip.INVITE), 486, "b1", "")
			finalOf(t, c.tx)
		}, "callin,callout,disconnect,CDR", 8102},
		{"cancel after 180", func(t *testing.T, e *tenv) {
			c := e.invite(e.A, inviteOpt{user: tX, from: tA, sdp: sdpOffer})
			e.B.respond(e.B.expect(sip.INVITE), 180, "b1", "")
			waitStatus(t, c.tx, 180)
			c.cancel()
			finalOf(t, c.tx)
		}, "callin,callout,alerting,disconnect,CDR", 7502},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			e, j, _ := eventEnv(t)
			r.drive(t, e)
			got, _ := j.session(t)
			if types(got) != r.want {
				t.Fatalf("journal %s, want %s", types(got), r.want)
			}
			if r.state < 0 {
				return
			}
			last := got[len(got)-2]
			rec := got[len(got)-1].rec
			checkEvent(t, last, "disconnect", rec.SessionID, rec.CallerNum, rec.CalleeNum, rec.SubscriptionID, r.state)
			if rec.ULFailReason != r.state || last.ev.StatusInfo.Timestamp != rec.CallEndTime {
				t.Errorf("CDR cause %d end %s, disconnect %+v", rec.ULFailReason, rec.CallEndTime, last.ev)
			}
		})
	}
}

// TestEventsCallStateFailure: an answered call whose state cannot be
// persisted still connects; the failure is counted.
func TestEventsCallStateFailure(t *testing.T) {
	t.Parallel()
	e, j, cs := eventEnv(t)
	cs.fail(errors.New("disk full"))
	c, _ := e.answer(inviteOpt{user: tX, from: tA, sdp: sdpOffer})
	c.do(sip.BYE, "")
	e.B.respond(e.B.expect(sip.BYE), 200, "", "")
	if got, _ := j.session(t); types(got) != "callin,callout,alerting,answer,disconnect,CDR" {
		t.Fatalf("journal %s", types(got))
	}
	e.idle()
	if n := e.metric("xnum_sip_call_state_errors_total", nil); n != 1 {
		t.Errorf("call state errors = %v, want 1", n)
	}
}

// TestEventsManyCalls: events of concurrent calls keep each session's order
// and every call's CDR follows its disconnect; Close leaves nothing queued.
func TestEventsManyCalls(t *testing.T) {
	t.Parallel()
	e, j, _ := eventEnv(t)
	const calls = 40
	var txs []*tcall
	for range calls {
		txs = append(txs, e.invite(e.A, inviteOpt{user: tX, from: tStranger}))
	}
	for _, c := range txs {
		finalOf(t, c.tx)
	}
	e.idle()
	j.mu.Lock()
	defer j.mu.Unlock()
	seq := map[string]string{}
	for _, en := range j.entries {
		s, typ := en.ev.StatusInfo.SessionID, en.ev.EventType
		if typ == "" {
			s, typ = en.rec.SessionID, "CDR"
		}
		seq[s] += typ + ","
	}
	if len(seq) != calls {
		t.Fatalf("%d sessions, want %d", len(seq), calls)
	}
	for s, got := range seq {
		if got != "callin,disconnect,CDR," {
			t.Errorf("session %s: %s", s, got)
		}
	}
}

// TestAbandonedCall: a call up when xnum died ends at the last time xnum
// was known alive (never before its answer), released by the platform.
func TestAbandonedCall(t *testing.T) {
	rec := cdr.Record{ICID: "i1", SessionID: "s1", AppKey: "demo", CallerNum: tA, CalleeNum: tX,
		FwdDstNum: tB, SubscriptionID: "sub1", UserData: "u", FwdAnswerTime: "2025-03-01 08:00:10"}
	rel := routing.NewTable(nil).For(routing.CauseInternal)
	for _, tc := range []struct {
		alive time.Time
		want  string
	}{
		{time.Date(2025, 3, 1, 8, 5, 0, 0, time.UTC), "2025-03-01 08:05:00"},
		{time.Date(2025, 3, 1, 8, 0, 3, 0, time.UTC), "2025-03-01 08:00:10"}, // heartbeat before the answer
	} {
		got, ev := AbandonedCall(rec, tc.alive, rel)
		if got.CallEndTime != tc.want || got.ULFailReason != 7102 || got.CallRelDirection != cdr.RelPlatform ||
			got.SIPStatusCode != 0 || got.ICID != "i1" || got.FwdAnswerTime != rec.FwdAnswerTime {
			t.Errorf("alive %v: record %+v", tc.alive, got)
		}
		si := ev.StatusInfo
		if ev.EventType != cdr.EventDisconnect || si.Timestamp != tc.want || si.SessionID != "s1" || si.Caller != tA ||
			si.Called != tX || si.SubscriptionID != "sub1" || si.UserData != "u" || si.StateCode != 7102 || si.StateDesc == "" {
			t.Errorf("alive %v: event %+v", tc.alive, ev)
		}
	}
}
