package cdr

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// q builds a queue from specs "kind:session" (kind e = event, f = fee;
// suffix "@m" = due m minutes after t0), ids from 1.
func q(specs ...string) []OutboxItem {
	var out []OutboxItem
	for i, s := range specs {
		it := OutboxItem{ID: uint64(i + 1), Kind: KindEvent, Payload: json.RawMessage(`{}`)}
		kind, rest, _ := strings.Cut(s, ":")
		if kind == "f" {
			it.Kind = KindFee
		}
		session, due, ok := strings.Cut(rest, "@")
		if ok {
			m, _ := strconv.Atoi(due)
			it.NextAttempt = t0.Add(time.Duration(m) * time.Minute)
		}
		if session != "-" {
			it.SessionID = session
		}
		out = append(out, it)
	}
	return out
}

// shape renders units as "e[1]" / "f[2 3]".
func shape(units []unit) []string {
	var out []string
	for _, u := range units {
		var ids []uint64
		for _, it := range u.items {
			ids = append(ids, it.ID)
		}
		out = append(out, fmt.Sprintf("%s%v", u.kind[:1], ids))
	}
	return out
}

// Items of the round being settled hold their sessions: the next item of
// such a session waits for the write, other sessions go.
func TestPlanBusy(t *testing.T) {
	queue := q("e:a", "e:a", "e:b", "f:c", "e:b")
	units, _ := new(planner).plan(queue, t0, 10, map[uint64]bool{1: true, 4: true}, nil)
	if got, want := shape(units), []string{"e[3]"}; !slices.Equal(got, want) {
		t.Fatalf("units %v, want %v", got, want)
	}
}

func TestPlan(t *testing.T) {
	var p planner // one for every case, as a worker keeps it
	many := make([]string, 120)
	for i := range many {
		many[i] = fmt.Sprintf("f:s%d", i)
	}
	for _, tc := range []struct {
		name  string
		queue []OutboxItem
		max   int
		want  []string
		wake  time.Duration // after t0; 0 = none
	}{
		{"empty", nil, 10, nil, 0},
		{"one head per session", q("e:a", "e:a", "e:b", "f:a", "e:b"), 10, []string{"e[1]", "e[3]"}, 0},
		{"waiting head holds its session only", q("e:a@1", "e:a", "e:b", "f:a", "f:b"), 10, []string{"e[3]"}, time.Minute},
		{"earliest wake", q("e:a@9", "e:b@4", "e:c@106"), 10, nil, 4 * time.Minute},
		{"due retry goes", q("e:a@-1", "e:a"), 10, []string{"e[1]"}, 0},
		{"fees of sessions batched, events alone", q("e:a", "f:b", "f:c", "e:d", "f:e"), 10, []string{"e[1]", "f[2 3 5]", "e[4]"}, 0},
		{"no sessionId: each its own", q("e:-", "e:-", "f:-"), 10, []string{"e[1]", "e[2]", "f[3]"}, 0},
		{"unit limit", q("e:a", "e:b", "e:c"), 2, []string{"e[1]", "e[2]"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			units, wake := p.plan(tc.queue, t0, tc.max, nil, nil)
			if got := shape(units); !slices.Equal(got, tc.want) {
				t.Errorf("units %v, want %v", got, tc.want)
			}
			var wantWake time.Time
			if tc.wake != 0 {
				wantWake = t0.Add(tc.wake)
			}
			if !wake.Equal(wantWake) {
				t.Errorf("wake %v, want %v", wake, wantWake)
			}
		})
	}
	// 120 CDRs of 120 sessions: batches of at most MaxFeeBatch.
	units, _ := p.plan(q(many...), t0, 10, nil, nil)
	var sizes []int
	for _, u := range units {
		sizes = append(sizes, len(u.items))
	}
	if !slices.Equal(sizes, []int{50, 50, 20}) {
		t.Fatalf("fee batches %v", sizes)
	}
}

// A plan fills the items of released units rather than allocating: a
// worker releases every unit once its outcome is taken or it is deferred,
// and the next plan of the same queue is the same and allocates nothing.
// A released unit's items are cleared (no payload held).
func TestPlanReusesReleased(t *testing.T) {
	var specs []string
	for i := range 120 {
		specs = append(specs, fmt.Sprintf("f:s%d", i), fmt.Sprintf("e:t%d", i))
	}
	queue := q(specs...)
	var p planner
	units, _ := p.plan(queue, t0, maxUnitsPerRound, nil, nil)
	want := shape(units)
	release := func(units []unit) {
		for _, u := range units {
			items := u.items
			p.release(u)
			if items[0].Payload != nil {
				t.Fatal("released items keep their payload")
			}
		}
	}
	release(units)
	if n := testing.AllocsPerRun(20, func() {
		units, _ := p.plan(queue, t0, maxUnitsPerRound, nil, nil)
		for _, u := range units {
			p.release(u)
		}
	}); n != 0 {
		t.Errorf("%v allocations a replan", n)
	}
	units, _ = p.plan(queue, t0, maxUnitsPerRound, nil, nil)
	if got := shape(units); !slices.Equal(got, want) {
		t.Fatalf("replan %v, want %v", got, want)
	}
	release(units)
	// Units not released yet keep their items while others are reused.
	a, _ := p.plan(queue[:2], t0, maxUnitsPerRound, nil, nil)
	held := append([]unit(nil), a...)
	b, _ := p.plan(queue[2:4], t0, maxUnitsPerRound, nil, nil)
	if got := append(shape(held), shape(b)...); !slices.Equal(got, []string{"f[1]", "e[2]", "f[3]", "e[4]"}) {
		t.Fatalf("units %v", got)
	}
}

func TestUnitBody(t *testing.T) {
	var req fasthttp.Request // one for both, as a pusher reuses it
	u := unit{kind: KindFee, items: []OutboxItem{{Payload: json.RawMessage(`{"icid":"a"}`)}, {Payload: json.RawMessage(`{"icid":"b"}`)}}}
	u.setBody(&req)
	if got := string(req.Body()); got != `{"eventType":"fee","feeLst":[{"icid":"a"},{"icid":"b"}]}` {
		t.Fatalf("fee body %s", got)
	}
	req.Reset()
	ev := unit{kind: KindEvent, items: []OutboxItem{{Payload: json.RawMessage(`{"eventType":"callin"}`)}}}
	ev.setBody(&req)
	if got := string(req.Body()); got != `{"eventType":"callin"}` {
		t.Fatalf("event body %s", got)
	}
	req.Reset()
	u.setBody(&req)
	if got := string(req.Body()); got != `{"eventType":"fee","feeLst":[{"icid":"a"},{"icid":"b"}]}` {
		t.Fatalf("fee body after an event %s", got)
	}
}

// TestNextRetry: the vendor's 1, 4, 9, 106, 203, 300 minutes after the
// first failure (SPEC §6.2), slots already past skipped, then dead.
func TestNextRetry(t *testing.T) {
	m := func(n float64) time.Time { return t0.Add(time.Duration(n * float64(time.Minute))) }
	for _, tc := range []struct {
		now  time.Time
		want time.Time // zero = dead
	}{
		{m(0), m(1)}, {m(1), m(4)}, {m(4), m(9)}, {m(9), m(106)}, {m(106), m(203)}, {m(203), m(300)},
		{m(300), time.Time{}},
		{m(1.5), m(4)},        // a slow push
		{m(120), m(203)},      // xnum was down across 106
		{m(301), time.Time{}}, // past the last slot
		{m(-1), m(1)},         // clock stepped back: the first slot
		{m(299.99), m(300)},   // just before the last
		{m(200), m(203)},
		{m(0.0001), m(1)},
		{m(105.999), m(106)},
		{m(203.0001), m(300)},
		{m(8.9999), m(9)},
		{m(3.9999), m(4)},
		{m(1e6), time.Time{}},
		{m(300.0001), time.Time{}},
	} {
		got, ok := NextRetry(t0, tc.now)
		if ok != !tc.want.IsZero() || !got.Equal(tc.want) {
			t.Errorf("NextRetry(t0, t0+%v) = %v %v, want %v", tc.now.Sub(t0), got.Sub(t0), ok, tc.want.Sub(t0))
		}
	}
	if d := RetryDelays(); d != [6]time.Duration{time.Minute, 4 * time.Minute, 9 * time.Minute,
		106 * time.Minute, 203 * time.Minute, 300 * time.Minute} {
		t.Fatalf("schedule %v", d)
	}
}

// BenchmarkPlan is a replan of a worker with a full window: n pending
// events of n/5 sessions, interleaved as calls overlap, every session's
// first item busy (in flight or being settled) but ten: plan walks the
// whole queue to find them.
func BenchmarkPlan(b *testing.B) {
	for _, n := range []int{1000, DefaultWindow} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			sessions := n / 5
			queue := make([]OutboxItem, n)
			busy := map[uint64]bool{}
			for i := range queue {
				s := i % sessions
				queue[i] = OutboxItem{ID: uint64(i + 1), Kind: KindEvent, SessionID: "session-" + strconv.Itoa(s)}
				if i < sessions && s >= 10 {
					busy[queue[i].ID] = true
				}
			}
			var p planner
			b.ReportAllocs()
			for b.Loop() {
				units, _ := p.plan(queue, t0, maxUnitsPerRound, busy, nil)
				if len(units) != 10 {
					b.Fatalf("%d units", len(units))
				}
				for _, u := range units {
					p.release(u) // as the worker does once each is pushed
				}
			}
		})
	}
}

// BenchmarkPlanFees is a replan while CDRs wait for their batches to fill:
// 200 sessions with a CDR at their head and 200 with an event, so that a
// plan makes 4 fee batches and 124 events; the worker then releases every
// unit (pushed or deferred).
func BenchmarkPlanFees(b *testing.B) {
	var queue []OutboxItem
	for i := range 400 {
		it := OutboxItem{ID: uint64(i + 1), Kind: KindEvent, SessionID: "session-" + strconv.Itoa(i), Payload: json.RawMessage(`{}`)}
		if i%2 == 0 {
			it.Kind = KindFee
		}
		queue = append(queue, it)
	}
	var p planner
	b.ReportAllocs()
	for b.Loop() {
		units, _ := p.plan(queue, t0, maxUnitsPerRound, nil, nil)
		if len(units) != maxUnitsPerRound {
			b.Fatalf("%d units", len(units))
		}
		for _, u := range units {
			p.release(u)
		}
	}
}
